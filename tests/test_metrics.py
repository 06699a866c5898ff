import pytest

from dechaff.metrics import snippet_rate, word_prf, words


def test_words_are_lowercase_word_tokens():
    assert words("Hello, World! it's 2024") == ["hello", "world", "it", "s", "2024"]


def test_word_prf_uses_multiset_overlap():
    score = word_prf("the the cat", "the cat sat")
    assert score.precision == pytest.approx(2 / 3)
    assert score.recall == pytest.approx(2 / 3)
    assert score.f1 == pytest.approx(2 / 3)


def test_empty_cases():
    assert word_prf("", "").f1 == 1.0
    assert word_prf("something", "").f1 == 0.0
    assert word_prf("", "something").f1 == 0.0


def test_snippet_rate_normalizes_whitespace():
    assert snippet_rate("a  b\nc d", ["a b c", "x y"]) == 0.5
    assert snippet_rate("anything", []) is None
