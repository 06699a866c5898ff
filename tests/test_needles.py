"""The case-insensitive prefilter of features._cues: it may let a text through that
does not match, but never stops one that does."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dechaff import features as features_module
from dechaff import needles as needles_module
from dechaff.features import (
    _CUE_PATTERNS,
    _CUE_SEPARATOR,
    _cues,
    _cues_one_by_one,
    _lowercase_cues,
    _searched_cues,
)
from dechaff.needles import CaselessFinder, lowercase_pattern

# Pieces of cue phrases, in odd cases, and characters that re matches
# case-insensitively to ASCII letters without lower-casing to them (ſ, K sign, İ...).
PIECES = ["Cookie", "COOKIES", "conſent", "SIGN-UP", "sign up", "Newsletter", "© 2026",
          "Log In", "ſhare", "\u212aeep", "İ", "ß", "Read More", "$12.00", "12 €", "EUR",
          "Jan. 3", "12:30", "By ", "donate", "Patreon", " ", "\n", "x", "the",
          "£5", "¥ 300", "₹9", "9 usd", "Gbp", "3"]


def matches(pattern: re.Pattern, texts: list[str]) -> np.ndarray:
    return np.array([pattern.search(t) is not None for t in texts])


def test_the_filter_never_drops_a_text_that_matches():
    rng = random.Random(0)
    for _ in range(300):
        texts = ["".join(rng.choices(PIECES, k=rng.randint(1, 6))) for _ in range(8)]
        finder = CaselessFinder(texts, _CUE_SEPARATOR)
        for name, pattern in _CUE_PATTERNS.items():
            hit = matches(pattern, texts)
            assert not (hit & ~finder.containing(pattern)).any(), (name, texts)


def test_the_filter_drops_texts_without_the_cues_words():
    texts = ["We use cookies on this site.", "The river rose overnight.", "Sign up today"]
    finder = CaselessFinder(texts, _CUE_SEPARATOR)
    assert finder.containing(_CUE_PATTERNS["cookie"]).tolist() == [True, False, False]
    assert finder.containing(_CUE_PATTERNS["signup"]).tolist() == [False, False, True]


def test_a_class_of_characters_gives_needles():
    texts = ["Now $12.00", "12 € each", "100 USD", "Price on request", "12 items"]
    finder = CaselessFinder(texts, _CUE_SEPARATOR)
    assert finder.containing(_CUE_PATTERNS["price"]).tolist() == [True, True, True, False,
                                                                 False]


# The search in C (_textscan) and the one in Python (str.find) mark the same texts.

try:
    from dechaff import _textscan
except ImportError:
    _textscan = None
needs_textscan = pytest.mark.skipif(
    _textscan is None, reason="dechaff._textscan is not built (no C compiler)")


def _marks(texts: list[str], separator: str, needles: tuple[str, ...],
           monkeypatch, scanner) -> list[bool]:
    monkeypatch.setattr(needles_module, "_textscan", scanner)
    monkeypatch.setattr(needles_module, "_pattern_needles", lambda pattern: (needles, frozenset()))
    return CaselessFinder(texts, separator).containing(re.compile("x", re.I)).tolist()


@needs_textscan
@settings(max_examples=300, deadline=None)
@example(texts=["", ""], needles=["€"], separator="€")  # a needle that is the separator
@given(st.lists(st.text(alphabet="abAB é€漢\x00-", max_size=12), min_size=1, max_size=6),
       st.lists(st.text(alphabet="ab é€漢-", min_size=1, max_size=3), min_size=1, max_size=3),
       st.sampled_from(["\x00", "|", "€"]))
def test_the_c_search_marks_what_str_find_marks(texts, needles, separator):
    with pytest.MonkeyPatch.context() as monkeypatch:
        in_c = _marks(texts, separator, tuple(needles), monkeypatch, _textscan)
    with pytest.MonkeyPatch.context() as monkeypatch:
        in_python = _marks(texts, separator, tuple(needles), monkeypatch, None)
    assert in_c == in_python
    lowered = [t.lower() for t in texts]
    # Without the separator in a text or a needle, exactly the texts that hold one (a
    # needle holding the separator may match across texts: a filter may say too much).
    if not any(separator in t for t in [*texts, *needles]):
        assert in_c == [any(n in t for n in needles) for t in lowered]


@needs_textscan
def test_a_needle_across_two_texts_is_in_neither():
    marks = np.zeros(2, dtype=np.uint64)
    automaton = _textscan.build_needles([b"b\x00c", b"cd"])
    _textscan.mark_needles(b"ab\x00cd", np.array([2, 5]), automaton, marks)
    assert marks.tolist() == [0, 0b10]


@needs_textscan
def test_the_automaton_finds_overlapping_and_nested_needles():
    # the textbook example: "ushers" holds "she", "he" and "hers", not "his"
    automaton = _textscan.build_needles([b"he", b"she", b"his", b"hers"])
    marks = np.zeros(3, dtype=np.uint64)
    _textscan.mark_needles(b"ushers\x00hi\x00this", np.array([6, 9, 14]), automaton, marks)
    assert marks.tolist() == [0b1011, 0, 0b100]


@needs_textscan
def test_every_text_holds_the_empty_needle(monkeypatch):
    texts = ["ab", "", "c"]
    assert _marks(texts, "\x00", ("",), monkeypatch, _textscan) == [True, True, True]
    assert _marks(texts, "\x00", ("",), monkeypatch, None) == [True, True, True]


@needs_textscan
@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="abcdefgh é", max_size=30), min_size=1, max_size=6),
       st.sets(st.text(alphabet="abcdefgh é", min_size=1, max_size=3), min_size=60,
               max_size=150))
def test_more_needles_than_one_pass_takes_are_all_searched(texts, needles):
    needles = tuple(sorted(needles))  # over NEEDLES_PER_PASS: two or three automata
    with pytest.MonkeyPatch.context() as monkeypatch:
        in_c = _marks(texts, "\x00", needles, monkeypatch, _textscan)
    assert in_c == [any(n in t.lower() for n in needles) for t in texts]


def test_each_pattern_is_filtered_as_on_its_own():
    rng = random.Random(1)
    patterns = list(_CUE_PATTERNS.values())
    for _ in range(100):
        texts = ["".join(rng.choices(PIECES, k=rng.randint(0, 6))) for _ in range(6)]
        finder = CaselessFinder(texts, _CUE_SEPARATOR)
        together = finder.containing_each(patterns)
        alone = np.column_stack([CaselessFinder(texts, _CUE_SEPARATOR).containing(p)
                                 for p in patterns])
        assert (together == alone).all(), texts


@needs_textscan
@pytest.mark.parametrize("ends, out", [
    (np.array([2, 5], dtype=np.int32), np.zeros(2, dtype=np.uint64)),  # not int64
    (np.array([2, 5]), np.zeros(3, dtype=np.uint64)),  # one mark too many
    (np.array([2, 5]), np.zeros(2, dtype=np.int64)),  # signed marks
    (np.array([4, 2]), np.zeros(2, dtype=np.uint64)),  # out of order
    (np.array([2, 9]), np.zeros(2, dtype=np.uint64)),  # past the end
])
def test_bad_arguments_are_value_errors(ends, out):
    with pytest.raises(ValueError):
        _textscan.mark_needles(b"ab\x00cd", ends, _textscan.build_needles([b"a"]), out)


@needs_textscan
def test_bad_automata_and_needles_are_refused():
    marks = np.zeros(1, dtype=np.uint64)
    with pytest.raises(ValueError, match="not an automaton"):
        _textscan.mark_needles(b"ab", np.array([2]), b"\x01\x00\x00\x00junk", marks)
    forged = bytearray(_textscan.build_needles([b"a"]))
    forged[8:12] = (10**6).to_bytes(4, "little")  # state 0's move on byte 0: far away
    with pytest.raises(ValueError, match="corrupt"):
        _textscan.mark_needles(b"\x00", np.array([1]), bytes(forged), marks)
    with pytest.raises(ValueError, match="at most 64"):
        _textscan.build_needles([b"x"] * 65)
    with pytest.raises(TypeError):
        _textscan.build_needles(["x"])


# --- the cues on lower-cased text (needles.lowercase_pattern, features._cues) ---

def test_cues_on_lowered_text_match_the_caseless_search_text_by_text():
    rng = random.Random(2)
    pieces = PIECES + ["ΟΔΟΣ ", "σ", "ı", "Jan 4", "2026-11-29", "3 days AGO", "Sign In"]
    for _ in range(300):
        texts = ["".join(rng.choices(pieces, k=rng.randint(0, 6)))
                 for _ in range(rng.randint(0, 8))]
        assert (_searched_cues(texts) == _cues_one_by_one(texts)).all(), texts
        assert (_cues(texts) == _cues_one_by_one(texts)).all(), texts  # the automaton


def test_ordinary_text_takes_the_lowercase_path_and_unsafe_text_does_not(monkeypatch):
    assert _lowercase_cues() is not None  # every cue qualifies
    searched = []
    real_hits = features_module._cue_hits

    def recording(texts, eligible, pattern):
        searched.append((texts, pattern.flags & re.IGNORECASE))
        return real_hits(texts, eligible, pattern)

    monkeypatch.setattr(features_module, "_cue_hits", recording)
    for texts, lowered in [(["Share this", "Jan 4"], True),
                           (["Share this", "ſhare"], False),  # ſ matches s, lowers to ſ
                           (["Share this", "İstanbul"], False),  # lowers to two characters
                           (["Share this", "bı"], False)]:  # ı matches i, lowers to ı
        searched.clear()
        _searched_cues(texts)
        assert searched, texts
        for seen, caseless in searched:
            assert seen == ([t.lower() for t in texts] if lowered else texts), texts
            assert bool(caseless) != lowered, texts


@pytest.mark.parametrize("source, flags", [
    ("Cookie", re.I),  # an upper-case literal
    ("[A-Z]x", re.I),  # an upper-case class
    (r"(a)\1", re.I),  # a backreference
    ("cookie", 0),  # not case-insensitive to begin with
])
def test_patterns_that_do_not_qualify_for_the_lowercase_form(source, flags):
    assert lowercase_pattern(re.compile(source, flags)) is None


def test_the_lowercase_form_drops_only_ignorecase():
    sensitive, unsafe = lowercase_pattern(re.compile(r"\bsign[ -]?up\b|©", re.I))
    assert sensitive.pattern == r"\bsign[ -]?up\b|©" and not sensitive.flags & re.I
    assert {"ſ", "ı"} <= unsafe


def test_word_digit_and_space_classes_do_not_change_under_lowercasing():
    # lowercase_pattern's premise: \w, \d and \s hold a character iff they hold its
    # lower case (for characters that lower-case to one character).
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    single = "".join(ch for ch in every if len(ch.lower()) == 1)
    for category in (r"\w", r"\d", r"\s"):
        held = re.sub(f"[^{category}]", "", single)
        assert held.lower() == re.sub(f"[^{category}]", "", single.lower()), category
