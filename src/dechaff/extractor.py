"""The whole pipeline in one object: bytes → tree → blocks → matrix → labels → article."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import islice
from pathlib import Path

import numpy as np

from .article import FORMATS, Article, render
from .classify import ContentModel
from .features import Features, featurize
from .model_io import load_model
from .page import Page, read_page

# Pages scored together by Extractor.articles: enough that the trees' per-call cost
# (a few ms a page) vanishes, few enough that a batch's matrices stay small.
BATCH_PAGES = 8


class Extractor:
    """A loaded model, ready to clean many pages.

    ``model`` is a path to a saved model, a fitted ContentModel, or None for the
    model shipped with the package. ``threshold`` overrides the model's own.
    """

    def __init__(
        self, model: str | Path | ContentModel | None = None, threshold: float | None = None
    ) -> None:
        self.model = model if isinstance(model, ContentModel) else load_model(model)
        self.threshold = self.model.threshold if threshold is None else threshold

    def probabilities(self, page: Page) -> np.ndarray:
        """P(content) for each of the page's blocks."""
        return self.model.probabilities(featurize(page))

    def article(self, html: str | bytes) -> Article:
        """The page's main content as an Article (title, kept blocks, probabilities)."""
        page = read_page(html)
        return self._article(page, self.probabilities(page))

    def _article(self, page: Page, probabilities: np.ndarray) -> Article:
        keep = (probabilities >= self.threshold).tolist()  # Python values: no numpy scalars
        return Article(
            title=page.title,
            url=page.url,
            blocks=[b for b, k in zip(page.blocks, keep) if k],
            probabilities=[p for p, k in zip(probabilities.tolist(), keep) if k],
            truncated=page.truncated,
        )

    def extract(self, html: str | bytes, format: str = "text") -> str:
        """The page's main content in ``format``: text, markdown, html or json."""
        return render(self.article(html), format)

    def articles(self, htmls: Iterable[str | bytes]) -> Iterator[Article | Exception]:
        """``article`` for each page, in order, scored BATCH_PAGES pages at a time.

        The same Articles as one page at a time, faster: the model scores a batch in
        one call per pass. A page that cannot be read yields the exception it raised
        (ParseError, PageTooLarge...), in its place, and the other pages go on.
        """
        for chunk in _chunks(htmls, BATCH_PAGES):
            read: list[tuple[Page, Features] | Exception] = []
            for html in chunk:
                try:
                    page = read_page(html)
                    read.append((page, featurize(page)))
                except Exception as error:  # reported in the page's slot
                    read.append(error)
            good = [item for item in read if not isinstance(item, Exception)]
            scores = iter(self.model.probabilities_many([features for _, features in good]))
            for item in read:
                yield item if isinstance(item, Exception) else self._article(item[0],
                                                                              next(scores))

    def extract_many(self, htmls: Iterable[str | bytes],
                     format: str = "text") -> list[str | Exception]:
        """``extract`` for each page, in order; a page that fails gives its exception."""
        if format not in FORMATS:
            raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
        return [item if isinstance(item, Exception) else render(item, format)
                for item in self.articles(htmls)]


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@lru_cache(maxsize=1)
def default_extractor() -> Extractor:
    """The shipped model, loaded once per process on first use."""
    return Extractor()


def extract(html: str | bytes, format: str = "text") -> str:
    """Clean one page with the shipped model: its main content in ``format``."""
    return default_extractor().extract(html, format)
