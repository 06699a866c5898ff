"""How `train` picks the content threshold from out-of-fold scores."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dechaff import train
from dechaff.evaluate import PageResult
from dechaff.train import BALANCE_FLOOR, THRESHOLD_GRID, THRESHOLD_TIE, best_threshold


@dataclass
class _Page:
    name: str = "x"
    weight: float = 1.0


def _scores(monkeypatch, table: dict[float, dict[str, tuple[float, float, float]]]) -> None:
    """Make page ``name`` score (f1, precision, recall) = table[threshold][name]; what
    the table leaves out scores zero."""
    def fake_score(pages, probabilities, threshold):
        rows = table.get(threshold, {})
        results = []
        for page in pages:
            f1, precision, recall = rows.get(page.name, (0.0, 0.0, 0.0))
            results.append(PageResult(page.name, "article", precision, recall, f1,
                                      None, None))
        return results
    monkeypatch.setattr(train, "score", fake_score)


def test_a_better_f1_below_the_precision_floor_loses_to_a_balanced_threshold(monkeypatch):
    low, high = THRESHOLD_GRID[1], THRESHOLD_GRID[4]
    _scores(monkeypatch, {low: {"x": (0.90, BALANCE_FLOOR - 0.01, 0.97)},
                          high: {"x": (0.88, BALANCE_FLOOR + 0.01, 0.92)}})
    assert best_threshold([_Page()], [None]) == high


def test_with_no_balanced_threshold_the_best_f1_wins(monkeypatch):
    low, high = THRESHOLD_GRID[1], THRESHOLD_GRID[4]
    _scores(monkeypatch, {low: {"x": (0.70, 0.60, 0.90)}, high: {"x": (0.65, 0.80, 0.55)}})
    assert best_threshold([_Page()], [None]) == low


def test_of_near_ties_the_highest_threshold_wins(monkeypatch):
    a, b, c = THRESHOLD_GRID[2], THRESHOLD_GRID[3], THRESHOLD_GRID[5]
    _scores(monkeypatch, {a: {"x": (0.900, 0.88, 0.93)},
                          b: {"x": (0.900 - THRESHOLD_TIE / 2, 0.89, 0.92)},
                          c: {"x": (0.900 - THRESHOLD_TIE * 3, 0.90, 0.91)}})
    assert best_threshold([_Page()], [None]) == b


@pytest.mark.parametrize("weights, expected", [((1.0, 1.0), 0.3), ((1.0, 9.0), 0.5)])
def test_pages_count_by_their_directory_weight(monkeypatch, weights, expected):
    """Page A is best at 0.3, page B at 0.5 (neither threshold balanced); B's weight
    decides."""
    _scores(monkeypatch, {0.3: {"A": (0.95, 0.9, 1.0), "B": (0.60, 0.9, 0.5)},
                          0.5: {"A": (0.70, 0.9, 0.6), "B": (0.75, 0.9, 0.7)}})
    pages = [_Page(name, weight) for name, weight in zip("AB", weights)]
    assert best_threshold(pages, [None, None]) == expected
