"""Pages whose automatic labels do not reproduce their clean text are not fitted."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from dechaff.cli import main
from dechaff.datasets import list_pages
from dechaff.model_io import manifest_path
from dechaff.train import TrainConfig, fit, fitting_pages, oracle, prepare_page

from .conftest import LABELED

FLOOR = 0.5  # the floor tried on the WCXB dev pages (BENCHMARKS.md)
UNRELATED_GOLD = "Quarterly tide tables for the northern harbour, corrected for daylight time"
QUICK = TrainConfig(max_iter=20, two_pass=False, min_label_f1=FLOOR)


@pytest.fixture(scope="module")
def pages():
    return [prepare_page(ref) for ref in list_pages(LABELED)]


def mislabeled(page):
    """The page with a clean text that none of its blocks holds: alignment finds nothing
    to label content, so its labels reproduce that text at F1 0."""
    return replace(page, page_id=page.page_id + "-mislabeled", gold_text=UNRELATED_GOLD,
                   y=np.zeros_like(page.y))


def test_the_project_pages_all_reach_the_floor(pages):
    assert all(r.f1 >= FLOOR for r in oracle(pages))
    assert fitting_pages(pages, FLOOR) == pages


def test_a_page_whose_labels_miss_its_clean_text_is_left_out(pages):
    bad = mislabeled(pages[0])
    assert oracle([bad])[0].f1 == 0.0
    kept = fitting_pages([*pages, bad], FLOOR)
    assert [p.page_id for p in kept] == [p.page_id for p in pages]


def test_a_floor_of_zero_fits_every_page(pages):
    everything = [*pages, mislabeled(pages[0])]
    assert fitting_pages(everything, 0.0) == everything


def test_a_left_out_page_does_not_change_the_model(pages):
    with threadpool_limits(1):
        clean = fit(pages, QUICK, 0.5)
        with_bad = fit([*pages, mislabeled(pages[1])], QUICK, 0.5)
        unfiltered = fit([*pages, mislabeled(pages[1])], replace(QUICK, min_label_f1=0.0),
                         0.5)
    features = pages[1].features
    assert np.array_equal(clean.probabilities(features), with_bad.probabilities(features))
    # ... while fitting it (all its blocks labeled chrome) does change the model.
    assert not np.array_equal(clean.probabilities(features),
                              unfiltered.probabilities(features))


def test_fitting_no_page_is_a_clear_error(pages):
    with pytest.raises(ValueError, match="none of the 2 pages has labels reaching"):
        fit([mislabeled(p) for p in pages[:2]], QUICK, 0.5)


def test_the_train_command_takes_the_floor_and_records_it(tmp_path, capsys):
    out = tmp_path / "model.npz"
    status = main(["train", str(LABELED), "--out", str(out), "--min-label-f1", "0.8",
                   "--folds", "2", "--max-iter", "10", "--jobs", "1", "--quiet"])
    assert status == 0, capsys.readouterr().err
    assert "0 of 14 pages left out of fitting" in capsys.readouterr().out
    manifest = json.loads(manifest_path(out).read_text())
    assert manifest["training"]["config"]["min_label_f1"] == 0.8
    assert manifest["metrics"]["fitted_pages"] == 14
