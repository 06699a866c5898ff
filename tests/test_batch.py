import gzip
import io
import json

import pytest

from dechaff.batch import BatchConfig, PageInput, clean_many, clean_one, read_inputs
from dechaff.cli import main

from .conftest import PAGES

NEWS = PAGES / "news-article.html"
FORUM = PAGES / "forum-thread.html"


def run(capsys, *args: str) -> tuple[int, list[dict], str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, [json.loads(line) for line in out.splitlines() if line], err


def test_directory_gives_one_json_record_per_page_in_order(capsys, small_model):
    status, records, _ = run(capsys, "clean", str(PAGES), "--model", str(small_model))
    assert status == 0
    names = sorted(p.name for p in PAGES.glob("*.html"))
    assert [r["source"].rsplit("/", 1)[1] for r in records] == names
    assert all(r["error"] is None and r["text"] and r["title"] for r in records)
    assert records[0]["url"].startswith("https://")


def test_failures_are_recorded_and_the_batch_goes_on(capsys, small_model, tmp_path):
    lines = tmp_path / "pages.jsonl"
    lines.write_text(
        json.dumps({"html": NEWS.read_text(), "url": "https://a.example/1", "id": "n1"})
        + "\n{not json\n" + json.dumps({"url": "no html field"}) + "\n"
    )
    status, records, err = run(capsys, "clean", str(NEWS), str(tmp_path / "missing.html"),
                               str(lines), "--model", str(small_model), "--quiet")
    assert status == 1
    assert [r["error"] is None for r in records] == [True, False, True, False, False]
    assert records[2]["source"].endswith("pages.jsonl:1#n1")
    assert records[2]["url"] == "https://a.example/1"
    assert records[2]["text"] == records[0]["text"]
    assert err.count("dechaff:") == 3


def test_an_oversized_jsonl_record_is_an_error_and_the_next_lines_are_read(
        capsys, small_model, tmp_path, monkeypatch):
    import dechaff.batch as batch

    monkeypatch.setattr(batch, "JSONL_MAX_LINE_BYTES", 5000)  # the same check, smaller
    monkeypatch.setattr(batch, "_SKIP_CHUNK", 64)  # skip the long line in many reads
    page = "<p>A short page about the river.</p>"
    lines = tmp_path / "pages.jsonl"
    lines.write_text("\n".join(json.dumps({"html": html, "id": name}) for name, html in [
        ("small", page), ("huge", "<p>" + "x " * 20_000 + "</p>"), ("after", page),
    ]) + "\n")
    status, records, err = run(capsys, "clean", str(lines), "--model", str(small_model),
                               "--quiet", "--threshold", "0")
    assert status == 1
    assert [r["source"].rsplit(":", 1)[1] for r in records] == ["1#small", "2", "3#after"]
    assert records[1]["error"] == "record too large: over 5,000 bytes"
    assert records[0]["text"] == records[2]["text"] == "A short page about the river."


def test_globs_and_gzip(capsys, small_model, tmp_path):
    (tmp_path / "a.html.gz").write_bytes(gzip.compress(NEWS.read_bytes()))
    (tmp_path / "b.html").write_bytes(FORUM.read_bytes())
    (tmp_path / "notes.txt").write_text("not a page")
    status, records, _ = run(capsys, "clean", str(tmp_path / "*.htm*"), "--model",
                             str(small_model))
    assert status == 0 and len(records) == 2
    _, single, _ = run(capsys, "clean", str(tmp_path), "--model", str(small_model))
    assert [r["text"] for r in single] == [r["text"] for r in records]


def test_output_dir_writes_one_file_per_page(capsys, small_model, tmp_path):
    out = tmp_path / "out"
    status = main(["clean", str(NEWS), str(FORUM), "--model", str(small_model),
                   "--output-dir", str(out), "--format", "markdown"])
    capsys.readouterr()
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == ["forum-thread.md", "news-article.md"]
    assert (out / "news-article.md").read_text().startswith("# ")


def test_parallel_jobs_keep_the_order_and_the_results(capsys, small_model):
    _, one, _ = run(capsys, "clean", str(PAGES), "--model", str(small_model))
    _, two, _ = run(capsys, "clean", str(PAGES), "--model", str(small_model), "--jobs", "2")
    assert one == two


def test_warc_response_records_with_html_are_cleaned(capsys, small_model, tmp_path):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "crawl.warc.gz"
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, kind, body in [("https://a.example/news", "text/html; charset=utf-8",
                                 NEWS.read_bytes()),
                                ("https://a.example/logo.png", "image/png", b"\x89PNG")]:
            headers = StatusAndHeaders("200 OK", [("Content-Type", kind)],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response",
                                                          payload=io.BytesIO(body),
                                                          http_headers=headers))
    status, records, _ = run(capsys, "clean", str(path), "--model", str(small_model))
    assert status == 0
    assert [r["url"] for r in records] == ["https://a.example/news"]
    _, direct, _ = run(capsys, "clean", str(NEWS), str(NEWS), "--model", str(small_model))
    assert records[0]["text"] == direct[0]["text"]


def test_a_slow_page_times_out_as_an_error(small_model):
    big = "<html><body>" + "<p>word " * 200_000 + "</body></html>"
    record = clean_one(PageInput("big", big.encode()), BatchConfig(str(small_model),
                                                                   timeout=0.05))
    assert record["error"].startswith("timeout")


def test_a_timeout_whose_exception_is_lost_is_still_reported(small_model, monkeypatch):
    # Python may run the alarm's handler inside a garbage-collector callback, which
    # drops its exception; here a wrapper drops it, and the page runs to its end.
    from dechaff.batch import PageTimeout, _extractor
    from dechaff.extractor import Extractor

    real = Extractor.article

    def swallowing(self, html):
        try:
            return real(self, html)
        except PageTimeout:
            return real(self, html)

    _extractor.cache_clear()
    monkeypatch.setattr(Extractor, "article", swallowing)
    big = "<html><body>" + "<p>word " * 200_000 + "</body></html>"
    record = clean_one(PageInput("big", big.encode()), BatchConfig(str(small_model),
                                                                   timeout=0.05))
    _extractor.cache_clear()
    assert record["error"].startswith("timeout") and record["text"] is None


def test_inputs_are_consumed_lazily(small_model):
    consumed = []

    def pages():
        for i in range(50):
            consumed.append(i)
            yield PageInput(f"p{i}", b"<p>tiny page</p>")

    records = clean_many(pages(), BatchConfig(str(small_model)))
    next(records)
    assert len(consumed) == 1


@pytest.mark.parametrize("bad", [b"", b"\x00\x01\x02", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_bad_bytes_give_a_record_not_a_crash(small_model, bad):
    record = clean_one(PageInput("bad", bad), BatchConfig(str(small_model)))
    assert record["source"] == "bad"
    assert record["error"] is None or isinstance(record["error"], str)


def test_read_inputs_reports_unreadable_paths(tmp_path):
    assert list(read_inputs([str(tmp_path / "nope.html")]))[0][1].startswith(
        "FileNotFoundError")


def test_batches_can_run_in_a_worker_thread(small_model):
    # No signal-based timeout off the main thread, but no crash either.
    from concurrent.futures import ThreadPoolExecutor

    pages = [PageInput("a", NEWS.read_bytes()), PageInput("b", FORUM.read_bytes())]
    with ThreadPoolExecutor(1) as pool:
        records = pool.submit(lambda: list(clean_many(pages, BatchConfig(str(small_model)))))
        assert [r["error"] for r in records.result()] == [None, None]
