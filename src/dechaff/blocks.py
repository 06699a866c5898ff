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

from dataclasses import dataclass, field

from lxml import etree

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
# Elements hidden from readers by attribute or inline style (evaluated once per page).
HIDDEN_XPATH = etree.XPath(
    "//*[@hidden or @aria-hidden='true' or contains(translate(@style, ' ', ''), "
    "'display:none') or contains(translate(@style, ' ', ''), 'visibility:hidden')]"
)
HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
CELL_TAGS = frozenset({"td", "th"})
LIST_TAGS = frozenset({"ul", "ol", "menu", "dir"})
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
    elements: list = field(default_factory=list)  # the lxml elements, for writing labels

    def add(self, element, tag: str, parent: int) -> int:
        get = element.get
        attrs = " ".join(
            v for v in (get("class"), get("id"), get("role"), get("itemprop")) if v
        )
        self.tags.append(tag)
        self.parents.append(parent)
        self.attrs.append(attrs)
        self.elements.append(element)
        return len(self.tags) - 1

    def ancestors(self, index: int):
        """Frame indices from ``index`` up to the root, ``index`` included."""
        while index >= 0:
            yield index
            index = self.parents[index]


@dataclass(slots=True)
class _Buffer:
    parts: list[str] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)
    link_chars: int = 0
    marked_chars: int = 0

    def add(self, text: str, frame: int, in_link: bool, marked: bool) -> None:
        self.parts.append(text)
        if not self.frames or self.frames[-1] != frame:
            self.frames.append(frame)
        if in_link:
            self.link_chars += len(text)
        if marked:
            self.marked_chars += len(text)


def _normalize(raw: str, verbatim: bool) -> str:
    if verbatim:
        return raw.replace(_LINE_BREAK, "\n").replace(_CELL_BREAK, " ").strip("\n")
    lines = (" ".join(line.split()) for line in raw.split(_LINE_BREAK))
    text = "\n".join(line for line in lines if line)
    if _CELL_BREAK in text:
        cells = (" ".join(c.split()) for c in text.split(_CELL_BREAK))
        text = CELL_SEPARATOR.join(c for c in cells if c)
    return text


class _Walker:
    """Accumulates text into blocks while lxml walks the tree."""

    def __init__(self) -> None:
        self.frames = Frames()
        self.blocks: list[Block] = []
        self.buffer = _Buffer()
        self.stack: list[int] = []  # open frames
        self.block_stack: list[int] = []  # open block-level frames
        self.marked: list[bool] = []  # marker state per open frame
        self.links = 0  # open <a> elements
        self.verbatim = 0  # open <pre> elements

    def flush(self) -> None:
        buffer = self.buffer
        if not buffer.parts:
            return
        self.buffer = _Buffer()
        text = _normalize("".join(buffer.parts), self.verbatim > 0)
        if not any(ch.isalnum() for ch in text):
            return
        owner = self.block_stack[-1] if self.block_stack else 0
        kind, level, ordered, group = self._kind(owner)
        self.blocks.append(
            Block(
                text=text,
                kind=kind,
                owner=owner,
                text_frames=tuple(buffer.frames),
                link_chars=min(buffer.link_chars, len(text)),
                level=level,
                ordered=ordered,
                group=group,
                marked_chars=min(buffer.marked_chars, len(text)),
            )
        )

    def _kind(self, owner: int) -> tuple[str, int, bool, int]:
        tags = self.frames.tags
        tag = tags[owner]
        if tag in HEADING_LEVELS:
            return "heading", HEADING_LEVELS[tag], False, -1
        if self.verbatim:
            return "code", 0, False, -1
        if tag == "tr":
            table = next((f for f in reversed(self.stack) if tags[f] == "table"), -1)
            return "row", 0, False, table
        if tag in ("li", "dd", "dt"):
            lists = [f for f in self.stack if tags[f] in LIST_TAGS or tags[f] == "dl"]
            group = lists[-1] if lists else -1
            ordered = group >= 0 and tags[group] == "ol"
            return "item", max(len(lists), 1), ordered, group
        if any(tags[f] == "blockquote" for f in self.block_stack):
            return "quote", 0, False, -1
        return "paragraph", 0, False, -1

    def add_text(self, text: str | None, frame: int) -> None:
        if text:
            marked = bool(self.marked) and self.marked[-1]
            self.buffer.add(text, frame, self.links > 0, marked)

    def start(self, element, tag: str) -> None:
        parent = self.stack[-1] if self.stack else -1
        frame = self.frames.add(element, tag, parent)
        if tag in BLOCK_TAGS:
            self.flush()
            self.block_stack.append(frame)
        elif tag == "br":
            self.buffer.parts.append(_LINE_BREAK)
        elif tag in CELL_TAGS and self.buffer.parts:
            self.buffer.parts.append(_CELL_BREAK)
        marker = element.get(MARKER_ATTRIBUTE)
        inherited = self.marked[-1] if self.marked else False
        self.marked.append(marker == "content" if marker in ("content", "chrome") else inherited)
        self.stack.append(frame)
        if tag == "a":
            self.links += 1
        elif tag == "pre":
            self.flush()
            self.verbatim += 1
        self.add_text(element.text, frame)

    def end(self, tag: str) -> None:
        self.stack.pop()
        self.marked.pop()
        if tag == "a":
            self.links -= 1
        elif tag == "pre":
            self.flush()
            self.verbatim -= 1
        if tag in BLOCK_TAGS:
            self.flush()
            self.block_stack.pop()


def blockify(root, max_blocks: int = MAX_BLOCKS) -> tuple[list[Block], Frames]:
    """Cut the tree under ``root`` into blocks, in document order.

    At most ``max_blocks`` blocks: the walk stops at the last one, and text after it
    is not read (a page that long is not a page a reader reads).
    """
    walker = _Walker()
    hidden = set(HIDDEN_XPATH(root))
    events = etree.iterwalk(root, events=("start", "end"))
    for event, element in events:
        tag = element.tag
        if not isinstance(tag, str):  # comments and processing instructions
            continue
        tag = tag.lower()
        if event == "start":
            if tag in SKIP_TAGS or element in hidden:
                events.skip_subtree()
                walker.stack.append(-1)  # placeholder, popped at "end"
                continue
            walker.start(element, tag)
        else:
            if walker.stack[-1] == -1:
                walker.stack.pop()
            else:
                walker.end(tag)
            parent = walker.stack[-1] if walker.stack else 0
            walker.add_text(element.tail, parent)
        if len(walker.blocks) >= max_blocks:
            return walker.blocks[:max_blocks], walker.frames
    walker.flush()
    return walker.blocks[:max_blocks], walker.frames
