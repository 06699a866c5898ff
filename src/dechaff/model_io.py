"""Saving and loading models: plain arrays (.npz) with a JSON manifest beside it.

A model file holds numbers only and is read with ``allow_pickle=False``: loading a
model, even one from an untrusted source, cannot run code. The manifest says which
features the model expects and how it was trained.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np

from . import __version__
from .classify import AveragedModel, ContentModel, Model, TreePass
from .features import CONTEXT_NAMES, FEATURE_NAMES
from .lexicon import LEXICON_NAMES, Lexicon
from .trees import TreeEnsemble

MANIFEST_VERSION = 4  # 4: averaged models ("members"); 3 and earlier hold one member
# What a model of this code version may have been trained on: one pass, or two; with a
# lexicon's score after the block features, or without.
FIRST_PASS_LISTS = (FEATURE_NAMES, FEATURE_NAMES + LEXICON_NAMES)
KNOWN_FEATURE_LISTS = tuple(first + more for first in FIRST_PASS_LISTS
                            for more in ((), CONTEXT_NAMES))
DEFAULT_MODEL = "default.npz"
RETRAIN_HINT = "retrain it with `dechaff train DATA_DIR --out MODEL` (see README: Retraining)"
PASSES = ("first", "second")


def pass_names(member: int) -> tuple[str, str]:
    """The array prefixes of a member's two passes: the first member's are those of a
    one-member model file."""
    return PASSES if member == 0 else tuple(f"member{member}.{name}" for name in PASSES)


def lexicon_name(member: int) -> str:
    """The array prefix of a member's lexicon."""
    return "lexicon" if member == 0 else f"member{member}.lexicon"


class ModelError(RuntimeError):
    """A model file is missing, unreadable or does not match this version's features."""


def feature_hash(names: tuple[str, ...] | list[str]) -> str:
    """A short fingerprint of the feature list, recorded in every manifest."""
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def manifest_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def save_model(model: Model, path: str | Path, metadata: dict) -> Path:
    """Write ``path`` (.npz arrays) and its manifest; return the manifest's path."""
    import sklearn  # only for the version the manifest records; loading never needs it

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays, passes, lexicons = {}, {}, {}
    for k, member in enumerate(model.members):
        for name, classifier in zip(pass_names(k), (member.first, member.second)):
            if classifier is not None:
                arrays.update(classifier.trees_.to_arrays(name))
                passes[name] = classifier.get_params()
        if member.lexicon is not None:
            arrays[f"{lexicon_name(k)}.coef"] = member.lexicon.coef_
            arrays[f"{lexicon_name(k)}.intercept"] = np.array([member.lexicon.intercept_])
            lexicons[lexicon_name(k)] = member.lexicon.get_params()
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "dechaff_version": __version__,
        "sklearn_version": sklearn.__version__,
        "feature_hash": feature_hash(model.feature_names),
        "feature_names": list(model.feature_names),
        "passes": 1 if model.second is None else 2,
        "members": len(model.members),
        "classifiers": {k: {**v, "feature_names": len(v["feature_names"])}
                        for k, v in passes.items()},
        "threshold": model.threshold,
        **({"lexicons": lexicons} if lexicons else {}),
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


def load_model(path: str | Path | None = None) -> Model:
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
    n_members = manifest.get("members", 1)
    if type(n_members) is not int or n_members < 1:
        raise ModelError(f"{path}: its manifest names {n_members!r} members")
    threshold = float(manifest["threshold"])
    try:
        with np.load(path, allow_pickle=False) as arrays:
            if n_members > len(arrays.files) or \
                    f"{pass_names(n_members)[0]}.roots" in arrays.files:
                raise ModelError(f"{path} does not hold the {n_members} members its "
                                 f"manifest names")
            members = [_member(arrays, manifest, k, threshold) for k in range(n_members)]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        raise ModelError(f"cannot load model {path}: {error}") from error
    if any(m is None or feature_hash(m.feature_names) != manifest["feature_hash"]
           for m in members):
        raise ModelError(f"{path} does not hold the dechaff model its manifest describes")
    return members[0] if n_members == 1 else AveragedModel(members, threshold)


def _member(arrays, manifest: dict, k: int, threshold: float) -> ContentModel | None:
    """Member k as the manifest describes it, or None where the file holds another."""
    names = manifest["feature_names"]
    lexicon = _lexicon(arrays, lexicon_name(k), manifest.get("lexicons", {}))
    first_width = len(FEATURE_NAMES) + (len(LEXICON_NAMES) if lexicon is not None else 0)
    classifiers = [
        _pass(arrays, name, names[: first_width if i == 0 else len(names)],
              manifest.get("classifiers", {}).get(name, {}))
        if f"{name}.roots" in arrays.files else None
        for i, name in enumerate(pass_names(k))
    ]
    if classifiers[0] is None or (classifiers[1] is None) != (manifest.get("passes") == 1):
        return None
    return ContentModel(classifiers[0], classifiers[1], threshold, lexicon)


def _lexicon(arrays, name: str, params: dict) -> Lexicon | None:
    """The lexicon stored under ``name``, if the file holds one."""
    if f"{name}.coef" not in arrays.files:
        return None
    settings = params.get(name, {})
    lexicon = Lexicon(C=float(settings.get("C", 1.0)), bits=int(settings.get("bits", 0)))
    lexicon.coef_ = np.asarray(arrays[f"{name}.coef"], dtype=np.float32)
    lexicon.intercept_ = float(arrays[f"{name}.intercept"][0])
    if lexicon.coef_.shape != (1 << lexicon.bits,):
        raise ValueError(f"{name} holds {lexicon.coef_.shape} weights, not 2**{lexicon.bits}")
    return lexicon


def _pass(arrays, name: str, feature_names: list[str], params: dict) -> TreePass:
    trees = TreeEnsemble.from_arrays(arrays, name)
    if trees.n_features != len(feature_names):
        raise ValueError(f"{name} pass expects {trees.n_features} features, "
                         f"the manifest names {len(feature_names)}")
    params = {k: v for k, v in params.items() if k != "feature_names"}
    return TreePass(tuple(feature_names), trees, params)
