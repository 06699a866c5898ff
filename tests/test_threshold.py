"""How `train` picks the content threshold from out-of-fold scores."""

from __future__ import annotations

import pytest

from dechaff import train
from dechaff.evaluate import PageResult
from dechaff.train import BALANCE_FLOOR, THRESHOLD_GRID, THRESHOLD_TIE, best_threshold


class _Page:
    weight = 1.0


def _scores(monkeypatch, table: dict[float, tuple[float, float, float]]) -> None:
    """Make every page score (f1, precision, recall) = table[threshold] (grid points
    not in the table score zero)."""
    def fake_score(pages, probabilities, threshold):
        f1, p, r = table.get(threshold, (0.0, 0.0, 0.0))
        return [PageResult("x", "article", p, r, f1, None, None) for _ in pages]
    monkeypatch.setattr(train, "score", fake_score)


def test_a_better_f1_below_the_precision_floor_loses_to_a_balanced_threshold(monkeypatch):
    low, high = THRESHOLD_GRID[1], THRESHOLD_GRID[4]
    _scores(monkeypatch, {low: (0.90, BALANCE_FLOOR - 0.01, 0.97),
                          high: (0.88, BALANCE_FLOOR + 0.01, 0.92)})
    assert best_threshold([_Page()], [None]) == high


def test_with_no_balanced_threshold_the_best_f1_wins(monkeypatch):
    low, high = THRESHOLD_GRID[1], THRESHOLD_GRID[4]
    _scores(monkeypatch, {low: (0.70, 0.60, 0.90), high: (0.65, 0.80, 0.55)})
    assert best_threshold([_Page()], [None]) == low


def test_of_near_ties_the_highest_threshold_wins(monkeypatch):
    a, b, c = THRESHOLD_GRID[2], THRESHOLD_GRID[3], THRESHOLD_GRID[5]
    _scores(monkeypatch, {a: (0.900, 0.88, 0.93),
                          b: (0.900 - THRESHOLD_TIE / 2, 0.89, 0.92),
                          c: (0.900 - THRESHOLD_TIE * 3, 0.90, 0.91)})
    assert best_threshold([_Page()], [None]) == b


@pytest.mark.parametrize("weights, expected", [((1.0, 1.0), 0.3), ((1.0, 9.0), 0.5)])
def test_pages_count_by_their_directory_weight(monkeypatch, weights, expected):
    """Page A is best at 0.3, page B at 0.5; B's weight decides."""
    table = {0.3: {"A": (0.95, 0.9, 1.0), "B": (0.60, 0.9, 0.5)},
             0.5: {"A": (0.70, 0.9, 0.6), "B": (0.75, 0.9, 0.7)}}

    def fake_score(pages, probabilities, threshold):
        rows = table.get(threshold, {})
        return [PageResult(p.name, "article", *rows.get(p.name, (0, 0, 0))[1:],
                           rows.get(p.name, (0,))[0], None, None) for p in pages]
    monkeypatch.setattr(train, "score", fake_score)
    pages = []
    for name, weight in zip("AB", weights):
        page = _Page()
        page.name, page.weight = name, weight
        pages.append(page)
    assert best_threshold(pages, [None, None]) == expected
