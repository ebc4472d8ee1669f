"""Any trained generator as a numpy function: a SavedModel export, a `.keras` file, a `.tflite` file or a preset.

`Generator` is what `keras-animegan generate / translate` and `keras-animegan demo` run on. Its
errors are `UserError`s whose message names the model (the command line prints them). Each
export format that loads says which paths it takes and loads them (`keras_animegan.export.register_format`:
`SavedModelRunner` for a folder, `LiteRTGenerator` for a `.tflite` file); a `.keras` file or a preset is
a `GANModel`, which says what its generators take (`input_kind`).
"""

import os

import numpy as np


from keras_animegan.utils import noise as seeded_noise
from keras_animegan.utils.errors import UserError
from keras_animegan.utils.tiles import DEFAULT_UPSCALER
from keras_animegan.utils.trust import warn_untrusted


class Generator:
    """A generator from a SavedModel, a `.keras` file or a LiteRT `.tflite` file, as numpy in / numpy out in [-1, 1].

    `kind` is `"noise"` (DCGAN: `latent_dim`), `"tags"` (TaggedDCGAN: noise and tags, see `inputs`
    and `tag_vocabulary`), `"upscale"` (an `Upscaler`: `upscale_image`, `scale` times larger) or
    `"image"` (translators: any
    input size; a fully convolutional one such as `cartoongan_photo2anime` runs at
    that size, one trained at a fixed size sees the input resized to it and back).
    `direction` picks one of a model's `directions` (CycleGAN: `"ab"` or `"ba"`).

    A SavedModel or `.tflite` file is a program: loading it runs its graph, whatever ops it holds
    (file writes included). Unless `trust=True`, loading one from outside the package warns once.
    `.keras` files load in Keras's safe mode and presets are data (config and weights).
    """

    def __init__(self, path=None, direction=None, preset=None, trust=False):
        if (path is None) == (preset is None):
            raise UserError("Give MODEL (an export folder or .keras file) or --preset NAME, not both or neither.")
        self.path, self.runtime, self.model = os.fspath(preset if preset is not None else path), None, None
        if preset is not None:
            self._use_model(_load_preset(preset), direction)
        elif self.path.endswith(".keras"):
            self._use_model(_load_keras(self.path), direction)
        else:
            self._use_export(self.path, trust)

    @classmethod
    def from_model(cls, model, direction=None):
        """A Generator over a model already in memory (a `GANModel`), e.g. right after training."""
        generator = cls.__new__(cls)
        generator.path, generator.runtime, generator.model = type(model).__name__, None, None
        generator._use_model(model, direction)
        return generator

    def _use_export(self, path, trust):
        """An export, by the format whose loader accepts the path (`keras_animegan.export.format_loading`); a
        path no format takes is read as a SavedModel folder, whose loader says what is wrong with it."""
        from keras_animegan.export import export_format
        from keras_animegan.export import format_loading

        format = format_loading(path) or export_format("saved_model")
        warn_untrusted(path, format.file_kind, trust)
        try:
            runner = format.loader(path)
        except (FileNotFoundError, ValueError) as error:
            message = str(error)
            raise UserError(f"MODEL {message}" if message.startswith(repr(path)) else f"MODEL {path!r}: {message}") from None
        except Exception as error:  # noqa: BLE001 - a runtime raises RuntimeError and others for a bad file
            raise UserError(f"MODEL {path!r} is not a readable {format.file_kind}: {error}") from None
        # A runtime with uint8 signatures of its own (LiteRT) runs images through them: what apps run.
        self.runtime = runner if hasattr(runner, "translate_image") else None
        self.kind, self.scale = runner.kind, int(getattr(runner, "scale", 1) or 1)
        self._call = runner
        if self.kind in ("noise", "tags"):
            self.latent_dim, self.output_size = runner.latent_dim, runner.output_size
            self._set_vocabulary(runner.tag_vocabulary)
        elif hasattr(runner, "translate_any_size"):
            self._call = runner.translate_any_size

    def _use_model(self, model, direction):
        from keras import ops

        from keras_animegan.export.any_size import translate_keras

        self.model = model
        try:
            # The EMA generators when the model keeps them (what the trainers' recipes sample with).
            self.network = network = model.inference_generator(direction)
        except ValueError as error:
            raise UserError(f"--direction: {error}") from None
        self.kind = model.input_kind
        self.scale = int(model.export_options().get("scale", 1))  # what exports record too
        if self.kind == "upscale":  # a traced function per input shape: about 8x an eager call at 64 px
            self._call = lambda x: ops.convert_to_numpy(network.predict_on_batch(x))
        elif self.kind in ("noise", "tags"):
            self.latent_dim, self.output_size = int(model.latent_dim), int(network.output_shape[1])
            vocabulary = getattr(model, "tag_vocabulary", None)
            self._set_vocabulary(vocabulary.get_config() if vocabulary is not None else None)
            self._call = lambda x: ops.convert_to_numpy(network(x, training=False))
        elif _keras_backend() == "tensorflow":  # one traced graph per input shape, as the SavedModels run
            from keras_animegan.export.any_size import translate_tf

            self._call = lambda x: np.asarray(translate_tf(network, x))
        else:
            self._call = lambda x: translate_keras(network, x)

    def _set_vocabulary(self, config):
        from keras_animegan.utils.tags import TagVocabulary

        self.tag_vocabulary = TagVocabulary.from_config(config) if config else None

    def __call__(self, inputs):
        return self._call(np.asarray(inputs, np.float32))

    def noise(self, seed, count):
        """`count` standard normal noise vectors from `seed` (`keras_animegan.utils.noise`; None: a fresh draw):
        the same seed gives the same avatars in `keras-animegan generate --seed`, the demo, `model.sample`
        and a SavedModel's `generate_images`."""
        return seeded_noise.standard_normal(seed, (count, self.latent_dim))

    def inputs(self, seed, count, tags=None):
        """The generator inputs for `count` images from `seed`: noise, and for a `"tags"` generator the tag
        vectors appended (`tags` given on, the rest drawn as `TagVocabulary.draw` says). Raises `UserError`
        for tags on a generator without any, an unknown tag (naming the nearest) or two of one group."""
        if self.kind == "tags":
            from keras_animegan.utils.tags import tag_inputs

            try:
                return tag_inputs(self.tag_vocabulary, self.latent_dim, count, tags, seed)
            except ValueError as error:
                raise UserError(f"--tags: {error}") from None
        if tags:
            raise UserError(f"--tags: {self.path!r} draws from noise only; it takes no tags (a tagged preset does: "
                            "`keras-animegan tags --preset NAME`).")
        return self.noise(seed, count)

    def upscale_image(self, image):
        """An upscaler: one uint8 RGB image of any size -> uint8, `scale` times larger, in tiles (memory stays
        bounded; `keras_animegan.utils.tiles`)."""
        from keras_animegan.utils import tiles

        if self.kind != "upscale":
            raise UserError(f"MODEL {self.path!r} is not an upscaler (it takes {self.kind}).")
        if hasattr(self.runtime, "upscale_image"):
            return self.runtime.upscale_image(image)
        try:
            return tiles.upscale(self, np.asarray(image, np.uint8), self.scale)
        except ValueError as error:
            raise UserError(str(error)) from None

    def translate_image(self, image):
        """One uint8 RGB image of any size -> its translation, uint8, the same size."""
        from keras_animegan.utils.pixels import to_uint8
        from keras_animegan.utils.pixels import to_unit_range

        if self.runtime is not None:  # the file's uint8 signature: what apps run
            return self.runtime.translate_image(image)
        return np.asarray(to_uint8(self(to_unit_range(image)[None])))[0]


def _keras_backend():
    import keras

    return keras.backend.backend()


def _load_keras(path):
    import keras

    import keras_animegan.models  # noqa: F401 - registers the serializable classes

    if not os.path.exists(path):
        raise UserError(f"MODEL {path!r}: no such file.")
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as error:  # noqa: BLE001 - Keras raises many kinds; name the file
        raise UserError(f"MODEL {path!r} could not be loaded: {error}") from None


def _load_preset(preset):
    from keras_animegan.models import GANModel

    try:
        return GANModel.from_preset(preset)
    except ValueError as error:  # unknown name (lists the shipped ones), or a broken folder
        raise UserError(f"--preset: {error}") from None




class Resizer:
    """Makes images a given size: through an upscaler where they grow, plainly where they do not.

    `spec` is a preset name or folder, a `.keras` file, an export (SavedModel folder or `.tflite`
    file) of an upscaler, `"none"` (plain bicubic resizing, no model) or None (`DEFAULT_UPSCALER`).
    The upscaler is loaded on first use. `resize(images, size)` takes uint8 `(n, h, w, 3)`; images
    that grow go through the upscaler (as often as its scale needs, then resized to `size` exactly);
    others are resized with area averaging (shrinking) or left as they are.

    >>> Resizer().resize(avatars_64, 256)             # the shipped upscaler
    >>> Resizer("none").resize(avatars_64, 256)       # bicubic
    """

    def __init__(self, spec=None, trust=False):
        self.spec = DEFAULT_UPSCALER if spec is None else os.fspath(spec)
        self.trust = trust
        self._upscaler = None

    @property
    def upscaler(self):
        """The upscaler as a `Generator`, or None for `"none"`."""
        if self.spec.lower() == "none":
            return None
        if self._upscaler is None:
            spec = self.spec
            # An export (SavedModel folder, .keras or .tflite file) by its path; anything else is a preset (a
            # shipped name or a folder with a config.json).
            is_export = spec.endswith((".keras", ".tflite")) or (
                os.path.isdir(spec) and not os.path.isfile(os.path.join(spec, "config.json")))
            try:
                generator = Generator(spec, trust=self.trust) if is_export else Generator(preset=spec)
            except UserError as error:
                raise UserError(f"--upscaler: {error}") from None
            if generator.kind != "upscale":
                raise UserError(f"--upscaler {self.spec!r} is not an upscaler (it takes {generator.kind}); give an "
                                f"upscaler preset such as {DEFAULT_UPSCALER}, its export, or 'none'.")
            self._upscaler = generator
        return self._upscaler

    def resize(self, images, size):
        """uint8 `(n, h, w, 3)` (or one `(h, w, 3)`) -> uint8 `(n, size, size, 3)` (or one)."""
        from keras_animegan.utils.tiles import resize_to

        images = np.asarray(images, np.uint8)
        upscale_one = self.upscaler.upscale_image if self.upscaler is not None else None
        if images.ndim == 3:
            return resize_to(images, size, upscale_one)
        return np.stack([resize_to(image, size, upscale_one) for image in images])
