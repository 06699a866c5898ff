"""Labels to article: rebuild the kept blocks as text, Markdown, HTML or JSON."""

from __future__ import annotations

import html as html_lib
import json
from dataclasses import dataclass, field, replace
from itertools import groupby

from .blocks import CELL_SEPARATOR, Block
from .decode import has_mojibake, repair_mojibake

FORMATS = ("text", "markdown", "html", "json")


@dataclass(slots=True)
class Article:
    """The main content of a page: its title and the blocks kept, in page order."""

    title: str
    url: str | None
    blocks: list[Block] = field(default_factory=list)
    probabilities: list[float] = field(default_factory=list)
    truncated: bool = False  # the page was cut at blocks.MAX_BLOCKS blocks

    @property
    def text(self) -> str:
        return to_text(self)


# Characters of one article's text handed to ftfy at most: about a second's work at
# worst (a page of nothing but mojibake); text past it is left as the page has it.
REPAIR_BUDGET = 1_000_000


def article_of(blocks: list[Block], title: str | None = "", url: str | None = None,
               probabilities: list[float] | None = None, truncated: bool = False
               ) -> Article:
    """The Article of a page's kept blocks, as cleaning gives it: mojibake in the title
    and the blocks read back (repaired). The model sees the text as the page has it."""
    return Article(title and repair_mojibake(title), url, repaired(blocks),
                   probabilities or [], truncated)


def repaired(blocks: list[Block]) -> list[Block]:
    """The blocks, each showing mojibake as a copy with it read back
    (decode.repair_mojibake), until REPAIR_BUDGET characters have been repaired."""
    out, budget = [], REPAIR_BUDGET
    for block in blocks:
        if budget > 0 and has_mojibake(block.text):
            budget -= len(block.text)
            block = replace(block, text=repair_mojibake(block.text))
        out.append(block)
    return out


def _runs(blocks: list[Block]):
    """Consecutive blocks grouped when they are items of one list or rows of one table."""
    def key(pair):
        index, block = pair
        if block.kind in ("item", "row") and block.group >= 0:
            return (block.kind, block.group)
        return ("single", index)
    for (kind, _), run in groupby(enumerate(blocks), key=key):
        yield kind, [block for _, block in run]


def to_text(article: Article) -> str:
    """Plain text: a blank line between paragraphs, list items and table rows one a line."""
    parts = []
    for kind, run in _runs(article.blocks):
        if kind == "item":
            parts.append("\n".join("  " * (b.level - 1) + "- " + b.text for b in run))
        else:
            parts.append("\n".join(b.text for b in run))
    return "\n\n".join(parts)


def _markdown_block(block: Block) -> str:
    if block.kind == "heading":
        return "#" * min(block.level + 1, 6) + " " + block.text
    if block.kind == "code":
        return "```\n" + block.text + "\n```"
    if block.kind == "quote":
        return "\n".join("> " + line for line in block.text.split("\n"))
    return block.text.replace("\n", "  \n")


def _markdown_table(rows: list[Block]) -> str:
    lines = ["| " + row.text + " |" for row in rows]
    width = rows[0].text.count(CELL_SEPARATOR.strip()) + 1
    lines.insert(1, "|" + " --- |" * width)
    return "\n".join(lines)


def to_markdown(article: Article) -> str:
    """Markdown: the title as a level-1 heading, page headings one level below it."""
    parts = ["# " + article.title] if article.title else []
    for kind, run in _runs(article.blocks):
        if kind == "item":
            parts.append("\n".join(
                "  " * (b.level - 1) + ("1. " if b.ordered else "- ") + b.text for b in run
            ))
        elif kind == "row":
            parts.append(_markdown_table(run))
        else:
            parts.append(_markdown_block(run[0]))
    return "\n\n".join(parts)


def _html_block(block: Block) -> str:
    text = html_lib.escape(block.text)
    if block.kind == "heading":
        return f"<h{block.level}>{text}</h{block.level}>"
    if block.kind == "code":
        return f"<pre><code>{text}</code></pre>"
    if block.kind == "quote":
        return f"<blockquote><p>{text}</p></blockquote>"
    return "<p>" + text.replace("\n", "<br>") + "</p>"


def to_html(article: Article) -> str:
    """A minimal, escaped HTML fragment: <article> with the title and the kept blocks."""
    parts = ["<article>"]
    if article.title:
        parts.append(f"<h1>{html_lib.escape(article.title)}</h1>")
    for kind, run in _runs(article.blocks):
        if kind == "item":
            tag = "ol" if run[0].ordered else "ul"
            items = "".join(f"<li>{html_lib.escape(b.text)}</li>" for b in run)
            parts.append(f"<{tag}>{items}</{tag}>")
        elif kind == "row":
            rows = "".join(
                "<tr>" + "".join(
                    f"<td>{html_lib.escape(c)}</td>" for c in b.text.split(CELL_SEPARATOR)
                ) + "</tr>"
                for b in run
            )
            parts.append(f"<table>{rows}</table>")
        else:
            parts.append(_html_block(run[0]))
    parts.append("</article>")
    return "\n".join(parts)


def to_dict(article: Article) -> dict:
    """The article as JSON-ready data, with each kept block and its probability."""
    return {
        "title": article.title,
        "url": article.url,
        "text": to_text(article),
        "blocks": [
            {"kind": b.kind, "text": b.text, "probability": round(float(p), 4)}
            for b, p in zip(article.blocks, article.probabilities)
        ],
    }


def render(article: Article, fmt: str = "text") -> str:
    """The article in one of FORMATS."""
    if fmt == "text":
        return to_text(article)
    if fmt == "markdown":
        return to_markdown(article)
    if fmt == "html":
        return to_html(article)
    if fmt == "json":
        return json.dumps(to_dict(article), ensure_ascii=False)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
