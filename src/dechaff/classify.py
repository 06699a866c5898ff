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

from .lexicon import Lexicon
from .trees import TreeEnsemble

# A block is kept when its content probability reaches this.
DEFAULT_THRESHOLD = 0.5


def kept_mask(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """Which of a page's blocks to keep, given their P(content): those at ``threshold``
    or above; and a page's only block, whatever its probability.

    Much of what the model knows of a block is how it compares with the rest of its
    page (its neighbours, containers, repeats, the page's region), and a page of one
    block has no rest, so it is kept rather than leaving the page empty. Keeping the
    likeliest blocks of any page the threshold would empty was tried and not adopted
    (BENCHMARKS.md, "Pages the threshold empties").
    """
    keep = probabilities >= threshold
    if len(keep) == 1:
        keep[0] = True
    return keep


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

    With a ``lexicon`` (lexicon.Lexicon), the first pass also reads its score of each
    block's own words, as one more column after the block features.
    ``probabilities(features)`` gives P(content) per block; blocks at or above
    ``threshold`` are kept.
    """

    def __init__(self, first: FittedPass, second: FittedPass | None,
                 threshold: float = DEFAULT_THRESHOLD, lexicon: Lexicon | None = None
                 ) -> None:
        self.first = first
        self.second = second
        self.threshold = threshold
        self.lexicon = lexicon

    def first_matrix(self, features) -> np.ndarray:
        """What the first pass reads: the block features, and the lexicon's scores."""
        if self.lexicon is None:
            return features.X
        return np.hstack([features.X, self.lexicon.score(features.texts)[:, None]])

    @property
    def feature_names(self) -> tuple[str, ...]:
        names = tuple(self.first.feature_names)
        return names + tuple(self.second.feature_names[len(names):]) if self.second else names

    def passes(self, features) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each pass's input matrix and P(content) per block, first pass first (the
        second only for a page with blocks)."""
        from .features import context_features

        matrix = self.first_matrix(features)
        first = self.first.content_probability(matrix)
        out = [(matrix, first)]
        if self.second is not None and len(first):
            matrix = np.hstack([matrix, context_features(features, first)])
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

    @property
    def members(self) -> tuple[ContentModel, ...]:
        """The two-pass models whose probabilities this model gives: itself alone."""
        return (self,)

    def __repr__(self) -> str:
        passes = "two passes" if self.second is not None else "one pass"
        lexicon = ", lexicon" if self.lexicon is not None else ""
        return f"ContentModel({passes}{lexicon}, {len(self.feature_names)} features, " \
               f"threshold={self.threshold})"


class AveragedModel:
    """Several ContentModels over the same features, trained alike but for their seed
    and share of features per split; P(content) is the mean of theirs.

    Averaging cancels part of what one training draws by chance (which split wins a
    near tie), which moves single unseen pages by up to 0.1 between retrainings
    (BENCHMARKS.md, "Feature experiments"). Each member keeps its own passes: a
    member's second pass reads its own first pass's probabilities.
    """

    def __init__(self, members: Sequence[ContentModel],
                 threshold: float = DEFAULT_THRESHOLD) -> None:
        if len(members) < 2:
            raise ValueError("an averaged model needs at least two members")
        if len({m.feature_names for m in members}) != 1 or \
                len({m.second is None for m in members}) != 1:
            raise ValueError("the members of an averaged model must read the same "
                             "features in the same passes")
        self.members = tuple(members)
        self.threshold = threshold

    @property
    def first(self) -> FittedPass:
        """The first member's first pass (what a report of one pass shows)."""
        return self.members[0].first

    @property
    def second(self) -> FittedPass | None:
        return self.members[0].second

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.members[0].feature_names

    def passes(self, features) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per pass, the first member's input matrix and the members' mean P(content)."""
        outputs = [member.passes(features) for member in self.members]
        return [(steps[0][0], _mean([p for _, p in steps])) for steps in zip(*outputs)]

    def passes_many(self, pages: Sequence) -> list[list[tuple[np.ndarray, np.ndarray]]]:
        return [self.passes(features) for features in pages]

    def probabilities(self, features) -> np.ndarray:
        return _mean([member.probabilities(features) for member in self.members])

    def probabilities_many(self, pages: Sequence) -> list[np.ndarray]:
        return [self.probabilities(features) for features in pages]

    def __repr__(self) -> str:
        return f"AveragedModel({len(self.members)} members of {self.members[0]!r})"


# What predicts: one two-pass model, or several averaged.
Model = ContentModel | AveragedModel


def _mean(arrays: list[np.ndarray]) -> np.ndarray:
    """The element-wise mean, added in the order given (so it is reproducible)."""
    total = arrays[0].copy()
    for values in arrays[1:]:
        total += values
    return total / len(arrays)
