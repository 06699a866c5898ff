"""Error analysis: the worst pages out of fold, with what was wrongly kept and dropped.

    python bench/errors.py ../shared/datasets/wcxb-dev [--worst 20] [--type forum]

Each page is scored by a model that never saw its domain (the same grouped folds
as `dechaff train`). For each of the worst pages it prints the blocks the model
kept that the labels call chrome, and those it dropped that the labels call
content, each with its probability. `dechaff train --out MODEL` writes the same
analysis into MODEL's training report (dechaff.report.worst_pages).
"""

from __future__ import annotations

import argparse
import sys

from dechaff.report import worst_pages
from dechaff.train import TrainConfig, cross_validate, load_pages

THRESHOLD = 0.5


def _show(title: str, count: int, blocks: list[dict]) -> None:
    print(f"  {title} ({count}):")
    for block in blocks:
        print(f"    {block['probability']:.2f} [{block['kind']}] {block['text']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="+")
    parser.add_argument("--worst", type=int, default=20)
    parser.add_argument("--type", default=None, help="only pages of this page type")
    args = parser.parse_args()

    pages = load_pages(args.data, progress=False)
    oof = cross_validate(pages, TrainConfig(), progress=True)
    for page in worst_pages(pages, oof, THRESHOLD, args.worst, args.type):
        print(f"\n{page['page_id']} {page['page_type']} {page['domain']} F1 {page['f1']:.2f} "
              f"(P {page['precision']:.2f} R {page['recall']:.2f})")
        _show("kept but chrome", page["wrongly_kept_count"], page["wrongly_kept"])
        _show("dropped but content", page["wrongly_dropped_count"], page["wrongly_dropped"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
