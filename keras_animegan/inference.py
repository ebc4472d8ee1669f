"""Any trained generator as a numpy function: a SavedModel export, a `.keras` file, a `.tflite` file or a preset.

`Generator` is what `keras-animegan generate / translate` and `keras-animegan demo` run on. Its
errors are `UserError`s whose message names the model (the command line prints them).
"""

import os

import numpy as np

from keras_animegan.utils.versions import saved_model_versions


class UserError(Exception):
    """A user error (a model that is missing, of the wrong kind, or broken): the message says which."""


class Generator:
    """A generator from a SavedModel, a `.keras` file or a LiteRT `.tflite` file, as numpy in / numpy out in [-1, 1].

    `kind` is `"noise"` (DCGAN: `latent_dim`) or `"image"` (translators: any
    input size; a fully convolutional one such as `cartoongan_photo2anime` runs at
    that size, one trained at a fixed size sees the input resized to it and back).
    """

    def __init__(self, path=None, direction="ab", preset=None):
        if (path is None) == (preset is None):
            raise UserError("Give MODEL (an export folder or .keras file) or --preset NAME, not both or neither.")
        if preset is not None:
            self.path = preset
            self._from_preset(preset, direction)
        else:
            self.path = os.fspath(path)
            if self.path.endswith(".keras"):
                self._from_keras(self.path, direction)
            elif self.path.endswith(".tflite"):
                self._from_litert(self.path)
            else:
                self._from_saved_model(self.path)

    @classmethod
    def from_model(cls, model, direction="ab"):
        """A Generator over a model already in memory (a `GANModel`), e.g. right after training."""
        generator = cls.__new__(cls)
        generator.path = type(model).__name__
        generator._use_model(model, direction)
        return generator

    def _from_saved_model(self, path):
        import tensorflow as tf

        if not os.path.isdir(path):
            raise UserError(f"MODEL {path!r}: no such SavedModel folder or .keras file.")
        if not os.path.exists(os.path.join(path, "saved_model.pb")):
            versions = saved_model_versions(path)
            if not versions:
                raise UserError(f"MODEL {path!r} holds no saved_model.pb (nor version folders with one).")
            path = versions[max(versions)]
        self.loaded = tf.saved_model.load(path)
        if "serve" not in self.loaded.signatures:
            raise UserError(f"MODEL {path!r} has no 'serve' signature: export it with keras_animegan.export.")
        serve = self.loaded.signatures["serve"]
        spec = next(iter(serve.structured_input_signature[1].values()))
        if spec.shape.rank == 2:
            self.kind, self.latent_dim = "noise", int(spec.shape[-1])
            self.output_size = int(serve.structured_outputs["images"].shape[1])
        else:
            self.kind = "image"
        self._call = lambda x: serve(tf.constant(x, tf.float32))["images"].numpy()

    def _from_litert(self, path):
        from keras_animegan.litert import LiteRTGenerator

        try:
            self.litert = LiteRTGenerator(path)
        except (FileNotFoundError, ValueError) as error:
            raise UserError(f"MODEL {path!r}: {error}") from None
        except Exception as error:  # noqa: BLE001 - LiteRT raises RuntimeError/ValueError for a bad file
            raise UserError(f"MODEL {path!r} is not a readable LiteRT file: {error}") from None
        self.kind = self.litert.kind
        if self.kind == "noise":
            self.latent_dim, self.output_size = self.litert.latent_dim, self.litert.output_size
            self._call = self.litert
        else:
            self._call = self._litert_any_size

    def _litert_any_size(self, images):
        """float [-1, 1] images of any size through the `.tflite` file's fixed size (resized there and back)."""
        import cv2

        size = self.litert.size
        outputs = []
        for image in images:
            height, width = image.shape[:2]
            small = image if (height, width) == (size, size) else cv2.resize(
                image, (size, size), interpolation=cv2.INTER_AREA if min(height, width) > size else cv2.INTER_CUBIC)
            out = self.litert(small[None])[0]
            outputs.append(out if (height, width) == (size, size) else cv2.resize(out, (width, height),
                                                                                  interpolation=cv2.INTER_CUBIC))
        return np.clip(np.stack(outputs), -1.0, 1.0)

    def _from_keras(self, path, direction):
        import keras

        import keras_animegan  # noqa: F401 - registers the serializable classes

        if not os.path.exists(path):
            raise UserError(f"MODEL {path!r}: no such file.")
        try:
            model = keras.saving.load_model(path, compile=False)
        except Exception as error:  # noqa: BLE001 - Keras raises many kinds; name the file
            raise UserError(f"MODEL {path!r} could not be loaded: {error}") from None
        self._use_model(model, direction)

    def _from_preset(self, preset, direction):
        import keras_animegan

        try:
            model = keras_animegan.GANModel.from_preset(preset)
        except ValueError as error:  # unknown name (lists the shipped ones), or a broken folder
            raise UserError(f"--preset: {error}") from None
        self._use_model(model, direction)

    def _use_model(self, model, direction):
        from keras_animegan.export import translate_any_size

        self.model = model
        # The EMA generators when the model keeps them (what the trainers' recipes sample with).
        network = model.inference_network("generator")
        if hasattr(model, "generator_ba"):
            if direction not in ("ab", "ba"):
                raise UserError(f"--direction must be 'ab' or 'ba'; got {direction!r}.")
            network = model.inference_network(f"generator_{direction}")
        self.network = network
        if len(network.input_shape) == 2:
            self.kind, self.latent_dim = "noise", int(network.input_shape[-1])
            self.output_size = int(network.output_shape[1])
            from keras import ops

            self._call = lambda x: ops.convert_to_numpy(network(x, training=False))
        elif _keras_backend() == "tensorflow":
            self.kind = "image"
            self._call = lambda x: np.asarray(translate_any_size(network, x))
        else:
            self.kind = "image"
            self._call = lambda x: translate_array(network, x)

    def __call__(self, inputs):
        return self._call(np.asarray(inputs, np.float32))

    def noise(self, seed, count):
        """`count` standard normal noise vectors from `seed` (numpy): the same seed gives the same avatars
        in `keras-animegan generate --seed` and in the demo."""
        return np.random.default_rng(seed).standard_normal((count, self.latent_dim)).astype(np.float32)

    def translate_image(self, image):
        """One uint8 RGB image of any size -> its translation, uint8, the same size."""
        from keras_animegan.utils.pixels import to_uint8
        from keras_animegan.utils.pixels import to_unit_range

        if getattr(self, "litert", None) is not None:  # the file's uint8 signature: what apps run
            return self.litert.translate_image(image)
        return np.asarray(to_uint8(self(to_unit_range(image)[None])))[0]


def _keras_backend():
    import keras

    return keras.backend.backend()


def translate_array(network, images):
    """`export.translate_any_size` for NumPy batches on every Keras backend (eager, `keras.ops`).

    A network of a fixed size gets inputs of another size resized to its size (bilinear,
    antialiased) and its outputs resized back; a fully convolutional one runs at the input's
    own size, padded by reflection to a multiple of `SIZE_MULTIPLE` (scaled down first past
    `MAX_WORK_PIXELS`). Returns float32 in [-1, 1].
    """
    from keras import ops

    from keras_animegan.export import MAX_WORK_PIXELS
    from keras_animegan.export import SIZE_MULTIPLE

    images = np.asarray(images, np.float32)
    height, width = images.shape[1:3]

    def resize(x, size, antialias=True):
        return ops.image.resize(x, size, interpolation="bilinear", antialias=antialias)

    def padded(x):
        x = np.asarray(ops.convert_to_numpy(x), np.float32)
        h, w = x.shape[1:3]
        x = np.pad(x, [(0, 0), (0, -h % SIZE_MULTIPLE), (0, -w % SIZE_MULTIPLE), (0, 0)], mode="symmetric")
        return network(x, training=False)[:, :h, :w, :]

    if None in tuple(network.input_shape[1:3]):
        if height * width > MAX_WORK_PIXELS:
            scale = (MAX_WORK_PIXELS / (height * width)) ** 0.5
            size = tuple(max(int(d * scale // SIZE_MULTIPLE), 1) * SIZE_MULTIPLE for d in (height, width))
            outputs = resize(padded(resize(images, size)), (height, width), antialias=False)
        else:
            outputs = padded(images)
    else:
        size = tuple(int(d) for d in network.input_shape[1:3])
        same = (height, width) == size
        outputs = network(images if same else resize(images, size), training=False)
        if not same:
            outputs = resize(ops.cast(outputs, "float32"), (height, width))
    return np.clip(np.asarray(ops.convert_to_numpy(ops.cast(outputs, "float32"))), -1.0, 1.0)
