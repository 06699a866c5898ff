"""Counts over a page's block texts, for the features' text.* and title.* columns.

In C (_textscan.c) where the extension is built, else with numpy and re: the same
numbers either way (tests/test_feature_scans.py compares them).
"""

from __future__ import annotations

import re

import numpy as np

try:  # built by pip install where a C compiler is at hand
    from . import _textscan
except ImportError:  # no compiler at install time: numpy and re serve
    _textscan = None

_PUNCT = re.compile(r"[.,;:!?]")
_DIGIT = re.compile(r"\d")
_UPPER = re.compile(r"[A-Z]")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]?(?:\s|$)")
WORD = re.compile(r"\w+")  # the words of word_overlap (and of the benchmark's metric)


# Character classes counted by _python_text_counts, as bit flags per character.
_IS_PUNCT, _IS_DIGIT, _IS_UPPER, _IS_CAP, _IS_SPACE = 1, 2, 4, 8, 16
# Joins the texts for _python_text_counts: whitespace (so it ends a word, and ends a sentence
# as the end of a text does) and in none of the counted classes.
_STATS_SEPARATOR = "\n"
_SENTENCE_CLOSERS = ".!?\"”’)"


def _char_flags(ch: str) -> int:
    """The classes ``ch`` is in: _PUNCT, _DIGIT, _UPPER (the regexes), isupper, isspace."""
    return ((_IS_PUNCT if _PUNCT.match(ch) else 0) | (_IS_DIGIT if _DIGIT.match(ch) else 0)
            | (_IS_UPPER if _UPPER.match(ch) else 0) | (_IS_CAP if ch.isupper() else 0)
            | (_IS_SPACE if ch.isspace() else 0))


_ASCII_FLAGS = np.array([_char_flags(chr(c)) for c in range(128)], dtype=np.uint8)


def _flags(codes: np.ndarray) -> np.ndarray:
    """_char_flags of every character, from the characters' code points."""
    flags = _ASCII_FLAGS[np.minimum(codes, 127)]
    wide = codes > 127
    if wide.any():
        unique, inverse = np.unique(codes[wide], return_inverse=True)
        flags[wide] = np.array([_char_flags(chr(c)) for c in unique.tolist()],
                               dtype=np.uint8)[inverse]
    return flags


def _per_text(mask: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """How many of each text's characters (``starts``..``ends``) ``mask`` holds."""
    total = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
    return total[ends] - total[starts]


# What text_counts gives per text, in its column order.
TEXT_COUNTS = ("chars", "words", "caps", "punct", "digits", "upper", "newlines",
               "sentences", "ends_sentence")


def _python_text_counts(texts: list[str]) -> np.ndarray:
    """TEXT_COUNTS of each text, counted over all the texts at once with numpy."""
    joined = _STATS_SEPARATOR.join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    chars = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.cumsum(chars + 1) - (chars + 1)
    ends = starts + chars
    flags = _flags(codes)
    space = (flags & _IS_SPACE) != 0
    word_start = ~space & np.concatenate([[True], space[:-1]])  # str.split's words
    sentence_at = np.array([m.start() for m in _SENTENCE_END.finditer(joined)], dtype=np.int64)
    return np.column_stack([
        chars,
        _per_text(word_start, starts, ends),
        _per_text(word_start & ((flags & _IS_CAP) != 0), starts, ends),
        _per_text((flags & _IS_PUNCT) != 0, starts, ends),
        _per_text((flags & _IS_DIGIT) != 0, starts, ends),
        _per_text((flags & _IS_UPPER) != 0, starts, ends),
        _per_text(codes == ord("\n"), starts, ends),
        np.bincount(np.searchsorted(starts, sentence_at, side="right") - 1,
                    minlength=len(texts)),
        np.array([t[-1:] in _SENTENCE_CLOSERS and t != "" for t in texts], dtype=np.int64),
    ])


def text_counts(texts: list[str]) -> np.ndarray:
    """(texts, TEXT_COUNTS) int64: per text, its characters, words (as str.split finds
    them), capitalized words (str.isupper), punctuation [.,;:!?], digits (re's \\d),
    ASCII capitals, line breaks, sentence ends ([.!?], a closing quote or bracket, then
    white space or the end), and whether it ends like a sentence (1 or 0)."""
    if _textscan is None:
        return _python_text_counts(texts)
    out = np.empty((len(texts), len(TEXT_COUNTS)), dtype=np.int64)
    _textscan.text_counts(texts, out)
    return out


def word_overlap(texts: list[str], words: list[str]) -> np.ndarray:
    """Per text: its lower-cased \\w+ words, how many are in ``words``, and how many
    distinct ones of ``words`` it holds ((texts, 3) int64; in C where it is built)."""
    if _textscan is not None and len(words) <= WORDS_IN_C:
        out = np.empty((len(texts), 3), dtype=np.int64)
        _textscan.word_overlap(texts, words, out)
        return out
    return _python_word_overlap(texts, words)


def _python_word_overlap(texts: list[str], words: list[str]) -> np.ndarray:
    """word_overlap with re and sets."""
    wanted = set(words)
    rows = []
    for text in texts:
        tokens = WORD.findall(text.lower())
        found = [t for t in tokens if t in wanted]
        rows.append((len(tokens), len(found), len(wanted.intersection(found))))
    return np.array(rows, dtype=np.int64).reshape(len(texts), 3)


# _textscan.word_overlap tells at most this many words apart (bits of a uint64).
WORDS_IN_C = 64
