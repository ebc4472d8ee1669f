"""A fourth model, defined only in this file, gets the whole house by registering itself.

`register_model` makes `ToyGAN` (and its `ToyTrainer`) available to `keras-animegan train`,
`generate`, `export --format` (all three formats), presets and the shared model test cases,
with no edit anywhere else in the package.
"""

import dataclasses
import os

import keras
import numpy as np
import pytest
from keras import ops
from PIL import Image

from keras_animegan import GANModel
from keras_animegan import backend as gan_backend
from keras_animegan import register_model
from keras_animegan.cli import main
from keras_animegan.models import example_batch
from keras_animegan.models import model_entry
from keras_animegan.models.registry import unregister_model
from keras_animegan.train.config import TrainConfig
from keras_animegan.train.config import flag
from keras_animegan.train.trainer import Trainer
from tests import model_cases

LATENT, SIZE = 8, 16


def toy_generator(latent_dim):
    noise = keras.Input((latent_dim,))
    x = keras.layers.Dense(4 * 4 * 8, activation="relu")(noise)
    x = keras.layers.Reshape((4, 4, 8))(x)
    x = keras.layers.UpSampling2D(4)(x)
    # The output layer in float32 (as the package's generators): images stay float32 under mixed precision.
    images = keras.layers.Conv2D(3, 3, padding="same", activation="tanh", dtype="float32")(x)
    return keras.Model(noise, images, name="toy_generator")


def toy_discriminator():
    images = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(images)
    return keras.Model(images, keras.layers.Dense(1)(keras.layers.Flatten()(x)), name="toy_discriminator")


@keras.saving.register_keras_serializable(package="keras_animegan_toy_test")
class ToyGAN(GANModel):
    """A least-squares GAN of two tiny networks: noise in, 16 x 16 images out."""

    network_names = ("generator", "discriminator")
    loss_names = ("d_loss", "g_loss")
    input_kind = "noise"
    batch_inputs = ("images",)  # what fit takes, at `image_size`
    image_size = SIZE

    def __init__(self, generator=None, discriminator=None, latent_dim=LATENT, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.generator = generator or toy_generator(latent_dim)
        self.discriminator = discriminator or toy_discriminator()
        self.build_ema()
        self.built = True

    def gan_step(self, data):
        real = ops.cast(data[0] if isinstance(data, (tuple, list)) else data, self.compute_dtype)
        noise = gan_backend.stateless_normal((ops.shape(real)[0], self.latent_dim), self.step_seed(0))

        def d_loss_fn():
            loss = self.discriminator_loss_fn(self.discriminator(real, training=True),
                                              self.discriminator(self.generator(noise, training=True), training=True))
            return self.scale_loss_for_replicas(loss, self.d_optimizer), loss

        (_, d_loss), grads = self.differentiate(d_loss_fn, self.discriminator_trainable_variables)
        self.apply_update(self.d_optimizer, grads, self.discriminator_trainable_variables)

        def g_loss_fn():
            loss = self.generator_loss_fn(self.discriminator(self.generator(noise, training=True), training=True))
            return self.scale_loss_for_replicas(loss, self.g_optimizer), loss

        (_, g_loss), grads = self.differentiate(g_loss_fn, self.generator_trainable_variables)
        self.apply_update(self.g_optimizer, grads, self.generator_trainable_variables)
        self.update_ema()
        return self.update_loss_trackers(d_loss=d_loss, g_loss=g_loss)

    def sample(self, num_images, seed=None):
        return self(keras.random.normal((num_images, self.latent_dim), seed=seed), training=False)


@dataclasses.dataclass(frozen=True)
class ToyConfig(TrainConfig):
    latent_dim: int = flag(LATENT, "Noise vector length.")


class ToyTrainer(Trainer):
    """The toy's trainer: one image source (`--image_dir`), the base class's loop, exports and defaults."""

    model_class = ToyGAN
    config_class = ToyConfig
    defaults = {name: dict(epochs=1, batch_size=2, image_size=SIZE, learning_rate=1e-3, gan_mode="lsgan")
                for name in ("modern", "report")}

    def build_model(self, steps_per_epoch):
        model = ToyGAN(latent_dim=self.config.latent_dim, seed=self.config.seed)
        model.compile(gan_mode=self.config.gan_mode)
        return model


@pytest.fixture(scope="module", autouse=True)
def _registered():
    """The one line that makes the toy a model of the package (a decorator on the class does the same), undone
    after this file's tests so that other tests see the registry as the package has it."""
    register_model("toygan", trainer="tests.test_toy_model:ToyTrainer", description="a toy GAN defined in a test",
                   tiny=dict(latent_dim=LATENT))(ToyGAN)
    yield
    unregister_model("toygan")


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("toy_images")
    rng = np.random.default_rng(0)
    for i in range(4):
        Image.fromarray(rng.integers(0, 255, (SIZE, SIZE, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def test_the_shared_model_cases_hold_for_the_toy(tmp_path):
    entry = model_entry("toygan")
    model_cases.check_all(entry.tiny, example_batch(entry.tiny()), tmp_path)


@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_the_toy_trains_in_low_precision(precision):
    entry = model_entry("toygan")
    model_cases.check_low_precision(entry.tiny, example_batch(entry.tiny()), precision)


def test_the_toy_is_a_public_name_and_on_the_api_page():
    import keras_animegan
    from docs.hooks import public_classes

    assert keras_animegan.ToyGAN is ToyGAN and "ToyGAN" in keras_animegan.__all__
    assert "::: tests.test_toy_model.ToyGAN" in public_classes().splitlines()


@pytest.mark.slow
def test_the_command_line_trains_generates_exports_and_takes_presets(images, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--help"]) == 0
    assert "toygan" in capsys.readouterr().out
    assert main(["train", "toygan", "--image_dir", str(images), "--model_dir", str(run), "--steps_per_epoch", "2",
                 "--verbose", "0", "--latent_dim", "6"]) == 0
    assert (run / "toygan.keras").is_file() and (run / "export" / "toygan" / "1" / "saved_model.pb").is_file()
    for model in (str(run / "toygan.keras"), str(run / "export" / "toygan")):
        assert main(["generate", model, "--num", "4", "--output", str(tmp_path / "grid.png")]) == 0
        assert Image.open(tmp_path / "grid.png").size[0] >= 2 * SIZE  # a 2 x 2 grid of 16 px avatars
    assert main(["translate", str(run / "toygan.keras"), str(images / "0.png"), "--output",
                 str(tmp_path / "t.png")]) == 2
    assert "use `keras-animegan generate`" in capsys.readouterr().err
    exports = tmp_path / "exports"
    assert main(["export", str(run / "toygan.keras"), "--export_dir", str(exports), "--format", "saved_model",
                 "--format", "onnx", "--format", "litert"]) == 0
    assert sorted(os.listdir(exports)) == ["toygan", "toygan.onnx", "toygan.tflite", "toygan.tflite.json"]
    assert main(["generate", str(exports / "toygan.tflite"), "--num", "2", "--output", str(tmp_path / "lite")]) == 0
    assert len(os.listdir(tmp_path / "lite")) == 2
    # A preset folder of the toy: written from Python, used by the command line and `GANModel.from_preset`.
    model = keras.saving.load_model(run / "toygan.keras", compile=False)
    preset = model.save_to_preset(str(tmp_path / "toy_preset"))
    assert type(GANModel.from_preset(preset)) is ToyGAN
    assert main(["generate", "--preset", preset, "--num", "3", "--output", str(tmp_path / "p")]) == 0
    assert main(["export", "--preset", preset, "--export_dir", str(tmp_path / "pe")]) == 0
    assert os.listdir(tmp_path / "pe") == ["toy_preset"]
