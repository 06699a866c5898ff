"""Weighting data directories: `dechaff train A B --weight B=5`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from dechaff.cli import main
from dechaff.datasets import read_page_labels
from dechaff.features import featurize
from dechaff.model_io import load_model, manifest_path
from dechaff.page import read_page

from .test_formats import SITES, article, page

FAST = ["--folds", "2", "--max-iter", "20", "--jobs", "1", "--quiet"]
RELATED = "Related\n\nMarket day moves\n\nSchool fair a success"


@pytest.fixture(autouse=True)
def one_thread():
    with threadpool_limits(1):
        yield


@pytest.fixture
def contradictory(tmp_path):
    """The same pages twice: 'story' labels the article content, 'links' the related
    links instead."""
    for name, gold in (("story", article), ("links", lambda site: RELATED)):
        folder = tmp_path / name
        folder.mkdir()
        for site in SITES:
            (folder / f"{site}.html").write_text(page(site))
            (folder / f"{site}.txt").write_text(gold(site))
    return tmp_path / "story", tmp_path / "links"


def article_probability(model_path) -> float:
    """The trained model's mean P(content) over a fresh page's article paragraphs."""
    parsed = read_page(page("golf"))
    probabilities = load_model(model_path).probabilities(featurize(parsed))
    chosen = [p for b, p in zip(parsed.blocks, probabilities) if "golf valley" in b.text
              or "golf bridge" in b.text]
    assert len(chosen) == 2
    return sum(chosen) / len(chosen)


def train(capsys, tmp_path, name: str, *args: str):
    out = tmp_path / f"{name}.npz"
    status = main(["train", *args, "--out", str(out), *FAST])
    assert status == 0, capsys.readouterr().err
    return out


def test_the_heavier_directory_wins(capsys, tmp_path, contradictory):
    story, links = contradictory
    story_heavy = train(capsys, tmp_path, "story-heavy", str(story), str(links),
                        "--weight", f"{story}=5")
    links_heavy = train(capsys, tmp_path, "links-heavy", str(story), str(links),
                        "--weight", f"{links}=5")
    even = train(capsys, tmp_path, "even", str(story), str(links))
    assert article_probability(story_heavy) > article_probability(even) \
        > article_probability(links_heavy)
    assert article_probability(story_heavy) > 0.5 > article_probability(links_heavy)


def test_weights_are_recorded_in_the_manifest(capsys, tmp_path, contradictory):
    story, links = contradictory
    model = train(capsys, tmp_path, "m", str(story), str(links), "--weight", f"{links}=2.5")
    training = json.loads(manifest_path(model).read_text())["training"]
    assert training["weights"] == {"story": 1.0, "links": 2.5}
    assert training["config"]["weights"] == {str(links): 2.5}
    assert training["command"].endswith(
        "story links --weight links=2.5 --max-iter 20 --folds 2")


def test_a_weight_scales_every_block_of_its_pages(contradictory):
    from dechaff.train import load_pages

    story, links = contradictory
    plain, heavy = (load_pages([story, links], n_jobs=1, progress=False, weights=w)
                    for w in ({}, {str(links): 3}))
    for number, (a, b) in enumerate(zip(plain, heavy)):
        factor = 3.0 if number >= len(SITES) else 1.0
        assert b.weight == factor and np.allclose(b.weights, a.weights * factor)


def test_weight_for_an_unknown_directory_is_an_error(capsys, contradictory):
    story, links = contradictory
    assert main(["train", str(story), "--weight", f"{links}=2", *FAST]) == 1
    assert "not among the data directories" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["story", "story=", "story=-1", "story=zero", "=3",
                                   "story=inf"])
def test_bad_weight_syntax_is_a_usage_error(capsys, value):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "story", "--weight", value])
    assert exit_info.value.code == 2
    assert "expected DIR=W" in capsys.readouterr().err


def test_pairs_with_same_html_read_the_same_page(contradictory):
    from dechaff.datasets import list_pages

    story, links = contradictory
    a, b = (read_page_labels(list_pages(d)[0]) for d in (story, links))
    assert a.html == b.html and a.gold_text != b.gold_text


def test_cross_validation_is_also_reported_per_directory(capsys, tmp_path, contradictory):
    story, links = contradictory
    model = train(capsys, tmp_path, "m", str(story), str(links), "--weight", f"{links}=2")
    printed = capsys.readouterr().out
    assert "story pages alone" in printed and "links pages alone" in printed
    metrics = json.loads(manifest_path(model).read_text())["metrics"]
    parts = metrics["cross_validation_by_data"]
    assert list(parts) == ["story", "links"]
    assert [parts[s]["overall"]["pages"] for s in parts] == [len(SITES), len(SITES)]
    # Each directory's pages on their own; together they make up the overall mean.
    overall = metrics["cross_validation"]["overall"]
    assert np.isclose(np.mean([parts[s]["overall"]["f1"] for s in parts]), overall["f1"],
                      atol=1e-3)
    assert parts["story"]["overall"]["f1"] != parts["links"]["overall"]["f1"]


def test_one_directory_has_no_per_directory_report(capsys, tmp_path, contradictory):
    story, _ = contradictory
    model = train(capsys, tmp_path, "m", str(story))
    assert "pages alone" not in capsys.readouterr().out
    assert "cross_validation_by_data" not in json.loads(
        manifest_path(model).read_text())["metrics"]
