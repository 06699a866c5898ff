"""Saving and loading models: a joblib file with a JSON manifest beside it."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import joblib
import sklearn

from . import __version__
from .classify import ContentModel
from .features import CONTEXT_NAMES, FEATURE_NAMES

MANIFEST_VERSION = 2
# What a model of this code version may have been trained on: one pass, or two.
KNOWN_FEATURE_LISTS = (FEATURE_NAMES, FEATURE_NAMES + CONTEXT_NAMES)
DEFAULT_MODEL = "default.joblib"
RETRAIN_HINT = "retrain it with `dechaff train DATA_DIR --out MODEL` (see README: Retraining)"


class ModelError(RuntimeError):
    """A model file is missing, unreadable or does not match this version's features."""


def feature_hash(names: tuple[str, ...] | list[str]) -> str:
    """A short fingerprint of the feature list, recorded in every manifest."""
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def manifest_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def save_model(model: ContentModel, path: str | Path, metadata: dict) -> Path:
    """Write ``path`` (joblib) and its manifest; return the manifest's path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path, compress=3)
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "dechaff_version": __version__,
        "sklearn_version": sklearn.__version__,
        "feature_hash": feature_hash(model.feature_names),
        "feature_names": list(model.feature_names),
        "passes": 1 if model.second is None else 2,
        "threshold": model.threshold,
        **metadata,
    }
    manifest_file = manifest_path(path)
    manifest_file.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest_file


def default_model_path() -> Path:
    return Path(str(resources.files("dechaff") / "models" / DEFAULT_MODEL))


def read_manifest(path: str | Path) -> dict:
    manifest_file = manifest_path(Path(path))
    try:
        return json.loads(manifest_file.read_text())
    except FileNotFoundError as error:
        raise ModelError(f"no manifest {manifest_file} beside the model; {RETRAIN_HINT}") from error
    except (OSError, ValueError) as error:
        raise ModelError(f"cannot read manifest {manifest_file}: {error}") from error


def load_model(path: str | Path | None = None) -> ContentModel:
    """Load a model after checking its manifest against this code's feature list."""
    path = Path(path) if path is not None else default_model_path()
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    manifest = read_manifest(path)
    known = {feature_hash(names) for names in KNOWN_FEATURE_LISTS}
    if manifest.get("feature_hash") not in known:
        raise ModelError(
            f"model {path} was trained on features {manifest.get('feature_hash')} "
            f"(dechaff {manifest.get('dechaff_version')}), which this dechaff "
            f"{__version__} does not compute; {RETRAIN_HINT}"
        )
    try:
        model = joblib.load(path)
    except Exception as error:  # a corrupt or foreign file can raise nearly anything
        raise ModelError(f"cannot load model {path}: {error}") from error
    if not isinstance(model, ContentModel) or \
            feature_hash(model.feature_names) != manifest["feature_hash"]:
        raise ModelError(f"{path} does not hold the dechaff model its manifest describes")
    return model
