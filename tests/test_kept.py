"""Which blocks a page keeps: those at the threshold, and a page's only block."""

from __future__ import annotations

import numpy as np
import pytest

from dechaff.classify import ContentModel, kept_mask
from dechaff.extractor import Extractor
from dechaff.features import FEATURE_NAMES, featurize
from dechaff.inspection import ONLY_BLOCK_VERDICT, inspect_page, render_report
from dechaff.page import read_page
from dechaff.report import block_errors
from dechaff.train import PageData, oracle, score


def test_blocks_at_or_above_the_threshold_are_kept_and_the_rest_dropped():
    p = np.array([0.1, 0.4, 0.39, 0.9])
    assert kept_mask(p, 0.4).tolist() == [False, True, False, True]


def test_a_page_of_several_blocks_under_the_threshold_keeps_none():
    assert kept_mask(np.array([0.39, 0.3]), 0.4).tolist() == [False, False]


@pytest.mark.parametrize("probability", [0.0, 0.24, 0.9])
def test_a_page_of_one_block_keeps_it_whatever_its_probability(probability):
    assert kept_mask(np.array([probability]), 0.4).tolist() == [True]


def test_a_page_without_blocks_keeps_nothing():
    assert kept_mask(np.zeros(0), 0.4).tolist() == []


def test_the_probabilities_given_are_left_as_they_are():
    p = np.array([0.1])
    kept_mask(p, 0.4)
    assert p.tolist() == [0.1]


class _Constant:
    """A first pass giving every block the same P(content)."""

    feature_names = FEATURE_NAMES
    trees_ = None

    def __init__(self, probability: float) -> None:
        self.probability = probability

    def content_probability(self, X: np.ndarray) -> np.ndarray:
        return np.full(len(X), self.probability)

    def get_params(self) -> dict:
        return {}


def _extractor(probability: float) -> Extractor:
    return Extractor(ContentModel(_Constant(probability), None, threshold=0.4))


ONE_BLOCK = "<html><body><article><p>" + "Words here. " * 40 + "</p></article></body></html>"
TWO_BLOCKS = ONE_BLOCK.replace("</p>", "</p><p>More words there.</p>")


def test_the_extractor_keeps_a_doubtful_page_of_one_block_but_not_of_two():
    assert "Words here." in _extractor(0.1).extract(ONE_BLOCK)
    assert _extractor(0.1).extract(TWO_BLOCKS) == ""


def test_training_scores_and_reports_what_the_extractor_keeps():
    """train.score (so the threshold choice and `dechaff evaluate`) and the report's
    wrong blocks decide as the extractor does."""
    page = read_page(ONE_BLOCK)
    cleaned = _extractor(0.1).extract(ONE_BLOCK)
    assert cleaned
    # gold text = what the extractor keeps: training scores it perfect only if it
    # keeps the same words
    data = PageData("p", "article", "example.org", page.blocks, featurize(page),
                    np.ones(len(page.blocks), dtype=np.int8), cleaned)
    doubtful = np.full(len(page.blocks), 0.1)
    assert score([data], [doubtful], 0.4)[0].f1 == 1.0
    assert block_errors(data, doubtful, 0.4)["wrongly_dropped_count"] == 0


@pytest.mark.parametrize("probability, said", [(0.1, True), (0.6, False)])
def test_the_inspection_report_says_when_a_block_is_kept_as_the_only_one(probability,
                                                                         said):
    inspection = inspect_page(ONE_BLOCK, _extractor(probability))
    assert [view.kept for view in inspection.blocks] == [True]
    assert (ONLY_BLOCK_VERDICT in render_report(inspection)) is said


def test_the_label_ceiling_keeps_exactly_the_blocks_labeled_content():
    """The oracle is the labels' own score: a lone block labeled chrome stays out."""
    page = read_page(ONE_BLOCK)
    chrome = PageData("p", "article", "example.org", page.blocks, featurize(page),
                      np.zeros(len(page.blocks), dtype=np.int8), "")
    assert oracle([chrome])[0].f1 == 1.0  # nothing kept, nothing wanted
    assert score([chrome], [np.zeros(len(page.blocks))], 0.4)[0].f1 == 0.0
