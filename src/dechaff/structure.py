"""The element tree's structure, for the features: each frame's class bits folded in
from its ancestors, every block's chain of ancestors, and ids shared by repeated and
by alike elements.

In C (_frames.c) where the extension is built, else with numpy and dicts: the same
numbers either way (tests/test_feature_scans.py compares them).
"""

from __future__ import annotations

import numpy as np

from .blocks import Frames

try:  # built by pip install where a C compiler is at hand
    from . import _frames
except ImportError:  # no compiler at install time: numpy and dicts serve
    _frames = None


def ancestor_or(own: np.ndarray, parents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: its bits OR'd with every ancestor's, and its depth (the root is 1).

    In C, one pass in document order (a frame's parent comes before it, as blockify
    records frames); else, or if the frames are not in that order, _ancestor_or_jumping.
    """
    parents = np.ascontiguousarray(parents, dtype=np.int64)
    if _frames is not None:
        own = np.ascontiguousarray(own, dtype=np.uint64)
        bits, depth = np.empty_like(own), np.empty(len(parents), dtype=np.int64)
        if _frames.ancestor_or(own, parents, bits, depth):
            return bits, depth
    return _ancestor_or_jumping(own, parents)


def _ancestor_or_jumping(own: np.ndarray, parents: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
    """ancestor_or by pointer jumping, for frames in any order.

    After step k each frame has folded in its 2**k nearest frames up the chain (itself
    included) and points at the ancestor 2**k up, so a page of any depth takes
    log2(depth) whole-array steps.
    """
    bits = own.copy()
    depth = np.ones(len(parents), dtype=np.int64)
    up = np.asarray(parents, dtype=np.int64).copy()
    walking = np.flatnonzero(up >= 0)
    while len(walking):
        above = up[walking]
        bits[walking] |= bits[above]
        depth[walking] += depth[above]
        up[walking] = up[above]
        walking = walking[up[walking] >= 0]
    return bits, depth


def chains(owners: np.ndarray, parents: np.ndarray, depth: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (block, frame on its ancestor chain, distance up from the owner), ordered
    by block, then nearest first: the order in which a loop over blocks would visit.
    ``depth``: each frame's depth (the root is 1), so a chain's length.

    Sums per frame over these pairs (np.bincount adds in input order) therefore add
    the same numbers in the same order as that loop: the same bits.
    """
    if _frames is not None:
        total = int(depth[owners].sum())
        block, frame, level = (np.empty(total, dtype=np.int64) for _ in range(3))
        if _frames.chains(owners, parents, block, frame, level):
            return block, frame, level
    return _chains_by_level(owners, parents)


def _chains_by_level(owners: np.ndarray, parents: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """chains a level at a time for all blocks, then sorted by block."""
    block = np.arange(len(owners))
    frame = np.asarray(owners, dtype=np.int64)
    levels, blocks, frames = [], [], []
    level = 0
    while len(frame):
        blocks.append(block)
        frames.append(frame)
        levels.append(np.full(len(frame), level))
        up = parents[frame]
        keep = up >= 0
        block, frame, level = block[keep], up[keep], level + 1
    block, frame, level = (np.concatenate(blocks), np.concatenate(frames),
                           np.concatenate(levels))
    order = np.argsort(block, kind="stable")
    return block[order], frame[order], level[order]


def signature_ids(frames: Frames, parents: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str]]]:
    """Per frame: an id for (parent, tag, attributes), shared by repeated siblings, and
    one for (tag, attributes), shared by elements styled alike anywhere; and those
    (tag, attributes) pairs, in the order of their ids. ``parents``: frames.parents as
    int64. Ids are numbered in order of first appearance, in C or in Python."""
    if _frames is not None:
        sib = np.empty(len(parents), dtype=np.int64)
        style = np.empty(len(parents), dtype=np.int64)
        styles = _frames.signature_ids(parents, frames.tags, frames.attrs, sib, style)
        return sib, style, styles
    siblings: dict = {}
    alike: dict = {}
    sib = [siblings.setdefault(key, len(siblings))
           for key in zip(frames.parents, frames.tags, frames.attrs)]
    style = [alike.setdefault(key, len(alike)) for key in zip(frames.tags, frames.attrs)]
    return np.array(sib, dtype=np.int64), np.array(style, dtype=np.int64), list(alike)
