"""keras-animegan: Keras 3 GANs that turn noise and face photos into anime avatars.

The public names (`DCGAN`, `CycleGAN`, `CartoonGAN`, `TaggedDCGAN`, `Upscaler`, `GANModel`, `Photo2Avatar`, `list_presets`,
`register_model` and the `data`, `losses`, `models`, `presets` modules) are imported on first use, so that
`import keras_animegan` and the command line's `--help` do not start TensorFlow.
"""

import importlib

from keras_animegan.utils.optional import pick_backend as _pick_backend
from keras_animegan.utils.optional import prefer_onednn as _prefer_onednn
from keras_animegan.version import __version__  # noqa: F401

_pick_backend()  # without TensorFlow and without a chosen backend: JAX, else PyTorch
_prefer_onednn()  # TensorFlow's oneDNN convolutions on every x86 CPU, not only the ones TF picks

#: Public name -> the module that holds it (a module itself where the name is the module's).
_PUBLIC = {
    "DCGAN": "keras_animegan.models",
    "CycleGAN": "keras_animegan.models",
    "CartoonGAN": "keras_animegan.models",
    "TaggedDCGAN": "keras_animegan.models",
    "Upscaler": "keras_animegan.models",
    "GANModel": "keras_animegan.models",
    "Photo2Avatar": "keras_animegan.photo2avatar",
    "register_model": "keras_animegan.models",
    "list_presets": "keras_animegan.presets",
    "data": None,
    "losses": None,
    "models": None,
    "presets": None,
}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'keras_animegan' has no attribute {name!r}")
    from keras_animegan.utils.quiet import quiet_imports

    with quiet_imports():  # the commands start without TensorFlow's C++ log lines (see utils/quiet.py)
        import keras  # noqa: F401  (imports the backend: TensorFlow by default)
    module = _PUBLIC[name]
    value = importlib.import_module(f"keras_animegan.{name}") if module is None else getattr(
        importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__


def _import_models_unless_a_command():
    # A user's `import keras_animegan` registers the model classes with Keras at once, as it always did (so
    # `keras.saving.load_model("dcgan.keras")` finds them); the commands import them when they run.
    from keras_animegan.utils.quiet import is_command

    if not is_command():
        __getattr__("models")


_import_models_unless_a_command()
