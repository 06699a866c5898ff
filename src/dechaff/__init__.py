"""dechaff: remove boilerplate from web pages with a trained model."""

__version__ = "0.1.0"

from .extractor import Extractor, extract  # noqa: E402
from .model_io import ModelError  # noqa: E402
from .page import ParseError  # noqa: E402

__all__ = ["Extractor", "ModelError", "ParseError", "__version__", "extract"]
