"""Bad input gets a clear result or a clear error: never a traceback, a hang or a blow-up."""

import codecs
import contextlib
import gzip
import random
import time
from collections import Counter

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dechaff import Extractor, ParseError
from dechaff.cli import main
from dechaff.page import read_page

ARTICLE = ("<html><head><title>T</title></head><body><nav><a href='/'>Home</a></nav>"
           "<article><p>{text}</p><p>Second paragraph of the article body here.</p></article>"
           "</body></html>")


@pytest.fixture(scope="module")
def extractor(small_model):
    return Extractor(small_model)


def block_text(html) -> str:
    return " ".join(b.text for b in read_page(html).blocks)


# --- empty, odd documents -------------------------------------------------------------

@pytest.mark.parametrize("html", [
    "", "   \n\t ", b"", "just a lone text node", "<html></html>", "<html><head></head></html>",
    "<!-- only a comment -->", "<frameset><frame src='a.html'></frameset>",
    "<svg xmlns='http://www.w3.org/2000/svg'><text>label</text></svg>",
    "<?xml version='1.0'?><rss><channel><title>feed</title></channel></rss>",
    '{"json": "served as html", "items": [1, 2, 3]}',
])
def test_odd_documents_give_a_string(extractor, html):
    assert isinstance(extractor.extract(html), str)


def test_lone_text_node_is_its_own_content():
    assert block_text("just a lone text node") == "just a lone text node"


# --- binary ---------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    b"\xff\xd8\xff\xe0" + random.Random(1).randbytes(2000),
    *(random.Random(seed).randbytes(5000) for seed in range(20)),
])
def test_binary_data_is_a_clear_error(extractor, data):
    with pytest.raises(ParseError, match="not HTML"):
        extractor.extract(data)


def test_gzip_bytes_not_declared_as_such_are_unpacked():
    assert block_text(gzip.compress(b"<p>packed page text</p>")) == "packed page text"


def test_nul_bytes_in_text_do_not_break_parsing():
    assert "before" in block_text(b"<p>before\x00after</p><p>next</p>")


def test_cli_reports_binary_input_in_one_line(tmp_path, capsys):
    page = tmp_path / "image.html"
    page.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert main(["clean", str(page)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dechaff: error: not HTML") and err.count("\n") == 1


# --- truncated ------------------------------------------------------------------------

FULL = ARTICLE.format(text="Caf\u00e9 cr\u00e8me &amp; croissant at dawn.")


@pytest.mark.parametrize("cut", [
    FULL.index("<article>") + 4,  # mid-tag
    FULL.index("href='/'") + 5,  # mid-attribute
    FULL.index("&amp;") + 3,  # mid-entity
])
def test_truncated_html_gives_the_text_so_far(extractor, cut):
    assert isinstance(extractor.extract(FULL[:cut]), str)


def test_truncated_multibyte_character():
    data = FULL.encode("utf-8")
    cut = data.index("\u00e9".encode()) + 1  # inside the two bytes of é
    assert "Caf" in block_text(data[:cut] + b"</p>")


# --- encodings ------------------------------------------------------------------------

LATIN = "Der Bürgermeister äußerte sich über die Straße und das Café."
ENCODED = [
    ("utf-8", "", LATIN), ("utf-8-sig", "", LATIN), ("utf-16", "", LATIN),
    ("cp1252", "", LATIN), ("iso-8859-15", "", LATIN),
    ("shift_jis", "", "日本語のテキストです。東京は晴れています。"),
    ("shift_jis", '<meta charset="shift_jis">', "日本語のテキストです。東京は晴れています。"),
    ("gb18030", "", "这是中文文本。北京今天天气很好，我们去公园散步。"),
    ("gb18030", '<meta charset="gb18030">', "这是中文文本。北京今天天气很好，我们去公园散步。"),
    ("euc-kr", "", "이것은 한국어 텍스트입니다. 서울은 오늘 맑습니다."),
    ("euc-kr", '<meta charset="euc-kr">', "이것은 한국어 텍스트입니다. 서울은 오늘 맑습니다."),
]


@pytest.mark.parametrize("encoding,meta,text", ENCODED)
def test_pages_in_many_encodings_decode_correctly(encoding, meta, text):
    html = f"<html><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>"
    assert block_text(html.encode(encoding)) == text


def test_meta_charset_contradicting_real_utf8():
    html = f'<html><head><meta charset="windows-1252"></head><body><p>{LATIN}</p></body></html>'
    assert block_text(html.encode("utf-8")) == LATIN


def test_xml_declaration_with_encoding():
    html = ('<?xml version="1.0" encoding="iso-8859-15"?>'
            f"<html><body><p>{LATIN}</p></body></html>")
    assert block_text(html.encode("iso-8859-15")) == LATIN


def test_utf16_bom_bytes():
    html = f"<html><body><p>{LATIN}</p></body></html>"
    assert block_text(codecs.BOM_UTF16_LE + html.encode("utf-16-le")) == LATIN


# --- size and shape: bounded time, no RecursionError ---------------------------------

def timed(html):
    started = time.perf_counter()
    page = read_page(html)
    return page, time.perf_counter() - started


def test_deep_nesting_within_the_parser_limit_keeps_its_text():
    page, _ = timed("<div>" * 1500 + "deep text" + "</div>" * 1500 + "<p>after</p>")
    assert [b.text for b in page.blocks] == ["deep text", "after"]


def test_100k_deep_nesting_is_bounded_and_does_not_recurse():
    page, seconds = timed("<div>" * 100_000 + "deep text" + "</div>" * 100_000)
    assert seconds < 30
    assert isinstance(page.blocks, list)


def test_a_million_br_is_bounded():
    page, seconds = timed("<p>" + "a<br>" * 1_000_000 + "</p>")
    assert seconds < 60
    assert len(page.blocks) == 1


def test_a_million_tiny_elements_is_bounded():
    page, seconds = timed("<body>" + "<span>x</span>" * 1_000_000 + "</body>")
    assert seconds < 60
    assert page.blocks[0].text.startswith("xxx")


# --- entities, hidden and non-text content --------------------------------------------

def test_internal_entities_are_not_expanded_and_external_ones_not_fetched(extractor):
    html = ('<?xml version="1.0"?><!DOCTYPE html [<!ENTITY a "lol">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
            '<!ENTITY ext SYSTEM "http://127.0.0.1:9/secret">'
            ']><html><body><p>Text &c; and &ext; end.</p></body></html>')
    started = time.perf_counter()
    text = block_text(html)
    assert time.perf_counter() - started < 5
    assert text.count("lol") < 10
    assert "secret" not in text


def test_scripts_styles_templates_iframes_and_hidden_never_leak(extractor):
    html = ("<html><body><article><p>Visible article paragraph with words.</p>"
            "<script>var leak1 = 1;</script><style>.leak2{}</style>"
            "<template><p>leak3</p></template><iframe>leak4</iframe>"
            "<p hidden>leak5</p><div aria-hidden='true'>leak6</div>"
            "<p style='display:none'>leak7</p><noembed>leak8</noembed>"
            "</article></body></html>")
    everything = block_text(html) + extractor.extract(html, "markdown")
    assert "leak" not in everything


# --- properties -----------------------------------------------------------------------

TAGS = st.sampled_from(["p", "div", "span", "a", "li", "ul", "h2", "table", "tr", "td",
                        "nav", "footer", "article", "pre", "br", "b", "section"])
WORDS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                max_size=20)


@st.composite
def html_documents(draw):
    parts = []
    for _ in range(draw(st.integers(1, 30))):
        tag = draw(TAGS)
        attrs = draw(st.sampled_from(["", " class='content'", " class='nav menu'",
                                      " id='footer'", " hidden"]))
        parts.append(f"<{tag}{attrs}>{draw(WORDS)}")
        if draw(st.booleans()):
            parts.append(f"</{tag}>")
    return "<html><body>" + "".join(parts) + "</body></html>"


def letters(text: str) -> Counter:
    return Counter(ch for ch in text if ch.isalnum())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=html_documents())
def test_extract_never_outputs_text_the_page_does_not_have(extractor, html):
    """Output words come from the page's visible words: as a multiset of letters and
    digits (so independent of where blocks are cut), nothing is invented or repeated."""
    try:
        text = extractor.extract(html)
    except ParseError:
        return  # the documented error, for input that is not HTML
    assert isinstance(text, str)
    assert not letters(text) - letters(lxml.html.document_fromstring(html).text_content())


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise_anything_but_parse_error(extractor, data):
    with contextlib.suppress(ParseError):
        assert isinstance(extractor.extract(data), str)
