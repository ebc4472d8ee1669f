"""The x4 upscaler: its network, losses, phases, tiles, degradations, trainer and exports, with tiny networks."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_animegan import Upscaler
from keras_animegan.cli import main
from keras_animegan.data import degradations
from keras_animegan.layers import PixelShuffle
from keras_animegan.losses import huber
from keras_animegan.models import upscaled_generator
from keras_animegan.models import upscaler_generator
from keras_animegan.utils import tiles
from tests import testing

LOW, HIGH, BATCH = 8, 32, 2


def tiny_upscaler(**kwargs):
    kwargs = {"filters": 4, "num_convs": 1, "disc_filters": 4, "num_disc_layers": 1, "patch_size": HIGH, "seed": 0,
              **kwargs}
    return Upscaler(**kwargs)


def pairs(unpaired=False):
    rng = np.random.default_rng(3)
    low = rng.uniform(-1, 1, (BATCH, LOW, LOW, 3)).astype(np.float32)
    high = rng.uniform(-1, 1, (BATCH, HIGH, HIGH, 3)).astype(np.float32)
    if not unpaired:
        return tf.data.Dataset.from_tensors((low, high)).repeat()
    return tf.data.Dataset.from_tensors((low, high, low[:1])).repeat()


def test_pixel_shuffle_is_depth_to_space_at_any_size():
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 12)).astype(np.float32)
    out = keras.ops.convert_to_numpy(PixelShuffle(2)(x))
    np.testing.assert_array_equal(out, tf.nn.depth_to_space(x, 2).numpy())
    testing.assert_layer_config_round_trip(PixelShuffle(2), x)
    with pytest.raises(ValueError, match="divisible"):
        PixelShuffle(3).compute_output_shape((None, 4, 4, 12))


def test_generator_is_fully_convolutional_and_starts_near_nearest_neighbour():
    network = upscaler_generator(scale=4, filters=8, num_convs=2)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 6, 10, 3)).astype(np.float32)
    out = keras.ops.convert_to_numpy(network(x))
    assert out.shape == (1, 24, 40, 3)
    nearest = np.repeat(np.repeat(x, 4, axis=1), 4, axis=2)
    # A small head: training starts from the nearest-neighbour base, not from noise.
    assert 0 < np.abs(out - nearest).mean() < 0.5 * np.abs(x).mean()


def test_huber_is_quadratic_then_linear():
    x = np.array([0.0, 0.05, -0.3], np.float32)
    expected = np.mean([0.0, 0.5 * 0.05**2, 0.1 * (0.3 - 0.05)])
    np.testing.assert_allclose(float(huber(x, np.zeros(3, np.float32), 0.1)), expected, rtol=1e-6)


def test_the_pixel_phase_leaves_the_discriminator_then_the_adversarial_phase_trains_it():
    model = tiny_upscaler(init_steps=2)
    model.compile()
    g0, d0 = testing.weights_of(model.generator), testing.weights_of(model.discriminator)
    history = model.fit(pairs(), epochs=1, steps_per_epoch=2, verbose=0)
    assert set(history.history) == {"pixel_loss"}
    assert testing.changed(g0, model.generator) and not testing.changed(d0, model.discriminator)
    history = model.fit(pairs(unpaired=True), epochs=1, steps_per_epoch=1, verbose=0)
    testing.assert_finite_history(history, model.loss_names)
    assert testing.changed(d0, model.discriminator)
    assert history.history["unpaired_adv"][0] > 0 and history.history["consistency"][0] > 0


def test_consistency_compares_the_average_back_down():
    model = tiny_upscaler()
    x = np.random.default_rng(2).uniform(-1, 1, (1, 8, 8, 3)).astype(np.float32)
    big = np.repeat(np.repeat(x, 4, axis=1), 4, axis=2)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.downscale(big)), x, atol=1e-6)


def test_upscale_in_tiles_matches_the_whole_image_and_keeps_dtypes():
    model = tiny_upscaler(num_convs=2)
    image = np.random.default_rng(4).integers(0, 256, (37, 53, 3)).astype(np.uint8)
    whole = model.upscale(image, tile_size=64)
    tiled = model.upscale(image, tile_size=40)  # 40 px tiles overlapping by 16: 2 x 2 tiles
    assert whole.shape == (148, 212, 3) and whole.dtype == np.uint8
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1
    floats = model.upscale(image[None].astype(np.float32) / 127.5 - 1, tile_size=40)
    assert floats.shape == (1, 148, 212, 3) and floats.dtype == np.float32 and np.abs(floats).max() <= 1


def test_upscale_refuses_what_would_not_fit_in_memory(monkeypatch):
    monkeypatch.setattr(tiles, "MAX_INPUT_PIXELS", 100)
    with pytest.raises(ValueError, match="11x10 is over the 100-pixel limit"):
        tiny_upscaler().upscale(np.zeros((10, 11, 3), np.uint8))
    with pytest.raises(ValueError, match="RGB"):
        tiny_upscaler().upscale(np.zeros((4, 4), np.uint8))


def test_fixed_size_runs_tile_any_image_like_the_network():
    network = upscaler_generator(scale=4, filters=4, num_convs=1)

    def run(batch):  # a fixed-size function, as a LiteRT file's signature
        assert batch.shape == (1, 16, 16, 3)
        return keras.ops.convert_to_numpy(network(batch))

    image = np.random.default_rng(5).uniform(-1, 1, (21, 9, 3)).astype(np.float32)
    out = tiles.upscale_fixed(run, image, 16, 4)
    expected = np.clip(keras.ops.convert_to_numpy(network(image[None]))[0], -1, 1)
    assert out.shape == (84, 36, 3)
    # The same as the whole image, except within the receptive radius (3 px here) of the mirrored right edge.
    np.testing.assert_allclose(out[:, :4 * 5], expected[:, :4 * 5], atol=1e-4)
    assert np.abs(out - expected).mean() < 0.1


def test_resize_to_grows_through_the_upscaler_and_shrinks_plainly():
    calls = []

    def upscale_one(image):
        calls.append(image.shape)
        return np.repeat(np.repeat(image, 4, axis=0), 4, axis=1)

    image = np.full((16, 16, 3), 200, np.uint8)
    assert tiles.resize_to(image, 128, upscale_one).shape == (128, 128, 3)
    assert calls == [(16, 16, 3), (64, 64, 3)]  # twice x4, then 256 -> 128 by area
    assert tiles.resize_to(image, 8, upscale_one).shape == (8, 8, 3) and len(calls) == 2
    assert tiles.resize_to(image, 40).shape == (40, 40, 3)


def test_degradations_make_aligned_pairs():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 40, 40, 3)).astype(np.uint8)
    low, high = degradations.make_pairs(images, 32, degradations.Degradation(clean_share=1.0), rng)
    assert low.shape == (3, 8, 8, 3) and high.shape == (3, 32, 32, 3)
    # Clean inputs are the originals averaged over 4 x 4 blocks (to 8-bit rounding).
    averaged = ((high + 1) * 127.5).reshape(3, 8, 4, 8, 4, 3).mean(axis=(2, 4)) / 127.5 - 1
    np.testing.assert_allclose(low, averaged, atol=1.01 / 127.5)
    noisy = degradations.Degradation(clean_share=0.0, noise_prob=1.0, jpeg_prob=1.0, blur_prob=1.0)
    out = noisy(images[0, :32, :32], rng)
    assert out.shape == (8, 8, 3) and out.dtype == np.uint8
    with pytest.raises(ValueError, match="noise_prob"):
        degradations.Degradation(noise_prob=1.5)
    with pytest.raises(ValueError, match="larger than the images"):
        degradations.random_crops(images, 64, rng)


def test_upscaled_generator_chains_and_exports_one_signature(tmp_path):
    from keras_animegan.export.saved_model import export_generator

    base = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8 * 8 * 3, activation="tanh"),
                             keras.layers.Reshape((8, 8, 3))], name="generator")
    chain = upscaled_generator(base, tiny_upscaler())
    noise = np.random.default_rng(0).standard_normal((2, 6)).astype(np.float32)
    out = keras.ops.convert_to_numpy(chain(noise))
    assert out.shape == (2, 32, 32, 3) and np.abs(out).max() <= 1
    path = export_generator(chain, str(tmp_path), "big", kind="noise")
    loaded = tf.saved_model.load(path)
    images = loaded.signatures["generate_images"](count=tf.constant(3), seed=tf.constant(1))["images"]
    assert images.shape == (3, 32, 32, 3) and images.dtype == tf.uint8


def test_the_saved_model_upscales_any_size_and_refuses_huge_images(tmp_path, monkeypatch):
    from keras_animegan.export import saved_model

    monkeypatch.setattr(saved_model, "MAX_UPSCALE_PIXELS", 400)
    model = tiny_upscaler()
    path = saved_model.export_generator(model, str(tmp_path), "up")
    loaded = tf.saved_model.load(path)
    out = loaded.signatures["serving_default"](images=tf.zeros((1, 10, 14, 3), tf.uint8))["images"]
    assert out.shape == (1, 40, 56, 3) and out.dtype == tf.uint8
    with pytest.raises(tf.errors.InvalidArgumentError, match="larger than 400 pixels"):
        loaded.signatures["serving_default"](images=tf.zeros((1, 21, 20, 3), tf.uint8))
    runner = saved_model.SavedModelRunner(path)
    assert runner.kind == "upscale" and runner.scale == 4


def test_litert_file_upscales_any_size_in_tiles(tmp_path):
    from keras_animegan.export import export_model
    from keras_animegan.export.litert import LiteRTGenerator

    model = tiny_upscaler()
    path = export_model(model, "litert", str(tmp_path), "up", size=16)["up"]
    runner = LiteRTGenerator(path)
    assert (runner.kind, runner.scale, runner.size) == ("upscale", 4, 16)
    image = np.random.default_rng(6).integers(0, 256, (20, 32, 3)).astype(np.uint8)  # 2 x 3 tiles, none padded
    expected = model.upscale(image)
    out = runner.upscale_image(image)
    assert out.shape == (80, 128, 3)
    assert np.abs(out.astype(int) - expected.astype(int)).max() <= 2


def test_photo2avatar_grows_avatars_through_its_upscaler():
    from keras_animegan.photo2avatar import Photo2Avatar

    pipeline = Photo2Avatar.__new__(Photo2Avatar)
    pipeline._upscaler = tiny_upscaler()
    avatar = np.random.default_rng(7).integers(0, 256, (16, 16, 3)).astype(np.uint8)
    assert pipeline.resize(avatar, 64).shape == (64, 64, 3)
    np.testing.assert_array_equal(pipeline.resize(avatar, 64), pipeline.upscaler.upscale(avatar))
    assert pipeline.resize(avatar, 8).shape == (8, 8, 3)
    with pytest.raises(ValueError, match="size"):
        pipeline.resize(avatar, 0)


@pytest.fixture(scope="module")
def high_res(tmp_path_factory):
    """Ten 48 px drawings with flat colours and outlines (the upscaler's kind of image), and one broken file."""
    folder = tmp_path_factory.mktemp("high_res")
    rng = np.random.default_rng(0)
    for i in range(10):
        image = np.full((48, 48, 3), rng.integers(150, 256, 3), np.uint8)
        top, left = rng.integers(4, 20, 2)
        image[top:top + 20, left:left + 20] = rng.integers(0, 256, 3)
        image[top:top + 20, left:left + 2] = 0
        Image.fromarray(image).save(folder / f"drawing_{i}.png")
    (folder / "broken.png").write_bytes(b"not a png")
    return folder


@pytest.mark.slow
def test_the_trainer_trains_resumes_exports_and_the_commands_use_it(high_res, tmp_path, capsys):
    run = tmp_path / "run"
    flags = ["train", "upscaler", "--image_dir", str(high_res), "--model_dir", str(run), "--image_size", "48",
             "--patch_size", "32", "--batch_size", "2", "--epochs", "2", "--steps_per_epoch", "2",
             "--base_filters", "4", "--num_convs", "1", "--verbose", "0", "--unpaired_preset",
             "dcgan_tagged_avatars_64", "--unpaired_count", "6", "--unpaired_batch", "1"]
    assert main(flags) == 0
    out = capsys.readouterr().out
    assert "Done: 4 steps (4 this run)" in out and "Skipped 1 unreadable file(s)" in out
    assert np.load(run / "unpaired_samples.npy").shape == (6, 64, 64, 3)
    assert sorted(os.listdir(run / "samples")) == ["epoch_001.png", "epoch_002.png"]
    longer = list(flags)
    longer[longer.index("--epochs") + 1] = "3"
    assert main(longer) == 0  # the same run, one epoch longer: resumes
    assert "Done: 6 steps (2 this run)" in capsys.readouterr().out
    config = json.loads((run / "config.json").read_text())
    assert config["unpaired_preset"] == "dcgan_tagged_avatars_64"

    keras_file, saved = str(run / "upscaler.keras"), str(run / "export" / "upscaler")
    for model_flag in (["--model", keras_file], ["--model", saved, "--trust_model"]):
        assert main(["upscale", *model_flag, str(high_res), "--output", str(tmp_path / "up")]) == 0
        assert "Wrote 10 images" in capsys.readouterr().out
        assert Image.open(tmp_path / "up" / "drawing_3.png").size == (192, 192)
    assert main(["upscale", "--model", keras_file, str(high_res / "drawing_0.png"), "--output",
                 str(tmp_path / "one.png")]) == 0
    assert Image.open(tmp_path / "one.png").size == (192, 192)

    assert main(["generate", "--preset", "dcgan_avatars_64", "--num", "2", "--size", "128", "--upscaler", keras_file,
                 "--output", str(tmp_path / "gen")]) == 0
    assert Image.open(tmp_path / "gen" / "avatar_00000.png").size == (128, 128)
    assert main(["generate", "--preset", "dcgan_avatars_64", "--num", "1", "--size", "100", "--upscaler", "none",
                 "--output", str(tmp_path / "plain")]) == 0
    assert Image.open(tmp_path / "plain" / "avatar_00000.png").size == (100, 100)
    assert main(["generate", "--preset", "dcgan_avatars_64", "--num", "1", "--upscaler", "none", "--output",
                 str(tmp_path / "x")]) == 2
    assert "--upscaler needs --size" in capsys.readouterr().err
    assert main(["generate", "--preset", "dcgan_avatars_64", "--num", "1", "--size", "128", "--upscaler",
                 "dcgan_avatars_64", "--output", str(tmp_path / "x")]) == 2
    assert "is not an upscaler" in capsys.readouterr().err
    assert main(["translate", "--preset", "photo2avatar_64", "--example", "--size", "128", "--upscaler", keras_file,
                 "--output", str(tmp_path / "me.png")]) == 0
    assert Image.open(tmp_path / "me.png").size == (128, 128)

    exports = tmp_path / "exports"
    assert main(["export", "--preset", "dcgan_tagged_avatars_64", "--upscaler", keras_file, "--export_dir",
                 str(exports), "--name", "big"]) == 0
    assert main(["generate", str(exports / "big"), "--trust_model", "--num", "1", "--tags", "blue_hair",
                 "--output", str(tmp_path / "big")]) == 0
    assert Image.open(tmp_path / "big" / "avatar_00000.png").size == (256, 256)
    assert main(["export", keras_file, "--export_dir", str(exports), "--format", "litert", "--format", "onnx"]) == 0
    assert main(["upscale", "--model", str(exports / "upscaler.tflite"), "--trust_model",
                 str(high_res / "drawing_1.png"), "--output", str(tmp_path / "lite.png")]) == 0
    assert Image.open(tmp_path / "lite.png").size == (192, 192)


def test_the_trainer_and_commands_refuse_bad_input_with_one_line(high_res, tmp_path, capsys):
    assert main(["train", "upscaler", "--model_dir", str(tmp_path / "r")]) == 2
    assert "needs --image_dir HIGH_RES" in capsys.readouterr().err
    assert main(["train", "upscaler", "--image_dir", str(high_res), "--image_size", "48", "--patch_size", "64",
                 "--model_dir", str(tmp_path / "r")]) == 2
    assert "--patch_size must be a multiple of 4 from 8 to --image_size (48)" in capsys.readouterr().err
    assert main(["upscale", str(tmp_path / "missing.png"), "--output", str(tmp_path / "o.png")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["upscale", "--preset", "dcgan_avatars_64", str(high_res / "drawing_0.png"), "--output",
                 str(tmp_path / "o.png")]) == 2
    assert "is not an upscaler" in capsys.readouterr().err
    assert main(["export", "--preset", "dcgan_avatars_64", "--upscaler", "no_such_preset", "--export_dir",
                 str(tmp_path / "e")]) == 2
    assert "--upscaler: Unknown preset" in capsys.readouterr().err


def test_the_demo_grows_avatars_through_its_upscaler(tmp_path):
    from keras_animegan.demo import Demo
    from keras_animegan.demo import DemoError

    path = str(tmp_path / "up.keras")
    tiny_upscaler().save(path)
    demo = Demo(upscaler=path)
    avatars = np.random.default_rng(8).integers(0, 256, (2, 64, 64, 3)).astype(np.uint8)
    assert demo.sized(avatars, 64) is avatars
    big = demo.sized(avatars, 256)
    assert big.shape == (2, 256, 256, 3) and big.dtype == np.uint8
    with pytest.raises(DemoError, match="Size"):
        demo.sized(avatars, 1000)
    with pytest.raises(DemoError, match="is not an upscaler"):
        Demo(upscaler="dcgan_avatars_64").sized(avatars, 256)
    plain = Demo(upscaler="none").sized(avatars, 256)
    assert plain.shape == (2, 256, 256, 3)
