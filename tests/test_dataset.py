"""Tests on the WCXB dev set (../shared); they skip where it is absent."""

import json
from pathlib import Path

import numpy as np
import pytest

from dechaff.classify import kept_mask
from dechaff.cli import main
from dechaff.datasets import list_pages
from dechaff.evaluate import summarize
from dechaff.model_io import default_model_path, load_model, read_manifest
from dechaff.train import TrainConfig, fit, load_pages, oracle, prepare_page

from .conftest import LABELED, ROOT, WCXB, needs_dataset

pytestmark = needs_dataset


@pytest.fixture(scope="module")
def first_pages():
    return [prepare_page(ref) for ref in list_pages(WCXB)[:120]]


def test_dataset_is_read_as_wcxb_with_page_types():
    refs = list_pages(WCXB)
    assert len(refs) == 1497
    assert refs[0].format == "wcxb"


def test_alignment_labels_reproduce_the_gold_text(first_pages):
    # The ceiling of keeping exactly the blocks labeled content: the labels' quality.
    assert summarize(oracle(first_pages))["overall"]["f1"] >= 0.95


def test_training_is_reproducible(first_pages):
    config = TrainConfig(max_iter=30)
    a = fit(first_pages[:80], config, 0.5)
    b = fit(first_pages[:80], config, 0.5)
    features = first_pages[100].features
    assert np.array_equal(a.probabilities(features), b.probabilities(features))


def test_evaluate_command_on_dataset_pages(tmp_path, capsys):
    # A small WCXB-layout directory of links to the first pages (nothing is copied).
    (tmp_path / "html").mkdir()
    (tmp_path / "ground-truth").mkdir()
    for ref in list_pages(WCXB)[:20]:
        (tmp_path / "html" / ref.html_path.name).symlink_to(ref.html_path)
        (tmp_path / "ground-truth" / ref.label_path.name).symlink_to(ref.label_path)
    assert main(["evaluate", str(tmp_path), "--json", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["overall"]["pages"] == 20
    assert 0.5 <= summary["overall"]["f1"] <= 1.0


def training_directories(names: list[str]) -> list[Path]:
    """Where the manifest's data directories are: WCXB in ../shared, the rest here."""
    return [WCXB if name == WCXB.name else ROOT / "labeled_data" / name for name in names]


# numpy picks its float loops by the processor's vector extensions. The shipped model
# was trained with AVX-512; with AVX2 loops 11 feature columns differ in the last
# float32 bit (README, "Training"), which flips near-tie splits, so there a rebuild is
# checked by what it keeps rather than bit for bit.
TRAINED_WITH = "AVX512F"
# Share of the labeled pages' blocks that a rebuild on other vector extensions keeps or
# drops as the shipped model does, at least (2026-12-02 on AVX2: 930 of 954, 0.975).
REBUILD_AGREEMENT = 0.95


def _numpy_features() -> dict:
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__
    return __cpu_features__


def test_documented_train_command_rebuilds_the_shipped_model():
    """The manifest's `dechaff train` command reproduces the shipped model: bit for bit
    on the vector extensions it was trained with, in what it keeps elsewhere."""
    manifest = read_manifest(default_model_path())
    training = manifest["training"]
    directories = training_directories(training["data"])
    # The weights are keyed by the paths given on the command line; map them here.
    weights = {str(d): training["weights"][name]
               for d, name in zip(directories, training["data"])}
    config = TrainConfig(**{**training["config"], "weights": weights})
    pages = load_pages(directories, progress=False, weights=weights)
    rebuilt = fit(pages, config, manifest["threshold"])
    shipped = load_model()
    features = [prepare_page(ref).features for ref in list_pages(LABELED)]
    if _numpy_features().get(TRAINED_WITH):
        for f in features:
            assert np.allclose(rebuilt.probabilities(f), shipped.probabilities(f), atol=1e-9)
        return
    def kept(model, f):
        return kept_mask(model.probabilities(f), shipped.threshold)

    alike = sum(int(np.sum(kept(rebuilt, f) == kept(shipped, f))) for f in features)
    blocks = sum(len(f.X) for f in features)
    assert alike / blocks >= REBUILD_AGREEMENT, f"{alike} of {blocks} blocks alike"
