"""The block classifier as a scikit-learn estimator: what ``train`` fits, one per pass.

Only training imports this module (and scikit-learn): a model loaded from a file
scores with its trees alone (classify.TreePass).
"""

from __future__ import annotations

import re

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier

from .classify import DEFAULT_THRESHOLD
from .trees import TreeEnsemble

# HistGradientBoostingClassifier's max_features (a random share of the features at
# each split) arrived in scikit-learn 1.4.
FEATURE_SAMPLING_SINCE = (1, 4)


def _sklearn_version() -> tuple[int, int]:
    """(major, minor) of scikit-learn; "1.4rc1" and "1.10.dev0" read as (1, 4), (1, 10)."""
    major, minor = re.match(r"(\d+)\.(\d+)", sklearn.__version__).groups()
    return int(major), int(minor)


def _feature_sampling(max_features: float) -> dict[str, float]:
    """HistGradientBoostingClassifier's keyword for the share of features per split."""
    if not 0.0 < max_features <= 1.0:
        raise ValueError(f"max_features must be in (0, 1], got {max_features}")
    if max_features == 1.0:
        return {}  # scikit-learn's own default: every split sees every feature
    if _sklearn_version() < FEATURE_SAMPLING_SINCE:
        raise ValueError(
            f"max_features={max_features} needs scikit-learn >= 1.4 (installed: "
            f"{sklearn.__version__}); upgrade it or train with max_features 1.0")
    return {"max_features": max_features}


class BlockClassifier(ClassifierMixin, BaseEstimator):
    """Gradient-boosted trees that give each block a probability of being content.

    Configuration lives in ``__init__``; ``fit`` learns, with scikit-learn's
    HistGradientBoostingClassifier, and keeps the fitted trees as plain arrays
    (``trees_``, a TreeEnsemble): that is what is saved and what predicts.
    ``feature_names`` records which features the columns of X are, so a saved
    model can be checked against the code that computes them. ``max_features`` below
    1 lets each split see only that random share of the features (scikit-learn >= 1.4).
    """

    def __init__(
        self,
        feature_names: tuple[str, ...] = (),
        max_iter: int = 300,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        max_features: float = 1.0,
        threshold: float = DEFAULT_THRESHOLD,
        random_state: int = 0,
    ) -> None:
        self.feature_names = feature_names
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_features = max_features
        self.threshold = threshold
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None):
        if self.feature_names and X.shape[1] != len(self.feature_names):
            raise ValueError(
                f"X has {X.shape[1]} columns but {len(self.feature_names)} feature names"
            )
        estimator = HistGradientBoostingClassifier(
            **_feature_sampling(self.max_features),
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
        return self.trees_.predict_proba(X)

    def content_probability(self, X: np.ndarray) -> np.ndarray:
        """P(content) per row."""
        return self.trees_.predict_proba(X)[:, 1]

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.content_probability(X) >= self.threshold).astype(np.int8)
