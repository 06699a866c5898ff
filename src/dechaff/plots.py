"""PNG plots of a training report, when matplotlib is installed (dechaff[report])."""

from __future__ import annotations

import importlib.util
from pathlib import Path

PLOTS_HINT = "dechaff: no plots in the training report: pip install 'dechaff[report]' " \
             "(matplotlib) to get them"
CURVE_SUFFIX = ".pr-curve.png"
FEATURES_SUFFIX = ".features.png"
DPI = 100


def have_matplotlib() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def plot_paths(model_path: str | Path) -> tuple[Path, Path]:
    """``m.npz`` -> ``m.pr-curve.png``, ``m.features.png``."""
    stem = Path(model_path).with_suffix("")
    return (stem.with_name(stem.name + CURVE_SUFFIX),
            stem.with_name(stem.name + FEATURES_SUFFIX))


def write_plots(model_path: str | Path, report: dict) -> list[Path]:
    """The PR curve over thresholds and each pass's feature importance; none without
    matplotlib."""
    if not have_matplotlib():
        return []
    curve_path, features_path = plot_paths(model_path)
    for path, draw in ((curve_path, _draw_curve), (features_path, _draw_features)):
        draw(report).savefig(path, dpi=DPI)
    return [curve_path, features_path]


def _figure(width: float, height: float):
    """A figure drawn by the Agg backend, without pyplot: no display, no global state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _draw_curve(report: dict):
    curve = report["threshold_curve"]
    thresholds = [point["threshold"] for point in curve]
    figure = _figure(7, 4.5)
    axes = figure.subplots()
    for measure in ("precision", "recall", "f1"):
        axes.plot(thresholds, [point[measure] for point in curve], marker=".",
                  label=measure if measure != "f1" else "F1")
    axes.axvline(report["threshold"], color="grey", linestyle="--",
                 label=f"model threshold {report['threshold']}")
    axes.set(xlabel="threshold (keep blocks with P(content) at least this)",
             ylabel="mean per page, out of fold", ylim=(0, 1.02), xlim=(0, 1),
             title="Precision, recall and F1 over the threshold")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower left")
    return figure


def _draw_features(report: dict):
    passes = report["feature_importance"]
    longest = max(len(p["features"]) for p in passes.values())
    figure = _figure(6.5 * len(passes), 1.5 + 0.28 * longest)
    axes = figure.subplots(1, len(passes), squeeze=False)
    for ax, (name, importance) in zip(axes[0], passes.items()):
        features = importance["features"][::-1]  # largest at the top
        ax.barh([f["name"] for f in features], [f["share"] for f in features])
        measure = "split gain" if importance["measure"] == "split_gain" else "splits"
        ax.set(xlabel=f"share of total {measure}", title=f"{name} pass")
        ax.grid(axis="x", alpha=0.3)
    figure.suptitle("Most important features")
    return figure
