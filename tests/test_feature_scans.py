"""The feature helpers in C: class and context words of an element's attributes
(_textscan.stem_bits), the counts behind text.* (_textscan.text_counts), the frames'
ancestor bits and signature ids (_frames) give the same numbers as the Python code in
features, which stays as the fallback."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dechaff import counts, features, structure
from dechaff.blocks import Block, Frames
from dechaff.features import CLASS_WORDS, CONTEXT_TAGS, ROLES

textscan = counts._textscan
frames_c = structure._frames
pytestmark = pytest.mark.skipif(textscan is None or frames_c is None,
                                reason="the C extensions are not built")

# Pieces of class/id values: stems whole, cut and in odd cases, camelCase joins,
# separators, digits, and characters whose lower case is ASCII (KELVIN SIGN, I WITH
# DOT ABOVE) or that Python's re treats as letters.
PIECES = ["nav", "Nav", "NAV", "navigation", "side", "Bar", "sidebar", "left", "ad", "Ad",
          "ads", "header", "comment", "reply", "main", "Main", "domain", "article", "Body",
          "articleBody", "role", "search", "menu", "sr", "only", "x", "-", "_", " ", "  ",
          "1", "2col", "\u212a", "\u0130", "é", "ß", "日本", "\t", "post", "Entry", "card"]


def python_bits(styles: list[tuple[str, str]]) -> np.ndarray:
    features._frame_bits.cache_clear()
    return features._python_style_bits(styles)


def words(row: np.ndarray) -> set[str]:
    """The CLASS_WORDS, context tags and roles whose bits a row has."""
    mask = sum(int(w) << (64 * k) for k, w in enumerate(row[:-1]))
    names = {w for i, w in enumerate(CLASS_WORDS) if mask >> i & 1}
    context = int(row[-1])
    names |= {f"in.{t}" for i, t in enumerate(CONTEXT_TAGS) if context >> i & 1}
    names |= {f"role.{r}" for i, r in enumerate(ROLES) if context >> (len(CONTEXT_TAGS) + i) & 1}
    return names


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["div", "nav", "li", "p", "main"]),
                          st.lists(st.sampled_from(PIECES), max_size=8).map("".join)),
                max_size=12))
@example([("div", "navİgation artİclebody \u212aookie")])
def test_c_and_python_give_the_same_bits(styles):
    assert (features._style_bits(styles) == python_bits(styles)).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.just("div"), st.text(max_size=40)), max_size=6))
def test_c_and_python_agree_on_any_text(styles):
    assert (features._style_bits(styles) == python_bits(styles)).all()


@pytest.mark.parametrize(("value", "expected"), [
    # camelCase splits a token: "side" starts one, "sidebar" is in none
    ("leftSideBar", {"side"}),
    # one token: "sidebar" (7 letters) is found inside it, "side" (4) only at its start
    ("leftsidebar", {"sidebar"}),
    # two-letter stems must be a whole token
    ("ad header", {"ad", "header"}),
    ("adheader", {"header"}),
    # a role is looked for anywhere in the lower-cased value, as in Python
    ("domain", {"role.main"}),
    ("articleBody", {"article", "body", "role.article"}),
])
def test_known_values_give_the_words_read_by_eye(value, expected):
    row = features._style_bits([("div", value)])[0]
    found = words(row)
    if value == "articleBody":  # itemprop=articleBody has its own bit, not a word
        assert int(row[-1]) >> (len(CONTEXT_TAGS) + len(ROLES)) & 1
    assert found == expected


def test_the_tag_sets_its_context_bit():
    assert words(features._style_bits([("nav", "")])[0]) == {"in.nav"}


def test_a_long_value_is_read_in_full():
    value = "x " * 50_000 + "footer"
    assert "footer" in words(features._style_bits([("div", value)])[0])


@pytest.mark.parametrize(("stems", "error"), [
    ([(b"a", 0, 0)], "two bytes or more"),  # one-byte stem
    ([(b"ab", 64, 0)], "below bits"),  # a bit past the row
    ([(b"ab", 0, 9)], "mode known"),  # unknown mode
    ([(b"\xe9t\xe9", 0, 0)], "ASCII"),  # not ASCII
    ([("ab", 0, 0)], "bytes, bit, mode"),  # str, not bytes
])
def test_bad_stems_are_clear_errors(stems, error):
    with pytest.raises(ValueError, match=error):
        textscan.compile_stems(stems, 64)


@pytest.mark.parametrize(("values", "compiled", "out", "error"), [
    (["a"], "stems", np.zeros((1, 1), np.int64), ValueError),  # signed out
    (["a", "b"], "stems", np.zeros((1, 1), np.uint64), ValueError),  # rows
    (["a"], "wide", np.zeros((1, 1), np.uint64), ValueError),  # no room for bit 64
    ([b"a"], "stems", np.zeros((1, 1), np.uint64), TypeError),  # bytes value
    (["a"], "not compiled", np.zeros((1, 1), np.uint64), (TypeError, ValueError)),
])
def test_bad_arguments_are_clear_errors(values, compiled, out, error):
    compiled = {"stems": textscan.compile_stems([(b"ab", 0, 0)], 64),
                "wide": textscan.compile_stems([(b"ab", 64, 0)], 128),
                "not compiled": [(b"ab", 0, 0)]}[compiled]
    with pytest.raises(error):
        textscan.stem_bits(values, compiled, out)


def test_compiled_stems_outlive_the_list_they_came_from():
    stems = [(b"nav" + b"x" * i, i, 2) for i in range(40)]
    first = stems[0]
    before = sys.getrefcount(first)
    compiled = textscan.compile_stems(stems, 64)
    assert sys.getrefcount(first) == before + 1  # held by the capsule, bytes and all
    del stems[:]
    out = np.zeros((1, 1), np.uint64)
    textscan.stem_bits(["navxxx"], compiled, out)
    assert int(out[0, 0]) == 0b1111  # navx..navxxx: token holds stems 0-3
    del compiled
    assert sys.getrefcount(first) == before - 1  # released with it (the list let go too)


# Characters each count is about: white space of several kinds, sentence marks and
# closers (the apostrophe closes a sentence for the sentence count only), digits of
# other scripts, capitals inside and outside ASCII, a lone surrogate.
TEXT_PIECES = ["Word", "word", "É", "é", " ", "  ", "\n", "\t", "\u00a0", "\u2028", "\u3000",
               ".", "!", "?", ",", ";", ":", "'", '"', "\u201d", "\u2019", ")", "(", "3",
               "\u0663", "\uff13", "A", "Z", "\ud800", "ǅ", "日本"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(TEXT_PIECES), max_size=10).map("".join), max_size=8))
def test_text_counts_in_c_and_python_agree(texts):
    assert (counts.text_counts(texts) == counts._python_text_counts(texts)).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=6))
def test_text_counts_agree_on_any_text(texts):
    assert (counts.text_counts(texts) == counts._python_text_counts(texts)).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(max_codepoint=127), max_size=40), max_size=6))
def test_text_counts_agree_on_ascii_texts(texts):
    """ASCII texts take C's one-byte loop, whose character tests skip CPython's."""
    assert (counts.text_counts(texts) == counts._python_text_counts(texts)).all()


def test_text_counts_of_a_sentence_read_by_eye():
    found = dict(zip(counts.TEXT_COUNTS, counts.text_counts(["Hello world. Yes!"])[0]))
    assert found == {"chars": 17, "words": 3, "caps": 2, "punct": 2, "digits": 0,
                      "upper": 2, "newlines": 0, "sentences": 2, "ends_sentence": 1}
    # ASCII capitals only for "upper"; the apostrophe counts as a closer for the
    # sentence, not for ending one
    found = dict(zip(counts.TEXT_COUNTS, counts.text_counts(["ÉCOLE été.'"])[0]))
    assert (found["upper"], found["caps"], found["sentences"], found["ends_sentence"]) \
        == (4, 1, 1, 0)


@pytest.mark.parametrize(("texts", "out", "error"), [
    (["a"], np.zeros((1, 9), np.uint64), ValueError),  # unsigned
    (["a"], np.zeros((1, 8), np.int64), ValueError),  # too few columns
    (["a", "b"], np.zeros((1, 9), np.int64), ValueError),  # too few rows
    ([b"a"], np.zeros((1, 9), np.int64), TypeError),  # bytes
])
def test_text_counts_refuses_bad_arguments(texts, out, error):
    with pytest.raises(error):
        textscan.text_counts(texts, out)


def _random_parents(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random tree in document order: each frame's parent comes before it."""
    return np.array([-1] + [int(rng.integers(-1, i)) for i in range(1, n)], dtype=np.int64)


@pytest.mark.parametrize("seed", range(5))
def test_ancestor_or_in_one_pass_equals_pointer_jumping(seed):
    rng = np.random.default_rng(seed)
    parents = _random_parents(rng, 500)
    own = rng.integers(0, 2**63, size=(500, 3), dtype=np.uint64)
    bits, depth = structure.ancestor_or(own, parents)
    expected_bits, expected_depth = structure._ancestor_or_jumping(own, parents)
    assert np.array_equal(bits, expected_bits) and np.array_equal(depth, expected_depth)


def test_ancestor_or_of_frames_out_of_order_falls_back_to_jumping():
    parents = np.array([2, 2, -1], dtype=np.int64)  # the root last
    own = np.array([[1], [2], [4]], dtype=np.uint64)
    assert not frames_c.ancestor_or(own, parents, np.empty_like(own),
                                    np.empty(3, dtype=np.int64))
    bits, depth = structure.ancestor_or(own, parents)
    assert bits[:, 0].tolist() == [5, 6, 4] and depth.tolist() == [2, 2, 1]


def _python_signature_ids(frames):
    saved = structure._frames
    structure._frames = None
    try:
        return structure.signature_ids(frames, np.array(frames.parents, dtype=np.int64))
    finally:
        structure._frames = saved


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_signature_ids_in_c_and_python_agree(data):
    n = data.draw(st.integers(0, 40))
    parents = [data.draw(st.integers(-1, i - 1)) for i in range(n)]
    tags = data.draw(st.lists(st.sampled_from(["div", "li", "p", "section"]),
                              min_size=n, max_size=n))
    # equal values as distinct str objects, so equality is by value, not identity
    attrs = ["".join(list(v)) for v in data.draw(
        st.lists(st.sampled_from(["", "card", "card x", "nav", "é"]), min_size=n, max_size=n))]
    frames = Frames(tags=tags, parents=parents, attrs=attrs)
    in_c = structure.signature_ids(frames, np.array(parents, dtype=np.int64))
    in_python = _python_signature_ids(frames)
    assert np.array_equal(in_c[0], in_python[0]) and np.array_equal(in_c[1], in_python[1])
    assert in_c[2] == in_python[2]


def test_signature_ids_of_a_list_read_by_eye():
    frames = Frames(tags=["ul", "li", "li", "li", "ul", "li"], parents=[-1, 0, 0, 0, -1, 4],
                    attrs=["", "card", "card", "ad", "", "card"])
    siblings, styles, pairs = structure.signature_ids(
        frames, np.array(frames.parents, dtype=np.int64))
    assert siblings.tolist() == [0, 1, 1, 2, 0, 3]  # the second list's card is apart
    assert styles.tolist() == [0, 1, 1, 2, 0, 1]  # but styled as the first list's cards
    assert pairs == [("ul", ""), ("li", "card"), ("li", "ad")]


@pytest.mark.parametrize("call", [
    lambda: frames_c.signature_ids(np.zeros(2, np.int64), ["a"], ["b"], np.zeros(1, np.int64),
                                   np.zeros(1, np.int64)),  # parents of another length
    lambda: frames_c.signature_ids(np.zeros(1, np.int32), ["a"], ["b"], np.zeros(1, np.int64),
                                   np.zeros(1, np.int64)),  # int32 parents
    lambda: frames_c.ancestor_or(np.zeros((2, 1), np.int64), np.zeros(2, np.int64),
                                 np.zeros((2, 1), np.uint64), np.zeros(2, np.int64)),
    lambda: frames_c.ancestor_or(np.zeros((2, 1), np.uint64), np.zeros(3, np.int64),
                                 np.zeros((2, 1), np.uint64), np.zeros(2, np.int64)),
])
def test_frame_helpers_refuse_mismatched_arrays(call):
    with pytest.raises(ValueError):
        call()


def test_signature_ids_refuse_tags_that_are_not_str():
    with pytest.raises(TypeError):
        frames_c.signature_ids(np.zeros(1, np.int64), [b"a"], ["b"], np.zeros(1, np.int64),
                               np.zeros(1, np.int64))


@pytest.mark.parametrize("seed", range(5))
def test_chains_in_c_equal_the_level_by_level_ones(seed):
    rng = np.random.default_rng(seed)
    parents = _random_parents(rng, 300)
    owners = rng.integers(0, 300, size=80).astype(np.int64)
    _, depth = structure.ancestor_or(np.zeros((300, 1), dtype=np.uint64), parents)
    in_c = structure.chains(owners, parents, depth)
    by_level = structure._chains_by_level(owners, parents)
    assert all(np.array_equal(a, b) for a, b in zip(in_c, by_level))


def test_chains_of_a_small_tree_read_by_eye():
    parents = np.array([-1, 0, 1, 0], dtype=np.int64)  # html > body > p, html > div
    depth = np.array([1, 2, 3, 2], dtype=np.int64)
    block, frame, level = structure.chains(np.array([2, 3], dtype=np.int64), parents, depth)
    assert block.tolist() == [0, 0, 0, 1, 1]
    assert frame.tolist() == [2, 1, 0, 3, 0]
    assert level.tolist() == [0, 1, 2, 0, 1]


def test_chains_say_so_when_the_outputs_are_the_wrong_size():
    parents = np.array([-1, 0], dtype=np.int64)
    owners = np.array([1], dtype=np.int64)
    for size in (1, 3):  # the chain has 2 frames
        out = [np.zeros(size, dtype=np.int64) for _ in range(3)]
        assert not frames_c.chains(owners, parents, *out)
    with pytest.raises(ValueError):
        frames_c.chains(owners.astype(np.int32), parents, *[np.zeros(2, np.int64)] * 3)


# Words and the characters around them: case that lower() folds (İ to i and a
# combining dot, final sigma), underscores and digits inside \w+, non-word marks.
WORD_PIECES = ["Storm", "storm", "STORM", "river", "İstanbul", "ΟΔΟΣ", "οδος", "_x", "3d",
               " ", "-", "'", "é", "ß", "SS", "日本", "\u0307", "."]


def _python_overlap(texts, words):
    return counts._python_word_overlap(texts, words)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORD_PIECES), max_size=8).map("".join), max_size=6),
       st.lists(st.lists(st.sampled_from(WORD_PIECES), max_size=3).map("".join), max_size=4))
def test_word_overlap_in_c_and_python_agree(texts, titles):
    words = sorted({w for t in titles for w in counts.WORD.findall(t.lower())})
    assert (counts.word_overlap(texts, words) == _python_overlap(texts, words)).all()


ASCII_WORD_PIECES = [p for p in WORD_PIECES if p.isascii()] + ["a_b", "X9", "q", "Q"]
ASCII_TEXT = st.lists(st.one_of(st.sampled_from(ASCII_WORD_PIECES),
                                st.text(alphabet=st.characters(max_codepoint=127), max_size=5)),
                      max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(ASCII_TEXT, max_size=6), st.lists(st.sampled_from(WORD_PIECES + ["x9", "Q"]),
                                                  max_size=4))
def test_word_overlap_agrees_on_ascii_texts(texts, titles):
    """ASCII texts are lower-cased a character at a time in C, not by str.lower()."""
    words = sorted({w for t in titles for w in counts.WORD.findall(t.lower())})
    assert (counts.word_overlap(texts, words) == _python_overlap(texts, words)).all()


def test_word_overlap_read_by_eye():
    overlap = counts.word_overlap(["Storm over the river: the STORM", "no match", ""],
                                  ["river", "storm"])
    # 6 words, 3 of them title words (storm twice), both title words present
    assert overlap.tolist() == [[6, 3, 2], [2, 0, 0], [0, 0, 0]]


def test_word_overlap_refuses_more_words_than_it_has_bits():
    with pytest.raises(ValueError, match="at most 64"):
        textscan.word_overlap(["a"], [f"w{i}" for i in range(65)], np.zeros((1, 3), np.int64))


def test_a_title_of_many_words_is_matched_in_python():
    title = " ".join(f"word{i}" for i in range(70))
    texts = [title, "other text"]
    # block word counts under TITLE_MAX_WORDS, so both blocks are compared with the title
    out = features._title(texts, title, np.array([1, 2]))
    assert out[0].tolist() == [1.0, 1.0, 0.0] and out[1, 0] == 0.0


def _pooled_in_python(ids: np.ndarray, values: np.ndarray, weights: np.ndarray
                      ) -> np.ndarray:
    columns = []
    with np.errstate(invalid="ignore"):  # np.maximum.at meeting a NaN
        for key in range(ids.shape[1]):
            columns += list(features._group_stats(ids[:, key], values, weights))
    return np.column_stack(columns).astype(np.float32)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40), st.integers(1, 5), st.integers(0, 2**32 - 1), st.booleans())
def test_pool_groups_in_c_equals_group_stats(rows, keys, seed, with_nan):
    """The C pooling gives _group_stats' numbers bit for bit, negative ids included."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(-rows, 30, size=(rows, keys))
    values = rng.random(rows)
    if with_nan:
        values[rng.integers(rows)] = np.nan  # np.maximum's max is NaN: so is C's
    weights = rng.integers(1, 500, size=rows) + 1.0
    out = np.full((rows, 2 * keys + 3), -7.0, dtype=np.float32)
    assert frames_c.pool_groups(ids, values * weights, weights, values, out, 2)
    expected = _pooled_in_python(ids, values, weights)
    assert np.array_equal(out[:, 2:2 + 2 * keys], expected, equal_nan=True)
    assert (out[:, :2] == -7).all() and (out[:, 2 + 2 * keys:] == -7).all()


def test_pool_groups_of_a_small_page_read_by_eye():
    ids = np.array([[5], [7], [5], [-3]])
    values = np.array([0.2, 0.9, 0.4, 0.6])
    weights = np.array([1.0, 3.0, 1.0, 2.0])
    out = np.zeros((4, 2), dtype=np.float32)
    assert frames_c.pool_groups(ids, values * weights, weights, values, out, 0)
    assert out[:, 0].tolist() == pytest.approx([0.3, 0.9, 0.3, 0.6])  # (0.2 + 0.4) / 2
    assert out[:, 1].tolist() == pytest.approx([0.4, 0.9, 0.4, 0.6])


def test_pool_groups_leaves_ids_spread_wide_to_numpy():
    ids = np.array([[0], [10**9]])
    out = np.zeros((2, 2), dtype=np.float32)
    values = np.array([0.5, 0.25])
    assert not frames_c.pool_groups(ids, values, np.ones(2), values, out, 0)
    assert (out == 0).all()  # nothing written
    pooled = np.zeros((2, 2), dtype=np.float32)
    features._pool(ids, values, np.ones(2), values, pooled, 0)  # numpy's np.unique does it
    assert pooled.tolist() == [[0.5, 0.5], [0.25, 0.25]]


@pytest.mark.parametrize("call", [
    lambda: frames_c.pool_groups(np.zeros((2, 1), np.int32), np.zeros(2), np.zeros(2),
                                 np.zeros(2), np.zeros((2, 2), np.float32), 0),
    lambda: frames_c.pool_groups(np.zeros((2, 1), np.int64), np.zeros(2), np.zeros(2),
                                 np.zeros(2), np.zeros((2, 2), np.float64), 0),
    lambda: frames_c.pool_groups(np.zeros((2, 2), np.int64), np.zeros(2), np.zeros(2),
                                 np.zeros(2), np.zeros((2, 3), np.float32), 0),
    lambda: frames_c.pool_groups(np.zeros((2, 1), np.int64), np.zeros(3), np.zeros(2),
                                 np.zeros(2), np.zeros((2, 2), np.float32), 0),
    lambda: frames_c.pool_groups(np.zeros((2, 1), np.int64), np.zeros(2), np.zeros(2),
                                 np.zeros(2), np.zeros((2, 2), np.float32), -1),
])
def test_pool_groups_refuses_mismatched_arrays(call):
    with pytest.raises(ValueError, match="pool_groups"):
        call()


def _random_blocks(rng: np.random.Generator, n_frames: int, n_blocks: int) -> list[Block]:
    blocks = []
    for _ in range(n_blocks):
        frames = tuple(int(f) for f in rng.integers(0, n_frames, size=rng.integers(0, 4)))
        blocks.append(Block(text="x", kind="paragraph", owner=int(rng.integers(n_frames)),
                            text_frames=frames, link_chars=0))
    return blocks


@pytest.mark.parametrize("seed", range(5))
def test_block_bits_in_c_equal_the_numpy_or_and_unpack(seed, monkeypatch):
    """_word_masks' three matrices are the same from C's one pass and from numpy."""
    rng = np.random.default_rng(seed)
    parents = _random_parents(rng, 200)
    styles = [("div", f"c{i} nav menu article"[: 3 + i % 20]) for i in range(30)]
    style_ids = rng.integers(0, len(styles), size=200)
    blocks = _random_blocks(rng, 200, 60)
    with_c = features._word_masks(parents, blocks, style_ids, styles)
    monkeypatch.setattr(features, "_frames", None)
    in_numpy = features._word_masks(parents, blocks, style_ids, styles)
    for a, b in zip(with_c, in_numpy):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert with_c[1].any() and with_c[2].any()  # the random styles set class and context bits


@pytest.mark.parametrize("block, error", [
    (Block("x", "paragraph", 5, (), 0), "out of range"),
    (Block("x", "paragraph", 0, (0, -1), 0), "out of range"),
    (Block("x", "paragraph", 0, [1], 0), "tuple"),
])
def test_block_bits_refuses_blocks_outside_the_frames(block, error):
    own = np.zeros((2, 4), dtype=np.uint64)
    out = np.zeros((1, 2 * 143 + 26), dtype=np.float32)
    with pytest.raises(ValueError, match=error):
        frames_c.block_bits([block], own, own, 143, 26, out)


def test_block_bits_refuses_an_output_of_the_wrong_width():
    own = np.zeros((2, 4), dtype=np.uint64)
    with pytest.raises(ValueError, match="block_bits"):
        frames_c.block_bits([Block("x", "paragraph", 0, (), 0)], own, own, 143, 26,
                            np.zeros((1, 10), dtype=np.float32))


# --- each block's attributes read once (_frames.block_table, features._block_table) ---

KIND_CHOICES = [*features.KINDS, "other"]
TAG_CHOICES = ["p", "div", "h2", "span", "td", "article", "custom-tag"]


@pytest.mark.parametrize("seed", range(5))
def test_block_table_in_c_equals_the_python_one(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    tags = [str(rng.choice(TAG_CHOICES)) for _ in range(40)]
    blocks = [Block(text=f"text {i} " * int(rng.integers(1, 4)),
                    kind=str(rng.choice(KIND_CHOICES)), owner=int(rng.integers(40)),
                    text_frames=(), link_chars=int(rng.integers(0, 30)),
                    level=int(rng.integers(0, 7))) for i in range(60)]
    table, texts = features._block_table(blocks, tags)
    monkeypatch.setattr(features, "_frames", None)
    python_table, python_texts = features._block_table(blocks, tags)
    assert table.dtype == python_table.dtype and np.array_equal(table, python_table)
    assert texts == python_texts == [b.text for b in blocks]
    assert (table[:, features._KIND] == -1).any() and (table[:, features._TAG] == 25).any()


def test_block_table_of_two_blocks_read_by_eye():
    tags = ["body", "h2", "custom-tag"]
    blocks = [Block("Title", "heading", 1, (), 0, level=2),
              Block("See more", "odd", 2, (), 8, level=0)]
    table, texts = features._block_table(blocks, tags)
    # owner, kind (heading is KINDS[0], "odd" is none), level, link chars, tag (h2 is
    # OWNER_TAGS[5], custom-tag is tag.other: len(OWNER_TAGS) = 25)
    assert len(features.OWNER_TAGS) == 25
    assert table.tolist() == [[1, 0, 2, 0, 5], [2, -1, 0, 8, 25]]
    assert texts == ["Title", "See more"]


@pytest.mark.parametrize("block, error", [
    (Block("x", "paragraph", 3, (), 0), "owner is out of range"),
    (Block("x", "paragraph", -1, (), 0), "owner is out of range"),
    (Block("x", "paragraph", "0", (), 0), "owner must be an int"),
    (Block("x", "paragraph", 0, (), 2**70), "link_chars must be an int"),
    (Block(b"x", "paragraph", 0, (), 0), "text must be a str"),
    (Block("x", ["paragraph"], 0, (), 0), "unhashable"),
])
def test_block_table_refuses_malformed_blocks(block, error):
    out = np.zeros((1, 5), dtype=np.int64)
    with pytest.raises((ValueError, TypeError), match=error):
        frames_c.block_table([block], {"paragraph": 1}, ["div", "p", "li"], {"p": 0}, 3, out)


def test_block_table_refuses_an_output_of_the_wrong_shape():
    with pytest.raises(ValueError, match="block_table: out"):
        frames_c.block_table([Block("x", "paragraph", 0, (), 0)], {}, ["div"], {}, 1,
                             np.zeros((1, 4), dtype=np.int64))


def test_box_cues_mark_every_block_of_a_container_that_holds_the_cue():
    cues = np.zeros((4, len(features.TEXT_CUES)), dtype=np.float32)
    cues[0, features._CUE_INDEX["appeal"]] = 1.0  # an appeal in container 5
    cues[3, features._CUE_INDEX["signup"]] = 1.0  # a sign-up form in container 9
    out = features._box_cues(cues, np.array([5, 5, 7, 9]), n_frames=10)
    assert features.BOX_CUES == ("appeal", "signup")
    assert out.tolist() == [[1, 0], [1, 0], [0, 0], [0, 1]]
