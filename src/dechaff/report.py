"""The training report written beside a model: what it gets right and wrong.

Everything is measured out of fold (each page scored by a model that never saw its
domain): scores overall and per page type, precision/recall/F1 over thresholds, the
worst pages with the blocks wrongly kept and dropped; plus the fitted model's most
important features. See plots.py for the optional PNG plots.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np

from .classify import FittedPass, Model, kept_mask
from .train import PageData, score

REPORT_SUFFIX = ".report.json"
# Thresholds of the precision/recall/F1 curve.
CURVE_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 0.05 … 0.95
TOP_FEATURES = 20
WORST_PAGES = 10
SHOWN_BLOCKS = 6  # per side (wrongly kept, wrongly dropped) and page
SHOWN_CHARS = 110


def report_path(model_path: str | Path) -> Path:
    """``m.npz`` -> ``m.report.json``."""
    return Path(model_path).with_suffix(REPORT_SUFFIX)


def _mean(values) -> float:
    return round(float(np.mean(list(values))), 4)


def threshold_curve(pages: list[PageData], probabilities: list[np.ndarray]) -> list[dict]:
    """Mean per-page precision, recall and F1 at each of CURVE_THRESHOLDS, ascending."""
    curve = []
    for threshold in CURVE_THRESHOLDS:
        results = score(pages, probabilities, threshold)
        curve.append({"threshold": threshold,
                      "precision": _mean(r.precision for r in results),
                      "recall": _mean(r.recall for r in results),
                      "f1": _mean(r.f1 for r in results)})
    return curve


def feature_importance(classifier: FittedPass, top: int = TOP_FEATURES) -> dict:
    """Each feature's share of the total split gain (or, for trees loaded from a file,
    which keep no gains, of the number of splits), the ``top`` largest first."""
    trees = classifier.trees_
    splits = ~trees.nodes["is_leaf"].astype(bool)
    features = trees.nodes["feature_idx"][splits].astype(np.int64)
    gain = trees.gain[splits] if trees.gain is not None else None
    totals = np.bincount(features, weights=gain, minlength=trees.n_features)
    shares = totals / totals.sum() if totals.sum() > 0 else totals
    order = np.argsort(-shares, kind="stable")[:top]
    names = classifier.feature_names
    return {
        "measure": "split_gain" if gain is not None else "split_count",
        "features": [{"name": names[i], "share": round(float(shares[i]), 4)}
                     for i in order if shares[i] > 0],
    }


def _shown(blocks) -> list[dict]:
    return [{"probability": round(float(p), 3), "kind": b.kind,
             "text": textwrap.shorten(b.text, SHOWN_CHARS, placeholder=" …")}
            for b, p in blocks[:SHOWN_BLOCKS]]


def block_errors(page: PageData, probabilities: np.ndarray, threshold: float) -> dict:
    """The blocks kept that the labels call chrome, and dropped that they call content."""
    keep, labels = kept_mask(probabilities, threshold), page.y.astype(bool)
    rows = list(zip(page.blocks, probabilities, keep, labels))
    wrongly_kept = [(b, p) for b, p, k, y in rows if k and not y]
    wrongly_dropped = [(b, p) for b, p, k, y in rows if y and not k]
    return {
        "wrongly_kept_count": len(wrongly_kept),
        "wrongly_dropped_count": len(wrongly_dropped),
        "wrongly_kept": _shown(wrongly_kept),
        "wrongly_dropped": _shown(wrongly_dropped),
    }


def worst_pages(pages: list[PageData], probabilities: list[np.ndarray], threshold: float,
                count: int = WORST_PAGES, page_type: str | None = None) -> list[dict]:
    """The ``count`` pages with the lowest F1 (of ``page_type`` only, if given)."""
    results = score(pages, probabilities, threshold)
    order = [i for i in np.argsort([r.f1 for r in results], kind="stable")
             if page_type is None or pages[i].page_type == page_type]
    return [{
        "page_id": pages[i].page_id,
        "page_type": pages[i].page_type,
        "domain": pages[i].domain,
        "f1": round(results[i].f1, 4),
        "precision": round(results[i].precision, 4),
        "recall": round(results[i].recall, 4),
        **block_errors(pages[i], probabilities[i], threshold),
    } for i in order[:count]]


def build_report(pages: list[PageData], probabilities: list[np.ndarray],
                 model: Model, metrics: dict) -> dict:
    """The whole report: ``metrics`` (as train() gives them) and the analyses above
    (feature importance per pass of each member, named as in the model file)."""
    from .model_io import pass_names

    passes = {name: classifier for k, member in enumerate(model.members)
              for name, classifier in zip(pass_names(k), (member.first, member.second))}
    return {
        **metrics,
        "threshold_curve": threshold_curve(pages, probabilities),
        "feature_importance": {name: feature_importance(classifier)
                               for name, classifier in passes.items() if classifier},
        "worst_pages": worst_pages(pages, probabilities, metrics["threshold"]),
    }


def write_report(model_path: str | Path, report: dict) -> list[Path]:
    """Write the report's JSON beside the model, and its plots when matplotlib is
    installed; return the files written."""
    from .plots import write_plots

    path = report_path(model_path)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [path, *write_plots(model_path, report)]
