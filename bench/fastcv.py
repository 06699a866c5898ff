"""A quick two-pass cross-validation for comparing feature sets (about 8 minutes on two
cores, from cached pages, instead of the 75 `dechaff train` takes).

    python bench/fastcv.py ../shared/datasets/wcxb-dev labeled_data/old-layouts-train
        --weight labeled_data/old-layouts-train=6 [--cache pages.pkl]
        [--extra columns.py] [--save probabilities.pkl] [--max-iter 100]
        [--learning-rate 0.2] [--max-features 1.0] [--seed 0] [--domain-share 1.0]
        [--distill 0.5]

Cheaper than `dechaff train` in two ways, the same for every variant compared: fewer,
larger boosting steps, and the second pass learns from first-pass probabilities
cross-validated once over all pages (5 folds grouped by domain) rather than in nested
folds, so a second-pass training page's inputs come from models that saw the test
fold's pages. Its figures rank feature sets; they are not the shipped model's scores.
Differences under about 0.003 overall, or 0.04 for one page type, are within what
a column of random numbers moves (BENCHMARKS.md, "Cards, images and page thresholds").

``--cache FILE`` keeps the prepared pages (blocks, features, labels) in a pickle: the
first run writes it, later runs with the same data read it in seconds. It is only a
scratch file of this machine: delete it when the features change.

``--extra FILE.py`` tries a feature without touching the package: the file defines
``columns(page) -> array (blocks, k)``, given a train.PageData (its blocks, features.X,
.words, .owners, .parents, .chains; not its HTML), whose columns are appended to the
first pass's features.
"""

from __future__ import annotations

import argparse
import importlib.util
import pickle
import sys
from pathlib import Path

import numpy as np

from dechaff import __version__
from dechaff.evaluate import summarize
from dechaff.features import FEATURE_NAMES, context_features
from dechaff.model_io import feature_hash
from dechaff.train import (
    TrainConfig,
    grouped_folds,
    inner_oof,
    load_pages,
    score,
    soft_targets,
    stack,
)

FOLDS = 5
THRESHOLDS = (0.3, 0.4)


def _names(width: int) -> tuple[str, ...]:
    return tuple(f"f{i}" for i in range(width))


def _some_domains(pages, indices, share: float, seed: int) -> list[int]:
    """The pages of a random ``share`` of the domains among ``indices`` (all at 1.0),
    the same draw for a given seed: members that differ by the sites they learn from."""
    if share >= 1.0:
        return list(indices)
    domains = sorted({pages[i].domain for i in indices})
    rng = np.random.default_rng(seed)
    chosen = set(rng.choice(domains, size=max(1, round(share * len(domains))),
                            replace=False))
    return [i for i in indices if pages[i].domain in chosen]


def _out_of_fold(pages, matrices, folds, config: TrainConfig,
                 domain_share: float = 1.0, distill: float = 0.0) -> list[np.ndarray]:
    """Each page's probabilities from a model fitted on the other folds' pages; with
    ``distill``, on soft targets from a teacher fitted within those pages' inner folds
    (as train.fit_member's second pass)."""
    out: list[np.ndarray] = [np.zeros(0)] * len(pages)
    names = _names(matrices[0].shape[1])
    for train_idx, test_idx in folds:
        train_idx = _some_domains(pages, train_idx, domain_share, config.seed)
        train_pages = [pages[i] for i in train_idx]
        train_matrices = [matrices[i] for i in train_idx]
        rows = stack(train_pages, train_matrices)
        if distill > 0:
            teacher = inner_oof(train_pages, config, train_matrices, names)
            rows = soft_targets(*rows, np.concatenate(teacher), distill)
        model = config.model(names=names).fit(*rows)
        for i in test_idx:
            out[i] = model.content_probability(matrices[i])
    return out


def _weight(value: str) -> tuple[str, float]:
    directory, _, weight = value.rpartition("=")
    return directory, float(weight)


def _pages(data: list[str], weights: dict[str, float], cache: Path | None) -> list:
    """The prepared pages, from ``cache`` when it was made from the same data with the
    same features and version."""
    key = {"data": [str(Path(d).resolve()) for d in data], "weights": weights,
           "features": feature_hash(FEATURE_NAMES), "version": __version__}
    if cache is not None and cache.exists():
        with cache.open("rb") as f:
            stored = pickle.load(f)
        if stored["key"] == key:
            return stored["pages"]
        print(f"fastcv: {cache} was made from other data or features: rebuilt",
              file=sys.stderr)
    pages = load_pages(data, progress=False, weights=weights)
    if cache is not None:
        with cache.open("wb") as f:
            pickle.dump({"key": key, "pages": pages}, f, protocol=pickle.HIGHEST_PROTOCOL)
    return pages


def _extra(path: str | None):
    if path is None:
        return None
    spec = importlib.util.spec_from_file_location("fastcv_extra", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.columns


def _line(name: str, threshold: float, summary: dict) -> str:
    overall = summary["overall"]
    types = " ".join(f"{t}={s['f1']:.3f}" for t, s in summary["by_type"].items())
    return (f"{name} @{threshold}: F1 {overall['f1']:.4f} P {overall['precision']:.3f} "
            f"R {overall['recall']:.3f} | {types}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="+")
    parser.add_argument("--weight", type=_weight, action="append", default=[])
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--extra", help="a .py file defining columns(page)")
    parser.add_argument("--save", type=Path, help="pickle the out-of-fold probabilities")
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=0.2)
    parser.add_argument("--max-features", type=float, default=1.0,
                        help="share of the features each split may choose from")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--domain-share", type=float, default=1.0,
                        help="share of each fold's training domains a model learns "
                             "from, drawn with --seed")
    parser.add_argument("--distill", type=float, default=0.0,
                        help="share of the second pass's target from its own "
                             "probabilities, out of fold within each fold's training "
                             "pages (TrainConfig.distill)")
    args = parser.parse_args()

    pages = _pages(args.data, dict(args.weight), args.cache)
    columns = _extra(args.extra)
    inputs = [p.features.X for p in pages]
    if columns is not None:
        inputs = [np.hstack([x, np.asarray(columns(p), dtype=np.float32)])
                  for x, p in zip(inputs, pages)]
    config = TrainConfig(max_iter=args.max_iter, learning_rate=args.learning_rate,
                         max_features=args.max_features, seed=args.seed,
                         distill=args.distill)
    folds = list(grouped_folds(pages, FOLDS))
    first = _out_of_fold(pages, inputs, folds, config, args.domain_share)
    matrices = [np.hstack([x, context_features(p.features, q)])
                for x, p, q in zip(inputs, pages, first)]
    second = _out_of_fold(pages, matrices, folds, config, args.domain_share, config.distill)
    if args.save is not None:
        with args.save.open("wb") as f:
            pickle.dump({"page_ids": [p.page_id for p in pages], "first": first,
                         "second": second}, f)
    for name, probabilities in (("first pass", first), ("second pass", second)):
        for threshold in THRESHOLDS:
            print(_line(name, threshold, summarize(score(pages, probabilities, threshold))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
