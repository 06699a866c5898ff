import codecs
import gzip

import pytest

from dechaff.decode import declared_encoding, decode_html, repair_mojibake

TEXT = "Crème brûlée, naïve café — “quoted”"


def page(charset_meta: str = "") -> str:
    return f"<html><head>{charset_meta}</head><body><p>{TEXT}</p></body></html>"


def test_utf8_with_and_without_bom():
    raw = page().encode("utf-8")
    assert TEXT in decode_html(raw)
    assert TEXT in decode_html(codecs.BOM_UTF8 + raw)
    assert not decode_html(codecs.BOM_UTF8 + raw).startswith("\ufeff")


def test_utf16_with_bom():
    assert TEXT in decode_html(page().encode("utf-16"))


def test_declared_legacy_encoding_is_used():
    raw = page('<meta charset="windows-1252">').encode("cp1252")
    assert TEXT in decode_html(raw)


def test_utf8_beats_a_contradicting_declaration():
    raw = page('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">')
    assert TEXT in decode_html(raw.encode("utf-8"))


def test_undeclared_cp1252_is_detected():
    body = "<p>" + " ".join([TEXT] * 20) + "</p>"
    assert TEXT in decode_html(f"<html><body>{body}</body></html>".encode("cp1252"))


def test_gzip_bytes_are_decompressed():
    assert TEXT in decode_html(gzip.compress(page().encode("utf-8")))


def test_latin1_label_means_windows_1252():
    assert declared_encoding(b'<meta charset="ISO-8859-1">') == "cp1252"
    assert declared_encoding(b'<meta charset="no-such-codec">') is None


def test_utf8_cut_inside_its_last_character_is_still_utf8():
    raw = page().encode("utf-8")
    cut = raw[: raw.index("brûlée".encode()) + len("brû".encode()) - 1]  # inside the û
    assert decode_html(cut).endswith("Crème br")


def _misread(text: str, encoding: str = "cp1252") -> str:
    """``text`` as it shows when its UTF-8 bytes are read in ``encoding``."""
    return text.encode("utf-8").decode(encoding, errors="replace")


@pytest.mark.parametrize("good", [
    "That’s not budgeting—it’s crisis financing.",
    "Café crème à la carte, naïve façade",
    "Größe 10 × 20 mm, ½ Preis",
])
def test_utf8_read_as_windows_1252_is_read_back(good):
    assert repair_mojibake(_misread(good)) == good


def test_utf8_read_as_latin1_is_read_back():
    # Latin-1 leaves C1 control characters (U+0080-U+009F) where windows-1252 has quotes.
    misread = _misread("in debt—nearly seven in ten", "latin-1")
    assert "\u0080" in misread
    assert repair_mojibake(misread) == "in debt—nearly seven in ten"


@pytest.mark.parametrize(("misread", "good"), [
    # A no-break space misread as "Â\u00a0", its second half collapsed to a space...
    ("How free isÂ free CRM?", "How free is\u00a0free CRM?"),
    ("1.Â Â Myth: all fats are bad", "1.\u00a0\u00a0Myth: all fats are bad"),
    # ... or cut off with the whitespace at the end of a block.
    ("notices on behalf of your LLC.Â", "notices on behalf of your LLC."),
    # "à" (C3 A0) misread as "Ã\u00a0", its A0 collapsed or cut off alike.
    ("VoilÃ la solution", "Voilà la solution"),
    ("Bon appÃ©tit, et voilÃ", "Bon appétit, et voilà"),
])
def test_a_misread_no_break_space_is_read_back(misread, good):
    assert repair_mojibake(misread) == good


@pytest.mark.parametrize("text", [
    "naïve café — “quotes” ½ ± © Größe ¿Qué?",
    "SÃO PAULO",  # Ã followed by a letter: no UTF-8 sequence
    "ROMÂNIA, GRÂ",  # Â ending a capitalised word: ftfy sees no mojibake
    "Москва, 東京, Hà Nội, Zażółć gęślą jaźń, Ελληνικά",
    "Æ Ç È É Ê Ë Ì Í Î Ï",
])
def test_text_that_is_not_mojibake_is_left_alone(text):
    assert repair_mojibake(text) == text


def test_text_without_a_sign_of_mojibake_is_not_examined(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ftfy", None)  # importing it would now fail
    text = "Москва, 東京, naïve café — “quotes”"
    assert repair_mojibake(text) is text


def test_the_cleaned_article_reads_mojibake_back():
    import dechaff

    story = ("That’s the point: the council’s plan—approved on Tuesday—moves the "
             "market to the old station square, where stalls will open each Saturday "
             "from May. Traders say they’re pleased with the larger site. ") * 3
    html = (f"<html><head><title>{_misread('Council’s plan')}</title></head><body>"
            f"<article><h1>{_misread('Council’s plan')}</h1><p>{_misread(story)}</p>"
            f"</article></body></html>").encode()
    article = dechaff.Extractor().article(html)
    assert article.title == "Council’s plan"
    assert story.strip() in dechaff.extract(html)


def test_repair_stops_at_its_budget(monkeypatch):
    from dechaff import article
    from dechaff.article import repaired
    from dechaff.blocks import Block

    monkeypatch.setattr(article, "REPAIR_BUDGET", 30)
    bad = _misread("it’s here—now")  # 17 characters as misread
    out = repaired([Block(bad, "paragraph", 0, (0,), 0) for _ in range(3)])
    # The first two are repaired (17, then 34 characters spent); the budget is gone.
    assert [b.text for b in out] == ["it’s here—now", "it’s here—now", bad]

