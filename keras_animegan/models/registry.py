"""The model registry: one decorator makes a GAN available to the CLI, presets, export and the shared tests.

    @keras.saving.register_keras_serializable(package="my_project")
    @register_model("toygan", trainer="my_project.train:ToyTrainer", description="avatars from noise")
    class ToyGAN(GANModel):
        input_kind = "noise"
        ...

After that, `keras-animegan train toygan` runs the trainer, `keras-animegan generate / translate /
export` take the model's `.keras` files and presets (the model says what it takes through
`input_kind` and what it exports through `export_networks`), and `tests/models/model_cases.py`
runs the shared model test cases on it.

`trainer` is a `Trainer` subclass (see `keras_animegan.train.trainer`) or a `"module:attribute"`
string naming one, imported only when the model trains (so that `keras-animegan --help` stays fast).
In the manner of keras-hub's `register_presets` and diffusers' `register_subcommand`: the knowledge
sits on the class, and one line registers it.
"""

import dataclasses
import importlib
import types
from typing import Optional

from keras_animegan.utils.public import public
from keras_animegan.utils.public import withdraw


@dataclasses.dataclass
class ModelEntry:
    """One registered model: its command-line name, class, trainer and one-line description."""

    name: str
    cls: type
    trainer: object = None  # a Trainer subclass, a "module:attribute" string, or None (not trainable by the CLI)
    description: str = ""
    #: Constructor settings of a tiny instance (a few filters, 32 px); a function value is called for each one.
    tiny_settings: Optional[dict] = None

    def tiny(self, seed=0, **overrides):
        """A tiny instance for tests and examples (what the shared model checks run on), fresh each call."""
        if self.tiny_settings is None:
            raise ValueError(f"model {self.name!r} was registered without `tiny` settings.")
        settings = {key: value() if isinstance(value, types.FunctionType) else value
                    for key, value in self.tiny_settings.items()}
        return self.cls(**{**settings, "seed": seed, **overrides})

    def trainer_class(self):
        """The trainer class (imported on first use when registered by name); None if the model has none."""
        if isinstance(self.trainer, str):
            module, _, attribute = self.trainer.partition(":")
            self.trainer = getattr(importlib.import_module(module), attribute)
        return self.trainer


_MODELS = {}


@public
def register_model(name, trainer=None, description="", tiny=None):
    """Class decorator: registers a `GANModel` subclass under `name` (lowercase, as on the command line).

    `tiny` is the constructor settings of a tiny instance (`model_entry(name).tiny()`): the shared model
    checks (precision, backends, presets, exports) run on it, as keras-hub's `run_*_test` do.
    """
    if not name or name != name.lower() or not name.replace("_", "").isalnum():
        raise ValueError(f"A model name is lowercase letters, digits and underscores; got {name!r}.")

    def decorate(cls):
        previous = _MODELS.get(name)
        if previous is not None and previous.cls.__qualname__ != cls.__qualname__:
            raise ValueError(f"A model named {name!r} is already registered ({previous.cls.__qualname__}).")
        _MODELS[name] = ModelEntry(name, cls, trainer, description or _first_line(cls.__doc__), tiny)
        cls.registry_name = name
        return public(cls)  # keras_animegan.<ClassName>

    return decorate


def unregister_model(name):
    """Removes a registration (tests register toy models and remove them again)."""
    entry = _MODELS.pop(name, None)
    if entry is not None:
        withdraw(entry.cls.__name__)


def registered_models():
    """`{name: ModelEntry}` of every registered model, in registration order."""
    return dict(_MODELS)


def model_entry(name) -> Optional[ModelEntry]:
    """The entry of `name`, or None."""
    return _MODELS.get(name)


def entry_for_class(cls) -> Optional[ModelEntry]:
    """The entry of a model class (or of its nearest registered base), or None."""
    for base in cls.__mro__:
        for entry in _MODELS.values():
            if entry.cls is base:
                return entry
    return None


def _first_line(doc):
    return (doc or "").strip().split("\n")[0]


def example_batch(model, batch_size=2, seed=0):
    """A training batch of random numpy arrays, shaped as `model.fit` takes them: one array per entry of the
    model's `batch_inputs` (`"images"` at its `image_size`, `"low_res"` at `image_size // scale`, `"tags"`
    drawn from its vocabulary), or the array itself for one entry."""
    import numpy as np

    rng = np.random.default_rng(seed)

    def one(role):
        if role == "tags":
            return np.asarray(model.tag_inputs(batch_size, None, seed))[:, model.latent_dim:]
        side = model.image_size // (model.scale if role == "low_res" else 1)
        return rng.uniform(-1, 1, (batch_size, side, side, 3)).astype(np.float32)

    arrays = tuple(one(role) for role in model.batch_inputs)
    return arrays[0] if len(arrays) == 1 else arrays
