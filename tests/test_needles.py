"""The case-insensitive prefilter of features._cues: it may let a text through that
does not match, but never stops one that does."""

from __future__ import annotations

import random
import re

import numpy as np

from dechaff.features import _CUE_PATTERNS, _CUE_SEPARATOR
from dechaff.needles import CaselessFinder

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
