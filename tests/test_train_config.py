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
from dechaff.features import FEATURE_NAMES
from dechaff.model_io import load_model, manifest_path
from dechaff.train import (
    SOFT_TARGET_FLOOR,
    TrainConfig,
    command_options,
    fit,
    prepare_page,
    second_pass_teacher,
    soft_targets,
)

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
    TrainConfig(distill=0.5, lexicon=True),
    TrainConfig(distill=0.25, teacher_max_iter=40),
])
def test_the_recorded_command_options_give_back_the_configuration(config):
    options = command_options(config)
    args = build_parser().parse_args(["train", "pages", *" ".join(options).split()])
    assert train_config(args) == config


def test_the_recorded_command_names_the_options_that_differ_from_the_defaults():
    assert command_options(TrainConfig()) == []
    assert command_options(TrainConfig(max_features=(1.0, 0.5), seed=2)) == \
        ["--max-features 1,0.5", "--seed 2"]


def test_soft_targets_weigh_each_row_as_content_by_its_target_and_as_chrome_by_the_rest():
    X = np.array([[1.0], [2.0]])
    y, w, teacher = np.array([1, 0]), np.array([1.0, 2.0]), np.array([0.2, 0.6])
    # Targets 0.5 * label + 0.5 * teacher: 0.6 and 0.3.
    X2, y2, w2 = soft_targets(X, y, w, teacher, 0.5)
    assert X2[:, 0].tolist() == [1.0, 2.0, 1.0, 2.0]
    assert y2.tolist() == [1, 1, 0, 0]
    assert np.allclose(w2, [0.6, 0.6, 0.4, 1.4])


def test_soft_targets_of_the_labels_alone_are_the_rows_as_they_were():
    X, y, w = np.array([[1.0], [2.0]]), np.array([1, 0]), np.array([1.0, 2.0])
    X2, y2, w2 = soft_targets(X, y, w, np.array([0.3, 0.9]), 0.0)
    assert (X2.tolist(), y2.tolist(), w2.tolist()) == ([[1.0], [2.0]], [1, 0], [1.0, 2.0])


def test_soft_targets_leave_out_a_copy_below_the_floor_of_its_rows_weight():
    X, y, w = np.array([[1.0], [2.0]]), np.array([1, 0]), np.array([1.0, 2.0])
    # Targets 0.5 * label + 0.5 * teacher: 0.9975 (its chrome copy 0.0025) and 0.25.
    X2, y2, w2 = soft_targets(X, y, w, np.array([0.995, 0.5]), 0.5)
    assert SOFT_TARGET_FLOOR > 0.0025
    assert X2[:, 0].tolist() == [1.0, 2.0, 2.0]
    assert y2.tolist() == [1, 1, 0]
    assert np.allclose(w2, [0.9975, 0.5, 1.5])


def test_the_teacher_takes_its_own_number_of_steps(monkeypatch):
    pages = [prepare_page(ref) for ref in list_pages(LABELED)]
    matrices = [p.features.X for p in pages]
    steps = []
    real_fit = BlockClassifier.fit

    def counting_fit(self, *args, **kwargs):
        steps.append(self.max_iter)
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(BlockClassifier, "fit", counting_fit)
    with threadpool_limits(1):
        second_pass_teacher(pages, TrainConfig(max_iter=9, teacher_max_iter=3), matrices,
                            FEATURE_NAMES)
        second_pass_teacher(pages, TrainConfig(max_iter=9, second_max_iter=5,
                                               teacher_max_iter=None), matrices,
                            FEATURE_NAMES)
        second_pass_teacher(pages, TrainConfig(max_iter=4), matrices, FEATURE_NAMES)
    assert steps == [3, 3, 3, 5, 5, 5, 4, 4, 4]  # one per inner fold, never above the pass


def test_a_classifier_fitted_on_soft_targets_learns_the_teachers_probability():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 2))
    y = (rng.random(4000) < 0.5).astype(int)  # labels that say nothing of X
    teacher = np.where(X[:, 0] > 0, 0.8, 0.1)  # a teacher that reads column 0
    with threadpool_limits(1):
        model = BlockClassifier(max_iter=50).fit(*soft_targets(X, y, np.ones(4000), teacher, 1.0))
    p = model.content_probability(np.array([[1.0, 0.0], [-1.0, 0.0]]))
    assert np.allclose(p, [0.8, 0.1], atol=0.05)


def test_distilling_changes_the_second_pass_and_leaves_the_first_as_it_was():
    pages = [prepare_page(ref) for ref in list_pages(LABELED)]
    with threadpool_limits(1):
        plain = fit(pages, TrainConfig(max_iter=10), 0.5)
        distilled = fit(pages, TrainConfig(max_iter=10, distill=0.5), 0.5)
    X = np.vstack([p.features.X for p in pages])
    assert np.array_equal(plain.first.content_probability(X),
                          distilled.first.content_probability(X))
    assert not np.array_equal(plain.probabilities(pages[0].features),
                              distilled.probabilities(pages[0].features))


@pytest.mark.parametrize("share", ["1.5", "-0.2", "half", "nan"])
def test_the_train_command_refuses_a_distilled_share_outside_0_to_1(share, capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["train", str(LABELED), "--out", str(tmp_path / "m.npz"), "--distill", share])
    assert "expected a share in [0, 1]" in capsys.readouterr().err


def test_a_distilled_share_outside_0_to_1_is_refused_by_the_configuration():
    with pytest.raises(ValueError, match="distill is a share"):
        TrainConfig(distill=2.0)
