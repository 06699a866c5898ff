"""What fine-tuning on a few pages of one's own sites gains, measured on WCXB.

    python bench/finetune.py ../shared/datasets/wcxb-dev [--own 2] [--weight 5]

The sites with at least MIN_PAGES pages in the set play the user's own sites. They
are held out of the base corpus entirely. The base model is trained on every other
site; the fine-tuned model on the same pages plus the first ``--own`` pages of each
held-out site (weighted ``--weight``), as `dechaff train BASE MINE --weight MINE=W`
would. Both score the held-out sites' remaining pages, which neither model saw.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import replace

import numpy as np

from dechaff.train import PageData, TrainConfig, fit, load_pages, score

MIN_PAGES = 3  # a site needs this many pages to give some to training and some to testing
THRESHOLD = 0.25  # the shipped model's threshold


def split_sites(pages: list[PageData], own: int
                ) -> tuple[list[PageData], list[PageData], list[PageData]]:
    """(base corpus, the user's labeled pages, the user's pages to clean)."""
    by_site: dict[str, list[PageData]] = defaultdict(list)
    for page in pages:
        by_site[page.domain].append(page)
    base, mine, unseen = [], [], []
    for site_pages in by_site.values():
        if len(site_pages) < MIN_PAGES:
            base += site_pages
        else:
            ordered = sorted(site_pages, key=lambda p: p.page_id)
            mine += ordered[:own]
            unseen += ordered[own:]
    return base, mine, unseen


def mean_scores(pages: list[PageData], model) -> dict:
    results = score(pages, [model.probabilities(p.features) for p in pages], THRESHOLD)
    by_type: dict[str, list[float]] = defaultdict(list)
    for result in results:
        by_type[result.page_type].append(result.f1)
    return {
        "f1": round(float(np.mean([r.f1 for r in results])), 3),
        "by_type": {t: round(float(np.mean(v)), 3) for t, v in sorted(by_type.items())},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data")
    parser.add_argument("--own", type=int, default=2, help="labeled pages per own site")
    parser.add_argument("--weight", type=float, default=5.0, help="weight of own pages")
    args = parser.parse_args()

    config = TrainConfig()
    base, mine, unseen = split_sites(load_pages([args.data], config.n_jobs), args.own)
    mine = [replace(p, weight=args.weight) for p in mine]
    sites = len({p.domain for p in mine})
    print(f"base {len(base)} pages; {sites} own sites: {len(mine)} labeled, "
          f"{len(unseen)} to clean", flush=True)
    report = {
        "sites": sites, "own_pages": len(mine), "unseen_pages": len(unseen),
        "own_per_site": args.own, "weight": args.weight,
        "base": mean_scores(unseen, fit(base, config, THRESHOLD)),
    }
    print(json.dumps(report["base"]), flush=True)
    report["fine_tuned"] = mean_scores(unseen, fit(base + mine, config, THRESHOLD))
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
