"""Tree to blocks: cut a parsed page into text blocks at block-level boundaries.

A *block* is the run of text between two block-level boundaries (a paragraph, a
heading, a list item, a table row, a menu entry...). Each block remembers the
element that owns it and the elements its text came from, as indices into the
page's *frames*: one frame per element, with its tag, parent and class/id words,
which is all the feature code needs to know about the tree.

The walk is a single iterative pass (lxml's iterwalk), so deep nesting cannot
overflow the Python stack.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, fields

from lxml import etree

try:  # the same walk in C (see _blockwalk.c), built by pip install where it can be
    from . import _blockwalk
except ImportError:  # no C compiler at install time: the Python walk serves alone
    _blockwalk = None

# Elements that start and end a block.
BLOCK_TAGS = frozenset(
    """address article aside blockquote body caption center dd details dialog dir div dl
    dt fieldset figcaption figure footer form frameset h1 h2 h3 h4 h5 h6 header hgroup hr
    html legend li main menu nav noscript ol p pre section summary table tbody tfoot thead
    tr ul""".split()
)
# Elements whose whole subtree is never visible text.
SKIP_TAGS = frozenset(
    """script style template iframe svg math object embed canvas select textarea head
    noembed noframes audio video datalist title input option""".split()
)
# Elements hidden from readers by attribute or inline style (see _hidden). A hidden
# inline element is skipped with its text; a hidden block-level one is walked, and its
# frames are flagged (Frames.hidden): closed tabs, accordions and "read more" panels
# hold content as often as hidden menus and dialogs hold chrome, so the model decides.
HIDDEN_STYLES = ("display:none", "visibility:hidden")
HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
CELL_TAGS = frozenset({"td", "th"})
LIST_TAGS = frozenset({"ul", "ol", "menu", "dir"})
ITEM_TAGS = frozenset({"li", "dd", "dt"})
# The attribute that marks content in hand-labeled pages (see labeled_data/README.md).
MARKER_ATTRIBUTE = "data-dechaff"
# The walk stops after this many blocks; the rest of the page is not read. Every
# block costs a feature row (about 8 KB and 0.15 ms to score), so a page of a
# million one-word paragraphs would need minutes and gigabytes. The largest of the
# 1,497 WCXB development pages has 2,641 blocks, so real pages are never cut.
MAX_BLOCKS = 50_000


def strip_markers(root) -> None:
    """Remove every label marker under ``root`` (before writing new labels)."""
    for element in root.xpath(f"//*[@{MARKER_ATTRIBUTE}]"):
        del element.attrib[MARKER_ATTRIBUTE]

# Private-use sentinels survive whitespace collapsing, then become structure.
_LINE_BREAK = "\ue000"
_CELL_BREAK = "\ue001"
CELL_SEPARATOR = " | "


@dataclass(slots=True)
class Block:
    """One run of text and where it sits in the page."""

    text: str
    kind: str  # heading | paragraph | item | row | code | quote
    owner: int  # frame index of the block-level element that owns the text
    text_frames: tuple[int, ...]  # frames whose own text or tail went into the block
    link_chars: int  # characters of text inside <a>
    level: int = 0  # heading level 1-6; list nesting depth for items
    ordered: bool = False  # an item of an <ol>
    group: int = -1  # frame index of the enclosing list or table, for rendering
    marked_chars: int = 0  # characters inside data-dechaff="content" (labeled pages only)

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(slots=True)
class Frames:
    """Per-element facts, in document order; parallel lists indexed by frame."""

    tags: list[str] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)
    attrs: list[str] = field(default_factory=list)  # "class id role itemprop" values
    # 1 where the element or an ancestor is hidden (see _hidden), else 0.
    hidden: list[int] = field(default_factory=list)
    # The lxml elements, for writing labels; empty unless blockify was asked to keep
    # them (holding a reference to every element costs the walk about 0.3 ms a page).
    elements: list = field(default_factory=list)


def _normalize(raw: str, verbatim: bool) -> str:
    if verbatim:
        return raw.replace(_LINE_BREAK, "\n").replace(_CELL_BREAK, " ").strip("\n")
    if _LINE_BREAK not in raw and _CELL_BREAK not in raw:  # most blocks: one line
        return " ".join(raw.split())
    lines = (" ".join(line.split()) for line in raw.split(_LINE_BREAK))
    text = "\n".join(line for line in lines if line)
    if _CELL_BREAK in text:
        cells = (" ".join(c.split()) for c in text.split(_CELL_BREAK))
        text = CELL_SEPARATOR.join(c for c in cells if c)
    return text


def _kind(tags: list[str], owner: int, stack: list[int], block_stack: list[int],
          verbatim: bool) -> tuple[str, int, bool, int]:
    """A new block's kind, level, orderedness and group, from the open elements."""
    tag = tags[owner]
    if tag in HEADING_LEVELS:
        return "heading", HEADING_LEVELS[tag], False, -1
    if verbatim:
        return "code", 0, False, -1
    if tag == "tr":
        table = next((f for f in reversed(stack) if tags[f] == "table"), -1)
        return "row", 0, False, table
    if tag in ITEM_TAGS:
        lists = [f for f in stack if tags[f] in LIST_TAGS or tags[f] == "dl"]
        group = lists[-1] if lists else -1
        ordered = group >= 0 and tags[group] == "ol"
        return "item", max(len(lists), 1), ordered, group
    if "blockquote" in map(tags.__getitem__, block_stack):
        return "quote", 0, False, -1
    return "paragraph", 0, False, -1


def _hidden(attributes: dict[str, str]) -> bool:
    """Whether an element with these attributes is hidden: the XPath predicate
    ``@hidden or @aria-hidden='true' or contains(translate(@style, ' ', ''), S)`` for S
    in HIDDEN_STYLES, tested on the attributes the walk reads anyway."""
    if "hidden" in attributes or attributes.get("aria-hidden") == "true":
        return True
    style = attributes.get("style")
    if style is None:
        return False
    style = style.replace(" ", "")
    return any(hidden in style for hidden in HIDDEN_STYLES)


_ALNUM = re.compile(r"[^\W_]")  # str.isalnum, as a search


# Placeholders on the walk's stack of open frames: an element skipped with its
# subtree, and a node that is not an element (iterwalk's start and end events carry
# only elements, so this is a safeguard).
_SKIPPED = -1
_NOT_ELEMENT = -2
# The attributes whose values make a frame's attrs string, in order.
_WORD_ATTRIBUTES = ("class", "id", "role", "itemprop")
_WORD_ATTRIBUTE_SET = frozenset(_WORD_ATTRIBUTES)
# The values of MARKER_ATTRIBUTE; any other value leaves the state as it is.
_CONTENT_MARK = "content"
_CHROME_MARK = "chrome"
_MARKS = frozenset({_CONTENT_MARK, _CHROME_MARK})


class _Walker:
    """Accumulates text into blocks while lxml walks the tree.

    The walk is one tight loop (``run``) with the buffer held in lists that ``flush``
    empties in place: per element, only the work that element needs.
    """

    def __init__(self) -> None:
        self.frames = Frames()
        self.blocks: list[Block] = []
        self.stack: list[int] = []  # open frames (or a placeholder, see _SKIPPED)
        self.block_stack: list[int] = []  # open block-level frames
        self.verbatim = 0  # open <pre> elements
        self.parts: list[str] = []
        self.text_frames: list[int] = []
        self.link_chars = 0
        self.marked_chars = 0

    def flush(self) -> None:
        """End the block being read: its text becomes a Block if it holds a letter or a
        digit. Called only with text in the buffer."""
        parts, text_frames = self.parts, self.text_frames
        raw = "".join(parts)
        link_chars, marked_chars = self.link_chars, self.marked_chars
        parts.clear()
        self.link_chars = self.marked_chars = 0
        if raw.isspace():  # most flushes: the white space between block elements
            text_frames.clear()
            return
        frames_used = tuple(text_frames)
        text_frames.clear()
        text = _normalize(raw, self.verbatim > 0)
        if _ALNUM.search(text) is None:
            return
        block_stack = self.block_stack
        owner = block_stack[-1] if block_stack else 0
        kind, level, ordered, group = _kind(
            self.frames.tags, owner, self.stack, block_stack, self.verbatim > 0)
        self.blocks.append(
            Block(text, kind, owner, frames_used, min(link_chars, len(text)),
                  level, ordered, group, min(marked_chars, len(text)))
        )

    def run(self, root, max_blocks: int, keep_elements: bool) -> None:
        """Walk the tree under ``root``; stop once ``max_blocks`` blocks are made."""
        frames = self.frames
        tags, parents, attrs, hidden, elements = (
            frames.tags, frames.parents, frames.attrs, frames.hidden, frames.elements)
        blocks, stack, block_stack = self.blocks, self.stack, self.block_stack
        parts, text_frames, flush = self.parts, self.text_frames, self.flush
        # Inside data-dechaff="content"? Only marker elements change it: each pushes
        # its frame and the state outside it, restored at its end.
        marked, markers = False, []
        links = 0  # open <a> elements
        events = etree.iterwalk(root, events=("start", "end"))
        for event, element in events:
            if event == "start":
                tag = element.tag
                if tag.__class__ is not str:  # comments and processing instructions
                    stack.append(_NOT_ELEMENT)
                    continue
                tag = tag.lower()
                skip = tag in SKIP_TAGS
                attributes = {} if skip else dict(element.items())
                own_hidden = bool(attributes) and _hidden(attributes)
                if skip or own_hidden and tag not in BLOCK_TAGS:
                    events.skip_subtree()
                    stack.append(_SKIPPED)  # placeholder, popped at "end"
                    continue
                frame = len(tags)
                if not attributes:
                    attrs.append("")
                elif len(attributes) == 1:  # the common case, without the lookups
                    ((name, value),) = attributes.items()
                    attrs.append(value if name in _WORD_ATTRIBUTE_SET else "")
                else:
                    attrs.append(" ".join(filter(None, map(attributes.get,
                                                            _WORD_ATTRIBUTES))))
                if MARKER_ATTRIBUTE in attributes:
                    marker = attributes[MARKER_ATTRIBUTE]
                    if marker in _MARKS:
                        markers.append((frame, marked))
                        marked = marker == _CONTENT_MARK
                tags.append(tag)
                parent = stack[-1] if stack else -1
                parents.append(parent)
                hidden.append(1 if own_hidden or parent >= 0 and hidden[parent] else 0)
                if keep_elements:
                    elements.append(element)
                if tag in BLOCK_TAGS:
                    if parts:
                        flush()
                        if len(blocks) >= max_blocks:
                            return
                    block_stack.append(frame)
                    if tag == "pre":
                        self.verbatim += 1
                elif tag == "a":
                    links += 1
                elif tag == "br":
                    parts.append(_LINE_BREAK)
                elif tag in CELL_TAGS and parts:
                    parts.append(_CELL_BREAK)
                stack.append(frame)
                text = element.text
            else:
                frame = stack.pop()
                if frame == _NOT_ELEMENT:
                    continue
                if frame != _SKIPPED:
                    if markers and markers[-1][0] == frame:
                        marked = markers.pop()[1]
                    tag = tags[frame]
                    if tag in BLOCK_TAGS:
                        if parts:  # a <pre>'s text is flushed while still verbatim
                            flush()
                            if len(blocks) >= max_blocks:
                                return
                        if tag == "pre":
                            self.verbatim -= 1
                        block_stack.pop()
                    elif tag == "a":
                        links -= 1
                frame = stack[-1] if stack else 0
                text = element.tail
            if text:
                parts.append(text)
                if not text_frames or text_frames[-1] != frame:
                    text_frames.append(frame)
                if links:
                    self.link_chars += len(text)
                if marked:
                    self.marked_chars += len(text)
        if parts:
            flush()


# The block kinds in the order _blockwalk.c numbers them.
_KINDS = ("heading", "paragraph", "item", "row", "code", "quote")


def _tag_flags(walk) -> dict[str, int]:
    """Each tag's rules above as the C walk's flags (the bits are _blockwalk's)."""
    groups = (
        (walk.BLOCK, BLOCK_TAGS), (walk.SKIP, SKIP_TAGS), (walk.CELL, CELL_TAGS),
        (walk.LIST, LIST_TAGS), (walk.DL, {"dl"}), (walk.LINK, {"a"}),
        (walk.BREAK, {"br"}), (walk.PRE, {"pre"}), (walk.ROW, {"tr"}),
        (walk.TABLE, {"table"}), (walk.ITEM, ITEM_TAGS), (walk.QUOTE, {"blockquote"}),
        (walk.ORDERED, {"ol"}),
    )
    flags: dict[str, int] = {}
    for bit, tags in groups:
        for tag in tags:
            flags[tag] = flags.get(tag, 0) | bit
    for tag, level in HEADING_LEVELS.items():
        flags[tag] = flags.get(tag, 0) | level << walk.HEADING_SHIFT
    return flags


def _slot_fields() -> tuple[str, ...]:
    """Block's fields, for the C walk to set its slots directly: only while Block is a
    plain slots dataclass (no __post_init__, no field left out of __init__); else
    none, and the walk calls Block()."""
    plain = (hasattr(Block, "__slots__") and not hasattr(Block, "__post_init__")
             and all(f.init for f in fields(Block)))
    return tuple(f.name for f in fields(Block)) if plain else ()


def _configure_walk(set_slots: bool = True) -> None:
    """Give the C walk the rules above; ``set_slots=False`` makes it call Block()."""
    _blockwalk.configure(Block, _slot_fields() if set_slots else (), _tag_flags(_blockwalk),
                         _KINDS, _WORD_ATTRIBUTES, MARKER_ATTRIBUTE,
                         (_CONTENT_MARK, _CHROME_MARK), HIDDEN_STYLES)


if _blockwalk is not None:
    _configure_walk()


def blockify(root, max_blocks: int = MAX_BLOCKS,
             keep_elements: bool = False) -> tuple[list[Block], Frames]:
    """Cut the tree under ``root`` into blocks, in document order.

    At most ``max_blocks`` blocks: the walk stops at the last one, and text after it
    is not read (a page that long is not a page a reader reads). ``keep_elements``
    fills Frames.elements, for writing labels into the tree.

    The C walk gives the same blocks and frames as the Python one (_Walker), faster;
    it declines (None) what it does not expect, and the Python walk takes that page.
    """
    if _blockwalk is not None and not keep_elements and isinstance(root, etree._Element):
        walked = _blockwalk.walk(root, min(max_blocks, sys.maxsize))
        if walked is not None:
            blocks, tags, parents, attrs, hidden = walked
            return blocks[:max_blocks], Frames(tags, parents, attrs, hidden)
    walker = _Walker()
    walker.run(root, max_blocks, keep_elements)
    return walker.blocks[:max_blocks], walker.frames
