import pytest

from dechaff import blocks as blocks_module
from dechaff.blocks import blockify
from dechaff.page import parse_tree, read_page


@pytest.fixture(autouse=True, params=["C walk", "Python walk"])
def walk(request, monkeypatch):
    """Every test here runs with each walk: the C one (_blockwalk) and _Walker."""
    if request.param == "C walk" and blocks_module._blockwalk is None:
        pytest.skip("dechaff._blockwalk is not built (no C compiler at install time)")
    if request.param == "Python walk":
        monkeypatch.setattr(blocks_module, "_blockwalk", None)
    return request.param


def blocks_of(body: str):
    return read_page(f"<html><head><title>t</title></head><body>{body}</body></html>").blocks


def texts(body: str) -> list[str]:
    return [b.text for b in blocks_of(body)]


def test_inline_tags_stay_in_one_block():
    assert texts("<p>One <b>bold <i>and italic</i></b> <a href='#'>link</a>.</p>") == [
        "One bold and italic link."
    ]


def test_block_elements_split_text_and_tails_stay_with_their_parent():
    assert texts("<div>before<p>inside</p>after</div>") == ["before", "inside", "after"]


def test_br_is_a_line_break_inside_the_block():
    assert texts("<p>line one<br>line two<br/><br/>line three</p>") == [
        "line one\nline two\nline three"
    ]


def test_source_newlines_are_whitespace_not_breaks():
    assert texts("<p>a\n   wrapped\n\tline</p>") == ["a wrapped line"]


def test_table_rows_are_blocks_with_cells_separated():
    blocks = blocks_of("<table><tr><th>Plan</th><th>Price</th></tr>"
                       "<tr><td>Basic</td><td>$5</td></tr></table>")
    assert [b.text for b in blocks] == ["Plan | Price", "Basic | $5"]
    assert {b.kind for b in blocks} == {"row"}
    assert blocks[0].group == blocks[1].group


def test_list_items_know_nesting_and_order():
    blocks = blocks_of("<ol><li>first</li><li>second<ul><li>inner</li></ul></li></ol>")
    assert [(b.text, b.kind, b.level, b.ordered) for b in blocks] == [
        ("first", "item", 1, True), ("second", "item", 1, True), ("inner", "item", 2, False)
    ]


def test_pre_keeps_whitespace_verbatim():
    (block,) = blocks_of("<pre><code>def f():\n    return  1</code></pre>")
    assert block.kind == "code"
    assert block.text == "def f():\n    return  1"


def test_headings_have_levels():
    assert [(b.kind, b.level) for b in blocks_of("<h2>Sub</h2><p>x</p>")] == [
        ("heading", 2), ("paragraph", 0)
    ]


def test_noscript_content_is_kept():
    assert texts("<div id=app></div><noscript><div class=post><p>Real post</p></div></noscript>") \
        == ["Real post"]


def test_scripts_styles_templates_and_comments_are_dropped():
    body = ("<p>keep<script>var secret = 1;</script> this<!-- hidden note --> text</p>"
            "<style>p { color: red }</style><template><p>tmpl</p></template>")
    assert texts(body) == ["keep this text"]


def test_hidden_inline_elements_are_dropped():
    body = ("<p>shown <span hidden>h1</span><a aria-hidden='true'>h2</a>"
            "<b style='display: none'>h3</b><i style='visibility:hidden'>h4</i> text</p>")
    assert texts(body) == ["shown text"]


def test_hidden_block_elements_are_walked_and_flagged():
    body = ("<p>shown</p><p hidden>h1</p><div aria-hidden='true'>h2<ul><li>h3</li></ul>"
            "</div><section style='display: none'><div><p>h4</p></div></section>"
            "<p style='visibility:hidden'>h5</p><p>after</p>")
    found, frames = blockify(parse_tree(f"<html><body>{body}</body></html>"))
    assert [b.text for b in found] == ["shown", "h1", "h2", "h3", "h4", "h5", "after"]
    assert [frames.hidden[b.owner] for b in found] == [0, 1, 1, 1, 1, 1, 0]
    # Every frame under a hidden element is flagged, its own attributes or not.
    inner = frames.tags.index("ul")
    assert frames.hidden[inner] == 1 and frames.hidden[frames.parents[inner]] == 1
    assert frames.hidden[:2] == [0, 0]  # html, body


def test_content_inside_an_unclosed_button_is_kept():
    # libxml2 nests the rest of the page inside an unclosed <button>: it must survive.
    assert "Article text here." in texts("<button>Menu<main><p>Article text here.</p></main>")


def test_link_characters_are_counted():
    (block,) = blocks_of("<p><a href='/'>Home</a> page</p>")
    assert block.link_chars == len("Home")


def test_blocks_without_letters_or_digits_are_skipped():
    assert texts("<p>|</p><p>·</p><p>ok</p>") == ["ok"]


def test_marker_attribute_counts_marked_characters():
    blocks = blocks_of("<div data-dechaff='content'><p>in</p>"
                       "<p data-dechaff='chrome'>out</p></div><p>away</p>")
    assert [(b.text, b.marked_chars) for b in blocks] == [("in", 2), ("out", 0), ("away", 0)]


def test_nested_markers_hold_inside_their_element_and_end_with_it():
    blocks = blocks_of("<div data-dechaff='content'><p>a</p>"
                       "<div class='box' data-dechaff='chrome'><p>b</p>"
                       "<p data-dechaff='content'>c</p><p>d</p></div><p>e</p>"
                       "<p><span data-dechaff='chrome'>x</span> tail</p></div>")
    assert [(b.text, b.marked_chars) for b in blocks] == [
        ("a", 1), ("b", 0), ("c", 1), ("d", 0), ("e", 1), ("x tail", len(" tail"))]


def test_empty_documents_give_no_blocks():
    for html in ("", "   ", "<!-- only a comment -->", b""):
        assert read_page(html).blocks == []


def test_title_prefers_og_title_then_h1_then_title_without_site_suffix():
    assert read_page("<head><meta property='og:title' content='OG'><title>T</title></head>"
                     "<body><h1>H</h1></body>").title == "OG"
    assert read_page("<head><title>T</title></head><body><h1>H</h1></body>").title == "H"
    assert read_page("<head><title>Story | Site</title></head><body><p>x</p></body>").title \
        == "Story"


HIDDEN_XPATH = (
    "//*[@hidden or @aria-hidden='true' or contains(translate(@style, ' ', ''), "
    "'display:none') or contains(translate(@style, ' ', ''), 'visibility:hidden')]"
)


def test_hidden_test_is_the_xpath_predicate():
    import lxml.html

    from dechaff.blocks import _hidden

    variants = ['hidden', 'hidden=""', 'aria-hidden="true"', 'aria-hidden="TRUE"',
                'aria-hidden="false"', 'style="display: none"', 'style="display:\tnone"',
                'style="DISPLAY:none"', 'style="color:red; visibility : hidden"',
                'style="visibility:hiddenx"', 'style=""', 'class="hidden"', 'data-hidden',
                'style="display:none" hidden', 'x:hidden="1"']
    body = "".join(f"<div id='d{i}' {v}>t</div>" for i, v in enumerate(variants))
    root = lxml.html.document_fromstring(f"<html><body>{body}</body></html>")
    by_xpath = {e.get("id") for e in root.xpath(HIDDEN_XPATH)}
    by_test = {e.get("id") for e in root.iter("div") if _hidden(dict(e.items()))}
    assert by_test == by_xpath
    assert "d0" in by_test and "d2" in by_test and "d3" not in by_test


def test_frames_hold_their_elements_only_when_asked():
    root = parse_tree("<html><body><div class='a'><p>one</p><script>x</script>"
                      "<span hidden>no</span><p>two <b>b</b></p></div></body></html>")
    _, frames = blockify(root, keep_elements=True)
    assert [e.tag for e in frames.elements] == frames.tags == [
        "html", "body", "div", "p", "p", "b"]
    assert frames.elements[2].get("class") == "a"
    assert blockify(root)[1].elements == []


def test_any_block_limit_is_accepted():
    root = parse_tree("<html><body><p>one</p><p>two</p></body></html>")
    assert [b.text for b in blockify(root, max_blocks=2**70)[0]] == ["one", "two"]
    assert [b.text for b in blockify(root, max_blocks=1)[0]] == ["one"]
