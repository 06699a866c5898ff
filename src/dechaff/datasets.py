"""Labeled pages on disk: find them, recognise their format, read them.

Two formats (documented with examples in labeled_data/README.md):

- ``wcxb``: a directory with ``html/NAME.html.gz`` and ``ground-truth/NAME.json``
  holding ``ground_truth.main_content`` (the page's clean text), as in the WCXB
  benchmark. Blocks are labeled by aligning the clean text with them.
- ``marked``: ``.html`` (or ``.html.gz``) pages whose content elements carry
  ``data-dechaff="content"`` (and nested chrome inside them ``data-dechaff="chrome"``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from .blocks import MARKER_ATTRIBUTE
from .decode import decode_html, gunzip_if_needed

UNKNOWN_TYPE = "unknown"
# How marked pages name their page type and URL (see labeled_data/README.md).
PAGE_TYPE_META = "dechaff:page-type"


@dataclass(frozen=True, slots=True)
class PageRef:
    """Where one labeled page lives; cheap to list and to send to a worker."""

    format: str
    html_path: Path
    label_path: Path | None = None


@dataclass(slots=True)
class LabeledPage:
    page_id: str
    html: bytes
    gold_text: str | None  # the clean text; None when labels are marked in the page
    url: str | None
    page_type: str
    with_snippets: list[str] = field(default_factory=list)
    without_snippets: list[str] = field(default_factory=list)

    @property
    def domain(self) -> str:
        host = urlsplit(self.url).hostname if self.url else None
        if not host:
            return self.page_id
        return host[4:] if host.startswith("www.") else host


def detect_format(directory: Path) -> str:
    """Which label format a directory holds, from its layout."""
    if (directory / "ground-truth").is_dir() and (directory / "html").is_dir():
        return "wcxb"
    if any(_html_files(directory)):
        return "marked"
    raise ValueError(
        f"{directory}: no labeled pages found (expected html/ + ground-truth/ "
        f"or .html pages marked with {MARKER_ATTRIBUTE}=\"content\")"
    )


def _html_files(directory: Path):
    for pattern in ("*.html", "*.htm", "*.html.gz"):
        yield from directory.rglob(pattern)


def list_pages(directory: str | Path) -> list[PageRef]:
    """All labeled pages in a directory, sorted by path."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"{directory}: not a directory")
    fmt = detect_format(directory)
    if fmt == "wcxb":
        refs = []
        for label in sorted((directory / "ground-truth").glob("*.json")):
            html = directory / "html" / f"{label.stem}.html.gz"
            if not html.exists():
                html = directory / "html" / f"{label.stem}.html"
            if html.exists():
                refs.append(PageRef("wcxb", html, label))
        return refs
    return [PageRef("marked", path) for path in sorted(_html_files(directory))]


def _read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gunzip_if_needed(data) if path.suffix == ".gz" else data


def _read_wcxb(ref: PageRef) -> LabeledPage:
    record = json.loads(ref.label_path.read_text(encoding="utf-8"))
    truth = record.get("ground_truth", {})
    page_type = (record.get("_internal", {}).get("page_type", {}).get("primary")
                 or truth.get("page_type") or UNKNOWN_TYPE)
    return LabeledPage(
        page_id=ref.label_path.stem,
        html=_read_bytes(ref.html_path),
        gold_text=truth.get("main_content") or "",
        url=record.get("url") or truth.get("url"),
        page_type="collection" if page_type == "category" else page_type,
        with_snippets=list(truth.get("with") or []),
        without_snippets=list(truth.get("without") or []),
    )


def _read_marked(ref: PageRef) -> LabeledPage:
    html = _read_bytes(ref.html_path)
    head = etree.HTML(decode_html(html).encode("utf-8"))
    def first(xpath: str) -> str | None:
        values = head.xpath(xpath) if head is not None else []
        return str(values[0]).strip() if values else None
    name = ref.html_path.name.split(".")[0]
    return LabeledPage(
        page_id=name,
        html=html,
        gold_text=None,
        url=first("//link[@rel='canonical']/@href"),
        page_type=first(f"//meta[@name='{PAGE_TYPE_META}']/@content") or UNKNOWN_TYPE,
    )


def read_page_labels(ref: PageRef) -> LabeledPage:
    """Read one labeled page."""
    return _read_wcxb(ref) if ref.format == "wcxb" else _read_marked(ref)
