"""The package's layering: no import cycle between its parts, and each part imports only what DEVELOPERS.md allows.

Parts are `keras_animegan`'s subpackages and top-level modules, `tfds_builders`
and `train`; `keras_animegan/__init__.py` (the public facade) is its own part,
which no library part may import. Every import counts, also those inside
functions (a lazy import still makes a cycle).
"""

import ast
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("keras_animegan", "tfds_builders", "train")  # train/: the clone's `python -m train.*` shims
FACADE = "keras_animegan"

# What each part may import (the module map in DEVELOPERS.md says the same).
ALLOWED = {
    "keras_animegan.utils": set(),
    "keras_animegan.version": set(),
    "keras_animegan.backend": set(),
    "keras_animegan.layers": {"keras_animegan.backend"},
    "keras_animegan.losses": set(),
    "keras_animegan.landmarks": {"keras_animegan.utils"},
    "keras_animegan.metrics": {"keras_animegan.models"},
    "keras_animegan.photo2avatar": {"keras_animegan.utils", "keras_animegan.landmarks", "keras_animegan.presets",
                                    "keras_animegan.models"},
    "keras_animegan.visualization": {"keras_animegan.utils"},
    "keras_animegan.presets": {"keras_animegan.utils"},
    "keras_animegan.models": {"keras_animegan.backend", "keras_animegan.layers", "keras_animegan.losses", "keras_animegan.presets", "keras_animegan.utils"},
    "tfds_builders": {"keras_animegan.utils", "keras_animegan.landmarks"},
    "keras_animegan.data": {"keras_animegan.utils", "tfds_builders"},
    "keras_animegan.callbacks": {"keras_animegan.utils", "keras_animegan.visualization", "keras_animegan.metrics"},
    "keras_animegan.export": {"keras_animegan.utils", "keras_animegan.data", "keras_animegan.models"},
    "keras_animegan.serve": {"keras_animegan.utils"},
    # The old name of `keras_animegan.export.litert`, kept for earlier imports.
    "keras_animegan.litert": {"keras_animegan.export"},
    "keras_animegan.inference": {"keras_animegan.utils", "keras_animegan.export", "keras_animegan.models"},
    "keras_animegan.demo": {"keras_animegan.utils", "keras_animegan.visualization", "keras_animegan.landmarks",
                            "keras_animegan.presets", "keras_animegan.data", "keras_animegan.inference",
                            "keras_animegan.photo2avatar"},
    "keras_animegan.commands": {"keras_animegan.utils", "keras_animegan.visualization", "keras_animegan.export",
                                "keras_animegan.landmarks", "keras_animegan.inference", "keras_animegan.demo",
                                "keras_animegan.models", "keras_animegan.data", "keras_animegan.serve",
                                "keras_animegan.photo2avatar"},
    "keras_animegan.cli": {"keras_animegan.utils", "keras_animegan.commands"},
    # The trainers: on top of the library (only the command line imports them).
    "keras_animegan.train": {"keras_animegan.utils", "keras_animegan.visualization", "keras_animegan.callbacks",
                             "keras_animegan.metrics", "keras_animegan.models", "keras_animegan.presets",
                             "keras_animegan.data", "keras_animegan.landmarks", "keras_animegan.export",
                             "keras_animegan.losses", "keras_animegan.layers", FACADE},
    FACADE: {"keras_animegan.utils", "keras_animegan.version", "keras_animegan.models", "keras_animegan.photo2avatar"},
}
# Programs on top of the library: they may import any part of it (and nothing imports them).
PROGRAMS = {"train"}  # the clone's shims for `python -m train.dcgan` etc.
#: Not parts of the package, but held to the same size, cycle and model-knowledge rules.
CHECKED_TOO = ("benchmarks", "fuzz")


def part_of_module(module):
    """`keras_animegan.models.dcgan` -> `keras_animegan.models`; `train.common` -> `train`."""
    names = module.split(".")
    if names[0] != FACADE:
        return names[0] if names[0] in PACKAGES else None
    if len(names) == 1 or names[1] in ("__init__", "__main__"):
        return FACADE
    return f"{FACADE}.{names[1]}"


def module_name(path):
    relative = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
    return relative[: -len(".__init__")] if relative.endswith(".__init__") else relative


def imports_of(path):
    """The parts `path` imports (resolving `from keras_animegan import models` to the submodule)."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(part_of_module(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == FACADE:
                for alias in node.names:
                    is_module = os.path.exists(os.path.join(ROOT, FACADE, alias.name)) or os.path.exists(
                        os.path.join(ROOT, FACADE, alias.name + ".py"))
                    found.add(f"{FACADE}.{alias.name}" if is_module else FACADE)
            else:
                found.add(part_of_module(node.module))
    found.discard(None)
    return found


def import_graph():
    graph = {}
    for package in PACKAGES:
        for folder, _, files in os.walk(os.path.join(ROOT, package)):
            for name in files:
                if not name.endswith(".py") or name.endswith("_test.py"):
                    continue
                path = os.path.join(folder, name)
                part = part_of_module(module_name(path))
                if os.path.basename(path) == "__main__.py":
                    continue  # `python -m keras_animegan`: an entry point, like a program
                graph.setdefault(part, set()).update(imports_of(path) - {part})
    return graph


def find_cycle(graph):
    """One import cycle as a list of parts, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_find_cycle_finds_one():
    # The checker itself: the cycle this issue removed (data -> tfds_builders -> data) is found.
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def _is_module(name):
    base = os.path.join(ROOT, *name.split("."))
    return os.path.exists(base + ".py") or os.path.exists(os.path.join(base, "__init__.py"))


def module_imports(path):
    """The modules `path` imports by name, lazy imports included (`from a.b import c`: `a.b.c` where that is a
    module, else `a.b`); a package's parents, which Python imports on the way, are not counted."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    me = module_name(path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if _is_module(alias.name))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                package = me.split(".") if path.endswith("__init__.py") else me.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                module = ".".join(package + ([module] if module else []))
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                found.add(submodule if _is_module(submodule) else module)
    return {name for name in found if _is_module(name)} - {me}


def module_graph():
    graph = {}
    for package in PACKAGES + CHECKED_TOO:
        for folder, _, files in os.walk(os.path.join(ROOT, package)):
            for name in (f for f in files if f.endswith(".py")):
                path = os.path.join(folder, name)
                graph[module_name(path)] = module_imports(path)
    return graph


def test_no_import_cycle_between_modules():
    """Also inside a part: two modules that import each other (even lazily) are one concern in two files, or
    share a helper that belongs in a third."""
    graph = module_graph()
    assert {"keras_animegan.commands.translate", "benchmarks.speed"} <= set(graph)
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_no_import_cycle():
    graph = import_graph()
    assert {"keras_animegan.data", "tfds_builders", "keras_animegan.models", "keras_animegan.train", "train"} <= set(graph)
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_each_part_imports_only_what_the_module_map_allows():
    graph = import_graph()
    unknown = set(graph) - set(ALLOWED) - PROGRAMS
    assert not unknown, f"parts missing from the module map: {sorted(unknown)}"
    extra = {part: sorted(graph[part] - ALLOWED[part]) for part in ALLOWED if graph.get(part, set()) - ALLOWED[part]}
    assert not extra, f"imports the module map does not allow: {extra}"
    assert not any(PROGRAMS & deps for part, deps in graph.items() if part not in PROGRAMS)


def test_module_map_is_in_developers_md():
    with open(os.path.join(ROOT, "DEVELOPERS.md")) as f:
        text = f.read()
    for part in ALLOWED:
        assert f"`{part}`" in text, part


@pytest.mark.parametrize("module", ["decoding", "image_size", "run_folder"])
def test_decoding_and_its_guards_are_leaves_without_tensorflow(module):
    """`keras_animegan.utils.decoding` and the modules it relies on import no TensorFlow, no Keras and no other
    part of the package (only each other: the size guard is the decoder's first step)."""
    path = os.path.join(ROOT, "keras_animegan", "utils", f"{module}.py")
    with open(path) as f:
        tree = ast.parse(f.read())
    top = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    top |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    # The size guard is the decoder's first step; `optional` is the lazy TensorFlow stand-in of the guard's
    # TensorFlow adapter (TensorFlow is imported only when a graph reads sizes).
    top -= {"keras_animegan.utils.image_size", "keras_animegan.utils.optional", "keras_animegan.utils"}
    assert not {name.split(".")[0] for name in top} & {"tensorflow", "keras", "keras_animegan", "tfds_builders"}, top


@pytest.mark.slow
@pytest.mark.parametrize("first", ["tfds_builders", "keras_animegan.data"])
def test_builders_and_data_layer_import_first_in_a_fresh_interpreter(first):
    """Either side of the old cycle imports first, and the data layer then resolves the project's dataset names."""
    code = (f"import {first}; from keras_animegan.data import tfds_source; import tensorflow_datasets as tfds; "
            "tfds_source.register_project_builders(); print(sorted({'anime', 'thumbs', 'faces'} & set(tfds.list_builders())))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "['anime', 'faces', 'thumbs']"


def test_set_learning_rate_uses_public_optimizer_api():
    """A restored constant rate is overwritten by the config; schedules (also under fp16 loss scaling) are kept."""
    import keras

    from keras_animegan.models import LinearDecaySchedule
    from keras_animegan.train.loop import set_learning_rate

    constant = keras.optimizers.Adam(0.1)
    set_learning_rate(constant, 0.01)
    assert float(constant.learning_rate) == pytest.approx(0.01)
    scaled = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.1))
    set_learning_rate(scaled, 0.02)
    assert float(scaled.inner_optimizer.learning_rate) == pytest.approx(0.02)
    schedule = LinearDecaySchedule(0.1, 10, 10)
    for optimizer in (keras.optimizers.Adam(schedule), keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(schedule))):
        set_learning_rate(optimizer, 0.5)  # no error, and the schedule stays
        inner = getattr(optimizer, "inner_optimizer", optimizer)
        assert inner.get_config()["learning_rate"]["class_name"] == "LinearDecaySchedule"


def test_keras_reduces_across_workers_only_for_a_real_cluster(mirrored_strategy):
    """The isolated private call: a local strategy (default, mirrored) is not a multi-worker cluster.

    The cluster case runs in `tests/distribute/test_multi_worker.py` (two worker processes).
    """
    import tensorflow as tf

    from keras_animegan.backend.tf_backend import _in_multi_worker_fit

    assert not _in_multi_worker_fit(tf.distribute.get_strategy())
    assert not _in_multi_worker_fit(mirrored_strategy)


#: Functions may be at most this many lines (signature and docstring included), classes this many; a file of
#: the package this many.
MAX_FUNCTION_LINES, MAX_CLASS_LINES, MAX_FILE_LINES = 60, 250, 500


def test_no_file_of_the_package_over_500_lines():
    """A file that long holds several concerns (the server's transport limits, its app and its command line
    are files of their own)."""
    too_long = []
    for folder, _, files in os.walk(os.path.join(ROOT, FACADE)):
        for name in (f for f in files if f.endswith(".py")):
            with open(os.path.join(folder, name)) as f:
                count = sum(1 for _ in f)
            if count > MAX_FILE_LINES:
                too_long.append(f"{os.path.relpath(os.path.join(folder, name), ROOT)} ({count} lines)")
    assert not too_long, too_long


def test_no_function_over_60_lines_and_no_class_over_250():
    """Long functions hide steps that could be read and tested alone; long classes, concerns that could
    live on their own (GANModel's EMA, regularizers and replica math are mixins of their own)."""
    too_long = []
    for package in PACKAGES + CHECKED_TOO:
        for folder, _, files in os.walk(os.path.join(ROOT, package)):
            for name in (f for f in files if f.endswith(".py")):
                path = os.path.join(folder, name)
                with open(path) as f:
                    tree = ast.parse(f.read(), path)
                for node in ast.walk(tree):
                    limit = (MAX_FUNCTION_LINES if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                             else MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else None)
                    if limit and node.end_lineno - node.lineno + 1 > limit:
                        too_long.append(f"{os.path.relpath(path, ROOT)}:{node.lineno} {node.name} "
                                        f"({node.end_lineno - node.lineno + 1} lines)")
    assert not too_long, too_long


def test_no_decision_by_network_attribute_or_input_rank_outside_the_models():
    """Outside `keras_animegan/models/`, code (the benchmarks' too) asks a model what it takes (`input_kind`) and
    what it exports (`export_networks`), not whether it has a `generator_ba` or a rank-2 input."""
    import re

    pattern = re.compile(r"hasattr\([^)]*[\"'](generator|discriminator)\w*[\"']|input_shape\) == 2")
    found = []
    for folder, _, files in [walked for top in (FACADE,) + CHECKED_TOO for walked in os.walk(os.path.join(ROOT, top))]:
        if os.path.relpath(folder, ROOT).startswith(os.path.join("keras_animegan", "models")):
            continue
        for name in (f for f in files if f.endswith(".py")):
            with open(os.path.join(folder, name)) as f:
                found += [f"{name}: {line.strip()}" for line in f if pattern.search(line)]
    assert not found, found


def _top_level_imports(path):
    """The module names a file imports at its top level, in order (`import a.b` -> "a.b", `from a import b` -> "a")."""
    names = []
    for node in ast.parse(open(path, encoding="utf-8").read()).body:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module)
    return names


def test_benchmarks_import_the_package_before_tensorflow_starts():
    # `import keras_animegan` turns on TF's oneDNN kernels only before TensorFlow starts (2x DCGAN steps on
    # CPUs without AVX-512): a benchmark that imports keras or tensorflow at its top must import it first.
    folder = os.path.join(ROOT, "benchmarks")
    late = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".py"):
            continue
        imports = [n.split(".")[0] for n in _top_level_imports(os.path.join(folder, name))]
        starts = [i for i, n in enumerate(imports) if n in ("keras", "tensorflow")]
        if starts and not (FACADE in imports and imports.index(FACADE) < starts[0]):
            late.append(name)
    assert not late, f"import keras_animegan before keras/tensorflow in: {late}"
