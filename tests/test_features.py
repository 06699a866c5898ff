import numpy as np
import pytest

from dechaff import features
from dechaff.features import (
    CLASS_WORDS,
    CONTEXT_NAMES,
    FEATURE_NAMES,
    GROUP_KEYS,
    _bit_columns,
    _class_mask,
    _frame_bits,
    _group_stats,
    _token_mask,
    context_features,
    featurize,
)
from dechaff.page import read_page
from dechaff.structure import ancestor_or

PAGE = """<html><body>
<nav class="primary-nav"><ul><li><a href="/">Home</a></li><li><a href="/n">News</a></li></ul></nav>
<article class="post"><h2>A heading</h2>
<p>The first paragraph of the story has several words, and a comma.</p>
<p>A second paragraph, with <a href="#">a link</a> in it.</p></article>
<footer class="site-footer"><p>© 2026 Example. All rights reserved.</p></footer>
</body></html>"""


@pytest.fixture(scope="module")
def page():
    return read_page(PAGE)


@pytest.fixture(scope="module")
def matrix(page):
    return featurize(page).X


def value(matrix, row: int, name: str) -> float:
    return float(matrix[row, FEATURE_NAMES.index(name)])


def test_feature_names_are_unique():
    assert len(FEATURE_NAMES) == len(set(FEATURE_NAMES))


def test_matrix_has_one_row_per_block_and_a_column_per_name(page, matrix):
    assert matrix.shape == (len(page.blocks), len(FEATURE_NAMES))
    assert matrix.dtype == np.float32
    assert np.isfinite(matrix).all()


def test_empty_page_gives_an_empty_matrix():
    assert featurize(read_page("")).X.shape == (0, len(FEATURE_NAMES))


def test_menu_link_features(page, matrix):
    home = [b.text for b in page.blocks].index("Home")
    assert value(matrix, home, "text.link_density") == 1.0
    assert value(matrix, home, "in.nav") == 1.0
    assert value(matrix, home, "anc.nav") == 1.0
    assert value(matrix, home, "in.article") == 0.0
    assert value(matrix, home, "kind.item") == 1.0


def test_article_paragraph_features(page, matrix):
    row = 3  # "The first paragraph ..."
    assert page.blocks[row].text.startswith("The first paragraph")
    assert value(matrix, row, "in.article") == 1.0
    assert value(matrix, row, "anc.post") == 1.0
    assert value(matrix, row, "text.link_density") == 0.0
    assert value(matrix, row, "text.log_words") == pytest.approx(np.log1p(12))
    assert value(matrix, row, "tag.p") == 1.0
    assert value(matrix, row, "nb.-1.heading") == 1.0  # preceded by the heading


def test_footer_features(page, matrix):
    row = len(page.blocks) - 1
    assert value(matrix, row, "in.footer") == 1.0
    assert value(matrix, row, "anc.footer") == 1.0
    assert value(matrix, row, "cue.copyright") == 1.0
    assert value(matrix, row, "pos.block") == pytest.approx(row / len(page.blocks))


def test_neighbour_features_are_the_neighbours_own(matrix):
    assert np.array_equal(matrix[1:, FEATURE_NAMES.index("nb.-1.log_words")],
                          matrix[:-1, FEATURE_NAMES.index("text.log_words")])
    assert value(matrix, 0, "nb.-1.log_words") == 0.0


def words_in(attrs: str) -> set[str]:
    mask = _class_mask(attrs)
    return {w for i, w in enumerate(CLASS_WORDS) if mask >> i & 1}


def test_class_words_match_prefixes_inner_words_and_camel_case():
    assert "nav" in words_in("navigation")
    assert "sidebar" in words_in("leftsidebar")
    assert {"main", "nav"} <= words_in("mainNav")
    assert "footer" in words_in("site-footer")


def test_class_words_have_no_separators():
    """_class_mask looks for each word token by token: a word with a separator in it
    would never be found."""
    assert all(word.isalnum() for word in CLASS_WORDS)


def test_ancestor_or_folds_in_every_ancestor_and_counts_depth():
    rng = np.random.default_rng(0)
    parents = [-1] + [int(rng.integers(0, i)) for i in range(1, 300)]  # parents first
    own = rng.integers(0, 2**63, size=(300, 2), dtype=np.uint64)
    bits, depth = ancestor_or(own, parents)
    for frame in range(300):
        expected, chain, up = own[frame].copy(), 1, parents[frame]
        while up >= 0:
            expected |= own[up]
            chain, up = chain + 1, parents[up]
        assert np.array_equal(bits[frame], expected) and depth[frame] == chain


def test_bit_columns_put_bit_j_in_column_j():
    words = np.array([[1 << 3, 0], [0, 1 << 63], [0, 1]], dtype=np.uint64)
    columns = _bit_columns(words, 70)
    assert columns.shape == (3, 70) and columns.dtype == np.float32
    assert [np.flatnonzero(row).tolist() for row in columns] == [[3], [], [64]]


def test_two_letter_class_words_must_be_whole_tokens():
    assert "ad" in words_in("ad-slot")
    assert "ad" not in words_in("header download")


def _caches_after(html: str) -> tuple[int, int]:
    featurize(read_page(html))
    return _frame_bits.cache_info().currsize, _token_mask.cache_info().currsize


def test_long_class_values_are_not_cached_but_still_matched(monkeypatch):
    """A crawl of pages with huge unique class strings must not fill the caches of the
    Python reading (the one used where the C extension is not built)."""
    monkeypatch.setattr(features, "_textscan", None)
    stamp = str(id(object()))  # values no earlier test has cached
    body = '<div class="{}"><p>Some words here.</p></div>'
    before = _caches_after(PAGE)
    short = _caches_after(body.format("x" + stamp))
    assert short == (before[0] + 1, before[1] + 1)  # a new short value and token: cached
    long_token = "navigation" + "q" * 5000 + stamp.translate(str.maketrans("0123456789",
                                                                          "abcdefghij"))
    parsed = read_page(body.format(long_token))
    assert _caches_after(body.format(long_token)) == short
    row = featurize(parsed).X[0]
    assert row[FEATURE_NAMES.index("anc.nav")] == 1  # its class words still count


APPEAL_PAGE = b"""<html><body><article>
<div class="body"><p>The river rose by two metres overnight and the council met at dawn
to decide what to do about the levee.</p><p>Residents were told to move their cars.</p></div>
<section class="box"><h3>Stand with us</h3>
<p>We are funded by our readers. Please consider becoming a member today.</p>
<a href="/join">Join</a></section>
</article></body></html>"""


def test_appeal_cue_marks_the_paragraph_and_box_cue_its_whole_box():
    page = read_page(APPEAL_PAGE)
    X = featurize(page).X
    cue = X[:, FEATURE_NAMES.index("cue.appeal")]
    box = X[:, FEATURE_NAMES.index("box.1.cue_appeal")]
    texts = [b.text for b in page.blocks]
    asks = texts.index("We are funded by our readers. Please consider becoming a member today.")
    assert cue[asks] == 1 and cue.sum() == 1
    for text in ("Stand with us", texts[asks]):  # blocks owned by the box's children
        assert box[texts.index(text)] == 1
    assert box[texts.index("Residents were told to move their cars.")] == 0


SHOP_PAGE = """<html><head><title>Walking boots | Example Shop</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/boots">Boots</a></li></ul></nav>
<div class="crumbs"><a href="/">Home</a> / <a href="/boots">Boots</a></div>
<h1>Walking boots</h1>
<p>Our walking boots are made for the long days on the hills and the wet ones too.</p>
<ul class="grid">
<li class="tile"><p><a href="/b1">Fell boot</a> <span class="cost">$120.00</span></p></li>
<li class="tile"><p><a href="/b2">Ridge boot</a> <span class="cost">$95.00</span></p></li>
<li class="tile"><p><a href="/b3">Moor boot</a> <span class="cost">€80</span></p></li>
</ul>
<footer><ul><li><a href="/">Home</a></li></ul></footer>
</body></html>"""


@pytest.fixture(scope="module")
def shop():
    page = read_page(SHOP_PAGE)
    return page, featurize(page)


def test_title_features_find_the_titles_heading(shop):
    page, features = shop
    texts = [b.text for b in page.blocks]
    heading = texts.index("Walking boots")
    column = features.X[:, FEATURE_NAMES.index("title.offset")]
    assert column[heading] == 0.0
    assert (column[:heading] < 0).all() and (column[heading + 1:] > 0).all()
    assert (features.X[:, FEATURE_NAMES.index("title.found")] == 1.0).all()
    overlap = features.X[:, FEATURE_NAMES.index("title.overlap")]
    assert overlap[heading] == 1.0 and overlap[texts.index("Boots")] == 1.0
    assert overlap[texts.index("Home")] == 0.0


def test_title_features_are_zero_when_no_block_matches_the_title():
    page = read_page("<html><head><title>Nothing alike</title></head><body>"
                     "<p>Some words of a paragraph.</p><p>Another one here.</p></body></html>")
    X = featurize(page).X
    for name in ("title.found", "title.offset", "title.overlap"):
        assert not X[:, FEATURE_NAMES.index(name)].any(), name


def test_duplicate_texts_are_counted(shop):
    page, features = shop
    dup = features.X[:, FEATURE_NAMES.index("dup.log_count")]
    texts = [b.text for b in page.blocks]
    assert dup[texts.index("Home")] == pytest.approx(np.log1p(1))  # nav and footer
    assert dup[texts.index("Walking boots")] == 0.0


def test_hidden_features_flag_blocks_in_hidden_elements_and_their_word_share():
    page = read_page("<html><body><p>Two words</p><div style='display:none'>"
                     "<p>three hidden words</p><ul><li>five more hidden words here</li>"
                     "</ul></div><p>after it</p></body></html>")
    X = featurize(page).X
    assert [b.text for b in page.blocks] == [
        "Two words", "three hidden words", "five more hidden words here", "after it"]
    assert X[:, FEATURE_NAMES.index("hidden.block")].tolist() == [0, 1, 1, 0]
    # 8 of the page's 12 words are hidden, on every row alike.
    share = X[:, FEATURE_NAMES.index("hidden.page_word_share")]
    assert share == pytest.approx([8 / 12] * 4)


def test_a_page_without_hidden_elements_has_zero_hidden_features(page, matrix):
    assert not matrix[:, FEATURE_NAMES.index("hidden.block")].any()
    assert not matrix[:, FEATURE_NAMES.index("hidden.page_word_share")].any()


def test_price_cue(shop):
    page, features = shop
    price = features.X[:, FEATURE_NAMES.index("cue.price")]
    kept = {b.text for b, hit in zip(page.blocks, price) if hit}
    assert kept == {"Fell boot $120.00", "Ridge boot $95.00", "Moor boot €80"}
    assert value(features.X, 0, "page.log_prices") == pytest.approx(np.log1p(3))


def test_repeated_tiles_share_a_group_and_the_page_shape_sees_them(shop):
    page, features = shop
    texts = [b.text for b in page.blocks]
    tiles = [texts.index(t) for t in ("Fell boot $120.00", "Ridge boot $95.00", "Moor boot €80")]
    sib = features.groups[:, GROUP_KEYS.index("sib.1")]
    assert len({sib[i] for i in tiles}) == 1
    assert sib[texts.index("Walking boots")] != sib[tiles[0]]
    # Only the tiles' containers (li.tile) repeat: the nav's and footer's items are
    # repeated owners, not containers, and so are an article's paragraphs.
    share = features.words[tiles].sum() / features.words.sum()
    assert value(features.X, 0, "page.repeated_word_share") == pytest.approx(share)


def test_group_context_pools_first_pass_probabilities(shop):
    page, features = shop
    texts = [b.text for b in page.blocks]
    tiles = [texts.index(t) for t in ("Fell boot $120.00", "Ridge boot $95.00", "Moor boot €80")]
    p = np.zeros(len(page.blocks))
    p[tiles[0]] = 0.9
    context = context_features(features, p)
    mean = context[:, CONTEXT_NAMES.index("ctx.group.sib.1.mean")]
    peak = context[:, CONTEXT_NAMES.index("ctx.group.sib.1.max")]
    assert (peak[tiles] == pytest.approx(0.9))
    assert 0 < mean[tiles[1]] < 0.9
    assert peak[texts.index("Walking boots")] == 0.0


def test_group_stats_pool_rows_with_the_same_id_whichever_way_ids_are_binned():
    values = np.array([0.2, 0.9, 0.4, 0.6])
    weights = np.array([1.0, 3.0, 1.0, 2.0])
    near = np.array([5, 7, 5, -3])  # dense: a span of 10, under 8 slots a row
    far = np.array([5, 70_000, 5, -3])  # sparse: sorted by np.unique
    for ids in (near, far):
        mean, peak = _group_stats(ids, values, weights)
        assert mean.tolist() == pytest.approx([0.3, 0.9, 0.3, 0.6])  # (0.2 + 0.4) / 2
        assert peak.tolist() == [0.4, 0.9, 0.4, 0.6]


def test_context_features_are_the_same_with_and_without_c(shop, monkeypatch):
    """The second pass's inputs do not depend on whether _frames was built."""
    page, features_ = shop
    p = np.random.default_rng(0).random(len(page.blocks))
    with_c = context_features(features_, p)
    monkeypatch.setattr("dechaff.features._frames", None)
    assert np.array_equal(context_features(features_, p), with_c)
    assert with_c.dtype == np.float32 and with_c.shape == (len(p), len(CONTEXT_NAMES))


def test_context_features_write_every_column(shop, monkeypatch):
    """The matrix starts uninitialised (np.empty): a column left out would be garbage."""
    page, features_ = shop
    p = np.linspace(0.1, 0.9, len(page.blocks))
    full = np.full  # the real one, before np.empty is swapped for a NaN-filled matrix
    monkeypatch.setattr("dechaff.features.np.empty",
                        lambda shape, dtype=float: full(shape, np.nan, dtype=dtype))
    assert not np.isnan(context_features(features_, p)).any()
