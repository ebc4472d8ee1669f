"""`train.cartoongan`: the issue's command on the embedded default, and run() on two folders with resume."""

import csv
import dataclasses
import math
import os
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_animegan.train import cartoongan
from tests import forked

pytestmark = pytest.mark.slow


def test_cli_command_from_the_issue_on_the_embedded_default(tmp_path):
    command = [sys.executable, "-m", "keras_animegan", "train", "cartoongan", f"--model_dir={tmp_path / 'D'}", "--epochs=2",
               "--init_epochs=1", "--steps_per_epoch=2", "--batch_size=2", "--image_size=32", "--vgg_weights=none",
               "--vgg=vgg16", "--base_filters=8", "--cartoon_blocks=1",
               "--kid_every=1", "--kid_features=random", "--kid_samples=4"]
    done = forked.run(command, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "4 steps" in done.stdout
    assert sorted(os.listdir(tmp_path / "D" / "samples")) == ["epoch_001.png", "epoch_002.png"]
    assert os.path.isfile(tmp_path / "D" / "export" / "cartoongan" / "1" / "saved_model.pb")
    # KID of G(photos) against the cartoons, each epoch.
    with open(tmp_path / "D" / "kid.csv") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [1, 2]


def test_two_folders_phases_in_the_log_and_resume(tmp_path):
    rng = np.random.default_rng(0)
    for name in ("photos", "cartoons"):
        (tmp_path / name).mkdir()
        for i in range(4):
            Image.fromarray(rng.integers(0, 255, (36, 44, 3), dtype=np.uint8)).save(tmp_path / name / f"{i}.png")
    config = cartoongan.CartoonGANConfig(
        model_dir=str(tmp_path / "run"), photos=str(tmp_path / "photos"), cartoons=str(tmp_path / "cartoons"),
        epochs=2, init_epochs=1, steps_per_epoch=2, batch_size=2, image_size=32, base_filters=4, cartoon_blocks=1,
        vgg="vgg16", vgg_weights="none", verbose="0")
    first = cartoongan.run(config)
    assert first.steps == 4 and first.num_images == 4
    with open(os.path.join(config.model_dir, "losses.csv")) as f:
        rows = list(csv.DictReader(f))
    # Epoch 1 is the content-only initialization: no discriminator loss logged.
    assert [math.isnan(float(r["d_loss"])) for r in rows] == [True, True, False, False]
    assert all(math.isfinite(float(r["content_loss"])) for r in rows)
    with Image.open(os.path.join(config.model_dir, "samples", "epoch_002.png")) as grid:
        assert grid.size == (8 * 34 + 2, 2 * 34 + 2)  # 8 photos as 4 photo|cartoon pairs a row
    # Resume with more epochs: continues in the adversarial phase at step 4.
    more = cartoongan.run(dataclasses.replace(config, epochs=3))
    assert more.resumed_from_step == 4 and more.steps == 6
    assert more.model.initializing is False
    served = tf.saved_model.load(more.saved_model_path)
    x = tf.random.stateless_uniform((1, 32, 32, 3), (1, 1), minval=-1, maxval=1)
    np.testing.assert_allclose(served.serve(x)["images"], more.model(x), atol=1e-5)


def test_unavailable_vgg_weights_are_a_clear_error(tmp_path):
    config = cartoongan.CartoonGANConfig(model_dir=str(tmp_path / "r"), vgg_weights=str(tmp_path / "missing.h5"),
                                         image_size=32, verbose="0")
    with pytest.raises(ValueError, match="--vgg_weights"):
        cartoongan.run(config)


def test_vgg_is_built_in_the_strategy_scope_after_the_seed(tmp_path, monkeypatch):
    scopes = []
    build = cartoongan.build_feature_extractor

    def recording_build(config):
        scopes.append(tf.distribute.has_strategy() and tf.distribute.get_strategy())
        return build(config)

    monkeypatch.setattr(cartoongan, "build_feature_extractor", recording_build)

    def run(name):
        config = cartoongan.CartoonGANConfig(
            model_dir=str(tmp_path / name), epochs=1, init_epochs=1, steps_per_epoch=1, batch_size=2, image_size=32,
            base_filters=4, cartoon_blocks=1, vgg="vgg16", vgg_weights="none", strategy="one_device", verbose="0",
            export_formats="none")
        result = cartoongan.run(config)
        return result.model.feature_extractor, result.model.distribute_strategy

    (first, strategy), (second, _) = run("a"), run("b")
    # Built inside the run's strategy scope (so every replica of a multi-worker run holds the same VGG) ...
    assert isinstance(scopes[0], tf.distribute.OneDeviceStrategy) and scopes[0] is strategy
    # ... after the seed is set: --vgg_weights none gives the same random VGG every run.
    for a, b in zip(first.weights, second.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_photo_translator_recipe_trains_toward_the_flat_cartoon_and_exports_at_any_size(tmp_path):
    """The `cartoongan_photo2anime` recipe in small: U-Net, target loss only, no VGG, no adversarial phase."""
    rng = np.random.default_rng(1)
    for name in ("photos", "cartoons"):
        (tmp_path / name).mkdir()
        for i in range(4):
            Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(tmp_path / name / f"{i}.png")
    config = cartoongan.CartoonGANConfig(
        model_dir=str(tmp_path / "run"), photos=str(tmp_path / "photos"), cartoons=str(tmp_path / "cartoons"),
        epochs=2, init_epochs=2, steps_per_epoch=2, batch_size=2, image_size=32, base_filters=4, cartoon_blocks=1,
        architecture="unet", target_weight=1.0, content_weight=0.0, style_weight=0.0, vgg_weights="/no/such/file",
        verbose="0")
    result = cartoongan.run(config)  # the VGG file is never read: no perceptual loss
    assert result.model.feature_extractor is None and result.model.architecture == "unet"
    with open(os.path.join(config.model_dir, "losses.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and all(float(r["target_loss"]) > 0 for r in rows)
    assert all(math.isnan(float(r["d_loss"])) for r in rows)
    served = tf.saved_model.load(result.saved_model_path)
    photo = tf.random.stateless_uniform((1, 50, 70, 3), (2, 2), minval=-1, maxval=1)
    out = served.serve(photo)["images"]
    assert out.shape == (1, 50, 70, 3)  # the photo's own size, no resize
    with pytest.raises(ValueError, match="landmark_weight"):
        cartoongan.run(dataclasses.replace(config, landmark_weight=1.0))


def test_a_run_shortened_with_epochs_keeps_an_adversarial_phase(tmp_path):
    """`--epochs 1` without `--init_epochs`: the recipe's 2 content-only epochs shrink to half of 1 (none)."""
    config = cartoongan.CartoonGANConfig(model_dir=str(tmp_path / "run"), epochs=1, steps_per_epoch=2, batch_size=2,
                                         image_size=32, base_filters=4, cartoon_blocks=1, vgg="vgg16",
                                         vgg_weights="none", verbose="0", export_formats="none")
    result = cartoongan.run(config)
    assert result.steps == 2 and result.model.init_steps == 0 and result.model.initializing is False
    with pytest.raises(ValueError, match="--init_epochs"):
        cartoongan.run(dataclasses.replace(config, model_dir=str(tmp_path / "other"), init_epochs=2))
