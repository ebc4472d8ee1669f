"""The presets that ship in the package: listed, loaded with the network off, the right shapes, varied
output, a `save_to_preset` / `from_preset` round trip, and the command line on them.

`SHIPPED` is the list the package must hold: a preset missing from the wheel or checkout fails here.
"""

import os
import socket

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import keras_animegan
from keras_animegan import CartoonGAN
from keras_animegan import CycleGAN
from keras_animegan import DCGAN
from keras_animegan import TaggedDCGAN
from keras_animegan import Upscaler
from keras_animegan import presets
from keras_animegan.cli import main as cli_main
from tests import testing

SHIPPED = {"dcgan_avatars_64": DCGAN, "dcgan_tagged_avatars_64": TaggedDCGAN,
           "cyclegan_faces2avatars_64": CycleGAN, "cartoongan_photo2anime": CartoonGAN,
           "upscaler_avatars_x4": Upscaler}
#: Pipeline presets: no weights of their own (a shipped generator by name, and settings).
PIPELINES = {"photo2avatar_64": "Photo2Avatar"}
#: Files beyond the five every preset has: the tagged preset's grid per tag group.
EXTRA_FILES = {"dcgan_tagged_avatars_64": ["grid_flags.png", "grid_hair_color.png", "grid_hair_length.png",
                                           "grid_skin.png"]}
LICENCES = {"DCGAN": ["CC BY 4.0"], "TaggedDCGAN": ["CC BY 4.0"], "CycleGAN": ["CC BY 4.0", "Apache-2.0"],
            "CartoonGAN": ["CC BY 4.0", "Apache-2.0", "CC0", "public domain"], "Upscaler": ["CC BY 4.0"]}
SIZE = 64


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Presets must work offline: any attempt to open a connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"a shipped preset tried to use the network: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def loaded():
    return {name: cls.from_preset(name) for name, cls in SHIPPED.items()}


def faces(count=4, seed=0):
    """`count` different, face-like 64x64 inputs in [-1, 1]: a skin-toned disc with eyes on varied backgrounds."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:SIZE, :SIZE] / SIZE
    images = []
    for _ in range(count):
        image = np.broadcast_to(rng.uniform(0, 1, 3), (SIZE, SIZE, 3)).copy()
        disc = (xx - 0.5) ** 2 + (yy - 0.55) ** 2 < rng.uniform(0.06, 0.1)
        image[disc] = rng.uniform(0.5, 1.0, 3)
        for cx in (0.4, 0.6):
            image[(xx - cx) ** 2 + (yy - 0.5) ** 2 < 0.002] = 0.1
        images.append(image)
    return (np.stack(images) * 2 - 1).astype(np.float32)


def test_the_shipped_presets_are_the_expected_ones():
    assert sorted(keras_animegan.list_presets()) == sorted([*SHIPPED, *PIPELINES])
    for name, class_name in PIPELINES.items():
        folder = presets.preset_folder(name)
        assert sorted(os.listdir(folder)) == ["avatar_reader.npz", "config.json", "metadata.json", "model_card.md",
                                              "sample.png"], name
        metadata = presets.load_metadata(name)
        assert metadata["class_name"] == class_name and presets.load_config(name)["class_name"] == class_name
        assert keras_animegan.list_presets(class_name)[name] == metadata["description"]
        assert metadata["generator"] in SHIPPED  # the generator it names ships too
        with open(os.path.join(folder, "model_card.md")) as f:
            card = f.read()
        assert "CC BY 4.0" in card and f"KID {metadata['measured']['kid'][0]:.4f}" in card
        assert f"{metadata['measured']['colour']['skin_r']:.3f}" in card
    for name, cls in SHIPPED.items():
        folder = presets.preset_folder(name)
        assert sorted(os.listdir(folder)) == sorted(["config.json", "metadata.json", "model_card.md", "sample.png",
                                                     "weights.npz", *EXTRA_FILES.get(name, [])]), name
        metadata = presets.load_metadata(name)
        assert metadata["class_name"] == cls.__name__
        assert keras_animegan.list_presets(cls.__name__)[name] == metadata["description"]
        with open(os.path.join(folder, "model_card.md")) as f:
            card = f.read()
        for licence in LICENCES[cls.__name__]:  # the data's licences and attribution travel with the weights
            assert licence in card, (name, licence)
        assert f"KID {metadata['kid_float16'][0]:.4f}" in card
        if "photos_float16" in metadata:  # the photo translator's card gives its photo numbers
            assert f"{metadata['photos_float16']['photo_identity_top5']:.3f}" in card
        if "measured" in metadata:  # the upscaler's card gives its benchmark's numbers
            ours = next(row for row in metadata["measured"]["rows"] if row["method"] == "ours")
            assert f"PSNR {ours['test_psnr']:.1f} dB" in card and f"{ours['seconds_batch1']:.3f} s" in card
        if "tag_accuracy" in metadata:  # the tagged preset's card gives its tag numbers and grids
            assert f"{metadata['tag_accuracy']['samples']['agreement']['hair_color']:.3f}" in card
            assert all(f"({grid})" in card for grid in EXTRA_FILES[name])
        assert Image.open(os.path.join(folder, "sample.png")).size[0] > SIZE


def assert_varied(images):
    assert images.shape == (8, SIZE, SIZE, 3)
    assert np.all(np.abs(images) <= 1.0)
    assert images.std(axis=0).mean() > 0.05  # not one image for all inputs
    assert images.std(axis=(1, 2)).mean() > 0.05  # not flat images


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_preset_outputs_vary(loaded, name):
    model = loaded[name]
    if isinstance(model, DCGAN):
        a, b = np.asarray(model.sample(8, seed=0)), np.asarray(model.sample(8, seed=1))
        assert_varied(a)
        np.testing.assert_array_equal(a, np.asarray(model.sample(8, seed=0)))  # a seed is reproducible
        assert np.abs(a - b).mean() > 0.1  # seeds differ
        return
    if isinstance(model, Upscaler):  # 4x, close to the input averaged back down, and not a plain enlargement
        inputs = faces(8, seed=0)
        big = np.asarray(model.upscale(inputs))
        assert big.shape == (8, 4 * SIZE, 4 * SIZE, 3) and np.abs(big).max() <= 1
        down = big.reshape(8, SIZE, 4, SIZE, 4, 3).mean(axis=(2, 4))
        assert np.abs(down - inputs).mean() < 0.05
        assert np.abs(big - np.repeat(np.repeat(inputs, 4, axis=1), 4, axis=2)).mean() > 0.002
        return
    for direction in ["ab", "ba"] if isinstance(model, CycleGAN) else ["ab"]:
        inputs = faces(8, seed=0)
        a = np.asarray(model.translate(inputs, direction) if isinstance(model, CycleGAN) else model(inputs))
        assert_varied(a)
        assert np.abs(a[:4] - a[4:]).mean() > 0.05  # different inputs, different outputs


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_preset_round_trips(loaded, name, tmp_path):
    model = loaded[name]
    again = type(model).from_preset(model.save_to_preset(str(tmp_path / name)))
    if isinstance(model, TaggedDCGAN):
        inputs = model.tag_inputs(2, None, 0)
    elif isinstance(model, DCGAN):
        inputs = np.random.default_rng(0).standard_normal((2, model.latent_dim)).astype(np.float32)
    else:
        inputs = faces(2)
    np.testing.assert_array_equal(np.asarray(again(inputs)), np.asarray(model(inputs)))  # float16 stays exact


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_fine_tune_step_starts_from_the_shipped_weights(loaded, name):
    model = SHIPPED[name].from_preset(name)  # its own copy: training changes it
    images = tf.data.Dataset.from_tensors(faces(4)).repeat()
    if isinstance(model, TaggedDCGAN):  # (images, tag vectors)
        tags = model.tag_inputs(4, None, 0)[:, model.latent_dim:]
        data = tf.data.Dataset.from_tensors((faces(4), tags)).repeat()
    elif isinstance(model, DCGAN):
        data = images
    elif isinstance(model, CartoonGAN):  # the photo translator fine-tunes toward per-photo targets
        data = images.map(lambda x: {"photo": x, "cartoon": x, "smoothed": x, "target": -x})
    elif isinstance(model, Upscaler):  # (low, high) pairs: 16 px inputs of 64 px faces
        data = images.map(lambda x: (tf.nn.avg_pool2d(x, 4, 4, "VALID"), x))
    else:
        data = tf.data.Dataset.zip((images, images))
    networks = list(model.ema_network_names)
    for n in networks:  # the raw generators start from the preset (its EMA weights), not from a fresh init
        raw, stored = getattr(model, n).weights, loaded[name].inference_network(n).weights
        assert len(raw) == len(stored) > 0
        for a, b in zip(raw, stored):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    before, history = testing.fit_steps(model, data, networks)
    assert all(np.isfinite(v[0]) for v in history.history.values())
    assert all(testing.changed(before[n], getattr(model, n)) for n in networks)


def test_cli_runs_on_the_shipped_presets(tmp_path):
    for name, cls in SHIPPED.items():
        if cls in (DCGAN, TaggedDCGAN):
            out = tmp_path / f"{name}.png"
            tags = ["--tags", "blue_hair,glasses"] if cls is TaggedDCGAN else []
            assert cli_main(["generate", "--preset", name, "--num", "16", "--output", str(out), *tags]) == 0
            assert Image.open(out).size[0] >= 4 * SIZE  # a grid of 16
        elif cls is Upscaler:
            photo = tmp_path / "face.png"
            Image.fromarray(((faces(1)[0] + 1) * 127.5).astype(np.uint8)).resize((90, 120)).save(photo)
            out = tmp_path / f"{name}.png"
            assert cli_main(["upscale", "--preset", name, str(photo), "--output", str(out)]) == 0
            assert Image.open(out).size == (360, 480)
        else:
            photo = tmp_path / "face.png"
            Image.fromarray(((faces(1)[0] + 1) * 127.5).astype(np.uint8)).resize((90, 120)).save(photo)
            out = tmp_path / f"{name}.png"
            assert cli_main(["translate", "--preset", name, str(photo), "--output", str(out)]) == 0
            assert Image.open(out).size == (90, 120)


def test_every_preset_file_goes_into_the_wheel():
    """setup.cfg's package_data patterns for keras_animegan.presets cover every file of every shipped preset."""
    import configparser
    import fnmatch

    parser = configparser.ConfigParser()
    parser.read(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "setup.cfg"))
    patterns = [p.strip() for p in parser["options.package_data"]["keras_animegan.presets"].split(",")]
    for name in [*SHIPPED, *PIPELINES]:
        for file in os.listdir(presets.preset_folder(name)):
            assert any(fnmatch.fnmatch(f"{name}/{file}", p) for p in patterns), f"{name}/{file} is not packaged"


def test_the_photo_translator_keeps_the_photo_size_and_draws_a_flat_cartoon_of_it():
    """cartoongan_photo2anime on the public-domain astronaut: its own size, and much closer to the photo's
    flat-colour cartoon (its training target) than the photo itself is; a face stays findable."""
    import skimage.data

    from keras_animegan.data import flat_cartoon
    from keras_animegan.inference import Generator
    from keras_animegan.landmarks import FaceMesh

    photo = skimage.data.astronaut()[:300, 50:410]  # 300 x 360, not a multiple of 4
    out = Generator(preset="cartoongan_photo2anime").translate_image(photo)
    assert out.shape == photo.shape and out.dtype == np.uint8
    target = flat_cartoon(photo).astype(np.float32)
    assert np.abs(out - target).mean() < 0.6 * np.abs(photo - target).mean()
    assert FaceMesh()(out).found
