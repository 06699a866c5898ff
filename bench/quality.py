"""Quality side by side: dechaff (out-of-fold) and peer extractors on the same pages.

    pip install -e '.[bench]'
    python bench/quality.py ../shared/datasets/wcxb-dev [--peers trafilatura,readability,justext]

dechaff's scores are out-of-fold: each page is scored by a model that never saw its
domain (5 folds grouped by domain, the same procedure as `dechaff train`). Peers run
with their default settings. Every extractor is scored with the benchmark's metric
(mean per-page word F1 over lowercase \\w+ tokens, multiset overlap).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from dechaff.evaluate import format_summary, score_page, summarize
from dechaff.train import (
    TrainConfig,
    best_threshold,
    cross_validate,
    load_pages,
    oracle,
    score,
)


def _trafilatura(html: str) -> str:
    import trafilatura
    return trafilatura.extract(html) or ""


def _readability(html: str) -> str:
    import lxml.html
    from readability import Document
    summary = Document(html).summary(html_partial=True)
    return lxml.html.fromstring(summary).text_content() if summary.strip() else ""


def _justext(html: str) -> str:
    import justext
    paragraphs = justext.justext(html.encode("utf-8"), justext.get_stoplist("English"))
    return "\n\n".join(p.text for p in paragraphs if not p.is_boilerplate)


PEERS = {"trafilatura": _trafilatura, "readability": _readability, "justext": _justext}


def run_peer(name: str, pages, raw_html: dict[str, str]) -> tuple[list, float]:
    extract = PEERS[name]
    results, started = [], time.perf_counter()
    for page in pages:
        try:
            text = extract(raw_html[page.page_id])
        except Exception:  # a peer failing on a page scores that page as empty
            text = ""
        results.append(score_page(page.page_id, page.page_type, text, page.gold_text,
                                  page.with_snippets, page.without_snippets))
    return results, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", help="a WCXB-format directory")
    parser.add_argument("--peers", default="trafilatura,readability,justext")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-dechaff", action="store_true",
                        help="peers only (dechaff's out-of-fold table is what "
                             "`dechaff train` prints)")
    args = parser.parse_args()

    from dechaff.datasets import list_pages, read_page_labels
    from dechaff.decode import decode_html

    pages = load_pages([args.data], progress=False)
    raw_html = {ref.label_path.stem: decode_html(read_page_labels(ref).html)
                for ref in list_pages(args.data)}
    print(f"# Quality on {args.data} ({len(pages)} pages), {date.today()}\n")
    if not args.skip_dechaff:
        config = TrainConfig(folds=args.folds)
        oof = cross_validate(pages, config, progress=False)
        threshold = best_threshold(pages, oof)
        print(format_summary(summarize(score(pages, oof, threshold)),
                             f"dechaff, out-of-fold ({args.folds} folds grouped by domain), "
                             f"threshold {threshold}"))
        print()
    print(format_summary(summarize(oracle(pages)), "label ceiling (aligned labels)"))
    for name in filter(None, args.peers.split(",")):
        results, seconds = run_peer(name, pages, raw_html)
        print()
        print(format_summary(summarize(results), f"{name} ({len(pages) / seconds:.0f} pages/s)"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
