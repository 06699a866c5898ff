import json
import pickle

import numpy as np
import pytest

from dechaff import Extractor, ModelError
from dechaff.classify import ContentModel
from dechaff.estimator import BlockClassifier
from dechaff.features import CONTEXT_NAMES, FEATURE_NAMES, featurize
from dechaff.model_io import feature_hash, load_model, read_manifest, save_model
from dechaff.page import read_page

from .conftest import PAGES


def test_manifest_records_features_versions_and_metrics(small_model):
    manifest = read_manifest(small_model)
    assert manifest["feature_names"] == list(FEATURE_NAMES + CONTEXT_NAMES)
    assert manifest["feature_hash"] == feature_hash(FEATURE_NAMES + CONTEXT_NAMES)
    assert manifest["passes"] == 2
    assert manifest["sklearn_version"]
    assert manifest["training"]["data"] == ["pages"]
    assert manifest["training"]["config"]["max_iter"] == 40
    assert manifest["metrics"]["pages"] == 14
    assert 0.0 <= manifest["metrics"]["cross_validation"]["overall"]["f1"] <= 1.0
    assert manifest["threshold"] == manifest["metrics"]["threshold"]


def test_saved_model_predicts_like_the_one_in_memory(small_model, tmp_path):
    loaded = load_model(small_model)
    features = featurize(read_page((PAGES / "news-article.html").read_bytes()))
    again = tmp_path / "again.npz"
    save_model(loaded, again, {})
    assert np.array_equal(load_model(again).probabilities(features),
                          loaded.probabilities(features))
    assert Extractor(again).extract(page_html := (PAGES / "news-article.html").read_bytes()) \
        == Extractor(small_model).extract(page_html)


def test_mismatched_features_are_refused_with_a_retrain_hint(small_model, tmp_path):
    model = tmp_path / "old.npz"
    model.write_bytes(small_model.read_bytes())
    manifest = read_manifest(small_model)
    manifest["feature_hash"] = "0123456789abcdef"
    model.with_suffix(".json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="dechaff train"):
        load_model(model)


def test_model_without_manifest_is_refused(small_model, tmp_path):
    model = tmp_path / "bare.npz"
    model.write_bytes(small_model.read_bytes())
    with pytest.raises(ModelError, match="no manifest"):
        load_model(model)


class _Exploit:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_loading_a_malicious_pickle_runs_no_code(small_model, tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(_Exploit(marker)))
    path.with_suffix(".json").write_text(small_model.with_suffix(".json").read_text())
    with pytest.raises(ModelError, match="cannot load"):
        load_model(path)
    assert not marker.exists()


def test_object_arrays_in_a_model_file_are_refused(small_model, tmp_path):
    path = tmp_path / "objects.npz"
    with np.load(small_model) as arrays:
        contents = dict(arrays)
    contents["first.value"] = np.array([_Exploit(tmp_path / "x")], dtype=object)
    np.savez(path, **contents)
    path.with_suffix(".json").write_text(small_model.with_suffix(".json").read_text())
    with pytest.raises(ModelError, match="cannot load"):
        load_model(path)
    assert not (tmp_path / "x").exists()


def test_model_files_hold_only_numeric_arrays(small_model):
    with np.load(small_model, allow_pickle=False) as arrays:
        assert {arrays[name].dtype.kind for name in arrays.files} <= {"f", "i", "u", "b"}


def test_a_file_that_is_not_a_model_is_refused(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, something=np.arange(3))
    manifest = {"feature_hash": feature_hash(FEATURE_NAMES), "feature_names": FEATURE_NAMES,
                "passes": 1, "threshold": 0.5}
    path.with_suffix(".json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError):
        load_model(path)


def test_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "nowhere.npz")


def test_classifier_checks_feature_count():
    with pytest.raises(ValueError, match="columns"):
        BlockClassifier(feature_names=("a", "b")).fit(np.zeros((4, 3)), np.array([0, 1, 0, 1]))


def test_numpy_walk_agrees_with_the_compiled_predictors(small_model):
    # The numpy walk is what predicts if a scikit-learn upgrade changes its internals.
    model = load_model(small_model)
    features = featurize(read_page((PAGES / "recipe.html").read_bytes()))
    trees = model.first.trees_
    compiled = trees._compile()
    assert compiled  # the fast path is in use with this scikit-learn
    # (directly: decision_function prefers the C scorer where it was built)
    assert np.allclose(trees._walk(features.X), trees._compiled_scores(compiled, features.X))


def test_a_loaded_pass_keeps_its_settings_and_predicts_as_the_fitted_one(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, len(FEATURE_NAMES))).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    fitted = BlockClassifier(feature_names=FEATURE_NAMES, max_iter=7, learning_rate=0.3,
                             random_state=5).fit(X, y)
    path = tmp_path / "one-pass.npz"
    save_model(ContentModel(fitted, None, 0.45), path, {})
    loaded = load_model(path)
    assert loaded.first.get_params() == fitted.get_params()  # not the defaults
    assert np.array_equal(loaded.first.predict_proba(X), fitted.predict_proba(X))
    assert loaded.first.predict_proba(X[:0]).shape == (0, 2)
    assert loaded.threshold == 0.45
