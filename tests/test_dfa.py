"""The cue automaton (dfa.py, _textscan.scan_cues): it answers which patterns match a
text exactly as re does, and stands aside where it cannot."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dechaff import features as features_module
from dechaff.dfa import compile_patterns
from dechaff.features import (
    _CUE_LIMITS,
    TEXT_CUES,
    _cues,
    _cues_one_by_one,
    _packed_cues,
    _scanned_cues,
)

try:
    from dechaff import _textscan
except ImportError:
    _textscan = None

needs_c = pytest.mark.skipif(_textscan is None, reason="dechaff._textscan is not built")

# Pieces of the cues and their edges: word boundaries, Unicode digits and letters,
# the currency signs, the characters that lower-case oddly.
PIECES = ["cookie", "Cookies", "consent", "sign", "up", "-", " ", "in", "log", "out", "my account",
          "by", "By ", "nearby", "author", "jan", "Sept", ".", "12", "3", "\u0663", ":", "30",
          "2026-11-29", "ago", "é", "_", "©", "$", "€", "£", "usd", "eur", "\u2003", "\n",
          "donat", "become a member", "support us", "read more", "see all", "share", "tweet",
          "privacy", "terms", "comment", "reply", "advertis", "subscribe", "register", "x",
          "\u212a", "ſ", "ı", "İ", "\x00"]


def _random_text(rng: random.Random) -> str:
    return "".join(rng.choices(PIECES, k=rng.randint(0, 8)))


def _re_bits(patterns: list[re.Pattern], text: str) -> int:
    return sum(1 << i for i, p in enumerate(patterns) if p.search(text))


def test_the_automaton_finds_what_re_finds_for_every_cue():
    sources = list(TEXT_CUES.values())
    automaton = compile_patterns(sources)
    assert automaton is not None
    patterns = [re.compile(s) for s in sources]
    rng = random.Random(0)
    for _ in range(3000):
        text = _random_text(rng).lower()
        assert automaton.search(text) == _re_bits(patterns, text), repr(text)


@pytest.mark.parametrize("source, hits, misses", [
    (r"^by\b", ["by the river", "by"], ["nearby", "x by", "bye"]),
    (r"\bcookies?\b", ["cookie", "our cookies.", "(cookie)"], ["écookie", "cookie_", "cookiesx"]),
    (r"\d{1,2}:\d{2}\b", ["12:30", "\u0663:45 pm"], ["12:3", "1:234"]),
    (r"[$€]\s?\d", ["$ 5", "€\u20039"], ["$x5", "5$"]),
    (r"\Bing", ["sing"], ["ing", "an ing"]),
    (r"a[^b]c", ["axc", "a c"], ["abc", "ac"]),
    (r"x.y", ["x-y"], ["x\ny", "xy"]),
    (r"ab*c|d{2,}", ["ac", "abbbc", "dd"], ["abd", "d"]),
])
def test_anchors_boundaries_classes_and_repeats_are_those_of_re(source, hits, misses):
    automaton = compile_patterns([source])
    pattern = re.compile(source)
    for text in hits + misses:
        assert bool(pattern.search(text)) == (text in hits), (source, text)  # the example
        assert automaton.search(text) == (1 if text in hits else 0), (source, text)


@pytest.mark.parametrize("source", [
    r"cookie(?=s)",  # lookahead
    r"(a)\1",  # backreference
    r"end$",  # end anchor
    r"(?i:x)",  # inline flags
    r"(?i)cookie",  # flags for the whole pattern: case-insensitive,
    r"(?a)\w",  # ASCII-only classes,
    r"(?m)^by",  # ^ after every line break,
    r"(?s)x.y",  # . across line breaks
    r"[à-ÿ]",  # a range beyond ASCII
    r"a{1,200}",  # a repeat too long to spell out
])
def test_syntax_outside_the_subset_is_refused(source):
    assert compile_patterns([source]) is None


def test_verbose_patterns_are_compiled_as_written():
    automaton = compile_patterns([r"(?x) sign [ -]? up  # a comment"])
    assert automaton is not None
    texts = ("sign-up", "signup", "sign up", "sig nup")
    assert [automaton.search(t) for t in texts] == [1, 1, 1, 0]


def test_too_many_patterns_are_refused():
    assert compile_patterns(["a"] * 33) is None
    assert compile_patterns(["a"] * 32) is not None


@needs_c
@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=8).map("".join), max_size=10))
@example(["ABOUT COOKIES", "By Jane", "x" * 500 + " donate", "x" * 500 + " cookie"])
def test_the_c_scan_gives_the_cues_that_re_gives(texts):
    assert (_cues(texts) == _cues_one_by_one(texts)).all(), texts


@needs_c
def test_the_c_scan_is_taken_for_ordinary_text_and_refused_for_unsafe_text():
    assert _scanned_cues(["Share this", "Jan 4"]) is not None
    for odd in ("ſhare", "bı", "İstanbul"):  # re's caseless matching differs from lower()
        assert _scanned_cues(["Share this", odd]) is None, odd
    # a text too long for any cue is not read, so its characters do not matter
    assert _scanned_cues(["Share this", "ı" * 2000]) is not None


@needs_c
def test_long_texts_keep_only_the_cues_allowed_that_long():
    names = list(TEXT_CUES)
    row = _scanned_cues(["x " * 300 + "please donate, we use cookies"])[0]
    assert row[names.index("appeal")] == 1  # appeal reads up to 1,200 characters
    assert row[names.index("cookie")] == 0  # the others up to 400


@needs_c
def test_without_the_c_scan_the_cues_come_from_re(monkeypatch):
    texts = ["Cookie policy", "By Ann", "Read more"]
    expected = _cues_one_by_one(texts)
    monkeypatch.setattr(features_module, "_textscan", None)
    _packed_cues.cache_clear()
    try:
        assert _scanned_cues(texts) is None
        assert (_cues(texts) == expected).all()
    finally:
        _packed_cues.cache_clear()


@needs_c
def test_bad_automata_and_outputs_are_value_errors():
    packed, unsafe = _packed_cues()
    limits = _CUE_LIMITS
    out = np.zeros((1, len(limits)), dtype=np.float32)
    with pytest.raises(ValueError):
        _textscan.scan_cues(["x"], packed[:-4], unsafe, limits, out)
    states, _, named = np.frombuffer(packed[:12], dtype="=i4")
    first_transition = 28 + 4 * (128 + 2 * named)  # the layout of features._packed_cues
    broken = bytearray(packed)
    broken[first_transition:first_transition + 4] = np.int32(states).tobytes()  # no such state
    with pytest.raises(ValueError):
        _textscan.scan_cues(["x"], bytes(broken), unsafe, limits, out)
    with pytest.raises(ValueError, match="out float32"):
        _textscan.scan_cues(["x"], packed, unsafe, limits, out.astype(np.float64))
    with pytest.raises(ValueError, match="out float32"):
        _textscan.scan_cues(["x", "y"], packed, unsafe, limits, out)
    with pytest.raises(ValueError, match="limits must be int64"):
        _textscan.scan_cues(["x"], packed, unsafe, limits.astype(np.int32), out)
    with pytest.raises(ValueError, match="at most 32"):
        _textscan.scan_cues(["x"], packed, unsafe, np.full(33, 400),
                            np.zeros((1, 33), dtype=np.float32))
    with pytest.raises(TypeError):
        _textscan.scan_cues([b"x"], packed, unsafe, limits, out)
