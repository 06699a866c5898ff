"""Bytes to text: gzip, byte-order marks, declared and detected encodings; and text
whose UTF-8 was once read in a single-byte encoding (mojibake) read back."""

from __future__ import annotations

import codecs
import re
import zlib
from typing import BinaryIO

import charset_normalizer

GZIP_MAGIC = b"\x1f\x8b"
# How far into a page a <meta charset> or XML declaration is looked for.
DECLARATION_WINDOW = 4096
# How many bytes the statistical detector sees; more is slower and rarely better.
DETECTION_WINDOW = 64 * 1024
# Largest page accepted, in bytes after decompression (or characters, for text): a
# guard against gzip bombs and runaway memory (peak RSS is about 8 times the page).
# The largest of the 1,497 WCXB development pages is 5.3 MB.
MAX_PAGE_BYTES = 64 * 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""")
# Among detected encodings this close in "chaos" to the best, windows-1252 wins:
# it is by far the most common undeclared legacy encoding on the web.
DETECTION_TIE = 0.01
# Declared single-byte labels that, per the WHATWG encoding standard, mean windows-1252.
_LATIN1_ALIASES = {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "iso8859-1"}


# Signs of UTF-8 read as windows-1252 or Latin-1: a C1 control character (never text
# on a page), or a lead byte's character (Â-ô) followed by a continuation byte's
# (U+0080-U+00BF, or windows-1252's characters for 0x80-0x9F), as in "â€™" for "’" or
# "Ã©" for "é". Only text showing one is handed to ftfy, which decides.
# A no-break space (C2 A0, "Â\u00a0" misread) whose second half became a plain space
# when the page's whitespace was collapsed, or was cut off at the end of a block, shows
# as "Â" before a space or at the end: "isÂ free", "your LLC.Â". So does "à" (C3 A0) as
# "Ã ". ftfy reads such a pair back (restore_byte_a0); at the end, repair_mojibake lends
# it the space first. _A0_LEADS are the lead characters that pair with an A0 byte.
_A0_LEADS = "\u00c2\u00c3"
_MOJIBAKE = re.compile(
    "[\u0080-\u009f]|[\u00c2-\u00f4][\u00a0-\u00bf\u20ac\u201a\u0192\u201e\u2026"
    "\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d"
    "\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]"
    f"|[{_A0_LEADS}](?:\\s|$)"
)

_MOJIBAKE_LEAD = re.compile("[\u0080-\u009f\u00c2-\u00f4]")


class PageTooLarge(ValueError):
    """The page is over MAX_PAGE_BYTES."""


def _too_large() -> PageTooLarge:
    return PageTooLarge(f"page too large: over the limit of {MAX_PAGE_BYTES:,} bytes")


def check_size(data: bytes | str) -> None:
    """Raise PageTooLarge for a page over MAX_PAGE_BYTES (bytes, or characters of text)."""
    if len(data) > MAX_PAGE_BYTES:
        raise _too_large()


def gunzip_if_needed(data: bytes) -> bytes:
    """Decompress gzip data (by its magic bytes); other data is returned as it is."""
    if not data.startswith(GZIP_MAGIC):
        return data
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(data, MAX_PAGE_BYTES)
    except zlib.error:
        return data  # not really gzip after all: treat the bytes as a page
    if decompressor.unconsumed_tail:
        raise _too_large()
    return out


def read_page_bytes(handle: BinaryIO) -> bytes:
    """A page's bytes from an open file, decompressed if gzip; never more than the limit
    is read, so a huge file fails fast with PageTooLarge instead of filling memory."""
    data = handle.read(MAX_PAGE_BYTES + 1)
    check_size(data)
    return gunzip_if_needed(data)


def declared_encoding(data: bytes) -> str | None:
    """The encoding named by a <meta charset> or XML declaration near the top, if valid."""
    head = data[:DECLARATION_WINDOW]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if not match:
        return None
    name = match.group(1).decode("ascii", "ignore").lower()
    if name in _LATIN1_ALIASES:
        name = "cp1252"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(data: bytes | str) -> str:
    """Decode a page's bytes to text.

    Order of evidence: a byte-order mark; valid UTF-8 that contains non-ASCII
    bytes (a strong signal that beats a contradicting declaration); the declared
    encoding; statistical detection; windows-1252 with replacement as last resort.
    """
    check_size(data)
    if isinstance(data, str):
        return data
    data = gunzip_if_needed(data)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    text = _utf8(data)
    if text is not None and not text.isascii():
        return text
    declared = declared_encoding(data)
    if declared:
        try:
            return data.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass
    if text is not None:
        return text
    return data.decode(detected_encoding(data), errors="replace")


def _utf8(data: bytes) -> str | None:
    """The text if ``data`` is UTF-8, else None. A character cut off at the very end (a
    truncated download) is dropped rather than making the whole page not UTF-8."""
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return None


def detected_encoding(data: bytes) -> str:
    """The statistically likeliest encoding, windows-1252 on ties or when unsure."""
    matches = list(charset_normalizer.from_bytes(data[:DETECTION_WINDOW]))
    if not matches:
        return "cp1252"
    best = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos <= best + DETECTION_TIE]
    if any("cp1252" in m.could_be_from_charset for m in tied):
        return "cp1252"
    return tied[0].encoding


def has_mojibake(text: str) -> bool:
    """Whether ``text`` shows a sign of UTF-8 read in a single-byte encoding (_MOJIBAKE)."""
    # Most text is ASCII, and most of the rest has no lead character: both tests are
    # several times faster than _MOJIBAKE's search (about 40 against 160 us a page).
    return (not text.isascii() and _MOJIBAKE_LEAD.search(text) is not None
            and _MOJIBAKE.search(text) is not None)


def repair_mojibake(text: str) -> str:
    """``text`` with UTF-8 that was read as windows-1252 or Latin-1 read back ("Thatâ€™s"
    -> "That’s"), by ftfy's fix_encoding, which leaves text it cannot show to be such
    alone; text without a sign of it (has_mojibake) is returned as it is, unexamined."""
    if not has_mojibake(text):
        return text
    import ftfy  # only for the pages that need it: its import costs 50-100 ms

    if not text.endswith(tuple(_A0_LEADS)):
        return ftfy.fix_encoding(text)
    fixed = ftfy.fix_encoding(text + " ")  # the space the block's end took from it
    fixed = fixed[:-1] if fixed.endswith((" ", "\u00a0")) else fixed
    return fixed if fixed.strip() else text  # a block of nothing else stays as it is
