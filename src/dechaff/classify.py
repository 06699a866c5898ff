"""Matrix to labels: the block classifier, a scikit-learn estimator."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier

from .trees import TreeEnsemble

# A block is kept when its content probability reaches this.
DEFAULT_THRESHOLD = 0.5


class BlockClassifier(ClassifierMixin, BaseEstimator):
    """Gradient-boosted trees that give each block a probability of being content.

    Configuration lives in ``__init__``; ``fit`` learns, with scikit-learn's
    HistGradientBoostingClassifier, and keeps the fitted trees as plain arrays
    (``trees_``, a TreeEnsemble): that is what is saved and what predicts.
    ``feature_names`` records which features the columns of X are, so a saved
    model can be checked against the code that computes them.
    """

    def __init__(
        self,
        feature_names: tuple[str, ...] = (),
        max_iter: int = 300,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        threshold: float = DEFAULT_THRESHOLD,
        random_state: int = 0,
    ) -> None:
        self.feature_names = feature_names
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.threshold = threshold
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None):
        if self.feature_names and X.shape[1] != len(self.feature_names):
            raise ValueError(
                f"X has {X.shape[1]} columns but {len(self.feature_names)} feature names"
            )
        estimator = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=self.random_state,
        )
        estimator.fit(X, y, sample_weight=sample_weight)
        if len(estimator.classes_) != 2:
            raise ValueError("training needs blocks of both classes, content and chrome")
        self.trees_ = TreeEnsemble.from_sklearn(estimator)
        self.classes_ = estimator.classes_
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        if len(X) == 0:
            return np.zeros((0, 2))
        return self.trees_.predict_proba(X)

    def content_probability(self, X: np.ndarray) -> np.ndarray:
        """P(content) per row."""
        return self.predict_proba(X)[:, 1] if len(X) else np.zeros(0)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.content_probability(X) >= self.threshold).astype(np.int8)


def _stack(matrices: list[np.ndarray]) -> np.ndarray:
    return matrices[0] if len(matrices) == 1 else np.vstack(matrices)


def _split(rows: np.ndarray, parts: Sequence) -> list[np.ndarray]:
    """``rows`` cut back into one array per part, by the parts' lengths."""
    return np.split(rows, np.cumsum([len(part) for part in parts])[:-1])


class ContentModel:
    """The fitted model as shipped: a first pass over block features, and optionally a
    second pass that also sees the first pass's probabilities around each block.

    ``probabilities(features)`` gives P(content) per block; blocks at or above
    ``threshold`` are kept.
    """

    def __init__(self, first: BlockClassifier, second: BlockClassifier | None,
                 threshold: float = DEFAULT_THRESHOLD) -> None:
        self.first = first
        self.second = second
        self.threshold = threshold

    @property
    def feature_names(self) -> tuple[str, ...]:
        names = tuple(self.first.feature_names)
        return names + tuple(self.second.feature_names[len(names):]) if self.second else names

    def passes(self, features) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each pass's input matrix and P(content) per block, first pass first."""
        return self.passes_many([features])[0]

    def passes_many(self, pages: Sequence) -> list[list[tuple[np.ndarray, np.ndarray]]]:
        """``passes`` for many pages' features, each pass one prediction over all rows.

        The trees score each row on its own, so the results are those of ``passes``
        page by page, bit for bit; one call per pass saves the per-call cost of the
        trees (300 calls per pass).
        """
        from .features import context_features

        if not pages:
            return []
        first = _split(self.first.content_probability(_stack([f.X for f in pages])), pages)
        out = [[(f.X, p)] for f, p in zip(pages, first)]
        if self.second is None:
            return out
        todo = [i for i, p in enumerate(first) if len(p)]
        matrices = [np.hstack([pages[i].X, context_features(pages[i], first[i])])
                    for i in todo]
        if todo:
            second = _split(self.second.content_probability(_stack(matrices)), matrices)
            for i, matrix, p in zip(todo, matrices, second):
                out[i].append((matrix, p))
        return out

    def probabilities(self, features) -> np.ndarray:
        return self.passes(features)[-1][1]

    def probabilities_many(self, pages: Sequence) -> list[np.ndarray]:
        """P(content) per block for each of many pages' features (see passes_many)."""
        return [passes[-1][1] for passes in self.passes_many(pages)]

    def __repr__(self) -> str:
        passes = "two passes" if self.second is not None else "one pass"
        return f"ContentModel({passes}, {len(self.feature_names)} features, " \
               f"threshold={self.threshold})"
