"""The `dechaff` command: clean pages, train a model, evaluate one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .article import FORMATS
from .decode import gunzip_if_needed

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def read_input(source: str) -> bytes:
    """A page's bytes from a path, or from stdin for '-'; gzip is undone either way."""
    data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    return gunzip_if_needed(data)


def _clean(args: argparse.Namespace) -> int:
    from .extractor import Extractor

    extractor = Extractor(args.model, threshold=args.threshold)
    output = extractor.extract(read_input(args.input), args.format)
    sys.stdout.write(output + ("\n" if output and not output.endswith("\n") else ""))
    return EXIT_OK


def _train(args: argparse.Namespace) -> int:
    from .evaluate import format_summary
    from .train import TrainConfig, train

    config = TrainConfig(folds=args.folds, seed=args.seed, n_jobs=args.jobs,
                         threshold=args.threshold)
    report = train(args.data, args.out, config, progress=not args.quiet)
    print(format_summary(report["cross_validation"],
                         f"{config.folds}-fold cross-validation, grouped by domain, "
                         f"threshold {report['threshold']}"))
    oracle = report["oracle"]
    print(f"\nlabel ceiling (oracle keeps the blocks labeled content): F1 {oracle['f1']:.3f}")
    if args.out:
        print(f"model written to {args.out}")
    return EXIT_OK


def _evaluate(args: argparse.Namespace) -> int:
    from .evaluate import format_summary, summarize
    from .extractor import Extractor
    from .train import load_pages, score

    extractor = Extractor(args.model, threshold=args.threshold)
    pages = load_pages(args.data, args.jobs, progress=not args.quiet)
    probabilities = [extractor.model.content_probability(p.X) for p in pages]
    summary = summarize(score(pages, probabilities, extractor.threshold))
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_summary(summary, f"model {args.model or 'default'}, mean word F1"))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dechaff", description="Remove boilerplate from web pages with a trained model."
    )
    parser.add_argument("--version", action="version", version=f"dechaff {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    clean = commands.add_parser("clean", help="print a page's main content")
    clean.add_argument("input", help="an .html or .html.gz file, or - for stdin")
    clean.add_argument("--format", choices=FORMATS, default="text")
    clean.add_argument("--threshold", type=float, default=None,
                       help="keep blocks with P(content) at least this (default: the model's)")
    clean.add_argument("--model", default=None, help="a model written by `dechaff train`")
    clean.set_defaults(run=_clean)

    train = commands.add_parser("train", help="fit a model on labeled pages")
    train.add_argument("data", nargs="+", help="directories of labeled pages")
    train.add_argument("--out", default=None, help="where to write the model (.joblib)")
    train.add_argument("--folds", type=int, default=5)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--jobs", type=int, default=2, help="processes for reading pages")
    train.add_argument("--threshold", type=float, default=None,
                       help="the model's threshold (default: the best out-of-fold one)")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("evaluate", help="score a model on labeled pages")
    evaluate.add_argument("data", nargs="+", help="directories of labeled pages")
    evaluate.add_argument("--model", default=None)
    evaluate.add_argument("--threshold", type=float, default=None)
    evaluate.add_argument("--jobs", type=int, default=2)
    evaluate.add_argument("--json", action="store_true", help="print the summary as JSON")
    evaluate.add_argument("--quiet", action="store_true", help="no progress bars")
    evaluate.set_defaults(run=_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .model_io import ModelError
    from .page import ParseError

    try:
        return args.run(args)
    except (ModelError, ParseError, OSError, ValueError) as error:
        print(f"dechaff: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
