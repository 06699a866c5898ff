"""Bytes to text: gzip, byte-order marks, declared and detected encodings."""

from __future__ import annotations

import codecs
import re
import zlib

import charset_normalizer

GZIP_MAGIC = b"\x1f\x8b"
# How far into a page a <meta charset> or XML declaration is looked for.
DECLARATION_WINDOW = 4096
# How many bytes the statistical detector sees; more is slower and rarely better.
DETECTION_WINDOW = 64 * 1024
# Largest page accepted after decompression (a gzip bomb guard).
MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024

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


def gunzip_if_needed(data: bytes) -> bytes:
    """Decompress gzip data (by its magic bytes); other data is returned as it is."""
    if not data.startswith(GZIP_MAGIC):
        return data
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(data, MAX_DECOMPRESSED_BYTES)
    except zlib.error:
        return data  # not really gzip after all: treat the bytes as a page
    if decompressor.unconsumed_tail:
        raise ValueError(f"gzip data expands beyond {MAX_DECOMPRESSED_BYTES} bytes")
    return out


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
    if isinstance(data, str):
        return data
    data = gunzip_if_needed(data)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
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
