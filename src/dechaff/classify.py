"""Matrix to labels: a fitted model's passes give each block a probability of content.

Scoring needs only the trees (trees.TreeEnsemble), not scikit-learn: a pass is the
estimator that training fitted (estimator.BlockClassifier), or, for a model loaded
from a file, a TreePass that holds the same trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .trees import TreeEnsemble

# A block is kept when its content probability reaches this.
DEFAULT_THRESHOLD = 0.5


class FittedPass(Protocol):
    """What a model needs of each pass: its features' names and P(content) per row."""

    feature_names: tuple[str, ...]
    trees_: TreeEnsemble

    def content_probability(self, X: np.ndarray) -> np.ndarray: ...

    def get_params(self) -> dict: ...


@dataclass(frozen=True, eq=False)  # compared by identity, as estimators are
class TreePass:
    """One pass of a model loaded from a file: its trees, the names of the features
    they read, and the settings it was trained with (from the manifest)."""

    feature_names: tuple[str, ...]
    trees_: TreeEnsemble = field(repr=False)
    params: dict = field(default_factory=dict)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(chrome) and P(content) per row, as BlockClassifier.predict_proba gives them."""
        return self.trees_.predict_proba(X)

    def content_probability(self, X: np.ndarray) -> np.ndarray:
        """P(content) per row."""
        return self.trees_.predict_proba(X)[:, 1]

    def get_params(self) -> dict:
        """The training settings, as BlockClassifier.get_params gives them."""
        return {**self.params, "feature_names": self.feature_names}


class ContentModel:
    """The fitted model as shipped: a first pass over block features, and optionally a
    second pass that also sees the first pass's probabilities around each block.

    ``probabilities(features)`` gives P(content) per block; blocks at or above
    ``threshold`` are kept.
    """

    def __init__(self, first: FittedPass, second: FittedPass | None,
                 threshold: float = DEFAULT_THRESHOLD) -> None:
        self.first = first
        self.second = second
        self.threshold = threshold

    @property
    def feature_names(self) -> tuple[str, ...]:
        names = tuple(self.first.feature_names)
        return names + tuple(self.second.feature_names[len(names):]) if self.second else names

    def passes(self, features) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each pass's input matrix and P(content) per block, first pass first (the
        second only for a page with blocks)."""
        from .features import context_features

        first = self.first.content_probability(features.X)
        out = [(features.X, first)]
        if self.second is not None and len(first):
            matrix = np.hstack([features.X, context_features(features, first)])
            out.append((matrix, self.second.content_probability(matrix)))
        return out

    def passes_many(self, pages: Sequence) -> list[list[tuple[np.ndarray, np.ndarray]]]:
        """``passes`` for each of many pages' features.

        Page by page: the C scorer applies the splits on a page's page-level features
        once for all its rows, which rows of several pages stacked together would lose,
        and it has no cost per call worth sharing.
        """
        return [self.passes(features) for features in pages]

    def probabilities(self, features) -> np.ndarray:
        return self.passes(features)[-1][1]

    def probabilities_many(self, pages: Sequence) -> list[np.ndarray]:
        """P(content) per block for each of many pages' features (see passes_many)."""
        return [passes[-1][1] for passes in self.passes_many(pages)]

    def __repr__(self) -> str:
        passes = "two passes" if self.second is not None else "one pass"
        return f"ContentModel({passes}, {len(self.feature_names)} features, " \
               f"threshold={self.threshold})"
