"""A block's own words as evidence: hashed word n-grams and a linear model over them.

The text cues (features.TEXT_CUES) are phrases written by hand; the lexicon learns
which words and word pairs mark chrome or content from the labeled blocks themselves
("1 like", "reply", "posted in", "all rights", "add to cart" against running prose).
Each block's text (its first MAX_CHARS characters, lower-cased, runs of digits read as
one "0") is cut into tokens, a run of word characters or one other non-space
character, and its tokens and the pairs of neighbouring tokens (with the block's start
and end as tokens) are hashed into 2**BITS slots. A logistic regression over those
slots gives the block a score, which the first pass reads as one more feature.
"""

from __future__ import annotations

import re

import numpy as np

# Characters of a block read: a block's opening says what it is; the rest of a long
# paragraph adds words, not evidence.
MAX_CHARS = 300
BITS = 18  # 2**18 slots: few collisions among the n-grams of some 1,500 pages
_TOKEN = re.compile(r"\w+|[^\w\s]")
_DIGITS = re.compile(r"\d+")

# FNV-1a (32 bits) over a token's code points, then a finalizer that mixes the high
# bits into the low ones the slot is taken from; a pair hashes its two tokens' hashes.
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_PAIR_OFFSET = 0x9E3779B9
_START, _END = 0x00000001, 0x00000002
_MASK32 = 0xFFFFFFFF


def _fnv(values) -> int:
    h = _FNV_OFFSET
    for value in values:
        h = ((h ^ value) * _FNV_PRIME) & _MASK32
    return h


def _finish(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK32
    h ^= h >> 13
    return h


def tokens(text: str) -> list[str]:
    """The tokens the lexicon reads of a block's text."""
    return [_DIGITS.sub("0", t) for t in _TOKEN.findall(text[:MAX_CHARS].lower())]


def ngram_slots(text: str, bits: int = BITS) -> list[int]:
    """The slots of a text's tokens and token pairs (the reference for the C scan).

    Unigrams first, in order, then the pairs, starting with (start, first token) and
    ending with (last token, end).
    """
    hashes = [_fnv(map(ord, t)) for t in tokens(text)]
    mask = (1 << bits) - 1
    chain = [_START, *hashes, _END]
    pairs = [_fnv((_PAIR_OFFSET, a, b)) for a, b in zip(chain, chain[1:])]
    return [_finish(h) & mask for h in hashes + pairs]


try:
    from . import _textscan
except ImportError:  # no C compiler at install: the reference above, in Python
    _textscan = None

LEXICON_NAMES = ("lex.score",)  # the column the first pass reads


def slots_of(texts: list[str], bits: int = BITS) -> tuple[np.ndarray, np.ndarray]:
    """Per text, how many slots it has (int64), and all of them in order (int32)."""
    if _textscan is not None:
        counts, slots = _textscan.ngram_slots(list(texts), MAX_CHARS, bits)
        return np.frombuffer(counts, dtype=np.int64), np.frombuffer(slots, dtype=np.int32)
    rows = [ngram_slots(t, bits) for t in texts]
    counts = np.array([len(r) for r in rows], dtype=np.int64)
    slots = np.fromiter((s for r in rows for s in r), dtype=np.int32, count=int(counts.sum()))
    return counts, slots


def slot_matrix(texts: list[str], bits: int = BITS):
    """A sparse (texts, 2**bits) matrix of each text's n-grams (scipy CSR), each row
    scaled by one over the square root of its n-grams (as Lexicon.score scales)."""
    from scipy.sparse import csr_matrix

    counts, slots = slots_of(texts, bits)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    data = np.repeat(1.0 / np.sqrt(np.maximum(counts, 1)), counts)
    matrix = csr_matrix((data, slots.astype(np.int64), indptr), shape=(len(texts), 1 << bits))
    matrix.sum_duplicates()
    return matrix


class Lexicon:
    """A logistic regression over blocks' hashed n-grams: ``score`` is its log-odds of
    content, which the first pass reads as the feature ``lex.score``.

    Configuration in ``__init__`` (``C``, the inverse of the L2 penalty), learning in
    ``fit``; ``coef_`` (float32, one weight per slot) and ``intercept_`` are what a
    model file keeps.
    """

    def __init__(self, C: float = 1.0, bits: int = BITS) -> None:
        self.C = C
        self.bits = bits

    def fit(self, texts: list[str], y: np.ndarray) -> Lexicon:
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(y)
        if len(np.unique(y)) != 2:
            raise ValueError("a lexicon needs blocks of both classes, content and chrome")
        model = LogisticRegression(C=self.C, solver="liblinear", max_iter=200, random_state=0)
        model.fit(slot_matrix(texts, self.bits), y)
        self.coef_ = model.coef_.ravel().astype(np.float32)
        self.intercept_ = float(model.intercept_[0])
        return self

    def score(self, texts: list[str]) -> np.ndarray:
        """Each text's log-odds of content (float32)."""
        counts, slots = slots_of(texts, self.bits)
        rows = np.repeat(np.arange(len(counts)), counts)
        sums = np.bincount(rows, weights=self.coef_[slots], minlength=len(counts))
        return (sums / np.sqrt(np.maximum(counts, 1)) + self.intercept_).astype(np.float32)

    def get_params(self) -> dict:
        return {"C": self.C, "bits": self.bits, "max_chars": MAX_CHARS}

    def __repr__(self) -> str:
        return f"Lexicon(C={self.C}, bits={self.bits})"
