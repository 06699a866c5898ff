"""Shared fixtures: paths to the project's labeled pages and the optional dataset."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The project's hand-labeled pages of many invented sites (the general set). Beside
# them, labeled_data/valley-walks* hold one site that the shipped model cleans badly,
# for the fine-tuning test; they stay out of the general set.
LABELED = ROOT / "labeled_data" / "pages"
PAGES = LABELED
VALLEY_WALKS = ROOT / "labeled_data" / "valley-walks"
VALLEY_WALKS_UNSEEN = ROOT / "labeled_data" / "valley-walks-unseen"
OLD_LAYOUTS = ROOT / "labeled_data" / "old-layouts"  # 26 invented 1999-2016 pages, with texts
WCXB = ROOT.parent / "shared" / "datasets" / "wcxb-dev"

needs_dataset = pytest.mark.skipif(
    not WCXB.is_dir(),
    reason=f"the WCXB dev set is not at {WCXB} (it exists on development machines and in CI)",
)


@pytest.fixture(scope="session")
def small_model(tmp_path_factory) -> Path:
    """A quick model trained on the project's own labeled pages (few boosting rounds)."""
    from dechaff.train import TrainConfig, train

    out = tmp_path_factory.mktemp("model") / "small.npz"
    train([LABELED], out, TrainConfig(folds=3, n_jobs=1, max_iter=40), progress=False)
    return out
