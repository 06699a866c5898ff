import codecs
import gzip

from dechaff.decode import declared_encoding, decode_html

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
