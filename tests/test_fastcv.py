"""bench/fastcv.py: the quick cross-validation's page cache and experimental columns."""

from __future__ import annotations

import importlib.util
import pickle
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "labeled_data" / "pages"  # 14 pages of 14 sites: quick folds


def _fastcv():
    spec = importlib.util.spec_from_file_location("fastcv", ROOT / "bench" / "fastcv.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(module, monkeypatch, capsys, *options: str, steps: int = 2
         ) -> tuple[list[str], str]:
    """fastcv's output lines, and what it wrote to stderr."""
    monkeypatch.setattr(sys, "argv",
                        ["fastcv.py", str(DATA), "--max-iter", str(steps), *options])
    assert module.main() == 0
    captured = capsys.readouterr()
    return captured.out.splitlines(), captured.err


def _f1(line: str) -> float:
    return float(re.search(r"F1 ([0-9.]+)", line).group(1))


def test_a_cached_run_reads_the_pages_back_and_scores_the_same(tmp_path, monkeypatch,
                                                                capsys):
    fastcv = _fastcv()
    cache = tmp_path / "pages.pkl"
    first, _ = _run(fastcv, monkeypatch, capsys, "--cache", str(cache))
    assert cache.exists()
    assert [line.split(":")[0] for line in first] == [
        "first pass @0.3", "first pass @0.4", "second pass @0.3", "second pass @0.4"]

    def not_again(*args, **kwargs):
        raise AssertionError("the pages were prepared again despite the cache")

    monkeypatch.setattr(fastcv, "load_pages", not_again)
    assert _run(fastcv, monkeypatch, capsys, "--cache", str(cache))[0] == first


def test_a_cache_of_other_data_is_rebuilt_not_used(tmp_path, monkeypatch, capsys):
    fastcv = _fastcv()
    cache = tmp_path / "pages.pkl"
    with cache.open("wb") as f:
        pickle.dump({"key": {"data": ["elsewhere"]}, "pages": []}, f)
    lines, warnings = _run(fastcv, monkeypatch, capsys, "--cache", str(cache))
    assert len(lines) == 4  # scored on the real pages, not the cached empty list
    assert "made from other data or features: rebuilt" in warnings
    with cache.open("rb") as f:
        assert len(pickle.load(f)["pages"]) == 14


def test_extra_columns_reach_the_model(tmp_path, monkeypatch, capsys):
    """A column that is the label itself lets a few boosting steps score near 1."""
    extra = tmp_path / "labels.py"
    extra.write_text("def columns(page):\n    return page.y[:, None]\n")
    saved = tmp_path / "oof.pkl"
    fastcv = _fastcv()
    plain, _ = _run(fastcv, monkeypatch, capsys, steps=20)
    leaked, _ = _run(fastcv, monkeypatch, capsys, "--extra", str(extra),
                     "--save", str(saved), steps=20)
    assert _f1(leaked[0]) > 0.99 > _f1(plain[0])
    with saved.open("rb") as f:
        probabilities = pickle.load(f)
    assert len(probabilities["page_ids"]) == len(probabilities["second"]) == 14


@pytest.mark.parametrize("value", ["dir=6", "a=b=0.5"])
def test_weights_split_at_the_last_equals_sign(value):
    directory, weight = _fastcv()._weight(value)
    assert value == f"{directory}={weight:g}"


def _errors():
    spec = importlib.util.spec_from_file_location("errors", ROOT / "bench" / "errors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_error_analysis_reads_the_saved_probabilities(tmp_path, monkeypatch, capsys):
    cache, saved = tmp_path / "pages.pkl", tmp_path / "oof.pkl"
    _run(_fastcv(), monkeypatch, capsys, "--cache", str(cache), "--save", str(saved))
    with saved.open("rb") as f:
        probabilities = pickle.load(f)
    monkeypatch.setattr(sys, "argv", ["errors.py", str(DATA), "--cache", str(cache),
                                      "--probabilities", str(saved), "--worst", "3"])
    assert _errors().main() == 0
    out = capsys.readouterr().out
    shown = [line.split()[0] for line in out.splitlines() if " F1 " in line]
    assert len(shown) == 3 and set(shown) <= set(probabilities["page_ids"])
    assert "kept but chrome" in out and "dropped but content" in out

    probabilities["page_ids"].reverse()  # the same pages, in another order: refused
    with saved.open("wb") as f:
        pickle.dump(probabilities, f)
    with pytest.raises(SystemExit, match="other pages"):
        _errors().main()


def test_a_domain_share_draws_whole_sites_the_same_way_for_a_seed():
    from types import SimpleNamespace

    pages = [SimpleNamespace(domain=f"site{i // 3}.example") for i in range(30)]  # 10 sites
    some = _fastcv()._some_domains
    everything = list(range(30))
    assert some(pages, everything, 1.0, seed=0) == everything
    drawn = some(pages, everything, 0.8, seed=0)
    sites = {pages[i].domain for i in drawn}
    assert len(sites) == 8 and len(drawn) == 24  # every page of each site drawn
    assert drawn == some(pages, everything, 0.8, seed=0)
    assert drawn != some(pages, everything, 0.8, seed=1)


def test_distilling_changes_the_second_pass_and_not_the_first(tmp_path, monkeypatch, capsys):
    fastcv = _fastcv()
    cache = str(tmp_path / "pages.pkl")
    plain, _ = _run(fastcv, monkeypatch, capsys, "--cache", cache, steps=10)
    distilled, _ = _run(fastcv, monkeypatch, capsys, "--cache", cache, "--distill", "0.5",
                        steps=10)
    assert plain[:2] == distilled[:2]  # the first pass's lines
    assert plain[2:] != distilled[2:]
