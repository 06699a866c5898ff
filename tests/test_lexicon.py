"""The lexicon: hashed word n-grams of each block, a linear model over them, and a
model that reads its score (train --lexicon)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from dechaff import lexicon as lx
from dechaff.cli import main
from dechaff.features import featurize
from dechaff.model_io import ModelError, load_model, manifest_path
from dechaff.page import read_page

from .conftest import LABELED, OLD_LAYOUTS

TRICKY = [
    "",
    " ",
    "Reply",
    "Posted 12 Jan 2024 — Reply!",
    "1,234 views · 56 likes",
    "A1B22C333 x²½ ٣٤ and 42",
    "İSTANBUL ΣΊΣΥΦΟΣ Straße ǅ",
    "tab\tnew\nline\x1cfile\u3000ideographic\u00a0nbsp",
    "snake_case and kebab-case and emoji 👍🏽 ok",
    "©2024 All Rights Reserved | Privacy",
    "x" * 1000,
    "word " * 200,
    "\ud800 lone surrogate",
]


def test_tokens_are_lowercased_words_with_digit_runs_as_zero_and_punctuation_alone():
    assert lx.tokens("Posted 12 Jan 2024 — Reply!") == \
        ["posted", "0", "jan", "0", "—", "reply", "!"]
    assert lx.tokens("A1B22 x_y 3.14") == ["a0b0", "x_y", "0", ".", "0"]
    assert lx.tokens("  ") == []


def test_a_text_has_a_slot_per_token_and_per_pair_with_its_start_and_end():
    assert len(lx.ngram_slots("")) == 1  # the pair (start, end)
    assert len(lx.ngram_slots("share this post")) == 3 + 4
    assert all(0 <= s < 1 << lx.BITS for s in lx.ngram_slots("share this post"))
    # The same token pair hashes alike wherever it is; unigrams come first.
    assert lx.ngram_slots("read more")[:2] == lx.ngram_slots("more read")[1::-1]


def test_only_the_first_max_chars_of_a_text_are_read():
    head = "word " * (lx.MAX_CHARS // 5)
    assert lx.ngram_slots(head + "tail") == lx.ngram_slots(head + "other words")


@pytest.mark.skipif(lx._textscan is None, reason="the C extension is not built")
def test_the_c_scan_gives_the_python_reference_slots():
    counts, slots = lx.slots_of(TRICKY)
    reference = [lx.ngram_slots(t) for t in TRICKY]
    assert counts.tolist() == [len(r) for r in reference]
    assert slots.tolist() == [s for r in reference for s in r]


@pytest.mark.skipif(lx._textscan is None, reason="the C extension is not built")
def test_the_c_scan_gives_the_reference_slots_on_every_labeled_block():
    texts = [b.text for directory in (LABELED, OLD_LAYOUTS)
             for path in sorted(directory.glob("*.html"))
             for b in read_page(path.read_bytes()).blocks]
    assert len(texts) > 1000
    counts, slots = lx.slots_of(texts)
    reference = [lx.ngram_slots(t) for t in texts]
    assert counts.tolist() == [len(r) for r in reference]
    assert slots.tolist() == [s for r in reference for s in r]


CHROME = ["Reply", "1 Like", "Share this post", "Log in to reply", "Read more",
          "Posted in News", "Share on Twitter", "Reply to this comment", "2 Likes"]
CONTENT = ["The river rose three feet overnight and the bridge was closed to traffic.",
           "Volunteers filled sandbags along the bank until the early morning.",
           "The council said repairs to the road would take most of the summer.",
           "Residents were told to boil water until further notice from the utility.",
           "Rain is expected to ease by the weekend, forecasters said on Tuesday."]


@pytest.fixture(scope="module")
def toy_lexicon() -> lx.Lexicon:
    texts = CHROME + CONTENT
    y = np.array([0] * len(CHROME) + [1] * len(CONTENT))
    return lx.Lexicon(C=10.0).fit(texts, y)


def test_a_fitted_lexicon_scores_unseen_chrome_phrases_below_unseen_prose(toy_lexicon):
    chrome, prose = toy_lexicon.score(["Share this comment", "3 Likes"]), \
        toy_lexicon.score(["The bridge was closed until the water fell."])
    assert chrome.max() < 0 < prose[0]


def test_a_lexicon_score_is_its_linear_model_on_the_scaled_slot_matrix(toy_lexicon):
    texts = ["Reply to this post", "The road was closed", ""]
    expected = lx.slot_matrix(texts) @ toy_lexicon.coef_ + toy_lexicon.intercept_
    assert np.allclose(toy_lexicon.score(texts), expected, atol=1e-5)
    assert toy_lexicon.score([]).shape == (0,)


def test_a_lexicon_needs_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        lx.Lexicon().fit(["a", "b"], np.array([1, 1]))


@pytest.fixture(scope="module")
def lexicon_model(tmp_path_factory):
    """A model with a lexicon, written by the train command."""
    out = tmp_path_factory.mktemp("lexicon") / "model.npz"
    with threadpool_limits(1):
        status = main(["train", str(LABELED), "--out", str(out), "--max-iter", "8",
                       "--lexicon", "--folds", "2", "--jobs", "1", "--quiet"])
    assert status == 0
    return out


def test_train_lexicon_writes_a_model_whose_first_pass_reads_the_lexicon_score(
        lexicon_model):
    model = load_model(lexicon_model)
    manifest = json.loads(manifest_path(lexicon_model).read_text())
    assert model.lexicon is not None and model.lexicon.coef_.shape == (1 << lx.BITS,)
    assert model.first.feature_names[-1] == "lex.score"
    assert model.second.feature_names[len(model.first.feature_names) - 1] == "lex.score"
    assert manifest["training"]["config"]["lexicon"] is True
    assert manifest["training"]["command"].endswith("--lexicon")
    assert manifest["lexicons"]["lexicon"]["bits"] == lx.BITS


def test_a_lexicon_model_scores_the_first_pass_on_the_lexicon_column(lexicon_model):
    model = load_model(lexicon_model)
    features = featurize(read_page((LABELED / "news-article.html").read_bytes()))
    (matrix, first), _ = model.passes(features)
    scores = model.lexicon.score(features.texts)
    assert np.array_equal(matrix[:, -1], scores)
    assert np.array_equal(matrix[:, :-1], features.X)
    # The column is read: other scores give other first-pass probabilities.
    shifted = np.hstack([features.X, (scores - 5.0)[:, None]])
    assert not np.allclose(model.first.content_probability(shifted), first)


def test_a_saved_lexicon_model_loads_in_the_clean_command_and_keeps_text(lexicon_model,
                                                                         capsys):
    assert main(["clean", str(LABELED / "news-article.html"), "--model",
                 str(lexicon_model)]) == 0
    assert len(capsys.readouterr().out.split()) > 50


def test_a_model_file_whose_lexicon_has_the_wrong_size_is_refused(lexicon_model, tmp_path):
    with np.load(lexicon_model) as arrays:
        data = {k: arrays[k] for k in arrays.files}
    data["lexicon.coef"] = data["lexicon.coef"][:100]
    broken = tmp_path / "broken.npz"
    np.savez(broken, **data)
    manifest_path(broken).write_text(manifest_path(lexicon_model).read_text())
    with pytest.raises(ModelError, match="lexicon"):
        load_model(broken)
