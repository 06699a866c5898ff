import gzip
import io
import json
import subprocess
import sys

import pytest

from dechaff.cli import main

from .conftest import LABELED, PAGES

NEWS = PAGES / "news-article.html"


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_clean_prints_text(capsys, small_model):
    status, out, err = run(capsys, "clean", str(NEWS), "--model", str(small_model))
    assert status == 0 and err == ""
    assert out.strip()


def test_clean_formats(capsys, small_model):
    _, text, _ = run(capsys, "clean", str(NEWS), "--model", str(small_model))
    _, md, _ = run(capsys, "clean", str(NEWS), "--model", str(small_model), "--format",
                   "markdown")
    _, html, _ = run(capsys, "clean", str(NEWS), "--model", str(small_model), "--format",
                     "html")
    _, raw, _ = run(capsys, "clean", str(NEWS), "--model", str(small_model), "--format",
                    "json")
    data = json.loads(raw)
    assert md.startswith("# " + data["title"])
    assert html.startswith("<article>")
    assert data["text"].strip() == text.strip()
    assert all(0.0 <= b["probability"] <= 1.0 for b in data["blocks"])


def test_clean_reads_stdin_and_gzip(capsys, monkeypatch, small_model, tmp_path):
    _, expected, _ = run(capsys, "clean", str(NEWS), "--model", str(small_model))
    packed = tmp_path / "news.html.gz"
    packed.write_bytes(gzip.compress(NEWS.read_bytes()))
    _, from_gz, _ = run(capsys, "clean", str(packed), "--model", str(small_model))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(NEWS.read_bytes())))
    _, from_stdin, _ = run(capsys, "clean", "-", "--model", str(small_model))
    assert from_gz == expected == from_stdin


def test_threshold_keeps_exactly_the_blocks_at_or_above_it(capsys, small_model):
    def kept(threshold: float) -> list[dict]:
        _, raw, _ = run(capsys, "clean", str(NEWS), "--model", str(small_model),
                        "--threshold", str(threshold), "--format", "json")
        return json.loads(raw)["blocks"]

    everything = kept(0.0)
    probabilities = sorted({b["probability"] for b in everything})
    # Halfway across a clear gap, so the 4-decimal rounding in JSON cannot matter.
    gaps = [(hi - lo, (lo + hi) / 2) for lo, hi in zip(probabilities, probabilities[1:])]
    middle = max(gaps)[1]
    expected = [b["text"] for b in everything if b["probability"] >= middle]
    assert [b["text"] for b in kept(middle)] == expected
    assert len(expected) < len(everything)


def test_missing_input_is_a_one_line_error(capsys):
    status, out, err = run(capsys, "clean", "/no/such/page.html")
    assert status == 1 and out == ""
    assert err.startswith("dechaff: error:") and err.count("\n") == 1


def test_train_on_a_directory_without_pages_fails_cleanly(capsys, tmp_path):
    status, _, err = run(capsys, "train", str(tmp_path), "--quiet")
    assert status == 1 and "no labeled pages" in err


def test_train_prints_cross_validated_scores(small_model, capsys):
    status, out, _ = run(capsys, "train", str(LABELED), "--folds", "3", "--quiet")
    assert status == 0
    assert "cross-validation, grouped by domain" in out
    assert "| 14 | all |" in out
    assert "label ceiling" in out


def test_evaluate_scores_a_model_per_page_type(capsys, small_model):
    status, out, _ = run(capsys, "evaluate", str(LABELED), "--model", str(small_model),
                         "--quiet", "--json")
    summary = json.loads(out)
    assert status == 0
    assert summary["overall"]["pages"] == 14
    assert {"article", "forum", "product", "documentation"} <= set(summary["by_type"])


@pytest.mark.parametrize("module", ["dechaff", "dechaff.cli"])
@pytest.mark.parametrize("args", [["--version"], ["clean", "--help"]])
def test_installed_entry_point_runs(module, args):
    result = subprocess.run([sys.executable, "-m", module, *args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "dechaff" in result.stdout
