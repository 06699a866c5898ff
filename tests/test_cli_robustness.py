"""Bad input through the `dechaff` command: every case of tests/bad_inputs.py.

With --threshold 0 every block is kept, so the output is all of the page's text and
the cases' ``present`` and ``absent`` texts can be checked whatever the model says.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dechaff
from dechaff import decode
from dechaff import page as page_module
from dechaff.cli import main

from .bad_inputs import CASES
from .conftest import PAGES

NEWS = PAGES / "news-article.html"


def clean(capsys, model: Path, *inputs: Path | str) -> tuple[int, str, str]:
    status = main(["clean", *map(str, inputs), "--model", str(model), "--threshold", "0"])
    out, err = capsys.readouterr()
    return status, out, err


def write(directory: Path, case) -> Path:
    path = directory / f"{case.name}.html"
    path.write_bytes(case.data)
    return path


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_one_bad_page_gives_its_text_or_a_one_line_error(capsys, small_model, tmp_path, case):
    page = write(tmp_path, case)
    status, out, err = clean(capsys, small_model, page)
    if case.error:
        assert (status, out) == (1, "")
        assert err.startswith(f"dechaff: error: {page}: ")
        assert case.error in err and err.count("\n") == 1
    else:
        assert (status, err) == (0, "")
        assert all(text in out for text in case.present)
        assert not any(text in out for text in case.absent)


def test_a_batch_of_every_bad_page_reports_each_failure_and_cleans_the_rest(
        capsys, small_model, tmp_path):
    paths = [write(tmp_path, case) for case in CASES]
    status, out, err = clean(capsys, small_model, NEWS, *paths, NEWS)
    records = [json.loads(line) for line in out.splitlines()]
    assert status == 1
    assert [r["source"] for r in records] == [str(p) for p in [NEWS, *paths, NEWS]]
    assert records[0]["error"] is None and records[0]["text"] == records[-1]["text"]
    for case, record in zip(CASES, records[1:]):
        if case.error:
            assert case.error in record["error"] and record["text"] is None, case.name
        else:
            assert record["error"] is None, case.name
            assert all(text in record["text"] for text in case.present), case.name
            assert not any(text in record["text"] for text in case.absent), case.name
    failed = [p for case, p in zip(CASES, paths) if case.error]
    lines = err.splitlines()
    assert len(lines) == len(failed)
    assert all(line.startswith(f"dechaff: {p}: ") for line, p in zip(lines, failed))


def test_a_missing_file_is_one_line_naming_it(capsys, small_model, tmp_path):
    missing = tmp_path / "nowhere.html"
    status, out, err = clean(capsys, small_model, missing)
    assert (status, out) == (1, "")
    assert err == f"dechaff: error: {missing}: No such file or directory\n"


def test_a_page_over_the_size_limit_is_one_line_naming_it(capsys, small_model, tmp_path,
                                                           monkeypatch):
    monkeypatch.setattr(decode, "MAX_PAGE_BYTES", 10_000)  # the same check, smaller
    page = tmp_path / "huge.html"
    page.write_bytes(b"<p>" + b"word " * 3_000 + b"</p>")
    status, out, err = clean(capsys, small_model, page)
    assert (status, out) == (1, "")
    assert err.startswith(f"dechaff: error: {page}: page too large") and err.count("\n") == 1
    small = tmp_path / "small.html"
    small.write_bytes(b"<p>A small page under the limit.</p>")
    status, out, err = clean(capsys, small_model, page, small)
    assert status == 1
    assert [json.loads(line)["error"] is None for line in out.splitlines()] == [False, True]


def test_a_cut_page_is_cleaned_with_a_one_line_warning(capsys, small_model, tmp_path,
                                                       monkeypatch):
    monkeypatch.setattr(page_module, "MAX_BLOCKS", 100)  # the same check, smaller
    page = tmp_path / "long.html"
    page.write_text("<body>" + "".join(f"<p>paragraph {i}</p>" for i in range(150)) + "</body>")
    status, out, err = clean(capsys, small_model, page)
    assert status == 0
    assert "paragraph 99" in out and "paragraph 100" not in out
    assert err.startswith(f"dechaff: warning: {page}: only the first") and err.count("\n") == 1


def test_a_cut_page_is_flagged_in_its_batch_record(capsys, small_model, tmp_path, monkeypatch):
    monkeypatch.setattr(page_module, "MAX_BLOCKS", 100)
    long, short = tmp_path / "long.html", tmp_path / "short.html"
    long.write_text("<body>" + "".join(f"<p>paragraph {i}</p>" for i in range(150)) + "</body>")
    short.write_text("<body><p>A short page.</p></body>")
    status, out, _ = clean(capsys, small_model, long, short)
    assert status == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert records[0]["truncated"] is True
    assert "truncated" not in records[1]


# --- the real command, in its own process ----------------------------------------------

def dechaff_command() -> list[str]:
    script = Path(sys.executable).with_name("dechaff")
    found = str(script) if script.exists() else shutil.which("dechaff")
    return [found] if found else [sys.executable, "-m", "dechaff.cli"]


def run_dechaff(*args: str) -> subprocess.CompletedProcess:
    source = str(Path(dechaff.__file__).resolve().parents[1])  # this tree's dechaff
    env = {**os.environ, "PYTHONPATH": source}
    return subprocess.run([*dechaff_command(), *args], capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.mark.parametrize("name", ["png-image", "random-bytes-0"])
def test_the_command_refuses_binary_with_one_line_and_no_traceback(small_model, tmp_path,
                                                                    name):
    page = write(tmp_path, next(c for c in CASES if c.name == name))
    result = run_dechaff("clean", str(page), "--model", str(small_model))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(f"dechaff: error: {page}: not HTML")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_the_command_cleans_the_rest_of_a_batch(small_model, tmp_path):
    bad = write(tmp_path, next(c for c in CASES if c.name == "png-image"))
    empty = write(tmp_path, next(c for c in CASES if c.name == "empty"))
    result = run_dechaff("clean", str(bad), str(NEWS), str(empty), "--model",
                         str(small_model), "--quiet")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert [r["error"] is None for r in records] == [False, True, True]
    assert records[1]["text"] and records[2]["text"] == ""
    assert result.stderr == f"dechaff: {bad}: {records[0]['error']}\n"
