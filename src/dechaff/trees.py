"""Fitted boosted trees as plain arrays: saved without pickle, scored in C.

The C scorer (_treescore.c) is built at install when a compiler is at hand; without
it, scikit-learn's compiled predictors score the same arrays, or else a numpy walk.

A model file holds only numbers (an .npz read with ``allow_pickle=False``) and its
JSON manifest, so loading one cannot run code, and it does not depend on how a
scikit-learn version pickles its estimators.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

try:  # the C scorer, built at install when a compiler is at hand (setup.py)
    from . import _treescore
except ImportError:  # then scikit-learn's compiled predictors serve (see _compile)
    _treescore = None

# scikit-learn's decision tree marks: a leaf's children, and its feature and threshold.
_TREE_LEAF = -1
_LEAF_FEATURE = -2
# The node fields that prediction needs, from scikit-learn's predictor records.
NODE_FIELDS = ("value", "feature_idx", "num_threshold", "missing_go_to_left", "left",
               "right", "is_leaf")
# The C scorer's node record (struct Node in _treescore.c), field for field, each
# with the node field it is copied from.
PACKED_FIELDS = (("threshold", "f8", "num_threshold"), ("value", "f8", "value"),
                 ("feature", "i4", "feature_idx"), ("left", "i4", "left"),
                 ("right", "i4", "right"), ("is_leaf", "u1", "is_leaf"),
                 ("missing_left", "u1", "missing_go_to_left"))
PACKED_NODE = np.dtype([(name, kind) for name, kind, _ in PACKED_FIELDS], align=True)
# Where the packed records start: a cache line, so that no record straddles two.
PACKED_ALIGNMENT = 64
# Leaves per tree the bit-vector scorer handles (one bit each in a 32-bit word), and
# trees per pass (numbered in 16 bits).
MAX_BIT_LEAVES = 32
MAX_BIT_TREES = 2**16


@dataclass(slots=True)
class TreeEnsemble:
    """Binary gradient-boosted trees: P(class 1) = sigmoid(baseline + sum of leaves).

    ``nodes`` maps each of NODE_FIELDS to one array over all trees' nodes; child
    indices are global (already offset), and ``roots`` holds each tree's root.
    """

    baseline: float
    roots: np.ndarray
    nodes: dict[str, np.ndarray]
    n_features: int
    # Each node's split gain, from scikit-learn at fit time; not saved (prediction does
    # not need it), so None for a loaded model. The training report reads it.
    gain: np.ndarray | None = field(default=None, repr=False)
    _compiled: list | None = field(default=None, repr=False)  # see _compile()
    _staged: object = field(default=None, repr=False)  # see _stage()
    _packed: np.ndarray | None = field(default=None, repr=False)  # see _pack()
    _bit_tables: tuple | None = field(default=None, repr=False)  # see _bits()

    @classmethod
    def from_sklearn(cls, estimator) -> TreeEnsemble:
        """Take the trees out of a fitted binary HistGradientBoostingClassifier."""
        if estimator.n_trees_per_iteration_ != 1:
            raise ValueError("only binary classifiers are supported")
        parts = {name: [] for name in NODE_FIELDS}
        roots, gains, offset = [], [], 0
        for (predictor,) in estimator._predictors:
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                raise ValueError("categorical splits are not supported")
            roots.append(offset)
            if "gain" in nodes.dtype.names:
                gains.append(nodes["gain"])
            for name in NODE_FIELDS:
                column = nodes[name]
                if name in ("left", "right"):
                    column = column.astype(np.int64) + offset
                parts[name].append(column)
            offset += len(nodes)
        return cls(
            baseline=float(np.ravel(estimator._baseline_prediction)[0]),
            roots=np.array(roots, dtype=np.int64),
            nodes={name: np.concatenate(parts[name]) for name in NODE_FIELDS},
            n_features=int(estimator.n_features_in_),
            gain=np.concatenate(gains) if len(gains) == len(roots) and gains else None,
        )

    def _compile(self) -> list | bool:
        """scikit-learn's own compiled tree predictors, rebuilt from the arrays.

        They are several times faster than walking the trees in numpy, but private
        API: they are used only if they exist and agree with the numpy walk on a
        probe; otherwise (False) the numpy walk serves.
        """
        if self._compiled is not None:
            return self._compiled
        self._compiled = False
        try:
            from sklearn.ensemble._hist_gradient_boosting._predictor import (
                _predict_from_raw_data,
            )
            from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
            from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

            bounds = [*self.roots.tolist(), len(self.nodes["value"])]
            empty = np.zeros((0, 8), dtype=np.uint32)
            predictors = []
            for start, end in zip(bounds, bounds[1:]):
                record = np.zeros(end - start, dtype=PREDICTOR_RECORD_DTYPE)
                for name in NODE_FIELDS:
                    column = self.nodes[name][start:end]
                    record[name] = column - start if name in ("left", "right") else column
                record["left"][record["is_leaf"] == 1] = 0
                record["right"][record["is_leaf"] == 1] = 0
                predictors.append(TreePredictor(record, empty, empty))
            # The predictors' own predict() allocates its output on each call; with
            # 300 trees per pass that is most of the cost for a page, so the compiled
            # function is called directly, into one buffer (the same arithmetic).
            calls = [(p.nodes, p.raw_left_cat_bitsets) for p in predictors]
            compiled = (calls, _predict_from_raw_data, empty,
                        np.zeros(self.n_features, dtype=np.uint32))
            probe = np.random.default_rng(0).normal(size=(64, self.n_features))
            probe[::7, ::3] = np.nan
            if np.allclose(self._compiled_scores(compiled, probe), self._walk(probe)):
                self._compiled = compiled
        except Exception:  # any change in those internals: keep the numpy walk
            self._compiled = False
        return self._compiled

    def _compiled_scores(self, compiled, X: np.ndarray) -> np.ndarray:
        calls, predict, bitsets, index_map = compiled
        X = np.ascontiguousarray(X, dtype=np.float64)
        total = np.full(len(X), self.baseline)
        out = np.empty(len(X))
        for nodes, left_bitsets in calls:
            predict(nodes, X, left_bitsets, bitsets, index_map, 1, out)
            total += out
        return total

    def _stage(self) -> tuple | bool:
        """The trees as scikit-learn decision trees, for one compiled call over all trees.

        scikit-learn's gradient boosting ``predict_stages`` adds every tree's leaf to
        each row in one call, in tree order: the same float64 additions as
        _compiled_scores, without 300 calls a pass. It reads float32 rows and sends NaN
        right, so it serves only float32 input without NaN. Private API too: used only
        if it exists and equals _compiled_scores bit for bit on a probe.
        """
        if self._staged is not None:
            return self._staged
        self._staged = False
        compiled = self._compile()
        if not compiled:
            return False
        try:
            from sklearn.ensemble._gradient_boosting import predict_stages

            estimators = _decision_trees(self.roots, self.nodes, self.n_features)
            staged = (estimators, predict_stages)
            probe = np.random.default_rng(0).normal(size=(64, self.n_features))
            probe = probe.astype(np.float32)
            split = ~self.nodes["is_leaf"].astype(bool)  # a row at the splits' thresholds
            probe[0, self.nodes["feature_idx"][split]] = self.nodes["num_threshold"][split]
            if np.array_equal(self._staged_scores(staged, probe),
                              self._compiled_scores(compiled, probe)):
                self._staged = staged
        except Exception:  # any change in those internals: keep the per-tree calls
            self._staged = False
        return self._staged

    def _staged_scores(self, staged, X: np.ndarray) -> np.ndarray:
        estimators, predict_stages = staged
        total = np.full((len(X), 1), self.baseline)
        predict_stages(estimators, np.ascontiguousarray(X), 1.0, total)
        return total[:, 0]

    def _pack(self) -> np.ndarray:
        """The nodes as the C scorer's records (PACKED_NODE), as aligned bytes."""
        if self._packed is None:
            n_nodes = len(self.nodes["value"])
            if n_nodes >= 2**31:
                raise ValueError(f"{n_nodes} nodes: more than the C scorer indexes")
            records = np.zeros(n_nodes, dtype=PACKED_NODE)
            for name, _, column in PACKED_FIELDS:
                records[name] = self.nodes[column]
            raw = records.view(np.uint8)
            buffer = np.empty(len(raw) + PACKED_ALIGNMENT, dtype=np.uint8)
            start = -buffer.ctypes.data % PACKED_ALIGNMENT
            self._packed = buffer[start:start + len(raw)]
            self._packed[:] = raw
        return self._packed

    def _bits(self) -> tuple | bool:
        """The trees as the bit-vector scorer's tables (score_bits in _treescore.c):
        the splits grouped by feature and sorted by threshold, as four arrays (the
        threshold rounded down to float32, the tree, the mask that clears the leaves of
        the split's left subtree, where a missing value goes); where each feature's
        splits start; and each tree's leaf values, leftmost first. False where a tree
        has more than MAX_BIT_LEAVES leaves or a pass more than MAX_BIT_TREES trees."""
        if self._bit_tables is not None:
            return self._bit_tables
        self._bit_tables = False
        nodes, n_nodes = self.nodes, len(self.nodes["value"])
        if len(self.roots) > MAX_BIT_TREES or not _is_forest(self.roots, nodes):
            return False  # the node walk serves, and reports a malformed model
        leaf = nodes["is_leaf"].astype(bool)
        left, right = nodes["left"], nodes["right"]
        bounds = [*self.roots.tolist(), n_nodes]
        leaves = np.zeros((len(self.roots), MAX_BIT_LEAVES))
        first = np.zeros(n_nodes, dtype=np.int64)  # a subtree's leftmost leaf number
        count = np.zeros(n_nodes, dtype=np.int64)  # and its number of leaves
        tree_of = np.zeros(n_nodes, dtype=np.uint16)
        for tree, (start, end) in enumerate(zip(bounds, bounds[1:])):
            tree_of[start:end] = tree
            numbered = 0
            for node in _left_first(self.roots[tree], left, right, leaf):
                if leaf[node]:
                    if numbered == MAX_BIT_LEAVES:
                        return False
                    first[node], count[node] = numbered, 1
                    leaves[tree, numbered] = nodes["value"][node]
                    numbered += 1
                else:  # after both subtrees (_left_first gives splits last)
                    first[node] = first[left[node]]
                    count[node] = count[left[node]] + count[right[node]]
        split = np.flatnonzero(~leaf)
        split = split[np.lexsort((nodes["num_threshold"][split], nodes["feature_idx"][split]))]
        below = (1 << count[left[split]]) - 1  # the left subtree's leaves, from bit 0
        masks = (~(below << first[left[split]]) & 0xFFFFFFFF).astype(np.uint32)
        features = nodes["feature_idx"][split]
        offsets = np.searchsorted(features, np.arange(self.n_features + 1)).astype(np.int64)
        self._bit_tables = (_round_down32(nodes["num_threshold"][split]), tree_of[split],
                            masks, nodes["missing_go_to_left"][split].astype(np.uint8),
                            offsets, leaves)
        return self._bit_tables

    def _c_scores(self, X: np.ndarray) -> np.ndarray:
        """The C scorer's sums: by bit vectors for float32 rows (the features' type)
        when every tree fits them, else by walking the nodes; the same either way."""
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        X = np.ascontiguousarray(X)
        total = np.full(len(X), self.baseline)
        bits = self._bits() if X.dtype == np.float32 else False
        if bits:
            _treescore.score_bits(X, *bits, total)
        else:
            _treescore.score(X, self._pack(), self.roots, total)
        return total

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """The raw score per row: the C scorer when it was built, else scikit-learn's
        compiled predictors when they check out, else the numpy walk."""
        if X.shape[1] != self.n_features:
            raise ValueError(f"X has {X.shape[1]} features, the trees expect {self.n_features}")
        if _treescore is not None:
            return self._c_scores(X)
        if X.dtype == np.float32 and len(X) and not np.isnan(X).any():
            staged = self._stage()
            if staged:
                return self._staged_scores(staged, X)
        compiled = self._compile()
        return self._compiled_scores(compiled, X) if compiled else self._walk(X)

    def _walk(self, X: np.ndarray) -> np.ndarray:
        """The raw score per row: all rows and trees walked together, level by level,
        each step only over the (row, tree) pairs not yet at a leaf."""
        n_rows, n_features = X.shape
        nodes = self.nodes
        feature, threshold = nodes["feature_idx"], nodes["num_threshold"]
        left, right, leaf = nodes["left"], nodes["right"], nodes["is_leaf"].astype(bool)
        n_trees = len(self.roots)
        flat_x = np.ascontiguousarray(X, dtype=np.float64).ravel()
        current = np.tile(self.roots, n_rows)
        row_start = np.repeat(np.arange(n_rows) * n_features, n_trees)
        walking = np.flatnonzero(~leaf[current])
        while walking.size:
            at = current[walking]
            x = flat_x[row_start[walking] + feature[at]]
            go_left = x <= threshold[at]
            missing = np.isnan(x)
            if missing.any():
                go_left[missing] = nodes["missing_go_to_left"][at[missing]].astype(bool)
            step = np.where(go_left, left[at], right[at])
            current[walking] = step
            walking = walking[~leaf[step]]
        return self.baseline + nodes["value"][current].reshape(n_rows, n_trees).sum(axis=1)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(class 0) and P(class 1) per row; no rows give a (0, 2) array."""
        if len(X) == 0:
            return np.zeros((0, 2))
        positive = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - positive, positive])

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        arrays = {f"{prefix}.{name}": values for name, values in self.nodes.items()}
        arrays[f"{prefix}.roots"] = self.roots
        arrays[f"{prefix}.baseline"] = np.array([self.baseline])
        arrays[f"{prefix}.n_features"] = np.array([self.n_features])
        return arrays

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> TreeEnsemble:
        return cls(
            baseline=float(arrays[f"{prefix}.baseline"][0]),
            roots=np.asarray(arrays[f"{prefix}.roots"], dtype=np.int64),
            nodes={name: np.asarray(arrays[f"{prefix}.{name}"]) for name in NODE_FIELDS},
            n_features=int(arrays[f"{prefix}.n_features"][0]),
        )


def _round_down32(values: np.ndarray) -> np.ndarray:
    """The largest float32 at most each value: for a float32 x, x <= t exactly when
    x <= _round_down32(t)."""
    with np.errstate(over="ignore"):  # beyond float32's range: ±inf, then stepped in
        rounded = np.asarray(values, dtype=np.float64).astype(np.float32)
    above = rounded.astype(np.float64) > values
    rounded[above] = np.nextafter(rounded[above], np.float32(-np.inf))
    return rounded


def _is_forest(roots: np.ndarray, nodes: dict[str, np.ndarray]) -> bool:
    """Whether the nodes are trees laid end to end from ``roots``: the first root is
    node 0, each split's children come after it within its tree, and every node but
    the roots is the child of exactly one split. (Numbering the leaves walks the
    trees, which must end, and give each leaf one place.)"""
    n_nodes = len(nodes["value"])
    bounds = np.append(np.asarray(roots, dtype=np.int64), n_nodes)
    if len(roots) == 0 or bounds[0] != 0 or (np.diff(bounds) <= 0).any():
        return False
    split = np.flatnonzero(~nodes["is_leaf"].astype(bool))
    tree_end = np.repeat(bounds[1:], np.diff(bounds))[split]
    children = np.concatenate([nodes["left"][split], nodes["right"][split]]).astype(np.int64)
    inside = (children > np.tile(split, 2)) & (children < np.tile(tree_end, 2))
    if not inside.all():
        return False
    parents = np.bincount(children, minlength=n_nodes)
    parents[bounds[:-1]] += 1  # a root has none: count it as having its one
    return bool((parents == 1).all())


def _left_first(root: int, left: np.ndarray, right: np.ndarray, leaf: np.ndarray):
    """The nodes of the tree under ``root``, each leaf in left-to-right order and each
    split after both its subtrees."""
    stack = [(int(root), False)]
    while stack:
        node, done = stack.pop()
        if leaf[node] or done:
            yield node
            continue
        stack += [(node, True), (int(right[node]), False), (int(left[node]), False)]


class _Stage:
    """What ``predict_stages`` reads of an estimator: its ``tree_``."""

    __slots__ = ("tree_",)

    def __init__(self, tree) -> None:
        self.tree_ = tree


def _decision_trees(roots: np.ndarray, nodes: dict[str, np.ndarray],
                    n_features: int) -> np.ndarray:
    """Each tree as a scikit-learn regression Tree (a leaf: children -1), as the
    (trees, 1) object array that ``predict_stages`` takes."""
    from sklearn.tree._tree import NODE_DTYPE, Tree

    bounds = [*roots.tolist(), len(nodes["value"])]
    estimators = np.empty((len(roots), 1), dtype=object)
    for i, (start, end) in enumerate(zip(bounds, bounds[1:])):
        leaf = nodes["is_leaf"][start:end].astype(bool)
        record = np.zeros(end - start, dtype=NODE_DTYPE)
        record["left_child"] = np.where(leaf, _TREE_LEAF, nodes["left"][start:end] - start)
        record["right_child"] = np.where(leaf, _TREE_LEAF, nodes["right"][start:end] - start)
        record["feature"] = np.where(leaf, _LEAF_FEATURE, nodes["feature_idx"][start:end])
        record["threshold"] = np.where(leaf, _LEAF_FEATURE, nodes["num_threshold"][start:end])
        values = np.asarray(nodes["value"][start:end], dtype=np.float64).reshape(-1, 1, 1)
        tree = Tree(n_features, np.ones(1, dtype=np.intp), 1)
        tree.__setstate__({"max_depth": 0, "node_count": end - start,  # depth: unused
                           "nodes": record, "values": values})
        estimators[i, 0] = _Stage(tree)
    return estimators

