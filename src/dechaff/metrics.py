"""The WCXB benchmark's metric: word-level precision, recall and F1 per page."""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Lowercase ``\\w+`` tokens, the benchmark's unit of comparison."""
    return _WORD.findall(text.lower())


class Score(NamedTuple):
    precision: float
    recall: float
    f1: float


def word_prf(extracted: str, gold: str) -> Score:
    """Multiset word overlap between an extraction and the gold text.

    Both empty counts as a perfect score; one empty and not the other as zero.
    """
    got, want = Counter(words(extracted)), Counter(words(gold))
    if not got and not want:
        return Score(1.0, 1.0, 1.0)
    if not got or not want:
        return Score(0.0, 0.0, 0.0)
    overlap = sum((got & want).values())
    precision = overlap / sum(got.values())
    recall = overlap / sum(want.values())
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return Score(precision, recall, f1)


def snippet_rate(text: str, snippets: list[str]) -> float | None:
    """Share of snippets found verbatim (whitespace-normalized) in the text; None if none."""
    if not snippets:
        return None
    haystack = " ".join(text.split())
    found = sum(" ".join(s.split()) in haystack for s in snippets)
    return found / len(snippets)
