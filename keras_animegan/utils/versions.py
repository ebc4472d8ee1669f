"""TF Serving's model layout: `<model_name>/<version>/saved_model.pb`, where the highest version serves."""

import json
import os
import re

#: What a keras-animegan export says about itself, beside the SavedModel (TF Serving ignores `assets.extra/`).
MANIFEST = os.path.join("assets.extra", "keras_animegan.json")


_VERSION = re.compile(r"[0-9]{1,18}")


def version_number(version):
    """A version (a folder name or URL segment) as an int: 1 to 18 ASCII digits (an int64), else None.

    `str.isdigit` is not enough: it accepts "²", which `int` refuses, and `int` refuses digit strings over
    Python's conversion limit (4,300 digits).
    """
    version = str(version)
    return int(version) if _VERSION.fullmatch(version) else None


def saved_model_versions(model_path):
    """`{version: folder}` of the numbered subfolders of `model_path` that hold a `saved_model.pb`.

    Anything else (a half-written export's temporary folder, `README`, ...) is
    ignored, as TF Serving ignores it. A missing folder has no versions.
    """
    if not os.path.isdir(model_path):
        return {}
    return {version_number(name): os.path.join(model_path, name) for name in os.listdir(model_path)
            if version_number(name) is not None and os.path.exists(os.path.join(model_path, name, "saved_model.pb"))}


def read_manifest(path):
    """The `MANIFEST` of a SavedModel folder as a dict, or None (exports written before it existed)."""
    try:
        with open(os.path.join(path, MANIFEST)) as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None
