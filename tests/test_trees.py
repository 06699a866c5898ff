"""The trees' scorers: the C scorer, scikit-learn's compiled predictors, the numpy walk."""

import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier

from dechaff import trees as trees_module
from dechaff.trees import NODE_FIELDS, TreeEnsemble

needs_c = pytest.mark.skipif(trees_module._treescore is None,
                             reason="the C scorer was not built (no C compiler at install)")


@pytest.fixture(scope="module")
def fitted():
    """Boosted trees fitted on rows with missing values, and rows to score."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(600, 6))
    y = (X[:, 0] + np.where(np.isnan(X[:, 1]), 1.0, X[:, 1]) > 0.3).astype(int)
    X[rng.random(X.shape) < 0.15] = np.nan
    estimator = HistGradientBoostingClassifier(max_iter=30, early_stopping=False,
                                               random_state=0).fit(X, y)
    rows = rng.normal(size=(200, 6))
    rows[rng.random(rows.shape) < 0.2] = np.nan
    return estimator, rows


def one_split(threshold: float = 0.5, missing_left: int = 1) -> TreeEnsemble:
    """One tree: feature 0 at most ``threshold`` → leaf 1.0, else leaf 2.0."""
    nodes = {
        "value": np.array([0.0, 1.0, 2.0]),
        "feature_idx": np.array([0, 0, 0], dtype=np.uint32),
        "num_threshold": np.array([threshold, 0.0, 0.0]),
        "missing_go_to_left": np.array([missing_left, 0, 0], dtype=np.uint8),
        "left": np.array([1, 0, 0], dtype=np.int64),
        "right": np.array([2, 0, 0], dtype=np.int64),
        "is_leaf": np.array([0, 1, 1], dtype=np.uint8),
    }
    return TreeEnsemble(baseline=0.25, roots=np.array([0]), nodes=nodes, n_features=1)


@needs_c
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_c_scorer_gives_scikit_learns_scores_bit_for_bit(fitted, dtype):
    estimator, rows = fitted
    trees = TreeEnsemble.from_sklearn(estimator)
    rows = rows.astype(dtype)
    assert np.array_equal(trees.decision_function(rows), estimator.decision_function(rows))


@needs_c
def test_a_row_at_the_threshold_goes_left_and_missing_values_follow_the_flag():
    rows = np.array([[0.5], [0.5000001], [-3.0], [np.nan]])
    # baseline 0.25 + leaf: left 1.0, right 2.0
    assert one_split(missing_left=1).decision_function(rows).tolist() == [1.25, 2.25, 1.25, 1.25]
    assert one_split(missing_left=0).decision_function(rows).tolist() == [1.25, 2.25, 1.25, 2.25]


@needs_c
@pytest.mark.parametrize("dtype", [np.float64, np.float32])  # node walk, bit vectors
@pytest.mark.parametrize("changes, message", [
    ({"left": 7}, "out of range"),  # a child past the last node
    ({"right": 0}, "out of range"),  # a child pointing back at its parent: a loop
    ({"left": 0, "right": 0}, "out of range"),  # both: a loop without a leaf
    ({"feature_idx": 3}, "out of range|offsets"),  # a feature the rows do not have
])
def test_malformed_trees_are_a_clear_error_not_a_crash(changes, message, dtype):
    trees = one_split()
    for field, value in changes.items():
        trees.nodes[field][0] = value
    with pytest.raises(ValueError, match=message):
        trees.decision_function(np.zeros((2, 1), dtype=dtype))


@needs_c
def test_a_leaf_shared_by_two_splits_is_scored_by_the_node_walk():
    # Not a tree (leaf 1 has two parents): no leaf numbering fits it, so the bit
    # vectors stand aside and the node walk scores it as it reads.
    trees = one_split()
    trees.nodes["right"][0] = 1
    assert trees._bits() is False
    rows = np.array([[0.0], [1.0]], dtype=np.float32)
    assert trees.decision_function(rows).tolist() == [1.25, 1.25]


@needs_c
def test_the_c_scorer_refuses_arrays_of_the_wrong_kind():
    trees = one_split()
    with pytest.raises(TypeError, match="X"):
        trees_module._treescore.score(np.zeros((2, 1), dtype=np.int32), trees._pack(),
                                      trees.roots, np.zeros(2))
    with pytest.raises(ValueError, match="one value per row"):
        trees_module._treescore.score(np.zeros((2, 1)), trees._pack(), trees.roots,
                                      np.zeros(3))


def test_integer_rows_are_scored_as_floats():
    trees = one_split()
    assert trees.decision_function(np.array([[0], [1]])).tolist() == [1.25, 2.25]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_without_the_c_scorer_scikit_learns_predictors_give_the_same_scores(
        fitted, dtype, monkeypatch):
    estimator, rows = fitted
    rows = rows.astype(dtype)
    if dtype == np.float32:  # the one-call path serves float32 rows without NaN
        rows = np.nan_to_num(rows)
    expected = estimator.decision_function(rows)
    monkeypatch.setattr(trees_module, "_treescore", None)
    trees = TreeEnsemble.from_sklearn(estimator)
    assert np.array_equal(trees.decision_function(rows), expected)
    assert np.allclose(trees._walk(rows), expected)


def test_the_packed_nodes_are_the_nodes(fitted):
    trees = TreeEnsemble.from_sklearn(fitted[0])
    packed = trees._pack().view(trees_module.PACKED_NODE)
    assert packed.ctypes.data % trees_module.PACKED_ALIGNMENT == 0
    assert len(packed) == len(trees.nodes["value"])
    for name, _, column in trees_module.PACKED_FIELDS:
        assert np.array_equal(packed[name], trees.nodes[column]), name


@pytest.mark.parametrize("c_scorer", [True, False])
def test_no_rows_give_no_probabilities_whatever_their_width(fitted, c_scorer, monkeypatch):
    # A page without blocks has a matrix of no rows, whose width nothing checks.
    if not c_scorer:
        monkeypatch.setattr(trees_module, "_treescore", None)
    trees = TreeEnsemble.from_sklearn(fitted[0])
    for width in (6, 0, 9):
        assert trees.predict_proba(np.zeros((0, width))).shape == (0, 2)


@needs_c
def test_the_packed_record_is_the_c_scorers_record():
    assert trees_module.PACKED_NODE.itemsize == trees_module._treescore.NODE_BYTES


@needs_c
def test_cleaning_a_page_does_not_import_scikit_learn():
    # scikit-learn (with SciPy) is most of the start-up time; only training needs it.
    code = ("import sys, dechaff; "
            "text = dechaff.extract('<html><body><nav><a href=\"/\">Home</a></nav>"
            "<article><p>' + 'Words here. ' * 40 + '</p><p>' + 'More words there. ' * 20 "
            "+ '</p></article></body></html>'); "
            "assert 'Words here.' in text, text; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def random_trees(seed: int, n_features: int) -> TreeEnsemble:
    """Random valid trees: each grown by splitting random leaves, children after parents
    (as scikit-learn numbers them), with random features, thresholds and missing flags."""
    rng = np.random.default_rng(seed)
    parts = {name: [] for name in NODE_FIELDS}
    roots, offset = [], 0
    for _ in range(rng.integers(1, 6)):
        nodes = [{"leaf": True}]
        for _ in range(rng.integers(0, 12)):
            leaves = [i for i, n in enumerate(nodes) if n["leaf"]]
            i = int(rng.choice(leaves))
            nodes[i] = {"leaf": False, "left": len(nodes), "right": len(nodes) + 1}
            nodes += [{"leaf": True}, {"leaf": True}]
        roots.append(offset)
        for node in nodes:
            leaf = node["leaf"]
            parts["is_leaf"].append(int(leaf))
            parts["left"].append(0 if leaf else node["left"] + offset)
            parts["right"].append(0 if leaf else node["right"] + offset)
            parts["feature_idx"].append(0 if leaf else int(rng.integers(n_features)))
            parts["num_threshold"].append(float(rng.normal()))
            parts["missing_go_to_left"].append(int(rng.integers(2)))
            parts["value"].append(float(rng.normal()) if leaf else 0.0)
        offset += len(nodes)
    dtypes = {"is_leaf": np.uint8, "missing_go_to_left": np.uint8, "left": np.int64,
              "right": np.int64, "feature_idx": np.uint32}
    return TreeEnsemble(
        baseline=float(rng.normal()), roots=np.array(roots, dtype=np.int64),
        nodes={k: np.array(v, dtype=dtypes.get(k, np.float64)) for k, v in parts.items()},
        n_features=n_features)


@needs_c
@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_features=st.integers(1, 5),
       n_rows=st.integers(0, 20), missing=st.floats(0, 1))
def test_c_scorer_agrees_with_the_numpy_walk_on_random_trees(seed, n_features, n_rows,
                                                             missing):
    trees = random_trees(seed, n_features)
    rng = np.random.default_rng(seed + 1)
    rows = rng.normal(size=(n_rows, n_features))
    rows[rng.random(rows.shape) < missing] = np.nan
    split = ~trees.nodes["is_leaf"].astype(bool)
    if n_rows and split.any():  # a row exactly at a split's threshold
        rows[0, trees.nodes["feature_idx"][split][0]] = trees.nodes["num_threshold"][split][0]
    assert np.allclose(trees.decision_function(rows), trees._walk(rows), rtol=0, atol=1e-12)


# The bit-vector scorer (score_bits in _treescore.c) against the node walk (score).

def node_walk(trees: TreeEnsemble, rows: np.ndarray) -> np.ndarray:
    total = np.full(len(rows), trees.baseline)
    trees_module._treescore.score(np.ascontiguousarray(rows), trees._pack(), trees.roots,
                                  total)
    return total


def bit_vectors(trees: TreeEnsemble, rows: np.ndarray, lanes: bool = True) -> np.ndarray:
    """score_bits' sums: eight rows at a time where the processor allows (HAS_LANES),
    or, with ``lanes`` false, one row at a time."""
    total = np.full(len(rows), trees.baseline)
    trees_module._treescore.score_bits(np.ascontiguousarray(rows, dtype=np.float32),
                                       *trees._bits(), total, lanes)
    return total


@needs_c
@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_features=st.integers(1, 5),
       n_rows=st.integers(0, 20), missing=st.floats(0, 1), constant=st.integers(0, 5))
def test_bit_vectors_give_the_node_walks_sums_bit_for_bit(seed, n_features, n_rows,
                                                          missing, constant):
    trees = random_trees(seed, n_features)
    rng = np.random.default_rng(seed + 1)
    rows = rng.normal(size=(n_rows, n_features)).astype(np.float32)
    rows[rng.random(rows.shape) < missing] = np.nan
    rows[:, :constant] = rows[:1, :constant]  # columns of one value: applied once a call
    split = ~trees.nodes["is_leaf"].astype(bool)
    for row in range(min(n_rows, 3)):  # at, just under and just over a threshold
        feature = trees.nodes["feature_idx"][split][:1]
        at = trees.nodes["num_threshold"][split][:1].astype(np.float32)
        rows[row, feature] = np.nextafter(at, np.float32(row - 1)) if row else at
    assert trees._bits()
    assert np.array_equal(bit_vectors(trees, rows), node_walk(trees, rows))
    assert np.array_equal(bit_vectors(trees, rows, lanes=False), node_walk(trees, rows))
    assert np.array_equal(trees.decision_function(rows), node_walk(trees, rows))


@needs_c
def test_bit_vectors_give_scikit_learns_scores_on_pages(fitted):
    estimator, rows = fitted
    trees = TreeEnsemble.from_sklearn(estimator)
    page = rows.astype(np.float32)
    page[:, 2] = 0.75  # a page-level feature: one value in every row
    assert trees._bits()
    assert np.array_equal(bit_vectors(trees, page), estimator.decision_function(page))
    assert np.array_equal(bit_vectors(trees, page, lanes=False),
                          estimator.decision_function(page))


def chain(n_leaves: int) -> TreeEnsemble:
    """One tree of ``n_leaves`` leaves: split i sends x <= i to leaf i, else on."""
    n = 2 * n_leaves - 1
    nodes = {"value": np.zeros(n), "feature_idx": np.zeros(n, dtype=np.uint32),
             "num_threshold": np.zeros(n), "missing_go_to_left": np.zeros(n, dtype=np.uint8),
             "left": np.zeros(n, dtype=np.int64), "right": np.zeros(n, dtype=np.int64),
             "is_leaf": np.ones(n, dtype=np.uint8)}
    for i in range(n_leaves - 1):
        node = 2 * i
        nodes["is_leaf"][node] = 0
        nodes["num_threshold"][node] = i
        nodes["left"][node], nodes["right"][node] = node + 1, node + 2
        nodes["value"][node + 1] = i
    nodes["value"][n - 1] = n_leaves - 1
    return TreeEnsemble(baseline=0.0, roots=np.array([0]), nodes=nodes, n_features=1)


@needs_c
def test_trees_of_more_than_32_leaves_are_walked_node_by_node():
    rows = np.arange(-1, 41, dtype=np.float32)[:, None]
    small, large = chain(32), chain(33)
    assert small._bits() and large._bits() is False
    assert small.decision_function(rows).tolist() == np.clip(rows[:, 0], 0, 31).tolist()
    assert large.decision_function(rows).tolist() == np.clip(rows[:, 0], 0, 32).tolist()


def test_thresholds_round_down_to_float32():
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(size=1000) * 10.0 ** rng.integers(-30, 30, 1000),
                             [0.0, -0.0, 1e39, -1e39, np.inf, -np.inf, 0.1, 1 / 3]])
    rounded = trees_module._round_down32(values)
    assert rounded.dtype == np.float32
    assert (rounded.astype(np.float64) <= values).all()
    with np.errstate(over="ignore"):
        above = np.nextafter(rounded, np.float32(np.inf)).astype(np.float64)
    assert ((above > values) | (rounded == np.float32(np.inf))).all()


@needs_c
@pytest.mark.parametrize("damage, message", [
    ("tree", "tree is out of range"),
    ("offsets", "offsets"),
    ("mask", "no leaf"),
])
def test_malformed_bit_tables_are_a_clear_error(damage, message):
    thresholds, trees, masks, missing, offsets, leaves = (
        np.copy(a) for a in one_split()._bits())
    if damage == "tree":
        trees[0] = 5
    elif damage == "offsets":
        offsets[-1] = 3
    else:
        masks[0] = 0  # clears every leaf: a row above the threshold reaches none
    with pytest.raises(ValueError, match=message):
        trees_module._treescore.score_bits(np.ones((2, 1), dtype=np.float32), thresholds,
                                           trees, masks, missing, offsets, leaves,
                                           np.zeros(2))


@needs_c
@pytest.mark.skipif(not Path("/proc/cpuinfo").is_file(), reason="no /proc/cpuinfo to ask")
def test_rows_go_eight_at_a_time_where_the_processor_has_avx2():
    flags = Path("/proc/cpuinfo").read_text()
    expected = platform.machine() in ("x86_64", "AMD64", "i686") and " avx2" in flags
    has_lanes = trees_module._treescore.HAS_LANES
    assert has_lanes == int(expected)


@needs_c
@pytest.mark.parametrize("lanes", [True, False])
def test_a_row_reaching_no_leaf_is_an_error_eight_at_a_time_or_one_by_one(lanes):
    thresholds, trees, masks, missing, offsets, leaves = (
        np.copy(a) for a in one_split()._bits())
    masks[0] = 0
    rows = np.ones((11, 1), dtype=np.float32)  # one full group of eight and three more
    with pytest.raises(ValueError, match="no leaf"):
        trees_module._treescore.score_bits(rows, thresholds, trees, masks, missing,
                                           offsets, leaves, np.zeros(11), lanes)
