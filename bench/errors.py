"""Error analysis: the worst pages out of fold, with what was wrongly kept and dropped.

    python bench/errors.py ../shared/datasets/wcxb-dev [--worst 20] [--type forum]

Each page is scored by a model that never saw its domain (the same grouped folds
as `dechaff train`). For each of the worst pages it prints the blocks the model
kept that the labels call chrome, and those it dropped that the labels call
content, each with its probability.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

import numpy as np

from dechaff.train import TrainConfig, cross_validate, load_pages, score

SHOWN_BLOCKS = 6  # per side and page
SHOWN_CHARS = 110


def _show(title: str, blocks, probabilities) -> None:
    print(f"  {title}:")
    for block, p in list(zip(blocks, probabilities))[:SHOWN_BLOCKS]:
        text = textwrap.shorten(block.text, SHOWN_CHARS, placeholder=" …")
        print(f"    {p:.2f} [{block.kind}] {text}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="+")
    parser.add_argument("--worst", type=int, default=20)
    parser.add_argument("--type", default=None, help="only pages of this page type")
    args = parser.parse_args()

    pages = load_pages(args.data, progress=False)
    config = TrainConfig()
    oof = cross_validate(pages, config, progress=True)
    threshold = 0.5
    results = score(pages, oof, threshold)
    order = np.argsort([r.f1 for r in results])
    shown = 0
    for i in order:
        page, result, p = pages[i], results[i], oof[i]
        if args.type and page.page_type != args.type:
            continue
        kept, labels = p >= threshold, page.y.astype(bool)
        print(f"\n{page.page_id} {page.page_type} {page.domain} F1 {result.f1:.2f} "
              f"(P {result.precision:.2f} R {result.recall:.2f})")
        wrong_kept = [(b, q) for b, q, k, y in zip(page.blocks, p, kept, labels) if k and not y]
        wrong_dropped = [(b, q) for b, q, k, y in zip(page.blocks, p, kept, labels)
                         if y and not k]
        _show(f"kept but chrome ({len(wrong_kept)})", *zip(*wrong_kept or [((), ())]))
        _show(f"dropped but content ({len(wrong_dropped)})",
              *zip(*wrong_dropped or [((), ())]))
        shown += 1
        if shown >= args.worst:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
