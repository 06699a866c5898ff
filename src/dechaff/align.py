"""Clean text to block labels: align the gold text with the page's blocks.

The alignment is on word *sequences*, not bags of words. The page's words (block
by block, in order) and the gold text's words are matched with an order-keeping
longest-common-run alignment (difflib), so a menu entry "Home" or "News" counts as
matched only where the gold text has it at that point, between the runs around
it, not wherever the word happens to occur in the article.
"""

from __future__ import annotations

from difflib import SequenceMatcher

import numpy as np

from .blocks import Block
from .metrics import words

# A matched run shorter than this many words counts only if it covers a whole block:
# single common words matched in passing are noise, a one-word heading is not.
MIN_RUN = 3
# A block is content when at least this share of its words is matched.
MIN_MATCHED_SHARE = 0.5


def _ids(tokens: list[str], vocabulary: dict[str, int]) -> list[int]:
    return [vocabulary.setdefault(t, len(vocabulary)) for t in tokens]


def matched_shares(blocks: list[Block], gold_text: str) -> np.ndarray:
    """For each block, the share of its words that align with the gold text."""
    block_tokens = [words(b.text) for b in blocks]
    bounds = np.cumsum([0] + [len(t) for t in block_tokens])
    vocabulary: dict[str, int] = {}
    page = _ids([t for tokens in block_tokens for t in tokens], vocabulary)
    gold = _ids(words(gold_text), vocabulary)
    matched = np.zeros(len(page) + 1, dtype=np.int32)
    matcher = SequenceMatcher(None, page, gold, autojunk=False)
    for start, _, size in matcher.get_matching_blocks():
        if size == 0:
            continue
        if size < MIN_RUN:
            first = np.searchsorted(bounds, start, side="right") - 1
            whole_block = bounds[first] == start and bounds[first + 1] == start + size
            if not whole_block:
                continue
        matched[start : start + size] = 1
    cumulative = np.concatenate([[0], np.cumsum(matched[:-1])])
    counts = np.diff(bounds)
    hits = cumulative[bounds[1:]] - cumulative[bounds[:-1]]
    return np.divide(hits, counts, out=np.zeros(len(blocks)), where=counts > 0)


def align_labels(blocks: list[Block], gold_text: str) -> np.ndarray:
    """1 for blocks whose words mostly align with the gold text, else 0."""
    return (matched_shares(blocks, gold_text) >= MIN_MATCHED_SHARE).astype(np.int8)


def marked_labels(blocks: list[Block]) -> np.ndarray:
    """1 for blocks whose text lies mostly inside data-dechaff="content" elements."""
    return np.array(
        [b.marked_chars * 2 >= max(len(b.text), 1) for b in blocks], dtype=np.int8
    )
