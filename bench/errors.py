"""Error analysis: the worst pages out of fold, with what was wrongly kept and dropped.

    python bench/errors.py ../shared/datasets/wcxb-dev [--worst 20] [--type forum]
        [--threshold 0.4] [--probabilities oof.pkl --cache pages.pkl]

Each page is scored by a model that never saw its domain (the same grouped folds
as `dechaff train`, an hour and more). With ``--probabilities``, the out-of-fold
probabilities `bench/fastcv.py --save` wrote are read instead (seconds, with the
same ``--cache`` of prepared pages; the second pass's are shown).

For each of the worst pages it prints the blocks the model kept that the labels call
chrome, and those it dropped that the labels call content, each with its probability.
`dechaff train --out MODEL` writes the same analysis into MODEL's training report
(dechaff.report.worst_pages).
"""

from __future__ import annotations

import argparse
import importlib.util
import pickle
import sys
from pathlib import Path

from dechaff.report import worst_pages
from dechaff.train import TrainConfig, cross_validate

THRESHOLD = 0.4  # the shipped model's (BENCHMARKS.md, "Quality")


def _fastcv():
    """bench/fastcv.py, for its page cache and --weight parsing."""
    path = Path(__file__).with_name("fastcv.py")
    spec = importlib.util.spec_from_file_location("fastcv", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _saved(path: Path, pages) -> list:
    """The second pass's probabilities fastcv saved, checked to be these pages'."""
    with path.open("rb") as f:
        saved = pickle.load(f)
    if saved["page_ids"] != [p.page_id for p in pages]:
        raise SystemExit(f"errors: {path} holds other pages than these data directories")
    return saved["second"]


def _show(title: str, count: int, blocks: list[dict]) -> None:
    print(f"  {title} ({count}):")
    for block in blocks:
        print(f"    {block['probability']:.2f} [{block['kind']}] {block['text']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="+")
    parser.add_argument("--worst", type=int, default=20)
    parser.add_argument("--type", default=None, help="only pages of this page type")
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    fastcv = _fastcv()
    parser.add_argument("--weight", type=fastcv._weight, action="append", default=[])
    parser.add_argument("--cache", type=Path, help="prepared pages (bench/fastcv.py)")
    parser.add_argument("--probabilities", type=Path, help="bench/fastcv.py --save's file")
    args = parser.parse_args()

    weights = dict(args.weight)
    pages = fastcv._pages(args.data, weights, args.cache)
    if args.probabilities is not None:
        oof = _saved(args.probabilities, pages)
    else:
        oof = cross_validate(pages, TrainConfig(weights=weights), progress=True)
    for page in worst_pages(pages, oof, args.threshold, args.worst, args.type):
        print(f"\n{page['page_id']} {page['page_type']} {page['domain']} F1 {page['f1']:.2f} "
              f"(P {page['precision']:.2f} R {page['recall']:.2f})")
        _show("kept but chrome", page["wrongly_kept_count"], page["wrongly_kept"])
        _show("dropped but content", page["wrongly_dropped_count"], page["wrongly_dropped"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
