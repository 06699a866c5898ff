"""Labeled pages to a fitted model: block labels, features, grouped cross-validation."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.model_selection import GroupKFold
from tqdm import tqdm

from .align import align_labels, marked_labels
from .article import article_of, to_text
from .blocks import Block
from .classify import AveragedModel, ContentModel, kept_mask
from .datasets import SkippedPage, list_pages, read_page_labels
from .estimator import BlockClassifier
from .evaluate import PageResult, score_page, summarize
from .features import CONTEXT_NAMES, FEATURE_NAMES, Features, context_features, featurize
from .lexicon import LEXICON_NAMES, Lexicon
from .model_io import save_model
from .page import read_page

# Thresholds tried when `train` picks one from the out-of-fold scores (best_threshold).
THRESHOLD_GRID = tuple(round(0.2 + 0.05 * i, 2) for i in range(11))  # 0.2 … 0.7
# Neither mean precision nor mean recall may fall below this at the chosen threshold,
# when some threshold on the grid keeps both above it: F1 is not bought by giving up
# one of them.
BALANCE_FLOOR = 0.85
# Thresholds whose mean F1 is within this of the best count as tied, and the highest of
# them wins: at equal F1, the output with less chrome in it.
THRESHOLD_TIE = 0.001


@dataclass(slots=True)
class TrainConfig:
    """Everything that decides what `train` produces (recorded in the manifest)."""

    folds: int = 5
    seed: int = 0
    n_jobs: int = 2
    max_iter: int = 300
    learning_rate: float = 0.1
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 40
    l2_regularization: float = 1.0
    # Share of the features each split may choose from, drawn anew at every split
    # (scikit-learn >= 1.4 below 1.0). Decorrelates the trees; see BENCHMARKS.md.
    # Several shares train one model each (the i-th seeded seed + i), and the model
    # gives the mean of their probabilities (classify.AveragedModel).
    max_features: tuple[float, ...] = (1.0,)
    threshold: float | None = None  # None: the out-of-fold best on THRESHOLD_GRID
    two_pass: bool = True  # a second pass over the first pass's probabilities in context
    inner_folds: int = 3  # folds giving the second pass its out-of-fold inputs
    weights: dict[str, float] = field(default_factory=dict)  # data directory -> weight
    # Pages whose content-labeled blocks reproduce their own clean text below this word
    # F1 (text rendered by script, a clean text the blocks do not hold) are left out of
    # fitting, still scored. 0 fits every page: 0.5 gained 0.004 on the WCXB dev pages
    # but lost on the project's own unseen pages, so it is not the default
    # (BENCHMARKS.md, "Feature experiments").
    min_label_f1: float = 0.0
    # Boosting steps of the second pass (None: max_iter). Its inputs are already close
    # to the answer: in a staged check 100 steps did as well as 300 (BENCHMARKS.md).
    second_max_iter: int | None = None
    # A lexicon (lexicon.Lexicon): a linear model of each block's own words, whose
    # score the first pass reads as one more feature (BENCHMARKS.md, "The lexicon").
    lexicon: bool = False
    # Share of the second pass's target that comes from a teacher instead of the label:
    # the second pass itself, fitted on the inner folds and scoring the pages it did
    # not see (self-distillation, second_pass_teacher). 0 learns from the labels alone.
    distill: float = 0.0
    # Boosting steps of that teacher (None, or more: as the second pass). It only has
    # to be as good as a second pass of 100 steps, which did as well as 300.
    teacher_max_iter: int | None = 100

    def __post_init__(self) -> None:
        if isinstance(self.max_features, int | float):
            self.max_features = (float(self.max_features),)
        self.max_features = tuple(float(share) for share in self.max_features)
        if not self.max_features:
            raise ValueError("max_features needs at least one share (one per member)")
        if not 0.0 <= self.distill <= 1.0:
            raise ValueError(f"distill is a share of the target, in [0, 1]: got {self.distill}")

    @property
    def members(self) -> int:
        """How many models are trained and averaged: one per share of features."""
        return len(self.max_features)

    def member(self, i: int) -> TrainConfig:
        """The configuration of member i alone: its share of features, seed + i."""
        return replace(self, max_features=(self.max_features[i],), seed=self.seed + i)

    def model(self, threshold: float = 0.5, names: tuple[str, ...] = FEATURE_NAMES,
              max_iter: int | None = None) -> BlockClassifier:
        """A block classifier with this configuration (``max_iter`` overrides the steps);
        for one member's configuration (``member``)."""
        if self.members != 1:
            raise ValueError("a block classifier is one member's: use config.member(i)")
        return BlockClassifier(
            feature_names=names,
            max_iter=self.max_iter if max_iter is None else max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            max_features=self.max_features[0],
            threshold=threshold,
            random_state=self.seed,
        )


@dataclass(slots=True)
class PageData:
    """One labeled page, ready for learning: its blocks, features and labels."""

    page_id: str
    page_type: str
    domain: str
    blocks: list[Block]
    features: Features
    y: np.ndarray
    gold_text: str
    with_snippets: list[str] = field(default_factory=list)
    without_snippets: list[str] = field(default_factory=list)
    weight: float = 1.0  # its data directory's weight (`dechaff train --weight DIR=W`)
    source: str = ""  # the name of its data directory

    @property
    def weights(self) -> np.ndarray:
        """Each block weighs its share of the page's words (words + 1, as the metric
        counts words); a page weighs its number of blocks times its directory's weight.

        Within a page that mirrors the metric, a word-level F1. Across pages, weighing
        each page the same, as the metric's mean over pages would, or by the square
        root of its blocks did no better (BENCHMARKS.md, "Feature experiments").
        """
        words = np.array([b.words for b in self.blocks], dtype=np.float64) + 1.0
        if not len(self.blocks):
            return words
        return words / words.sum() * len(self.blocks) * self.weight


def prepare_page(ref, weight: float = 1.0) -> PageData:
    """Read a labeled page and turn it into blocks, features and labels."""
    labeled = read_page_labels(ref)
    page = read_page(labeled.html)
    if labeled.gold_text is None:
        y = marked_labels(page.blocks)
        gold = to_text(article_of([b for b, k in zip(page.blocks, y) if k]))
    else:
        gold = labeled.gold_text
        y = align_labels(page.blocks, gold)
    return PageData(
        page_id=labeled.page_id,
        page_type=labeled.page_type,
        domain=labeled.domain,
        blocks=page.blocks,
        features=featurize(page),
        y=y,
        gold_text=gold,
        with_snippets=labeled.with_snippets,
        without_snippets=labeled.without_snippets,
        weight=weight,
    )


def _prepare_or_skip(ref, weight: float) -> PageData | str:
    try:
        return prepare_page(ref, weight)
    except SkippedPage as reason:
        return f"{ref.html_path}: {reason}"


def directory_weights(directories: list[str | Path], weights: dict[str, float]
                      ) -> list[float]:
    """Each directory's weight (1 unless named in ``weights``, matched by path)."""
    resolved = [Path(d).resolve() for d in directories]
    for name, weight in weights.items():
        if Path(name).resolve() not in resolved:
            raise ValueError(f"weight for {name}, which is not among the data directories")
        if not (np.isfinite(weight) and weight > 0):
            raise ValueError(f"weight for {name} must be a positive number, not {weight}")
    by_path = {Path(name).resolve(): float(w) for name, w in weights.items()}
    return [by_path.get(path, 1.0) for path in resolved]


def load_pages(directories: list[str | Path], n_jobs: int = 2, progress: bool = True,
               weights: dict[str, float] | None = None) -> list[PageData]:
    """Prepare every labeled page in the directories (in parallel, order kept).

    Pages that cannot be labeled are left out with a warning on stderr.
    """
    scale = directory_weights(directories, weights or {})
    refs = [(ref, w, Path(d).name) for d, w in zip(directories, scale)
            for ref in list_pages(d)]
    jobs = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_prepare_or_skip)(ref, w) for ref, w, _ in refs
    )
    pages = []
    for page, (_, _, source) in tqdm(zip(jobs, refs), total=len(refs), desc="pages",
                                     unit="page", disable=not progress, file=sys.stderr):
        if isinstance(page, str):
            print(f"dechaff: warning: skipped {page}", file=sys.stderr)
        else:
            page.source = source
            pages.append(page)
    return pages


def stack(pages: list[PageData], matrices: list[np.ndarray] | None = None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, labels and weights of all pages' blocks (``matrices`` replaces features.X)."""
    X = np.vstack(matrices if matrices is not None else [p.features.X for p in pages])
    y = np.concatenate([p.y for p in pages])
    w = np.concatenate([p.weights for p in pages])
    return X, y, w / w.mean()


def grouped_folds(pages: list[PageData], folds: int):
    """(train, test) page indices; a domain is never on both sides."""
    groups = [p.domain for p in pages]
    if len(set(groups)) < folds:
        raise ValueError(f"{folds} folds need pages of at least {folds} domains, these "
                         f"{len(pages)} pages have {len(set(groups))}: label more sites, "
                         f"or train with fewer --folds")
    return GroupKFold(n_splits=folds).split(np.zeros(len(pages)), groups=groups)


def first_pass_oof(pages: list[PageData], config: TrainConfig,
                   matrices: list[np.ndarray] | None = None,
                   names: tuple[str, ...] = FEATURE_NAMES) -> list[np.ndarray]:
    """Out-of-fold first-pass probabilities, the second pass's honest inputs
    (``matrices``, columns ``names``, replace the pages' features.X)."""
    matrices = matrices if matrices is not None else [p.features.X for p in pages]
    return inner_oof(pages, config, matrices, names)


def inner_oof(pages: list[PageData], config: TrainConfig, matrices: list[np.ndarray],
              names: tuple[str, ...], max_iter: int | None = None) -> list[np.ndarray]:
    """Each page's probabilities from a model of ``matrices`` (columns ``names``) fitted
    on the other inner folds' pages (config.inner_folds, grouped by domain)."""
    out: list[np.ndarray] = [np.zeros(0)] * len(pages)
    for train_idx, test_idx in grouped_folds(pages, config.inner_folds):
        model = config.model(names=names, max_iter=max_iter).fit(
            *stack([pages[i] for i in train_idx], [matrices[i] for i in train_idx]))
        for i in test_idx:
            out[i] = model.content_probability(matrices[i])
    return out


# A soft target's copy of a row that carries less than this share of the row's weight
# is left out: with distill 0.5, 62% of the copies on the shipped model's data, so the
# second pass fits 1.4 times the rows instead of 2, for under 1% of any row's weight.
SOFT_TARGET_FLOOR = 0.01


def soft_targets(X: np.ndarray, y: np.ndarray, w: np.ndarray, teacher: np.ndarray,
                 share: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows that teach the target ``(1 - share) * y + share * teacher``: each row twice,
    as content weighted by the target and as chrome by its complement (the log loss of
    a soft target, which a classifier of hard labels can fit). A copy weighing under
    SOFT_TARGET_FLOOR of its row goes."""
    target = (1.0 - share) * y + share * teacher
    X2 = np.vstack([X, X])
    y2 = np.concatenate([np.ones(len(y), dtype=y.dtype), np.zeros(len(y), dtype=y.dtype)])
    shares = np.concatenate([target, 1.0 - target])
    kept = (shares >= SOFT_TARGET_FLOOR) & (np.concatenate([w, w]) > 0)
    return X2[kept], y2[kept], (np.concatenate([w, w]) * shares)[kept]


def _texts_and_labels(pages: list[PageData]) -> tuple[list[str], np.ndarray]:
    return [t for p in pages for t in p.features.texts], np.concatenate([p.y for p in pages])


def fit_lexicon(pages: list[PageData]) -> Lexicon:
    """A lexicon of the pages' blocks, each block weighing the same."""
    return Lexicon().fit(*_texts_and_labels(pages))


def lexicon_oof(pages: list[PageData], config: TrainConfig) -> list[np.ndarray]:
    """Out-of-fold lexicon scores: what the first pass learns from, as a lexicon that
    has not seen a page scores it."""
    out: list[np.ndarray] = [np.zeros(0, dtype=np.float32)] * len(pages)
    for train_idx, test_idx in grouped_folds(pages, config.inner_folds):
        lexicon = fit_lexicon([pages[i] for i in train_idx])
        for i in test_idx:
            out[i] = lexicon.score(pages[i].features.texts)
    return out


def _text_of(page: PageData, keep) -> str:
    return to_text(article_of([b for b, k in zip(page.blocks, keep) if k]))


def _scores(pages: list[PageData], keeps) -> list[PageResult]:
    """Each page scored on the text of its blocks that ``keeps`` keeps."""
    return [
        score_page(p.page_id, p.page_type, _text_of(p, keep), p.gold_text,
                   p.with_snippets, p.without_snippets)
        for p, keep in zip(pages, keeps)
    ]


def score(pages: list[PageData], probabilities: list[np.ndarray],
          threshold: float) -> list[PageResult]:
    """Each page scored on the blocks kept as cleaning keeps them (kept_mask)."""
    return _scores(pages, (kept_mask(prob, threshold) for prob in probabilities))


def fitting_pages(pages: list[PageData], min_label_f1: float) -> list[PageData]:
    """The pages whose labels reproduce their gold text at ``min_label_f1`` or more."""
    if min_label_f1 <= 0:
        return pages
    kept = [p for p, r in zip(pages, oracle(pages)) if r.f1 >= min_label_f1]
    if not kept:
        raise ValueError(f"none of the {len(pages)} pages has labels reaching word F1 "
                         f"{min_label_f1} against its own clean text: check that the "
                         f"clean texts belong to the pages, or lower --min-label-f1")
    return kept


def fit(pages: list[PageData], config: TrainConfig, threshold: float
        ) -> ContentModel | AveragedModel:
    """A model fitted on the pages given whose labels are good enough (fitting_pages):
    one two-pass model per member (fit_member), averaged when there are several."""
    pages = fitting_pages(pages, config.min_label_f1)
    members = [fit_member(pages, config.member(i), threshold)
               for i in range(config.members)]
    return members[0] if len(members) == 1 else AveragedModel(members, threshold)


def fit_member(pages: list[PageData], config: TrainConfig, threshold: float
               ) -> ContentModel:
    """The first pass, then the second on its out-of-fold probabilities (so it learns
    from probabilities like those it will see); with a lexicon if configured, whose
    out-of-fold scores the first pass learns from."""
    lexicon, names, inputs = None, FEATURE_NAMES, [p.features.X for p in pages]
    if config.lexicon:
        lexicon, names = fit_lexicon(pages), FEATURE_NAMES + LEXICON_NAMES
        inputs = [np.hstack([x, s[:, None]]) for x, s in zip(inputs, lexicon_oof(pages, config))]
    first = config.model(names=names).fit(*stack(pages, inputs))
    if not config.two_pass:
        return ContentModel(first, None, threshold, lexicon)
    oof = first_pass_oof(pages, config, inputs, names)
    matrices = [np.hstack([x, context_features(p.features, q)])
                for x, p, q in zip(inputs, pages, oof)]
    rows = stack(pages, matrices)
    if config.distill > 0:
        teacher = second_pass_teacher(pages, config, matrices, names + CONTEXT_NAMES)
        rows = soft_targets(*rows, teacher, config.distill)
    second = config.model(names=names + CONTEXT_NAMES,
                          max_iter=config.second_max_iter).fit(*rows)
    return ContentModel(first, second, threshold, lexicon)


def second_pass_teacher(pages: list[PageData], config: TrainConfig,
                        matrices: list[np.ndarray], names: tuple[str, ...]) -> np.ndarray:
    """The second pass's probabilities of every block, each page's from a second pass
    fitted on the other inner folds: what the second pass would say of pages it has
    not seen, which ``config.distill`` blends into its target (BENCHMARKS.md)."""
    second = config.second_max_iter or config.max_iter
    steps = min(config.teacher_max_iter or second, second)
    return np.concatenate(inner_oof(pages, config, matrices, names, steps))


def cross_validate(pages: list[PageData], config: TrainConfig,
                   progress: bool = True) -> list[np.ndarray]:
    """Out-of-fold content probabilities per page; folds grouped by domain."""
    out: list[np.ndarray] = [np.zeros(0)] * len(pages)
    splits = list(grouped_folds(pages, config.folds))
    for train_idx, test_idx in tqdm(splits, desc="folds", unit="fold",
                                    disable=not progress, file=sys.stderr):
        model = fit([pages[i] for i in train_idx], config, 0.5)
        for i in test_idx:
            out[i] = model.probabilities(pages[i].features)
    return out


def best_threshold(pages: list[PageData], probabilities: list[np.ndarray]) -> float:
    """The threshold on THRESHOLD_GRID with the best out-of-fold mean per-page F1
    (pages weighted by their directory's weight), among those keeping precision and
    recall at BALANCE_FLOOR or above if any does; of near ties (THRESHOLD_TIE), the
    highest."""
    weights = [p.weight for p in pages]
    f1, balanced = {}, []
    for threshold in THRESHOLD_GRID:
        results = score(pages, probabilities, threshold)
        f1[threshold], precision, recall = (
            float(np.average([getattr(r, metric) for r in results], weights=weights))
            for metric in ("f1", "precision", "recall"))
        if min(precision, recall) >= BALANCE_FLOOR:
            balanced.append(threshold)
    candidates = balanced or THRESHOLD_GRID
    best = max(f1[t] for t in candidates)
    return max(t for t in candidates if f1[t] >= best - THRESHOLD_TIE)


def by_data(pages: list[PageData], results: list[PageResult]) -> dict[str, dict]:
    """Summaries of each data directory's pages' ``results`` on their own."""
    return {source: summarize([r for p, r in zip(pages, results) if p.source == source])
            for source in dict.fromkeys(p.source for p in pages)}


def oracle(pages: list[PageData]) -> list[PageResult]:
    """Scores of keeping exactly the blocks labeled content: the labels' own ceiling."""
    return _scores(pages, (p.y.astype(bool) for p in pages))


def train(directories: list[str | Path], out: str | Path | None,
          config: TrainConfig | None = None, progress: bool = True) -> dict:
    """Cross-validate, fit on all pages, save the model with its training report beside
    it; return the metrics, and under "files" what was written."""
    config = config or TrainConfig()
    pages = load_pages(directories, config.n_jobs, progress, config.weights)
    oof = cross_validate(pages, config, progress)
    threshold = config.threshold
    if threshold is None:
        threshold = best_threshold(pages, oof)
    results = score(pages, oof, threshold)
    report = {
        "pages": len(pages),
        "fitted_pages": len(fitting_pages(pages, config.min_label_f1)),
        "blocks": int(sum(len(p.blocks) for p in pages)),
        "threshold": threshold,
        "cross_validation": summarize(results),
        "oracle": summarize(oracle(pages))["overall"],
    }
    if len(directories) > 1:
        report["cross_validation_by_data"] = by_data(pages, results)
    if out is None:
        return report
    from .report import build_report, write_report

    model = fit(pages, config, threshold)
    manifest = save_model(model, out, {"training": training_record(directories, config),
                                       "metrics": report})
    written = write_report(out, build_report(pages, oof, model, report))
    return {**report, "files": [str(out), str(manifest), *map(str, written)]}


def training_record(directories: list[str | Path], config: TrainConfig) -> dict:
    """What the manifest says about training: data, weights, configuration, command."""
    names = [Path(d).name for d in directories]
    weights = directory_weights(directories, config.weights)
    options = [f"--weight {n}={w:g}" for n, w in zip(names, weights) if w != 1.0]
    return {
        "data": names,
        "weights": dict(zip(names, weights)),
        "config": asdict(config),
        "command": " ".join(["dechaff train", *names, *options, *command_options(config)]),
    }


# The `dechaff train` option of each TrainConfig field the command line can set
# (besides --weight), for the command a manifest records.
_OPTIONS = {
    "max_iter": "--max-iter", "second_max_iter": "--second-max-iter",
    "max_features": "--max-features", "min_label_f1": "--min-label-f1",
    "folds": "--folds", "seed": "--seed", "threshold": "--threshold",
    "lexicon": "--lexicon", "distill": "--distill", "teacher_max_iter": "--teacher-max-iter",
}


def command_options(config: TrainConfig) -> list[str]:
    """The `dechaff train` options that give ``config`` where it is not the default."""
    default = TrainConfig()
    options = []
    for name, option in _OPTIONS.items():
        value = getattr(config, name)
        if value == getattr(default, name):
            continue
        if isinstance(value, bool):  # a flag: given when true
            options.append(option)
            continue
        if isinstance(value, tuple):
            value = ",".join(f"{v:g}" for v in value)
        options.append(f"{option} {value:g}" if isinstance(value, float) else
                       f"{option} {value}")
    return options
