"""A model's predictions as a marked page: a first draft of labels for a person to correct.

``label_page`` parses a page exactly as cleaning does, asks the model which blocks
to keep, and writes ``data-dechaff`` markers (see labeled_data/README.md) so that
reading the copy back as a marked page gives those same decisions. Markers go on
the coarsest elements that make that true: the fewest markers, placed as high in
the tree as they can be, so a body of twenty paragraphs gets one marker, not twenty.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from lxml import etree
from lxml import html as lxml_html

from .blocks import MARKER_ATTRIBUTE, Block, Frames, strip_markers
from .classify import kept_mask
from .datasets import PAGE_TYPE_META
from .extractor import Extractor
from .features import PAGE_TYPE_SIGNALS, featurize
from .page import ParseError, page_from_tree, parse_tree

CONTENT, CHROME = 1, 0
MARKERS = {CONTENT: "content", CHROME: "chrome"}
# Declared page types (feature families) as labeled_data/README.md names them, in the
# order they win when a page declares several. "service" and "website" are left out:
# Organization and WebSite markup sits on every kind of page.
PAGE_TYPE_NAMES = {"article": "article", "recipe": "article", "product": "product",
                   "forum": "forum", "docs": "documentation", "collection": "collection"}
DOCTYPE = "<!DOCTYPE html>"


def frame_wants(blocks: list[Block], keep: np.ndarray, n_frames: int) -> list[int | None]:
    """The label each frame's own text needs: that of the blocks it feeds (by characters
    when blocks disagree), None for frames whose text is in no block."""
    votes = np.zeros((n_frames, 2))
    for block, kept in zip(blocks, keep):
        for frame in block.text_frames:
            votes[frame, int(kept)] += len(block.text)
    return [None if not v.any() else int(v[CONTENT] >= v[CHROME]) for v in votes]


def place_markers(frames: Frames, wants: list[int | None]) -> dict[int, int]:
    """The fewest markers (frame → CONTENT or CHROME) that give every frame its wanted
    label, unmarked elements being chrome; on ties, markers sit higher in the tree."""
    n = len(frames.tags)
    mislabel = n + 1  # a frame's text labeled wrong costs more than any count of markers
    below = np.zeros((n, 2))  # cost of each frame's children, given the frame's state
    choice = np.zeros((n, 2), dtype=np.int8)  # the frame's state, given its parent's
    for frame in range(n - 1, -1, -1):  # children come after their parent
        wrong = [mislabel if wants[frame] not in (None, s) else 0 for s in (0, 1)]
        cost = [below[frame, s] + wrong[s] for s in (0, 1)]
        parent = frames.parents[frame]
        for inherited in (0, 1):
            stay, switch = cost[inherited], cost[1 - inherited] + 1
            state = 1 - inherited if switch <= stay else inherited
            choice[frame, inherited] = state
            if parent >= 0:
                below[parent, inherited] += min(stay, switch)
    markers, states = {}, [CHROME] * n
    for frame in range(n):
        parent = frames.parents[frame]
        inherited = states[parent] if parent >= 0 else CHROME
        states[frame] = int(choice[frame, inherited])
        if states[frame] != inherited:
            markers[frame] = states[frame]
    return markers


def _head(root):
    head = root.find("head")
    if head is None:
        head = etree.Element("head")
        root.insert(0, head)
    return head


def _set_utf8(head) -> None:
    for meta in head.xpath("meta[@charset] | meta[translate(@http-equiv, "
                           "'CONTENT-TYPE', 'content-type')='content-type']"):
        meta.getparent().remove(meta)
    meta = etree.Element("meta", charset="utf-8")
    meta.tail = "\n"
    head.insert(0, meta)


def declared_page_type(types: frozenset[str]) -> str | None:
    """The page type to record, from what the page declares (og:type, JSON-LD), if any."""
    for family, name in PAGE_TYPE_NAMES.items():
        if any(t in types for t in PAGE_TYPE_SIGNALS[family]):
            return name
    return None


def _add_metadata(root, url: str | None, page_type: str | None) -> None:
    head = _head(root)
    _set_utf8(head)
    if url and not root.xpath("//link[@rel='canonical']"):
        head.append(etree.Element("link", rel="canonical", href=url))
    if page_type and not root.xpath(f"//meta[@name='{PAGE_TYPE_META}']"):
        head.append(etree.Element("meta", name=PAGE_TYPE_META, content=page_type))


def label_page(html: str | bytes, extractor: Extractor) -> tuple[bytes, int, int]:
    """The page marked with the model's decisions, as UTF-8 HTML; and blocks, kept.

    Raises ParseError for input that is not HTML or holds no page at all.
    """
    root = parse_tree(html)
    if root is None:
        raise ParseError("empty page: nothing to label")
    strip_markers(root)  # old labels would mislead
    page = page_from_tree(root, keep_elements=True)
    keep = kept_mask(extractor.model.probabilities(featurize(page)), extractor.threshold)
    wants = frame_wants(page.blocks, keep, len(page.frames.tags))
    for frame, state in place_markers(page.frames, wants).items():
        page.frames.elements[frame].set(MARKER_ATTRIBUTE, MARKERS[state])
    _add_metadata(root, page.url, declared_page_type(page.types))
    doctype = root.getroottree().docinfo.doctype or DOCTYPE
    output = lxml_html.tostring(root, encoding="utf-8", method="html", doctype=doctype)
    return output, len(page.blocks), int(keep.sum())


def output_name(source: Path, used: set[str]) -> str:
    """The labeled copy's file name: the page's, as plain .html, made unique in ``used``."""
    stem = source.name
    for suffix in (".gz", ".html", ".htm"):
        stem = stem.removesuffix(suffix)
    stem, number = stem or "page", 1
    name = stem + ".html"
    while name in used:
        number += 1
        name = f"{stem}-{number}.html"
    used.add(name)
    return name


def label_files(sources: list[str], out_dir: Path, extractor: Extractor):
    """Label each page into ``out_dir``; yield (source, written path or None, message)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    for source in sources:
        path = Path(source)
        target = out_dir / output_name(path, used)
        try:
            if target.resolve() == path.resolve():
                raise ValueError("the labeled copy would overwrite the page; "
                                 "choose another --out-dir")
            data, blocks, kept = label_page(path.read_bytes(), extractor)
        except OSError as error:
            yield source, None, error.strerror or str(error)
            continue
        except ValueError as error:  # ParseError, or gzip beyond the size limit
            yield source, None, str(error)
            continue
        target.write_bytes(data)
        yield source, target, f"{blocks} blocks, {kept} marked content"
