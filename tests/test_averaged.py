"""Averaged models: one model per feature share, trained alike, probabilities averaged."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from dechaff.classify import AveragedModel, ContentModel
from dechaff.cli import main
from dechaff.estimator import FEATURE_SAMPLING_SINCE, _sklearn_version
from dechaff.extractor import Extractor
from dechaff.features import featurize
from dechaff.model_io import ModelError, load_model, manifest_path
from dechaff.page import read_page
from dechaff.train import TrainConfig

from .conftest import LABELED

pytestmark = pytest.mark.skipif(_sklearn_version() < FEATURE_SAMPLING_SINCE,
                                reason="members that differ need max_features, "
                                       "scikit-learn >= 1.4")


@pytest.fixture(scope="module")
def averaged(tmp_path_factory):
    """A two-member model written by the train command, and its manifest."""
    out = tmp_path_factory.mktemp("averaged") / "model.npz"
    with threadpool_limits(1):
        status = main(["train", str(LABELED), "--out", str(out), "--max-iter", "8",
                       "--max-features", "1.0,0.5", "--folds", "2", "--jobs", "1",
                       "--quiet"])
    assert status == 0
    return out, json.loads(manifest_path(out).read_text())


@pytest.fixture(scope="module")
def page_features():
    html = (LABELED / "news-article.html").read_bytes()
    return featurize(read_page(html))


def test_the_train_command_writes_one_member_per_feature_share(averaged):
    out, manifest = averaged
    model = load_model(out)
    assert isinstance(model, AveragedModel) and len(model.members) == 2
    assert manifest["members"] == 2
    assert manifest["training"]["config"]["max_features"] == [1.0, 0.5]
    # Member i is seeded seed + i, with its own share.
    assert [(m.first.get_params()["random_state"], m.first.get_params()["max_features"])
            for m in model.members] == [(0, 1.0), (1, 0.5)]


def test_an_averaged_model_gives_the_mean_of_its_members_probabilities(averaged,
                                                                       page_features):
    model = load_model(averaged[0])
    each = [member.probabilities(page_features) for member in model.members]
    assert not np.array_equal(*each)  # the members differ, or the test says nothing
    assert np.allclose(model.probabilities(page_features), (each[0] + each[1]) / 2)
    first_passes = [member.passes(page_features)[0][1] for member in model.members]
    passes = model.passes(page_features)
    assert np.allclose(passes[0][1], (first_passes[0] + first_passes[1]) / 2)
    assert np.array_equal(passes[-1][1], model.probabilities(page_features))


def test_an_averaged_model_cleans_a_page_at_its_own_threshold(averaged):
    out, manifest = averaged
    extractor = Extractor(out)
    assert extractor.threshold == manifest["threshold"]
    html = (LABELED / "news-article.html").read_bytes()
    article = extractor.article(html)
    probabilities = extractor.model.probabilities(featurize(read_page(html)))
    assert len(article.blocks) == int((probabilities >= extractor.threshold).sum())


@pytest.mark.parametrize("members", [1, 3, "2", 10**9])
def test_a_manifest_naming_other_members_than_the_file_holds_is_refused(
        averaged, tmp_path, members):
    out, manifest = averaged
    copy = tmp_path / "model.npz"
    shutil.copy(out, copy)
    manifest_path(copy).write_text(json.dumps({**manifest, "members": members}))
    with pytest.raises(ModelError):
        load_model(copy)


def test_members_must_read_the_same_features_in_the_same_passes(averaged):
    member = load_model(averaged[0]).members[0]
    with pytest.raises(ValueError, match="at least two"):
        AveragedModel([member])
    one_pass = ContentModel(member.first, None)
    with pytest.raises(ValueError, match="same features"):
        AveragedModel([member, one_pass])


def test_a_configuration_needs_at_least_one_share_and_one_member_per_classifier():
    with pytest.raises(ValueError, match="at least one share"):
        TrainConfig(max_features=())
    config = TrainConfig(max_features=(1.0, 0.5), seed=3)
    assert (config.members, config.member(1).max_features, config.member(1).seed) == \
        (2, (0.5,), 4)
    with pytest.raises(ValueError, match="member"):
        config.model()


def test_an_averaged_model_in_memory_is_taken_as_it_is(averaged):
    model = load_model(averaged[0])
    assert Extractor(model).model is model


def test_the_training_report_shows_the_features_of_every_members_passes(averaged):
    out, _ = averaged
    report = json.loads(out.with_suffix(".report.json").read_text())
    assert list(report["feature_importance"]) == [
        "first", "second", "member1.first", "member1.second"]
