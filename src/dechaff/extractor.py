"""The whole pipeline in one object: bytes → tree → blocks → matrix → labels → article."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np

from .article import FORMATS, Article, article_of, render
from .classify import Model, kept_mask
from .features import featurize
from .model_io import load_model
from .page import Page, read_page


class Extractor:
    """A loaded model, ready to clean many pages.

    ``model`` is a path to a saved model, a fitted ContentModel or AveragedModel, or
    None for the model shipped with the package. ``threshold`` overrides the model's own.
    """

    def __init__(
        self, model: str | Path | Model | None = None, threshold: float | None = None
    ) -> None:
        self.model = model if isinstance(model, Model) else load_model(model)
        self.threshold = self.model.threshold if threshold is None else threshold

    def probabilities(self, page: Page) -> np.ndarray:
        """P(content) for each of the page's blocks."""
        return self.model.probabilities(featurize(page))

    def article(self, html: str | bytes) -> Article:
        """The page's main content as an Article (title, kept blocks, probabilities)."""
        page = read_page(html)
        return self._article(page, self.probabilities(page))

    def _article(self, page: Page, probabilities: np.ndarray) -> Article:
        keep = kept_mask(probabilities, self.threshold).tolist()  # Python values: no numpy scalars
        return article_of(
            [b for b, k in zip(page.blocks, keep) if k],
            title=page.title,
            url=page.url,
            probabilities=[p for p, k in zip(probabilities.tolist(), keep) if k],
            truncated=page.truncated,
        )

    def extract(self, html: str | bytes, format: str = "text") -> str:
        """The page's main content in ``format``: text, markdown, html or json."""
        return render(self.article(html), format)

    def articles(self, htmls: Iterable[str | bytes]) -> Iterator[Article | Exception]:
        """``article`` for each page, in order. A page that cannot be read yields the
        exception it raised (ParseError, PageTooLarge...), in its place, and the other
        pages go on."""
        for html in htmls:
            try:
                article = self.article(html)
            except Exception as error:  # reported in the page's slot
                yield error
            else:
                yield article

    def extract_many(self, htmls: Iterable[str | bytes],
                     format: str = "text") -> list[str | Exception]:
        """``extract`` for each page, in order; a page that fails gives its exception."""
        if format not in FORMATS:
            raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
        return [item if isinstance(item, Exception) else render(item, format)
                for item in self.articles(htmls)]


@lru_cache(maxsize=1)
def default_extractor() -> Extractor:
    """The shipped model, loaded once per process on first use."""
    return Extractor()


def extract(html: str | bytes, format: str = "text") -> str:
    """Clean one page with the shipped model: its main content in ``format``."""
    return default_extractor().extract(html, format)
