"""TrainConfig options that shape the fitted passes."""

from __future__ import annotations

import json

from threadpoolctl import threadpool_limits

from dechaff.cli import main
from dechaff.datasets import list_pages
from dechaff.model_io import load_model, manifest_path
from dechaff.train import TrainConfig, fit, prepare_page

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
    model = load_model(out)
    assert (len(model.first.trees_.roots), len(model.second.trees_.roots)) == (8, 3)
