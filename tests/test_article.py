import json

from dechaff.article import Article, render
from dechaff.blocks import Block


def block(text, kind="paragraph", level=0, ordered=False, group=-1):
    return Block(text=text, kind=kind, owner=0, text_frames=(0,), link_chars=0,
                 level=level, ordered=ordered, group=group)


ARTICLE = Article(
    title="Title <&>",
    url="https://site.example/a",
    blocks=[
        block("Intro paragraph."),
        block("Section", kind="heading", level=2),
        block("one", kind="item", level=1, ordered=True, group=5),
        block("two", kind="item", level=1, ordered=True, group=5),
        block("Plan | Price", kind="row", group=9),
        block("Basic | $5", kind="row", group=9),
        block("x = 1\n  y = 2", kind="code"),
        block("Quoted line", kind="quote"),
    ],
    probabilities=[0.9, 0.8, 0.7, 0.7, 0.6, 0.6, 0.95, 0.5],
)


def test_text_separates_paragraphs_by_blank_lines_and_items_by_lines():
    assert render(ARTICLE, "text") == (
        "Intro paragraph.\n\nSection\n\n- one\n- two\n\nPlan | Price\nBasic | $5\n\n"
        "x = 1\n  y = 2\n\nQuoted line"
    )


def test_markdown_keeps_title_headings_lists_tables_code_quotes():
    assert render(ARTICLE, "markdown") == (
        "# Title <&>\n\nIntro paragraph.\n\n### Section\n\n1. one\n1. two\n\n"
        "| Plan | Price |\n| --- | --- |\n| Basic | $5 |\n\n```\nx = 1\n  y = 2\n```\n\n"
        "> Quoted line"
    )


def test_html_is_escaped_and_structured():
    html = render(ARTICLE, "html")
    assert html.startswith("<article>\n<h1>Title &lt;&amp;&gt;</h1>")
    assert "<ol><li>one</li><li>two</li></ol>" in html
    assert "<tr><td>Basic</td><td>$5</td></tr>" in html
    assert "<pre><code>x = 1\n  y = 2</code></pre>" in html


def test_json_has_title_text_and_blocks_with_probabilities():
    data = json.loads(render(ARTICLE, "json"))
    assert data["title"] == "Title <&>"
    assert data["url"] == "https://site.example/a"
    assert data["text"] == render(ARTICLE, "text")
    assert data["blocks"][0] == {"kind": "paragraph", "text": "Intro paragraph.",
                                 "probability": 0.9}
    assert len(data["blocks"]) == len(ARTICLE.blocks)


def test_unknown_format_is_refused():
    import pytest
    with pytest.raises(ValueError, match="unknown format"):
        render(ARTICLE, "pdf")
