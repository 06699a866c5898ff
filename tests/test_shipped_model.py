"""The model shipped in the package: present, documented, and good on unseen pages.

The shipped model is trained on WCXB only, so the project's hand-written pages in
labeled_data/ are pages it has never seen.
"""

import numpy as np
import pytest

import dechaff
from dechaff.datasets import list_pages, read_page_labels
from dechaff.metrics import word_prf
from dechaff.model_io import default_model_path, read_manifest
from dechaff.train import prepare_page

from .conftest import LABELED, PAGES, ROOT

ARTICLE_SENTENCES = [
    "The council said it would consider a separate support scheme for small businesses",
    "14 million crowns for the emergency repair of the breached levee section",
    "Residents will be able to apply for the household grant from March 20",
]
CHROME_SENTENCES = [
    "Covering a flood means having reporters on the riverbank",  # donation appeal
    "Rail unions call off Friday strike",  # most popular
    "The regional roads authority said the bridge would remain shut",  # news feed
    "The five stories you need before your first coffee",  # newsletter box
    "All rights reserved",  # footer
    "Skip to content",
    "Join the Team",  # menu
]


@pytest.fixture(scope="module")
def news_text() -> str:
    return dechaff.extract((PAGES / "news-article.html").read_bytes())


def test_shipped_model_and_manifest_are_in_the_package():
    manifest = read_manifest(default_model_path())
    assert manifest["training"]["data"] == ["wcxb-dev", "old-layouts-train"]
    older = len(list((ROOT / "labeled_data" / "old-layouts-train").glob("*.html")))
    assert manifest["metrics"]["pages"] == 1497 + older
    wcxb = manifest["metrics"]["cross_validation_by_data"]["wcxb-dev"]["overall"]
    assert wcxb["pages"] == 1497 and wcxb["f1"] >= 0.82


@pytest.mark.parametrize("sentence", ARTICLE_SENTENCES)
def test_news_page_article_is_kept(news_text, sentence):
    assert sentence in " ".join(news_text.split())


@pytest.mark.parametrize("sentence", CHROME_SENTENCES)
def test_news_page_chrome_is_dropped(news_text, sentence):
    assert sentence not in " ".join(news_text.split())


def test_news_page_matches_its_hand_labels(news_text):
    gold = prepare_page(next(r for r in list_pages(LABELED)
                             if r.html_path.name == "news-article.html")).gold_text
    assert word_prf(news_text, gold).f1 >= 0.95


def test_unseen_hand_labeled_pages_are_cleaned_well():
    scores = []
    for ref in list_pages(LABELED):
        page = prepare_page(ref)
        scores.append(word_prf(dechaff.extract(read_page_labels(ref).html), page.gold_text).f1)
    assert np.mean(scores) >= 0.80
    assert min(scores) >= 0.4


def test_extract_accepts_str_and_bytes_alike():
    raw = (PAGES / "foreign-language-article.html").read_bytes()
    assert dechaff.extract(raw) == dechaff.extract(raw.decode("utf-8"))
    assert "é" in dechaff.extract(raw)


def test_a_page_of_one_paragraph_keeps_it():
    text = dechaff.extract("<html><body><article><p>" + "Words here. " * 40
                           + "</p></article></body></html>")
    assert "Words here." in text
