"""Seeing why: one page's blocks, their probabilities and features, as a standalone report.

``inspect_page`` runs the pipeline and keeps what each step said about each block;
``render_report`` turns that into one self-contained HTML file (inline CSS, no
scripts, nothing fetched): the blocks in page order on the left, each coloured by
its content probability with its features on hover, and the kept text on the right.
"""

from __future__ import annotations

import html as html_lib
from dataclasses import dataclass

import numpy as np

from .article import Article, article_of, to_html
from .blocks import Block
from .classify import kept_mask
from .extractor import Extractor
from .features import featurize
from .page import read_page

# Hues of the colour scale (degrees of hsl): dropped blocks run from red (P = 0) to
# orange just under the threshold, kept blocks from yellow-green at the threshold to
# green (P = 1). The gap between the halves makes kept and dropped easy to tell apart.
DROPPED_HUES = (0.0, 50.0)
KEPT_HUES = (70.0, 120.0)
SATURATION, LIGHTNESS = "75%", "82%"
# Digits shown for probabilities and feature values.
PROBABILITY_FORMAT = "{:.3f}"
VALUE_FORMAT = "{:.4g}"
PASS_NAMES = ("first pass", "second pass")
# The report runs nothing and loads nothing, even if a page's text slipped through.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


@dataclass(slots=True)
class BlockView:
    """One block as the model saw it."""

    block: Block
    tag: str  # the element that owns the block
    probability: float  # the final pass's P(content)
    passes: dict[str, float]  # P(content) after each pass, by pass name
    features: list[tuple[str, float]]  # the non-zero features the final pass saw
    kept: bool


@dataclass(slots=True)
class Inspection:
    """A page as the model saw it: every block, the threshold and the article kept."""

    title: str
    url: str | None
    blocks: list[BlockView]
    threshold: float
    model_name: str

    @property
    def kept(self) -> list[BlockView]:
        return [view for view in self.blocks if view.kept]

    def article(self) -> Article:
        kept = self.kept
        return article_of([v.block for v in kept], self.title, self.url,
                          [v.probability for v in kept])


def inspect_page(html: str | bytes, extractor: Extractor, model_name: str = "") -> Inspection:
    """Run the extractor on a page and keep, per block, its features and probabilities."""
    page = read_page(html)
    features = featurize(page)
    outputs = extractor.model.passes(features)
    passes = dict(zip(PASS_NAMES, (p for _, p in outputs)))
    matrix, final = outputs[-1]
    names = extractor.model.feature_names
    keep = kept_mask(final, extractor.threshold)
    views = []
    for i, block in enumerate(page.blocks):
        row = matrix[i]
        views.append(BlockView(
            block=block,
            tag=page.frames.tags[block.owner],
            probability=float(final[i]),
            passes={name: float(p[i]) for name, p in passes.items()},
            features=[(names[j], float(row[j])) for j in np.flatnonzero(row)],
            kept=bool(keep[i]),
        ))
    return Inspection(page.title, page.url, views, extractor.threshold, model_name)


def colour(probability: float, threshold: float) -> str:
    """The CSS background for a block: red to orange below the threshold, then to green."""
    threshold = min(max(threshold, 0.0), 1.0)
    if probability < threshold:
        low, high = DROPPED_HUES
        share = probability / threshold
    else:
        low, high = KEPT_HUES
        share = 1.0 if threshold >= 1.0 else (probability - threshold) / (1.0 - threshold)
    hue = low + (high - low) * min(max(share, 0.0), 1.0)
    return f"hsl({hue:.1f}, {SATURATION}, {LIGHTNESS})"


def _tooltip(view: BlockView) -> str:
    lines = [f"P({name}) = {PROBABILITY_FORMAT.format(p)}" for name, p in view.passes.items()]
    lines.append("")
    lines += [f"{name}={VALUE_FORMAT.format(value)}" for name, value in view.features]
    return "\n".join(lines)


# What a block kept below the threshold says: it is its page's only block
# (classify.kept_mask).
ONLY_BLOCK_VERDICT = "kept (the page's only block)"


def _block_html(index: int, view: BlockView, threshold: float) -> str:
    escape = html_lib.escape
    verdict = "kept" if view.kept else "dropped"
    said = ONLY_BLOCK_VERDICT if view.kept and view.probability < threshold else verdict
    probability = PROBABILITY_FORMAT.format(view.probability)
    return (
        f'<div class="block {verdict}" data-index="{index}" data-probability="{probability}" '
        f'style="background: {colour(view.probability, threshold)}" '
        f'title="{escape(_tooltip(view))}">'
        f'<div class="meta"><span class="p">{probability}</span> '
        f'<span class="verdict">{said}</span> '
        f"#{index} · {escape(view.tag)} · {escape(view.block.kind)}</div>"
        f'<div class="text">{escape(view.block.text)}</div></div>'
    )


STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { padding: 12px 16px; border-bottom: 1px solid #ccc; background: #fff; }
h1 { font-size: 18px; margin: 0 0 4px; }
.summary { margin: 0; }
.legend { display: inline-block; width: 240px; height: 10px; vertical-align: middle;
  background: linear-gradient(to right, hsl(0, 75%, 82%), hsl(50, 75%, 82%) 50%,
  hsl(70, 75%, 82%) 50%, hsl(120, 75%, 82%)); border: 1px solid #999; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px;
  padding: 16px; }
h2 { font-size: 15px; margin: 0 0 8px; }
.block { display: flex; gap: 8px; margin: 0 0 3px; padding: 3px 8px;
  border-left: 6px solid #b22; cursor: help; }
.block.kept { border-left-color: #1a7f37; }
.block.dropped .text { color: #555; }
.meta { flex: 0 0 200px; font-size: 11px; color: #444; padding-top: 2px; }
.p { font-weight: bold; font-family: ui-monospace, monospace; }
.verdict { text-transform: uppercase; letter-spacing: 0.05em; }
.text { flex: 1; min-width: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.kept-text { background: #fff; padding: 8px 16px; border: 1px solid #ccc;
  overflow-wrap: anywhere; align-self: start; position: sticky; top: 8px; }
"""


def render_report(inspection: Inspection, source: str = "") -> str:
    """The inspection as one self-contained, escaped HTML document."""
    escape = html_lib.escape
    kept = len(inspection.kept)
    summary = (
        f"{len(inspection.blocks)} blocks, {kept} kept at threshold "
        f"{inspection.threshold:g}, model {inspection.model_name or 'default'}"
    )
    blocks = "\n".join(_block_html(i, v, inspection.threshold)
                       for i, v in enumerate(inspection.blocks))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">
<title>dechaff inspect: {escape(inspection.title or source)}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>{escape(inspection.title or "(untitled page)")}</h1>
<p class="source">{escape(source)}{" · " + escape(inspection.url) if inspection.url else ""}</p>
<p class="summary" data-blocks="{len(inspection.blocks)}" data-kept="{kept}">{escape(summary)}
 <span class="legend" title="P(content): 0 (red) … threshold … 1 (green)"></span></p>
</header>
<main>
<section class="blocks"><h2>Blocks, in page order (hover for features)</h2>
{blocks}
</section>
<section class="kept-text"><h2>Kept text</h2>
{to_html(inspection.article())}
</section>
</main>
</body>
</html>
"""
