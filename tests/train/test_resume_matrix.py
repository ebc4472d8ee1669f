"""Every model resumes under every precision, and fp16's skipped steps still count as steps (issue 14)."""

import csv
import json
import dataclasses
import math
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_animegan.train import cartoongan
from keras_animegan.train import cyclegan
from keras_animegan.train import dcgan

pytestmark = pytest.mark.slow

COMMON = dict(steps_per_epoch=2, batch_size=2, image_size=32, base_filters=4, checkpoint_every=1, verbose="0",
              export_formats="none")  # resuming is tested here; exports in the trainers' own tests


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("matrix_images")
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        (base / name).mkdir()
        for i in range(4):
            Image.fromarray(rng.integers(0, 255, (36, 36, 3), dtype=np.uint8)).save(base / name / f"{i}.png")
    return base


def config_for(model, precision, folders, model_dir):
    if model == "dcgan":
        return dcgan.DCGANConfig(model_dir=model_dir, image_dir=str(folders / "a"), latent_dim=8, epochs=1,
                                 num_samples=4, mixed_precision=precision, **COMMON)
    if model == "cyclegan":
        return cyclegan.CycleGANConfig(model_dir=model_dir, domain_a=str(folders / "a"), domain_b=str(folders / "b"),
                                       epochs=1, num_blocks=1, num_disc_layers=2, pool_size=2, num_grid_rows=2,
                                       mixed_precision=precision, **COMMON)
    # CartoonGAN: epoch 1 is the content-only phase, so the resumed epoch crosses the phase switch.
    return cartoongan.CartoonGANConfig(model_dir=model_dir, photos=str(folders / "a"), cartoons=str(folders / "b"),
                                       epochs=1, init_epochs=1, cartoon_blocks=1, vgg="vgg16", vgg_weights="none",
                                       mixed_precision=precision, **COMMON)


RUNS = {"dcgan": dcgan.run, "cyclegan": cyclegan.run, "cartoongan": cartoongan.run}


@pytest.mark.parametrize("precision", ["none", "bf16", "fp16"])
@pytest.mark.parametrize("model", sorted(RUNS))
def test_every_model_resumes_under_every_precision(model, precision, folders, tmp_path):
    config = config_for(model, precision, folders, str(tmp_path / "run"))
    first = RUNS[model](config)
    assert first.steps == 2
    more = RUNS[model](dataclasses.replace(config, epochs=2))  # fp16 CycleGAN died here (a decaying schedule)
    assert more.resumed_from_step == 2 and more.steps == 4
    with open(os.path.join(config.model_dir, "losses.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4]  # one row per step: none lost, none twice
    for row in rows:
        initializing = model == "cartoongan" and int(row["step"]) <= 2  # only the content loss is logged
        for key, value in row.items():
            if key in ("step", "epoch") or (initializing and key != "content_loss"):
                continue
            assert math.isfinite(float(value)), (row, key)


def test_fp16_skipped_steps_advance_the_step_count():
    """An overflowing fp16 step is skipped by the loss-scale optimizer, and still counted as a step."""
    from keras_animegan import DCGAN

    keras.mixed_precision.set_dtype_policy("mixed_float16")
    model = DCGAN(latent_dim=8, image_size=32, base_filters=4, seed=0)
    # A loss scale of 2**60 overflows float16 gradients: the first steps are skipped while the scale halves.
    model.compile(g_optimizer=keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(), initial_scale=2.0**60),
                  d_optimizer=keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(), initial_scale=2.0**60))
    before = [w.numpy().copy() for w in model.generator.trainable_weights]
    images = tf.random.stateless_uniform((4, 32, 32, 3), (1, 2), minval=-1, maxval=1)
    model.fit(tf.data.Dataset.from_tensors(images).repeat(), epochs=1, steps_per_epoch=3, verbose=0)
    assert float(model.g_optimizer.dynamic_scale.numpy()) < 2.0**60  # steps were skipped
    assert all(np.array_equal(b, w.numpy()) for b, w in zip(before, model.generator.trainable_weights))
    assert model.train_steps == 3 and int(model.d_optimizer.iterations.numpy()) == 3


def test_a_run_checkpointed_before_the_models_recorded_their_arguments_resumes(tmp_path):
    """A checkpoint written by an earlier release (tests/train/legacy_run) resumes where it stopped."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(os.path.join(os.path.dirname(os.path.abspath(__file__)), "legacy_run"), run)
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(images / f"{i}.png")
    saved = json.loads((run / "config.json").read_text())  # the run's own folders, here
    saved.update(image_dir=str(images), model_dir=str(run), export_dir=str(run / "export"))
    (run / "config.json").write_text(json.dumps(saved, indent=2))
    config = dcgan.DCGANConfig(model_dir=str(run), image_dir=str(images), epochs=2, steps_per_epoch=2, batch_size=4,
                               image_size=32, latent_dim=8, base_filters=4, num_samples=4, verbose="0",
                               export_formats="none")
    result = dcgan.run(config)
    assert result.resumed_from_step == 2 and result.steps == 4
    with open(run / "losses.csv") as f:
        assert [int(r["step"]) for r in csv.DictReader(f)] == [1, 2, 3, 4]
