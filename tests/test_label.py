"""`dechaff label`: model predictions written as marked pages that read back the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dechaff.align import marked_labels
from dechaff.blocks import Frames
from dechaff.cli import main
from dechaff.datasets import list_pages, read_page_labels
from dechaff.extractor import Extractor
from dechaff.label import CHROME, CONTENT, label_page, output_name, place_markers
from dechaff.page import read_page

from .conftest import PAGES

# Share of blocks whose read-back label must equal the model's decision, per page.
MIN_AGREEMENT = 0.98


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


@pytest.mark.parametrize("threshold", [None, 0.7])
def test_labeled_copies_read_back_as_the_models_decisions(tmp_path, threshold):
    extractor = Extractor(threshold=threshold)
    sources = {page.name: page for page in PAGES.glob("*.html")}
    for name, page in sources.items():
        (tmp_path / name).write_bytes(label_page(page.read_bytes(), extractor)[0])
    refs = list_pages(tmp_path)
    assert len(refs) == len(sources)
    for ref in refs:
        original = read_page(sources[ref.html_path.name].read_bytes())
        copy = read_page(read_page_labels(ref).html)
        assert [b.text for b in copy.blocks] == [b.text for b in original.blocks]
        decisions = extractor.probabilities(original) >= extractor.threshold
        agreement = np.mean(marked_labels(copy.blocks) == decisions)
        assert agreement >= MIN_AGREEMENT, (ref.html_path.name, agreement)


def _frames(parents: list[int]) -> Frames:
    return Frames(tags=["div"] * len(parents), parents=parents, attrs=[""] * len(parents))


# html 0 > body 1 > nav 2 > a 3; body > div 4 > p 5, p 6, aside 7, p 8; body > footer 9
PAGE_TREE = [-1, 0, 1, 2, 1, 4, 4, 4, 4, 1]


def test_markers_go_on_the_content_container_with_chrome_marked_inside():
    wants = [None, None, None, CHROME, None, CONTENT, CONTENT, CHROME, CONTENT, CHROME]
    assert place_markers(_frames(PAGE_TREE), wants) == {4: CONTENT, 7: CHROME}


def test_markers_mark_single_paragraphs_when_their_siblings_are_chrome():
    wants = [None, None, None, CHROME, None, CONTENT, CHROME, CHROME, CHROME, CHROME]
    assert place_markers(_frames(PAGE_TREE), wants) == {5: CONTENT}


def test_a_tie_puts_the_marker_on_the_outer_element():
    # html 0 > body 1 > nav 2; body > div 3 > p 4: marking div or p costs one marker each.
    wants = [None, None, CHROME, None, CONTENT]
    assert place_markers(_frames([-1, 0, 1, 1, 3]), wants) == {3: CONTENT}


def test_no_markers_when_nothing_is_content():
    wants = [None, None, None, CHROME, None, CHROME, CHROME, CHROME, None, CHROME]
    assert place_markers(_frames(PAGE_TREE), wants) == {}


def test_labeled_copy_is_utf8_with_metadata_added_only_when_missing(extractor):
    page = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">
    <title>Caf\u00e9 notes</title><meta property="og:type" content="article">
    <meta property="og:url" content="https://cafe.example/notes"></head>
    <body><nav><a href="/">Home</a></nav><article><p>Le caf\u00e9 ouvre \u00e0 huit heures,
    et la terrasse reste ouverte tout l'\u00e9t\u00e9 pour les habitu\u00e9s du quartier.</p>
    </article></body></html>""".encode("cp1252")
    copy, blocks, _ = label_page(page, extractor)
    text = copy.decode("utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert text.count("charset") == 1 and '<meta charset="utf-8">' in text
    assert "Caf\u00e9 notes" in text and "l'\u00e9t\u00e9" in text
    assert '<link rel="canonical" href="https://cafe.example/notes">' in text
    assert '<meta name="dechaff:page-type" content="article">' in text
    assert blocks == len(read_page(copy).blocks)
    again = label_page(copy, extractor)[0].decode("utf-8")
    assert again.count('rel="canonical"') == 1 and again.count("dechaff:page-type") == 1


def test_old_markers_are_replaced_by_the_models(extractor):
    page = (PAGES / "news-article.html").read_bytes()
    stale = page.replace(b"<nav", b'<nav data-dechaff="content"')
    assert label_page(stale, extractor)[0] == label_page(page, extractor)[0]


def test_output_names_are_plain_html_and_unique():
    used: set[str] = set()
    names = [output_name(Path(p), used) for p in ("a/x.html.gz", "b/x.htm", "c/.html", "y")]
    assert names == ["x.html", "x-2.html", "page.html", "y.html"]


def test_cli_writes_good_pages_and_reports_bad_ones_in_one_line_each(capsys, tmp_path):
    binary = tmp_path / "image.html"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"  \n")
    good = PAGES / "recipe.html"
    out_dir = tmp_path / "labeled"
    status = main(["label", str(binary), str(good), str(empty), "--out-dir", str(out_dir)])
    out, err = capsys.readouterr()
    assert status == 1
    assert [p.name for p in out_dir.iterdir()] == ["recipe.html"]
    assert out.startswith(str(out_dir / "recipe.html") + ": ")
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0] == f"dechaff: {binary}: not HTML: the bytes are an image, archive or PDF"
    assert lines[1] == f"dechaff: {empty}: empty page: nothing to label"


def test_cli_refuses_to_overwrite_the_page(capsys, tmp_path):
    page = tmp_path / "page.html"
    original = (PAGES / "recipe.html").read_bytes()
    page.write_bytes(original)
    status = main(["label", str(page), "--out-dir", str(tmp_path)])
    _, err = capsys.readouterr()
    assert status == 1 and "would overwrite the page" in err
    assert page.read_bytes() == original
