"""Text to tree to page: parse HTML robustly and read the page-level facts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from .blocks import MAX_BLOCKS, Block, Frames, blockify
from .decode import PageTooLarge, decode_html, gunzip_if_needed

try:  # the facts' elements found in C (see _blockwalk.c), where it is built
    from . import _blockwalk
except ImportError:  # pragma: no cover - a source checkout without a compiler
    _blockwalk = None

# Signatures of common binary formats that are sometimes served or saved as pages.
BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"RIFF",
                b"\x00\x00\x01\x00", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf")
# Text whose first characters are more than this share control characters is binary.
MAX_CONTROL_SHARE = 0.1
SNIFF_CHARS = 4096
# How much JSON-LD is read per page, and how deep its objects are walked for @type.
MAX_JSON_LD_CHARS = 200_000
MAX_JSON_LD_DEPTH = 6
# Title separators that sites append their name with: "Story title | Site".
_TITLE_SUFFIX = re.compile(r"\s+[|\u2013\u2014\-:·•»]\s+[^|\u2013\u2014\-:·•»]{2,40}$")


class ParseError(ValueError):
    """The input could not be read as an HTML page."""


@dataclass(slots=True)
class Page:
    """A parsed page: its blocks, their frames and its metadata."""

    blocks: list[Block]
    frames: Frames
    title: str
    url: str | None
    lang: str | None
    types: frozenset[str] = field(default_factory=frozenset)  # og:type and JSON-LD @type
    truncated: bool = False  # reached blocks.MAX_BLOCKS: the rest of the page was not read


def _parser() -> etree.HTMLParser:
    """libxml2's HTML parser, as lxml.html's but with plain elements: lxml.html's element
    classes cost a lookup per element the walk touches, and nothing here needs them."""
    return etree.HTMLParser(
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
        no_network=True,
        default_doctype=False,
        huge_tree=True,  # nesting up to 2048 levels; the default, 256, drops the rest
        collect_ids=False,  # no table of id attributes: nothing looks elements up by id
    )


_PARSER = _parser()


_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f")
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_CONTROL_CHARS = re.compile(f"[{re.escape(_CONTROL_BYTES.decode('ascii'))}]")  # the same, in a str


def _reject_binary(html: str | bytes, text: str) -> None:
    if isinstance(html, bytes):
        raw = gunzip_if_needed(html)
        if raw.lstrip()[:8].startswith(BINARY_MAGIC):
            raise ParseError("not HTML: the bytes are an image, archive or PDF")
        head = raw[:SNIFF_CHARS]
        if not head.startswith(_WIDE_BOMS):  # UTF-16/32 text is full of NUL bytes
            controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
            if controls > MAX_CONTROL_SHARE * len(head):
                raise ParseError("not HTML: the input looks like binary data")
    head = text[:SNIFF_CHARS]
    controls = len(_CONTROL_CHARS.findall(head))
    if head and controls > MAX_CONTROL_SHARE * len(head):
        raise ParseError("not HTML: the input looks like binary data")


def parse_tree(html: str | bytes):
    """Decode (if bytes) and parse a page into an lxml tree; None for an empty document.

    Raises ParseError for input that is not HTML at all (binary data), and for a page
    over decode.MAX_PAGE_BYTES.
    """
    try:
        text = decode_html(html)
    except PageTooLarge as error:
        raise ParseError(str(error)) from error
    if not text or text.isspace():  # (not text.strip(), without copying the page)
        return None
    _reject_binary(html, text)
    try:
        return etree.fromstring(text.encode("utf-8", "replace"), _PARSER)  # None if empty
    except (etree.LxmlError, ValueError) as error:
        raise ParseError(f"cannot parse HTML: {error}") from error


def _first(root, xpath: str) -> str | None:
    return _first_of(root.xpath(xpath))


def _first_of(values) -> str | None:
    """The first of ``values`` that is not blank, its white space collapsed."""
    for value in values:
        value = " ".join(str(value).split())
        if value:
            return value
    return None


# The elements the page facts are read from, and the attributes read from them: one
# pass over the tree finds them all.
_FACT_TAGS = ("meta", "link", "script")
_FACT_ATTRIBUTES = ("property", "name", "content", "rel", "href", "type")
_JSON_LD = ("type", "application/ld+json")  # the only elements whose text is read

# A fact element: (tag, {attribute: value} of the _FACT_ATTRIBUTES it has, text). The
# text is a JSON-LD script's (lxml's element.text, "" for None), "" for the others.
Fact = tuple[str, dict[str, str], str]


def _fact_elements(root) -> list[Fact]:
    """The <meta>, <link> and <script> elements in document order (as ``//meta``...
    does), as Facts: in C where it is built, else through lxml's proxies."""
    if _blockwalk is not None and isinstance(root, etree._Element):
        found = _blockwalk.facts(root, _FACT_TAGS, _FACT_ATTRIBUTES, _JSON_LD)
        if found is not None:
            return found
    facts = []
    for element in root.iter(*_FACT_TAGS):
        attrs = {name: value for name in _FACT_ATTRIBUTES
                 if (value := element.get(name)) is not None}
        json_ld = attrs.get(_JSON_LD[0]) == _JSON_LD[1]
        facts.append((element.tag, attrs, (element.text or "") if json_ld else ""))
    return facts


def _meta_contents(elements: list[Fact], prop: str) -> list[str]:
    """``//meta[@property=prop]/@content``, from _fact_elements."""
    return [attrs["content"] for tag, attrs, _ in elements
            if tag == "meta" and attrs.get("property") == prop and "content" in attrs]


_string = etree.XPath("string()")  # an element's text, all of it (text_content())


def page_title(root, elements: list[Fact] | None = None) -> str:
    """The page's title: og:title, else the first <h1>, else <title> minus a site suffix.

    ``elements``: _fact_elements(root), if the caller has them."""
    if elements is None:
        elements = _fact_elements(root)
    title = _first_of(attrs["content"] for tag, attrs, _ in elements
                      if tag == "meta" and (attrs.get("property") == "og:title"
                                            or attrs.get("name") == "twitter:title")
                      and "content" in attrs)
    if title:
        return title
    for heading in root.iter("h1"):
        text = " ".join(_string(heading).split())
        if text:
            return text
    title = _first(root, "//title/text()") or ""
    return _TITLE_SUFFIX.sub("", title)


def page_url(root, elements: list[Fact] | None = None) -> str | None:
    """The canonical link's href or og:url, whichever comes first in the page."""
    if elements is None:
        elements = _fact_elements(root)
    return _first_of(_url_candidates(elements))


def _url_candidates(elements: list[Fact]) -> Iterator[str]:
    """``//link[@rel='canonical']/@href | //meta[@property='og:url']/@content``."""
    for tag, attrs, _ in elements:
        if tag == "link" and attrs.get("rel") == "canonical":
            value = attrs.get("href")
        elif tag == "meta" and attrs.get("property") == "og:url":
            value = attrs.get("content")
        else:
            continue
        if value is not None:
            yield value


def _json_ld_types(data, depth: int = 0) -> set[str]:
    if depth > MAX_JSON_LD_DEPTH:
        return set()
    if isinstance(data, list):
        return set().union(*(_json_ld_types(d, depth + 1) for d in data[:50]))
    if not isinstance(data, dict):
        return set()
    found = set()
    kind = data.get("@type")
    for value in kind if isinstance(kind, list) else [kind]:
        if isinstance(value, str):
            found.add(value.lower())
    for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
        if key in data:
            found |= _json_ld_types(data[key], depth + 1)
    return found


def page_types(root, elements: list[Fact] | None = None) -> frozenset[str]:
    """Lower-cased og:type and JSON-LD @type values: what the page says it is."""
    if elements is None:
        elements = _fact_elements(root)
    types = {f"og:{v.strip().lower()}" for v in _meta_contents(elements, "og:type")}
    budget = MAX_JSON_LD_CHARS
    scripts = (text for tag, attrs, text in elements
               if tag == "script" and attrs.get("type") == "application/ld+json")
    for text in scripts:
        budget -= len(text)
        if budget < 0:
            break
        try:
            types |= _json_ld_types(json.loads(text))
        except (ValueError, RecursionError):
            continue
    return frozenset(types)


def read_page(html: str | bytes) -> Page:
    """Parse a page and cut it into blocks (none for an empty document)."""
    root = parse_tree(html)
    if root is None:
        return Page(blocks=[], frames=Frames(), title="", url=None, lang=None)
    return page_from_tree(root)


def page_from_tree(root, keep_elements: bool = False) -> Page:
    """A parsed page cut into blocks, with its title, URL, language and declared types.

    ``keep_elements``: the frames hold their lxml elements (see blocks.Frames)."""
    blocks, frames = blockify(root, MAX_BLOCKS, keep_elements)
    elements = _fact_elements(root)
    return Page(
        blocks=blocks,
        frames=frames,
        title=page_title(root, elements),
        url=page_url(root, elements),
        lang=root.get("lang"),
        types=page_types(root, elements),
        truncated=len(blocks) >= MAX_BLOCKS,
    )
