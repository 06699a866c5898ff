"""The batched API gives what one page at a time gives, bit for bit, and isolates failures."""

from __future__ import annotations

import numpy as np
import pytest

from dechaff.decode import MAX_PAGE_BYTES
from dechaff.extractor import Extractor, default_extractor
from dechaff.features import featurize
from dechaff.page import ParseError, read_page

from .conftest import LABELED

EMPTY = "<html><body></body></html>"
BINARY = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture(scope="module")
def htmls() -> list[str]:
    pages = [p.read_text() for p in sorted(LABELED.glob("*.html"))]
    # a dozen pages, with an empty page among them
    return (pages * 2)[:11] + [EMPTY]


def test_probabilities_many_equal_one_page_at_a_time(htmls):
    model = default_extractor().model
    features = [featurize(read_page(html)) for html in htmls]
    for one, many in zip((model.probabilities(f) for f in features),
                         model.probabilities_many(features), strict=True):
        assert one.tobytes() == many.tobytes()


def test_passes_many_equal_passes(htmls):
    model = default_extractor().model
    features = [featurize(read_page(html)) for html in htmls[:5]]
    for page, batched in zip(features, model.passes_many(features), strict=True):
        single = model.passes(page)
        assert len(single) == len(batched)
        for (x1, p1), (x2, p2) in zip(single, batched):
            assert x1.tobytes() == x2.tobytes() and p1.tobytes() == p2.tobytes()


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_extract_many_equals_extract(htmls, fmt):
    extractor = default_extractor()
    assert extractor.extract_many(htmls, fmt) == [extractor.extract(h, fmt) for h in htmls]


def test_a_bad_page_does_not_lose_the_others(htmls):
    extractor = default_extractor()
    too_large = "x" * (MAX_PAGE_BYTES + 1)
    pages = [htmls[0], BINARY, htmls[1], too_large, htmls[2]]
    out = extractor.extract_many(pages)
    assert isinstance(out[1], ParseError)
    assert isinstance(out[3], Exception)
    assert [out[0], out[2], out[4]] == [extractor.extract(h) for h in htmls[:3]]


def test_a_page_that_fails_after_parsing_does_not_lose_the_others(htmls, monkeypatch):
    extractor = Extractor()
    expected = [extractor.extract(h) for h in htmls[:3]]
    scored = extractor.probabilities

    def fails_on_the_second(page):
        if page.blocks and page.blocks[0].text == bad_first_block:
            raise RuntimeError("scoring failed")
        return scored(page)

    bad_first_block = read_page(htmls[1]).blocks[0].text
    monkeypatch.setattr(extractor, "probabilities", fails_on_the_second)
    out = extractor.extract_many(htmls[:3])
    assert isinstance(out[1], RuntimeError)
    assert [out[0], out[2]] == [expected[0], expected[2]]


def test_articles_stream_in_order(htmls):
    extractor = default_extractor()
    articles = extractor.articles(iter(htmls[:3]))
    assert [a.blocks for a in articles] == [extractor.article(h).blocks for h in htmls[:3]]


def test_empty_input():
    extractor = default_extractor()
    assert extractor.extract_many([]) == []
    assert list(extractor.articles([])) == []
    assert extractor.model.probabilities_many([]) == []
    assert extractor.extract_many([EMPTY, EMPTY]) == ["", ""]


def test_unknown_format_is_refused_before_any_work():
    with pytest.raises(ValueError, match="unknown format"):
        Extractor().extract_many(["<p>x</p>"], "pdf")


def test_all_pages_empty_gives_empty_probabilities():
    model = default_extractor().model
    out = model.probabilities_many([featurize(read_page(EMPTY))] * 2)
    assert [len(p) for p in out] == [0, 0] and all(isinstance(p, np.ndarray) for p in out)
