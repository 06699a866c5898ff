"""The C walk (_blockwalk.c) gives what the Python walk (blocks._Walker) gives."""

from __future__ import annotations

import gc
from dataclasses import astuple, dataclass, fields

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from dechaff import blocks
from dechaff import page as page_module
from dechaff.page import parse_tree

from .conftest import LABELED, OLD_LAYOUTS, WCXB, needs_dataset

walk = pytest.importorskip(
    "dechaff._blockwalk", reason="dechaff._blockwalk is not built (no C compiler)")


def python_walk(root, max_blocks: int = blocks.MAX_BLOCKS):
    walker = blocks._Walker()
    walker.run(root, max_blocks, keep_elements=False)
    frames = walker.frames
    return ([astuple(b) for b in walker.blocks], frames.tags, frames.parents, frames.attrs,
            frames.hidden)


def c_walk(root, max_blocks: int = blocks.MAX_BLOCKS):
    walked = walk.walk(root, max_blocks)
    assert walked is not None, "the C walk declined a page it should read"
    found, tags, parents, attrs, hidden = walked
    assert all(type(b) is blocks.Block for b in found)
    return [astuple(b) for b in found], tags, parents, attrs, hidden


PAGES = {
    "inline and tails": "<div>before<p>One <b>bold <i>it</i></b> <a href=x>link</a>.</p>"
                        "after</div>",
    "breaks": "<p>one<br>two<br/><br/>three</p><p><br>lead</p><div>x<br></div>",
    "cells": "<table><tr><th> Plan </th><th>Price</th></tr><tr><td></td><td>$5</td>"
             "<td>a<br>b</td></tr></table><table><tr><td>x</td></tr></table>",
    "lists": "<ol><li>first</li><li>second<ul><li>inner<dl><dt>t</dt><dd>d</dd></dl>"
             "</li></ul></li></ol><menu><li>m</li></menu><li>loose</li>",
    "pre": "<pre>\n\n<code>def f():\n    return  1</code>\n</pre><pre>a<br>b<td>c</td>\n</pre>"
           "<pre><pre>nested</pre> tail</pre>",
    "headings and quotes": "<h1>T</h1><h6>six</h6><blockquote><p>q</p><h2>h</h2>"
                           "<li>qi</li></blockquote>",
    "hidden": "<p hidden>h</p><p aria-hidden=true>a</p><p aria-hidden=TRUE>shown</p>"
              "<p style='display: none'>s</p><p style='color:red;visibility : hidden'>v</p>"
              "<p style='Display:none'>shown</p><p class=hidden>shown</p>"
              "<div hidden>panel<p>inner <span>s</span></p><ul><li>i</li></ul></div>tail"
              "<p>a <span hidden>no</span> <b aria-hidden=true>no</b> c</p>",
    "skipped": "<p>keep<script>x</script> this<style>p{}</style></p><select><option>o"
               "</option></select><svg><text>t</text></svg>tail<textarea>ta</textarea>",
    "attributes": "<div class='a b' id=main role=main itemprop=articleBody data-x=1>"
                  "<p class='' id=''>x</p><p title=t>y</p><p itemprop=name>z</p></div>",
    "markers": "<div data-dechaff=content><p>in</p><p data-dechaff=chrome>out<a>l</a></p>"
               "<p data-dechaff=other>still in</p></div><p>away</p>",
    "white space and symbols": "<p>\xa0\u2003a\u3000b\t</p><p>|</p><p>·</p><p>_</p>"
                               "<p>\u00b2</p><p>\u0660</p><p>\ue000x\ue001y</p>",
    "unicode": "<p>Ünïcödé — “quotes” 漢字 😀 a\u0301</p><div class='ü 漢'>x</div>",
    "no body": "text only",
}


def _page(body: str) -> str:
    return f"<html><head><title>t</title></head><body>{body}</body></html>"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_c_walk_gives_the_python_walks_blocks_and_frames(name):
    root = parse_tree(_page(PAGES[name]))
    assert c_walk(root) == python_walk(root)


def test_both_walks_stop_at_the_same_block():
    root = parse_tree(_page("".join(f"<p>p{i}</p><p> </p>x" for i in range(10))))
    for most in (0, 1, 2, 5, 29, 30, 31):
        assert c_walk(root, most) == python_walk(root, most), most


def test_comments_and_instructions_kept_by_another_parser():
    # dechaff's parser drops them; a tree from elsewhere may hold them (and their tails).
    parser = etree.HTMLParser(remove_comments=False, remove_pis=False)
    root = etree.fromstring("<html><body><p>a<!-- c -->b<?pi x?>c</p><!-- d -->tail"
                            "<div>e</div></body></html>", parser)
    assert c_walk(root) == python_walk(root)


def test_tags_are_lower_cased_as_python_does():
    root = etree.Element("HTML")
    body = etree.SubElement(root, "Body")
    for tag in ("P", "DIV", "Ünï", "LI"):
        etree.SubElement(body, tag).text = f"text of {tag}"
    assert c_walk(root) == python_walk(root)
    assert c_walk(root)[1][:2] == ["html", "body"]


@pytest.mark.parametrize("build", ["namespace", "entity", "attribute namespace"])
def test_trees_the_c_walk_does_not_expect_go_to_the_python_walk(build):
    root = etree.Element("html")
    body = etree.SubElement(root, "body")
    body.text = "before"
    if build == "namespace":
        etree.SubElement(body, "{urn:x}p").text = "namespaced"
    elif build == "entity":
        body.append(etree.Entity("amp"))
    else:
        etree.SubElement(body, "p", {"{urn:x}class": "c"}).text = "x"
    assert walk.walk(root, blocks.MAX_BLOCKS) is None
    found, frames = blocks.blockify(root)
    assert ([astuple(b) for b in found], frames.tags, frames.parents, frames.attrs,
            frames.hidden) == python_walk(root)


def test_deep_nesting_is_walked_without_recursion():
    root = etree.Element("html")
    node = etree.SubElement(root, "body")
    for i in range(3000):
        node = etree.SubElement(node, "div" if i % 2 else "span")
        node.text = f"w{i} "
    assert c_walk(root) == python_walk(root)


_TAGS = ["p", "div", "span", "a", "b", "br", "li", "ul", "ol", "dl", "dd", "table", "tr",
         "td", "th", "pre", "h2", "blockquote", "script", "section", "nav", "img"]
_ATTRIBUTES = ["", " class='menu x'", " id=main", " hidden", " aria-hidden=true",
               " style='display:none'", " data-dechaff=content", " data-dechaff=chrome",
               " role=navigation itemprop=text"]
_TEXTS = ["", " ", "word", " two words ", "\n", "\xa0", "|", "é", "\ue000", "x\ue001y",
          "<", "&amp;", "漢"]


@st.composite
def _markup(draw, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4 if depth < 4 else 0))):
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(_TEXTS)))
            continue
        tag = draw(st.sampled_from(_TAGS))
        attributes = draw(st.sampled_from(_ATTRIBUTES))
        closed = draw(st.integers(0, 4)) > 0  # sometimes left open: the parser mends it
        inner = draw(_markup(depth + 1))
        parts.append(f"<{tag}{attributes}>{inner}" + (f"</{tag}>" if closed else ""))
    return "".join(parts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_markup(), st.integers(1, 40))
def test_random_pages_walk_alike(markup, most):
    root = parse_tree(f"<html><body>{markup}</body></html>")
    assert c_walk(root, most) == python_walk(root, most)


def _real_pages(directory, count: int) -> list[str]:
    from dechaff.datasets import list_pages, read_page_labels
    from dechaff.decode import decode_html

    return [decode_html(read_page_labels(ref).html) for ref in list_pages(directory)[:count]]


def test_both_walks_agree_on_the_projects_labeled_pages():
    # (old-layouts: table layouts, <font> and <br> runs, which the others rarely have)
    for html in _real_pages(LABELED, 100) + _real_pages(OLD_LAYOUTS, 100):
        root = parse_tree(html)
        assert c_walk(root) == python_walk(root)


@needs_dataset
def test_both_walks_agree_on_real_pages():
    # (bench/equivalence.py compares the whole pipeline on all 1,497 pages.)
    for html in _real_pages(WCXB, 150):
        root = parse_tree(html)
        if root is not None:
            assert c_walk(root) == python_walk(root)


# --- the page facts' elements (_blockwalk.facts, page._fact_elements) ---

def python_facts(root):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(page_module, "_blockwalk", None)
        return page_module._fact_elements(root)


def c_facts(root):
    found = walk.facts(root, page_module._FACT_TAGS, page_module._FACT_ATTRIBUTES,
                       page_module._JSON_LD)
    assert found is not None, "the C walk declined a page it should read"
    return found


FACTS_PAGE = (
    "<html><head><meta charset=utf-8><meta property='og:title' content=' The  Title '>"
    "<link rel=canonical href='https://example.org/a'><link rel=stylesheet href=s.css>"
    "<script>var x = '<p>';</script>"
    "<script type=application/ld+json>{\"@type\": \"NewsArticle\"}</script></head>"
    "<body><p>text<meta name=twitter:title content=T2></p><div><div>"
    "<script type=application/ld+json></script></div></div></body></html>"
)


def test_facts_of_a_page_read_by_eye():
    assert c_facts(parse_tree(FACTS_PAGE)) == [
        ("meta", {}, ""),  # charset is not one of the attributes read
        ("meta", {"property": "og:title", "content": " The  Title "}, ""),
        ("link", {"rel": "canonical", "href": "https://example.org/a"}, ""),
        ("link", {"rel": "stylesheet", "href": "s.css"}, ""),
        ("script", {}, ""),  # not JSON-LD: its text is not read
        ("script", {"type": "application/ld+json"}, '{"@type": "NewsArticle"}'),
        ("meta", {"name": "twitter:title", "content": "T2"}, ""),
        ("script", {"type": "application/ld+json"}, ""),  # empty: "" as for None
    ]
    assert c_facts(parse_tree(FACTS_PAGE)) == python_facts(parse_tree(FACTS_PAGE))


def test_page_facts_come_out_the_same_from_c_and_python():
    root = parse_tree(FACTS_PAGE)
    elements = c_facts(root)
    assert page_module.page_title(root, elements) == "The Title"
    assert page_module.page_url(root, elements) == "https://example.org/a"
    assert page_module.page_types(root, elements) == {"newsarticle"}
    python = python_facts(root)
    assert (page_module.page_title(root, python), page_module.page_url(root, python),
            page_module.page_types(root, python)) == ("The Title", "https://example.org/a",
                                                      {"newsarticle"})


@pytest.mark.parametrize("build", ["namespace", "attribute namespace"])
def test_facts_the_c_walk_does_not_expect_go_to_python(build):
    root = etree.Element("html")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "meta", {"property": "og:type", "content": "article"})
    if build == "namespace":
        etree.SubElement(head, "{urn:x}meta", {"property": "og:url", "content": "u"})
    else:
        etree.SubElement(head, "meta", {"{urn:x}property": "og:url", "content": "u"})
    assert walk.facts(root, page_module._FACT_TAGS, page_module._FACT_ATTRIBUTES,
                      page_module._JSON_LD) is None
    assert page_module._fact_elements(root) == python_facts(root)
    assert page_module.page_types(root) == {"og:article"}


def test_facts_refuse_bad_arguments():
    root = parse_tree(FACTS_PAGE)
    with pytest.raises(TypeError, match="text_if"):
        walk.facts(root, ("meta",), ("content",), ("type",))
    with pytest.raises(TypeError, match="must be str"):
        walk.facts(root, ("meta", 1), ("content",), ("type", "x"))
    with pytest.raises(ValueError, match="at most"):
        walk.facts(root, ("meta",) * 17, ("content",), ("type", "x"))


_FACT_MARKUP = ["<meta property=og:type content=article>", "<meta name=twitter:title content=x>",
                "<link rel=canonical href=/a>", "<link href=/b>", "<script>if (a<b) f()</script>",
                "<script type=application/ld+json>{\"@type\": [\"Product\"]}</script>",
                "<script type=application/ld+json><![CDATA[x]]></script>", "<p>t</p>",
                "<div>", "</div>", "<meta content=é property='og:title'>", "text &amp; more"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_FACT_MARKUP), max_size=12))
def test_random_pages_give_the_same_facts(parts):
    root = parse_tree(f"<html><head>{''.join(parts[:3])}</head><body>{''.join(parts[3:])}"
                      "</body></html>")
    assert c_facts(root) == python_facts(root)


def test_both_fact_readers_agree_on_the_projects_labeled_pages():
    for html in _real_pages(LABELED, 100) + _real_pages(OLD_LAYOUTS, 100):
        root = parse_tree(html)
        assert c_facts(root) == python_facts(root)


@needs_dataset
def test_both_fact_readers_agree_on_real_pages():
    for html in _real_pages(WCXB, 150):
        root = parse_tree(html)
        if root is not None:
            assert c_facts(root) == python_facts(root)


# --- Blocks made by setting their slots (configure's fields) ---

def test_blocks_made_by_setting_slots_equal_blocks_made_by_calling_block():
    root = parse_tree("".join(PAGES.values()))
    by_slots = walk.walk(root, blocks.MAX_BLOCKS)[0]
    blocks._configure_walk(set_slots=False)
    try:
        by_call = walk.walk(root, blocks.MAX_BLOCKS)[0]
    finally:
        blocks._configure_walk()
    assert blocks._slot_fields() == tuple(f.name for f in fields(blocks.Block))
    assert len(by_slots) > 10 and [astuple(b) for b in by_slots] == [astuple(b) for b in by_call]
    assert all(type(b) is blocks.Block for b in by_slots)
    assert gc.is_tracked(by_slots[0])  # the collector sees them, as Block() would make them


def test_a_block_type_that_is_not_plain_slots_is_called_instead():
    @dataclass(slots=True)
    class Checked:
        text: str

        def __post_init__(self):
            raise AssertionError("unreachable here")

    @dataclass
    class NoSlots:
        text: str

    with pytest.MonkeyPatch.context() as patch:
        for kind in (Checked, NoSlots):
            patch.setattr(blocks, "Block", kind)
            assert blocks._slot_fields() == ()


@pytest.mark.parametrize("fields_given", [("text",), ("nope",) * 9, (1,) * 9])
def test_configure_refuses_fields_that_are_not_the_blocks_slots(fields_given):
    with pytest.raises((ValueError, TypeError), match="field|Block"):
        walk.configure(blocks.Block, fields_given, {}, blocks._KINDS, (), "m", ("a", "b"), ())
    # a refused configure leaves the rules as they were
    root = parse_tree(PAGES["lists"])
    assert c_walk(root) == python_walk(root)
