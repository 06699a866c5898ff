"""The training report `dechaff train --out MODEL` writes beside the model."""

from __future__ import annotations

import json

import pytest
from threadpoolctl import threadpool_limits

from dechaff import plots
from dechaff.cli import main
from dechaff.features import CONTEXT_NAMES, FEATURE_NAMES
from dechaff.model_io import load_model
from dechaff.report import CURVE_THRESHOLDS, WORST_PAGES, feature_importance

from .conftest import LABELED
from .test_formats import make_pairs

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FAST = ["--folds", "3", "--max-iter", "40", "--jobs", "1", "--quiet"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A fast model trained on the project's labeled pages: (model path, report)."""
    out = tmp_path_factory.mktemp("report") / "small.npz"
    with threadpool_limits(1):
        assert main(["train", str(LABELED), "--out", str(out), *FAST]) == 0
    return out, json.loads(out.with_suffix(".report.json").read_text())


def test_report_has_cross_validated_scores_overall_and_per_type(trained):
    _, report = trained
    overall, by_type = report["cross_validation"]["overall"], report["cross_validation"]["by_type"]
    assert overall["pages"] == report["pages"] == 14
    assert all(0 <= s[k] <= 1 for s in [overall, *by_type.values()]
               for k in ("precision", "recall", "f1"))
    assert {"article", "forum", "product"} <= set(by_type)
    assert sum(s["pages"] for s in by_type.values()) == 14


def test_threshold_curve_is_ordered_and_trades_recall_for_precision(trained):
    _, report = trained
    curve = report["threshold_curve"]
    assert [p["threshold"] for p in curve] == sorted(CURVE_THRESHOLDS)
    recall = [p["recall"] for p in curve]
    assert recall == sorted(recall, reverse=True)  # keeping fewer blocks never adds words
    assert curve[-1]["precision"] > curve[0]["precision"]
    at_model = next(p for p in curve if p["threshold"] == report["threshold"])
    assert at_model["f1"] == report["cross_validation"]["overall"]["f1"]


def test_feature_importance_names_real_features_by_split_gain(trained):
    _, report = trained
    first, second = (report["feature_importance"][k] for k in ("first", "second"))
    assert first["measure"] == second["measure"] == "split_gain"
    assert {f["name"] for f in first["features"]} <= set(FEATURE_NAMES)
    assert {f["name"] for f in second["features"]} <= set(FEATURE_NAMES + CONTEXT_NAMES)
    shares = [f["share"] for f in first["features"]]
    assert shares == sorted(shares, reverse=True) and 0 < sum(shares) <= 1.0001


def test_a_loaded_model_falls_back_to_split_counts(trained):
    model, report = trained
    loaded = feature_importance(load_model(model).first)
    assert loaded["measure"] == "split_count"
    assert {f["name"] for f in loaded["features"]} <= set(FEATURE_NAMES)


def test_worst_pages_come_first_with_their_wrong_blocks(trained):
    _, report = trained
    worst = report["worst_pages"]
    assert len(worst) == min(WORST_PAGES, 14)
    assert [p["f1"] for p in worst] == sorted(p["f1"] for p in worst)
    first = worst[0]
    assert first["f1"] < report["cross_validation"]["overall"]["f1"]
    assert first["wrongly_kept_count"] + first["wrongly_dropped_count"] > 0
    shown = first["wrongly_kept"] + first["wrongly_dropped"]
    assert shown and all(0 <= b["probability"] <= 1 and b["text"] for b in shown)


def test_plots_are_valid_pngs(trained):
    model, _ = trained
    for path in plots.plot_paths(model):
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 1000


def test_without_matplotlib_json_only_and_a_hint(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(plots, "have_matplotlib", lambda: False)
    out = tmp_path / "m.npz"
    with threadpool_limits(1):
        status = main(["train", str(make_pairs(tmp_path / "pairs")), "--out", str(out),
                       "--folds", "2", "--max-iter", "5", "--jobs", "1", "--quiet"])
    err = capsys.readouterr().err
    assert status == 0
    assert (tmp_path / "m.report.json").is_file()
    assert not any(p.exists() for p in plots.plot_paths(out))
    assert err.count("\n") == 1 and "pip install 'dechaff[report]'" in err
