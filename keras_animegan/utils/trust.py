"""Untrusted models: a SavedModel or `.tflite` file is a program, and loading one runs its graph.

`warn_untrusted` says so once per process and path, for a file from outside the package, unless the
user said they trust it (`--trust_model` / `trust=True`). `.keras` files load in Keras's safe mode and
presets are data (config and weights), so they need no warning. Plain Python.
"""

import os
import sys

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_WARNED = set()


def warn_untrusted(path, what, trust=False):
    """Says once per process and path that a SavedModel / `.tflite` file outside the package runs its own graph
    (its ops, file writes included): load only files you trust (`--trust_model` / `trust=True` says you do)."""
    path = os.path.abspath(os.fspath(path))
    if trust or path.startswith(_PACKAGE + os.sep) or path in _WARNED:
        return
    _WARNED.add(path)
    print(f"warning: {path} is a {what}: loading it runs its graph, whatever ops it holds (file writes "
          "included). Load only files you trust; --trust_model (trust=True) says you do. See the Security "
          "section of the docs.", file=sys.stderr)
