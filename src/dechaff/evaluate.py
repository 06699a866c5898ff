"""Scoring extractions against labeled pages with the benchmark's metric."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .metrics import snippet_rate, word_prf


@dataclass(slots=True)
class PageResult:
    page_id: str
    page_type: str
    precision: float
    recall: float
    f1: float
    with_rate: float | None
    without_rate: float | None


def score_page(page_id: str, page_type: str, extracted: str, gold: str,
               with_snippets: list[str] = (), without_snippets: list[str] = ()) -> PageResult:
    score = word_prf(extracted, gold)
    return PageResult(
        page_id, page_type, score.precision, score.recall, score.f1,
        snippet_rate(extracted, list(with_snippets)),
        snippet_rate(extracted, list(without_snippets)),
    )


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(float(np.mean(values)), 4) if values else None


def _summarize(results: list[PageResult]) -> dict:
    return {
        "pages": len(results),
        "precision": _mean(r.precision for r in results),
        "recall": _mean(r.recall for r in results),
        "f1": _mean(r.f1 for r in results),
        "with": _mean(r.with_rate for r in results),
        "without": _mean(r.without_rate for r in results),
    }


def summarize(results: list[PageResult]) -> dict:
    """Mean scores overall and per page type (the benchmark reports the mean over pages)."""
    by_type = defaultdict(list)
    for result in results:
        by_type[result.page_type].append(result)
    return {
        "overall": _summarize(results),
        "by_type": {t: _summarize(rs) for t, rs in sorted(by_type.items())},
    }


def format_summary(summary: dict, title: str = "") -> str:
    """A Markdown table of a summary: one row overall, then one per page type."""
    head = "| pages | type | F1 | precision | recall | with | without |"
    lines = ([f"**{title}**", ""] if title else []) + [head, "|---|---|---|---|---|---|---|"]
    rows = [("all", summary["overall"])] + list(summary["by_type"].items())
    for name, s in rows:
        cells = [s["pages"], name] + [
            "–" if s[k] is None else f"{s[k]:.3f}"
            for k in ("f1", "precision", "recall", "with", "without")
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)

