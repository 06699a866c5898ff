"""Cleaning many pages: find the inputs, clean them in order, one record per page.

Inputs are files (.html, .htm, .html.gz), directories (searched recursively for
those and for the two container formats below), glob patterns, or '-' for stdin.
Containers hold many pages each: JSON Lines with an ``html`` field (``url`` and
``id`` are read when present), and WARC files (response records whose content
type is HTML; needs the optional ``warc`` extra, warcio).

Everything streams: pages are read one at a time and results are yielded in
input order, so a batch never holds all pages or all results in memory.
"""

from __future__ import annotations

import glob
import gzip
import json
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .article import render, to_dict
from .decode import MAX_PAGE_BYTES, read_page_bytes

PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")
WARC_SUFFIXES = (".warc", ".warc.gz")
# A page that takes longer than this to clean is recorded as failed (0: no limit).
DEFAULT_TIMEOUT = 60


@dataclass(frozen=True, slots=True)
class PageInput:
    """One page to clean: where it came from, and its bytes."""

    source: str
    html: bytes
    url: str | None = None


@dataclass(frozen=True, slots=True)
class BatchConfig:
    model: str | None = None
    threshold: float | None = None
    format: str = "text"
    timeout: float = DEFAULT_TIMEOUT


def _has_suffix(path: Path, suffixes: tuple[str, ...]) -> bool:
    return path.name.lower().endswith(suffixes)


def expand(arguments: Iterable[str]) -> Iterator[Path | str]:
    """Paths named by the arguments: files, directories searched recursively, globs."""
    for argument in arguments:
        if argument == "-":
            yield "-"
            continue
        path = Path(argument)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.is_file() and _has_suffix(found, PAGE_SUFFIXES + JSONL_SUFFIXES
                                                   + WARC_SUFFIXES):
                    yield found
        elif path.exists() or not glob.has_magic(argument):
            yield path  # a missing file is reported as that page's error
        else:
            yield from expand(sorted(glob.glob(argument, recursive=True)))


# A JSON Lines record may hold a page of up to MAX_PAGE_BYTES, escaped: quotes and
# non-ASCII characters can double its size. Longer lines are skipped unread.
JSONL_MAX_LINE_BYTES = 2 * MAX_PAGE_BYTES
_SKIP_CHUNK = 1 << 20


def _bounded_lines(handle) -> Iterator[bytes | None]:
    """The file's lines; None for a line over JSONL_MAX_LINE_BYTES, never held whole."""
    limit = JSONL_MAX_LINE_BYTES
    while line := handle.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while (rest := handle.readline(_SKIP_CHUNK)) and not rest.endswith(b"\n"):
            pass
        yield None


def _jsonl_pages(path: Path) -> Iterator[PageInput | tuple[str, str]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        for number, line in enumerate(_bounded_lines(handle), 1):
            source = f"{path}:{number}"
            if line is None:
                yield (source, f"record too large: over {JSONL_MAX_LINE_BYTES:,} bytes")
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                html = record["html"]
            except (ValueError, KeyError, TypeError) as error:
                yield (source, f"not a JSON object with an 'html' field: {error}")
                continue
            name = record.get("id")
            yield PageInput(f"{source}#{name}" if name else source,
                            html.encode("utf-8") if isinstance(html, str) else b"",
                            record.get("url"))


def _warc_pages(path: Path) -> Iterator[PageInput]:
    try:
        from warcio.archiveiterator import ArchiveIterator
    except ImportError as error:
        raise RuntimeError("reading WARC files needs warcio: pip install 'dechaff[warc]'") \
            from error
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            content_type = record.http_headers.get_header("Content-Type") or ""
            if "html" not in content_type.lower():
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            yield PageInput(f"{path}#{url}", record.content_stream().read(MAX_PAGE_BYTES + 1),
                            url)


def _read_page(path: Path | str) -> PageInput | tuple[str, str]:
    try:
        if path == "-":
            return PageInput("-", read_page_bytes(sys.stdin.buffer))
        with open(path, "rb") as handle:
            return PageInput(str(path), read_page_bytes(handle))
    except (OSError, ValueError) as error:
        return (str(path), f"{type(error).__name__}: {error}")


def read_inputs(arguments: Iterable[str]) -> Iterator[PageInput | tuple[str, str]]:
    """Pages in input order; an input that cannot be read yields (source, error)."""
    for path in expand(arguments):
        if path == "-" or not _has_suffix(path, JSONL_SUFFIXES + WARC_SUFFIXES):
            yield _read_page(path)
            continue
        try:
            if _has_suffix(path, JSONL_SUFFIXES):
                yield from _jsonl_pages(path)
            else:
                yield from _warc_pages(path)
        except (OSError, RuntimeError, ValueError) as error:
            yield (str(path), f"{type(error).__name__}: {error}")


class PageTimeout(Exception):
    """Cleaning one page took longer than the batch's timeout."""


# Whether the page's alarm has rung. The handler's exception can be lost: Python runs
# signal handlers at its next check, which may fall inside a garbage-collector
# callback, where an exception is reported and dropped. The flag still tells.
_alarm_rang = False


def _on_alarm(signum, frame):
    global _alarm_rang
    _alarm_rang = True
    raise PageTimeout


@lru_cache(maxsize=2)
def _extractor(model: str | None, threshold: float | None):
    """One extractor per worker process and model, loaded on first use."""
    from .extractor import Extractor
    return Extractor(model, threshold)


def clean_one(page: PageInput | tuple[str, str], config: BatchConfig) -> dict:
    """Clean one page into a record: source, url, title, text (in config.format), error."""
    if isinstance(page, tuple):
        return {"source": page[0], "url": None, "title": None, "text": None, "error": page[1]}
    extractor = _extractor(config.model, config.threshold)
    # Signal handlers can only be set in the main thread: elsewhere, no timeout.
    use_alarm = (config.timeout > 0 and hasattr(signal, "SIGALRM")
                 and threading.current_thread() is threading.main_thread())
    global _alarm_rang
    if use_alarm:
        _alarm_rang = False
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, config.timeout)
    try:
        article = extractor.article(page.html)
        data = to_dict(article)
        text = data["text"] if config.format in ("text", "json") \
            else render(article, config.format)
        if use_alarm and _alarm_rang:  # its exception was lost on the way (see above)
            raise PageTimeout
        record = {"source": page.source, "url": page.url or article.url,
                  "title": article.title, "text": text, "error": None}
        if config.format == "json":
            record["blocks"] = data["blocks"]
        if article.truncated:  # only on cut pages, so ordinary records keep five keys
            record["truncated"] = True
        return record
    except PageTimeout:
        error = f"timeout: cleaning took over {config.timeout:g} s"
    except Exception as failure:  # one bad page must never stop the batch
        error = f"{type(failure).__name__}: {failure}"
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return {"source": page.source, "url": page.url, "title": None, "text": None,
            "error": error}


def clean_many(pages: Iterable, config: BatchConfig, jobs: int = 1) -> Iterator[dict]:
    """Records for the pages, in input order, cleaned on ``jobs`` processes."""
    if jobs <= 1:
        for page in pages:
            yield clean_one(page, config)
        return
    from joblib import Parallel, delayed
    parallel = Parallel(n_jobs=jobs, return_as="generator", pre_dispatch="4 * n_jobs",
                        batch_size=8)
    yield from parallel(delayed(clean_one)(page, config) for page in pages)
