"""TrainConfig options that shape the fitted passes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from dechaff import estimator
from dechaff.cli import build_parser, main, train_config
from dechaff.datasets import list_pages
from dechaff.estimator import FEATURE_SAMPLING_SINCE, BlockClassifier, _sklearn_version
from dechaff.model_io import load_model, manifest_path
from dechaff.train import TrainConfig, command_options, fit, prepare_page

from .conftest import LABELED


def test_the_second_pass_takes_its_own_number_of_steps():
    pages = [prepare_page(ref) for ref in list_pages(LABELED)]
    with threadpool_limits(1):
        model = fit(pages, TrainConfig(max_iter=12, second_max_iter=4), 0.5)
    assert len(model.first.trees_.roots) == 12
    assert len(model.second.trees_.roots) == 4


def test_the_train_command_takes_second_pass_steps_and_records_them(tmp_path, capsys):
    out = tmp_path / "model.npz"
    status = main(["train", str(LABELED), "--out", str(out), "--max-iter", "8",
                   "--second-max-iter", "3", "--folds", "2", "--jobs", "1", "--quiet"])
    assert status == 0, capsys.readouterr().err
    manifest = json.loads(manifest_path(out).read_text())
    assert manifest["training"]["config"]["second_max_iter"] == 3
    assert manifest["training"]["command"].endswith(
        "--max-iter 8 --second-max-iter 3 --folds 2")
    model = load_model(out)
    assert (len(model.first.trees_.roots), len(model.second.trees_.roots)) == (8, 3)


def _root_features(max_features: float) -> set[int]:
    """The feature each tree's first split uses, on data where only column 0 tells."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 20))
    y = (X[:, 0] > 0).astype(int)
    with threadpool_limits(1):
        model = BlockClassifier(max_iter=10, max_features=max_features).fit(X, y)
    trees = model.trees_
    return {int(trees.nodes["feature_idx"][root]) for root in trees.roots}


@pytest.mark.skipif(_sklearn_version() < FEATURE_SAMPLING_SINCE,
                    reason="max_features needs scikit-learn >= 1.4")
def test_feature_sampling_makes_splits_choose_from_a_random_share_of_the_features():
    assert _root_features(1.0) == {0}
    # One feature of twenty per split: the roots land on whatever column was drawn.
    assert len(_root_features(0.05)) > 1


def test_feature_sampling_on_an_old_scikit_learn_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(estimator.sklearn, "__version__", "1.3.2")
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    with pytest.raises(ValueError, match="needs scikit-learn >= 1.4"):
        BlockClassifier(max_features=0.5).fit(X, y)
    assert BlockClassifier(max_iter=2, min_samples_leaf=1).fit(X, y).n_features_in_ == 2


@pytest.mark.parametrize("share", ["0", "1.5", "-0.2", "half", "nan"])
def test_the_train_command_refuses_a_feature_share_outside_0_to_1(share, capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["train", str(LABELED), "--out", str(tmp_path / "m.npz"), "--max-features", share])
    assert "expected a share in (0, 1]" in capsys.readouterr().err


@pytest.mark.skipif(_sklearn_version() < FEATURE_SAMPLING_SINCE,
                    reason="max_features needs scikit-learn >= 1.4")
def test_the_train_command_records_its_feature_share(tmp_path, capsys):
    out = tmp_path / "model.npz"
    status = main(["train", str(LABELED), "--out", str(out), "--max-iter", "5",
                   "--max-features", "0.5", "--folds", "2", "--jobs", "1", "--quiet"])
    assert status == 0, capsys.readouterr().err
    manifest = json.loads(manifest_path(out).read_text())
    assert manifest["training"]["config"]["max_features"] == [0.5]


@pytest.mark.parametrize(("version", "expected"), [
    ("1.9.1", (1, 9)), ("1.4rc1", (1, 4)), ("1.10.dev0", (1, 10)), ("1.3.2", (1, 3))])
def test_the_scikit_learn_version_is_read_from_release_and_pre_release_strings(
        version, expected, monkeypatch):
    monkeypatch.setattr(estimator.sklearn, "__version__", version)
    assert _sklearn_version() == expected


@pytest.mark.parametrize("config", [
    TrainConfig(),
    TrainConfig(max_features=(1.0, 0.5)),
    TrainConfig(max_iter=100, second_max_iter=50, min_label_f1=0.5, folds=4, seed=3,
                threshold=0.35, max_features=(0.75,)),
])
def test_the_recorded_command_options_give_back_the_configuration(config):
    options = command_options(config)
    args = build_parser().parse_args(["train", "pages", *" ".join(options).split()])
    assert train_config(args) == config


def test_the_recorded_command_names_the_options_that_differ_from_the_defaults():
    assert command_options(TrainConfig()) == []
    assert command_options(TrainConfig(max_features=(1.0, 0.5), seed=2)) == \
        ["--max-features 1,0.5", "--seed 2"]
