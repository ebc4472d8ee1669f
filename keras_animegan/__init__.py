"""keras-animegan: Keras 3 GANs that turn noise and face photos into anime avatars.

The public names (every registered model, such as `DCGAN` and `CycleGAN`, and `GANModel`, `Photo2Avatar`,
`list_presets`, `register_model`; each declared where it is defined, see `keras_animegan.utils.public`)
and the `data`, `losses`, `models`, `presets` modules are imported on first use, so that
`import keras_animegan` and the command line's `--help` do not start TensorFlow.
"""

import importlib
import importlib.util

from keras_animegan.utils.optional import pick_backend as _pick_backend
from keras_animegan.utils.optional import prefer_onednn as _prefer_onednn
from keras_animegan.version import __version__  # noqa: F401

_pick_backend()  # without TensorFlow and without a chosen backend: JAX, else PyTorch
_prefer_onednn()  # TensorFlow's oneDNN convolutions on every x86 CPU, not only the ones TF picks

#: The modules that are public names themselves (`keras_animegan.models`); the classes and functions declare
#: themselves with `keras_animegan.utils.public.public` (`register_model` does it for a model).
_MODULES = ("data", "losses", "models", "presets")


def _public_names():
    """`{name: defining module}` of every declared public name (imports the declaring packages: TensorFlow)."""
    import importlib

    from keras_animegan.utils import public

    for package in public.DECLARING_PACKAGES:
        importlib.import_module(package)
    return dict(public.PUBLIC)


def __getattr__(name):
    if name == "__all__":
        return sorted(set(_public_names()) | set(_MODULES)) + ["__version__"]
    if name.startswith("__"):
        raise AttributeError(f"module 'keras_animegan' has no attribute {name!r}")
    from keras_animegan.utils.quiet import quiet_imports

    if name in _MODULES:
        with quiet_imports():
            return importlib.import_module(f"keras_animegan.{name}")
    if importlib.util.find_spec(f"keras_animegan.{name}") is not None:
        # `from keras_animegan import demo` asks here before it imports the submodule: let it, without
        # starting TensorFlow first (the demo's and the server's parsers need none).
        raise AttributeError(f"module 'keras_animegan' has no attribute {name!r} (a submodule: import it)")
    with quiet_imports():  # without TensorFlow's C++ log lines (see utils/quiet.py)
        import keras  # noqa: F401  (imports the backend: TensorFlow by default)
    names = _public_names()  # read each time: a declaration can be withdrawn (a test's toy model)
    if name not in names:
        raise AttributeError(f"module 'keras_animegan' has no attribute {name!r}")
    return getattr(importlib.import_module(names[name]), name)


def __dir__():
    return __getattr__("__all__")


def _import_models_unless_a_command():
    # A user's `import keras_animegan` registers the model classes with Keras at once, as it always did (so
    # `keras.saving.load_model("dcgan.keras")` finds them); the commands import them when they run.
    from keras_animegan.utils.quiet import is_command

    if not is_command():
        __getattr__("models")


_import_models_unless_a_command()
