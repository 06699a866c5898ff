"""Labeled pages on disk: find them, recognise their format, read them.

Five formats, told apart by the directory's layout (documented with examples in
labeled_data/README.md):

- ``wcxb``: ``html/NAME.html.gz`` and ``ground-truth/NAME.json`` holding
  ``ground_truth.main_content`` (the page's clean text), as in the WCXB benchmark.
- ``scrapinghub``: ``ground-truth.json`` mapping page ids to ``articleBody`` and
  ``url``, with the pages in ``html/ID.html.gz``, as in ScrapingHub's
  article-extraction-benchmark.
- ``selectors``: a ``selectors.json`` of per-site CSS selector rules beside raw pages;
  the rules mark each page's content (see site_rules.py).
- ``pairs``: ``NAME.html`` (or .htm, .html.gz) beside ``NAME.txt``, its clean text.
- ``marked``: ``.html`` pages whose content elements carry ``data-dechaff="content"``
  (and nested chrome inside them ``data-dechaff="chrome"``).

Clean text (wcxb, scrapinghub, pairs) is aligned with the page's blocks; marked and
selector-labeled pages give block labels directly. A directory of loose pages may
mix pairs and marked pages: a page with a ``.txt`` twin is a pair, any other page
must carry content markers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from .blocks import MARKER_ATTRIBUTE
from .decode import decode_html, gunzip_if_needed
from .page import page_url, parse_tree
from .site_rules import RULES_FILE, load_rules, mark_content, normal_host, rule_for

UNKNOWN_TYPE = "unknown"
# How marked pages name their page type and URL (see labeled_data/README.md).
PAGE_TYPE_META = "dechaff:page-type"
PAGE_SUFFIXES = (".html.gz", ".html", ".htm")
TEXT_SUFFIX = ".txt"
_CONTENT_MARKER = re.compile(MARKER_ATTRIBUTE + r"""\s*=\s*["']?content\b""")
SHOWN_UNLABELED = 5  # pages named in the error for a directory with unlabeled pages


class SkippedPage(ValueError):
    """A page that cannot be labeled (e.g. its site's selectors match nothing)."""


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
    site: str | None = None  # the page's host when it has no URL

    @property
    def domain(self) -> str:
        host = urlsplit(self.url).hostname if self.url else self.site
        if not host:
            return self.page_id
        return host[4:] if host.startswith("www.") else host


def page_stem(path: Path) -> str:
    """A page file's name without its page suffix ("a.b.html.gz" -> "a.b")."""
    name = path.name
    for suffix in PAGE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _html_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*")
                  if p.name.lower().endswith(PAGE_SUFFIXES) and p.is_file())


def _read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gunzip_if_needed(data) if path.suffix == ".gz" else data


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: clean text must be UTF-8 ({error.reason})") from error


# --- layouts: how a directory's pages are listed -------------------------------

def _page_file(folder: Path, page_id: str) -> Path | None:
    """``folder/ID.html.gz`` or ``folder/ID.html``, whichever exists."""
    for suffix in (".html.gz", ".html"):
        html = folder / f"{page_id}{suffix}"
        if html.exists():
            return html
    return None


def _list_wcxb(directory: Path) -> list[PageRef]:
    labels = sorted((directory / "ground-truth").glob("*.json"))
    pages = [(_page_file(directory / "html", label.stem), label) for label in labels]
    return [PageRef("wcxb", html, label) for html, label in pages if html]


@lru_cache(maxsize=4)
def _scrapinghub_truth(path: Path) -> dict:
    try:
        truth = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: cannot read the ground truth: {error}") from error
    if not isinstance(truth, dict):
        raise ValueError(f"{path}: expected an object mapping page ids to records")
    return truth


def _list_scrapinghub(directory: Path) -> list[PageRef]:
    truth_path = directory / "ground-truth.json"
    pages = [_page_file(directory / "html", i) for i in sorted(_scrapinghub_truth(truth_path))]
    return [PageRef("scrapinghub", html, truth_path) for html in pages if html]


def _list_selectors(directory: Path) -> list[PageRef]:
    rules = directory / RULES_FILE
    load_rules(rules)  # a bad rules file fails here, once, not in every worker
    return [PageRef("selectors", path, rules) for path in _html_files(directory)]


def _has_content_marker(path: Path) -> bool:
    return bool(_CONTENT_MARKER.search(decode_html(_read_bytes(path))))


def _list_loose(directory: Path) -> list[PageRef]:
    """Pairs (a page with a .txt twin) and marked pages; any other page is an error."""
    refs, unlabeled = [], []
    for path in _html_files(directory):
        twin = path.with_name(page_stem(path) + TEXT_SUFFIX)
        if twin.is_file():
            refs.append(PageRef("pairs", path, twin))
        elif _has_content_marker(path):
            refs.append(PageRef("marked", path))
        else:
            unlabeled.append(path)
    if unlabeled:
        names = ", ".join(str(p.relative_to(directory)) for p in unlabeled[:SHOWN_UNLABELED])
        more = f" and {len(unlabeled) - SHOWN_UNLABELED} more" \
            if len(unlabeled) > SHOWN_UNLABELED else ""
        raise ValueError(
            f"{directory}: {len(unlabeled)} page(s) with neither a {TEXT_SUFFIX} twin nor "
            f"{MARKER_ATTRIBUTE}=\"content\" markers: {names}{more}"
        )
    return refs


@dataclass(frozen=True)
class Layout:
    """One way of laying out labeled pages: how to recognise it, how to list them."""

    detect: Callable[[Path], bool]
    list_pages: Callable[[Path], list[PageRef]]


LOOSE = "loose"  # the layout of pairs and marked pages side by side
# Checked in this order; the first whose detect() holds lists the directory.
LAYOUTS: dict[str, Layout] = {
    "wcxb": Layout(lambda d: (d / "ground-truth").is_dir() and (d / "html").is_dir(),
                   _list_wcxb),
    "scrapinghub": Layout(lambda d: (d / "ground-truth.json").is_file()
                          and (d / "html").is_dir(), _list_scrapinghub),
    "selectors": Layout(lambda d: (d / RULES_FILE).is_file(), _list_selectors),
    LOOSE: Layout(lambda d: bool(_html_files(d)), _list_loose),
}


def _layout(directory: Path) -> str:
    for name, layout in LAYOUTS.items():
        if layout.detect(directory):
            return name
    raise ValueError(
        f"{directory}: no labeled pages found (expected html/ + ground-truth/, "
        f"ground-truth.json + html/, {RULES_FILE} beside pages, or .html pages with a "
        f"{TEXT_SUFFIX} twin or marked with {MARKER_ATTRIBUTE}=\"content\")"
    )


def detect_format(directory: str | Path) -> str:
    """Which label format a directory holds, from its layout: "wcxb", "scrapinghub",
    "selectors", "pairs", "marked", or "marked+pairs" for loose pages of both kinds."""
    directory = Path(directory)
    name = _layout(directory)
    if name != LOOSE:
        return name
    return "+".join(sorted({ref.format for ref in _list_loose(directory)}))


def list_pages(directory: str | Path) -> list[PageRef]:
    """All labeled pages in a directory, sorted by path."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"{directory}: not a directory")
    return LAYOUTS[_layout(directory)].list_pages(directory)


# --- readers: one labeled page, by its format ---------------------------------

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


def _read_scrapinghub(ref: PageRef) -> LabeledPage:
    page_id = page_stem(ref.html_path)
    record = _scrapinghub_truth(ref.label_path).get(page_id)
    if not isinstance(record, dict):
        raise ValueError(f"{ref.label_path}: no record for page {page_id}")
    return LabeledPage(
        page_id=page_id,
        html=_read_bytes(ref.html_path),
        gold_text=record.get("articleBody") or "",
        url=record.get("url"),
        page_type="article",
    )


def _page_facts(html: bytes) -> tuple[str | None, str]:
    """A page's own URL (canonical link or og:url) and page type (the meta tag)."""
    root = parse_tree(html)
    if root is None:
        return None, UNKNOWN_TYPE
    types = root.xpath(f"//meta[@name='{PAGE_TYPE_META}']/@content")
    return page_url(root), (str(types[0]).strip() if types else "") or UNKNOWN_TYPE


def _read_marked(ref: PageRef) -> LabeledPage:
    html = _read_bytes(ref.html_path)
    url, page_type = _page_facts(html)
    return LabeledPage(page_stem(ref.html_path), html, None, url, page_type)


def _read_pair(ref: PageRef) -> LabeledPage:
    html = _read_bytes(ref.html_path)
    url, page_type = _page_facts(html)
    return LabeledPage(page_stem(ref.html_path), html, _read_text(ref.label_path), url,
                       page_type)


def _read_selectors(ref: PageRef) -> LabeledPage:
    rules = load_rules(ref.label_path)
    html = _read_bytes(ref.html_path)
    url, page_type = _page_facts(html)
    folder = normal_host(ref.html_path.parent.name)
    host = urlsplit(url).hostname if url else None
    rule = rule_for(rules, host) or rule_for(rules, folder)
    if rule is None:
        where = f"site {host}" if host else "no canonical link or og:url"
        raise SkippedPage(f"no rule in {RULES_FILE} for it ({where}, folder {folder!r})")
    marked = mark_content(html, rule)
    if marked is None:
        raise SkippedPage(f"the selectors for {rule.site} match no text")
    return LabeledPage(page_stem(ref.html_path), marked, None, url,
                       rule.page_type or page_type, site=None if url else folder)


READERS: dict[str, Callable[[PageRef], LabeledPage]] = {
    "wcxb": _read_wcxb,
    "scrapinghub": _read_scrapinghub,
    "selectors": _read_selectors,
    "pairs": _read_pair,
    "marked": _read_marked,
}


def read_page_labels(ref: PageRef) -> LabeledPage:
    """Read one labeled page; SkippedPage when it cannot be labeled."""
    return READERS[ref.format](ref)
