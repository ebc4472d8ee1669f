"""`train.dcgan`: run() on tiny configs writes every artifact, resumes, and stops on NaN."""

import csv
import glob
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_animegan import callbacks as ka_callbacks
from keras_animegan.train import dcgan
from tests import forked

pytestmark = pytest.mark.slow

TINY = dict(epochs=2, steps_per_epoch=3, batch_size=4, image_size=32, latent_dim=8, base_filters=4,
            num_samples=16, checkpoint_every=1, verbose="0", export_formats="none")  # `finished` exports


def tiny_config(tmp_path, **overrides):
    return dcgan.DCGANConfig(model_dir=str(tmp_path / "run"), **{**TINY, **overrides})


def steps_logged(model_dir):
    with open(os.path.join(model_dir, "losses.csv")) as f:
        return [int(row["step"]) for row in csv.DictReader(f)]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("dcgan_run")
    return dcgan.run(tiny_config(tmp_path, export_formats="saved_model"))


def test_run_writes_every_artifact(finished):
    d = finished.config.model_dir
    assert finished.steps == 6 and finished.resumed_from_step == 0
    assert sorted(os.listdir(os.path.join(d, "samples"))) == ["epoch_001.png", "epoch_002.png"]
    with Image.open(os.path.join(d, "samples", "epoch_001.png")) as grid:
        assert grid.size == (8 * 34 + 2, 2 * 34 + 2)  # 16 samples of 32 px, 8 per row, 2 px padding
    with Image.open(os.path.join(d, "samples_across_epochs.png")) as strip:
        assert strip.size == (8 * 34 + 2, 2 * 34 + 2)  # one row per epoch
    with Image.open(os.path.join(d, "interpolation.png")) as interpolation:
        assert interpolation.size == (10 * 34 + 2, 8 * 34 + 2)
    assert os.path.getsize(os.path.join(d, "loss_curve.png")) > 1000
    assert steps_logged(d) == [1, 2, 3, 4, 5, 6]
    assert glob.glob(os.path.join(d, "logs", "events.out.tfevents.*"))
    assert os.path.isfile(os.path.join(d, "checkpoints", "latest.weights.h5"))
    assert finished.keras_path == os.path.join(d, "dcgan.keras")
    assert finished.saved_model_path == os.path.join(d, "export", "dcgan", "1")
    assert os.path.isfile(os.path.join(finished.saved_model_path, "saved_model.pb"))


def test_artifacts_reload_and_match(finished):
    model = keras.models.load_model(finished.keras_path)
    served = tf.saved_model.load(finished.saved_model_path)
    noise = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    np.testing.assert_allclose(served.serve(noise)["images"], model(noise), atol=1e-5)
    np.testing.assert_allclose(model(noise), finished.model(noise), atol=1e-6)


def test_rerun_of_a_finished_run_does_not_train_again(finished):
    again = dcgan.run(finished.config)
    assert again.resumed_from_step == 6 and again.steps == 6
    assert steps_logged(finished.config.model_dir) == [1, 2, 3, 4, 5, 6]


def test_resume_after_interruption_continues_the_step_count(tmp_path, monkeypatch):
    config = tiny_config(tmp_path)
    original = ka_callbacks.TrainingCheckpoint.on_train_batch_end

    def interrupt_at_step_4(self, batch, logs=None):
        original(self, batch, logs)
        if self.model.train_steps == 4:  # mid-way through epoch 2, just after a checkpoint
            raise KeyboardInterrupt

    monkeypatch.setattr(ka_callbacks.TrainingCheckpoint, "on_train_batch_end", interrupt_at_step_4)
    with pytest.raises(KeyboardInterrupt):
        dcgan.run(config)
    monkeypatch.undo()
    result = dcgan.run(config)
    assert result.resumed_from_step == 4
    assert result.steps == 6
    assert steps_logged(config.model_dir) == [1, 2, 3, 4, 5, 6]
    assert int(keras.ops.convert_to_numpy(result.model.d_optimizer.iterations)) == 6


def test_changed_settings_in_the_same_model_dir_are_refused(finished):
    import dataclasses

    with pytest.raises(ValueError, match="image_size: 32 -> 64"):
        dcgan.run(dataclasses.replace(finished.config, image_size=64))


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    config = tiny_config(tmp_path, epochs=1)
    good = dcgan.run(config)
    checkpoint = os.path.join(config.model_dir, "checkpoints", "latest.weights.h5")
    with open(checkpoint, "rb") as f:
        good_bytes = f.read()
    import dataclasses

    # An infinite learning rate makes the weights, then the losses, non-finite.
    broken = dataclasses.replace(config, epochs=2, learning_rate=float("inf"))
    with pytest.raises(ka_callbacks.NonFiniteLossError, match="Non-finite loss at step"):
        dcgan.run(broken)
    with open(checkpoint, "rb") as f:
        assert f.read() == good_bytes
    # Lowering the learning rate resumes from the last good step.
    fixed = dcgan.run(dataclasses.replace(config, epochs=2, learning_rate=1e-4))
    assert fixed.resumed_from_step == good.steps == 3
    assert fixed.steps == 6
    assert all(np.isfinite(w).all() for w in fixed.model.get_weights())


def test_image_dir_with_broken_files_is_skipped_and_counted(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(images / f"{i}.png")
    (images / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    result = dcgan.run(tiny_config(tmp_path, image_dir=str(images), epochs=1, steps_per_epoch=2))
    assert result.num_images == 9 and result.num_skipped == 1
    assert result.steps == 2


def test_cli_is_killed_mid_epoch_and_resumes(tmp_path):
    """The real thing: SIGKILL the trainer process mid-epoch, rerun the same command."""
    model_dir = tmp_path / "cli"
    command = [
        sys.executable, "-m", "train.dcgan", f"--model_dir={model_dir}", "--epochs=1", "--steps_per_epoch=60",
        "--batch_size=2", "--image_size=32", "--latent_dim=8", "--base_filters=2", "--num_samples=8",
        "--checkpoint_every=5", "--verbose=0", "--export_formats=none",
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = forked.start(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoint = model_dir / "checkpoints" / "latest.weights.h5"
    deadline = time.time() + 240
    try:
        while time.time() < deadline and process.poll() is None:
            if checkpoint.exists() and len(steps_logged(str(model_dir))) >= 12:
                break
            time.sleep(0.2)
        assert process.poll() is None, "the trainer ended before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    killed_at = max(steps_logged(str(model_dir)))
    assert 10 <= killed_at < 60
    finished = forked.run(command, env=env, timeout=600)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "Resuming from step" in finished.stderr
    steps = steps_logged(str(model_dir))
    assert steps == list(range(1, 61))  # nothing repeated, nothing lost
    assert "60 steps" in finished.stdout


def test_bf16_run_gives_finite_losses_and_float32_outputs(tmp_path):
    result = dcgan.run(tiny_config(tmp_path, mixed_precision="bf16", epochs=1, steps_per_epoch=2))
    model = result.model
    assert model.generator.get_layer("up0").compute_dtype == "bfloat16"
    assert model.generator.output.dtype == "float32"
    log = steps_logged(result.config.model_dir)
    assert log == [1, 2]
    with open(os.path.join(result.config.model_dir, "losses.csv")) as f:
        rows = list(csv.DictReader(f))
    assert all(np.isfinite(float(r["d_loss"])) and np.isfinite(float(r["g_loss"])) for r in rows)


def test_fp16_run_is_loss_scaled_and_resumes_only_as_fp16(tmp_path):
    result = dcgan.run(tiny_config(tmp_path, mixed_precision="fp16", epochs=1, steps_per_epoch=2))
    model = result.model
    assert model.generator.get_layer("up0").compute_dtype == "float16"
    assert isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
    with open(os.path.join(result.config.model_dir, "losses.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and all(np.isfinite(float(r["g_loss"])) for r in rows)
    # Its checkpoint holds loss-scale state: resuming it in another precision is refused, by name.
    with pytest.raises(ValueError, match="mixed_precision: 'fp16' -> 'bf16'"):
        dcgan.run(tiny_config(tmp_path, mixed_precision="bf16", epochs=2, steps_per_epoch=2))


def test_kid_every_epoch_is_logged_beside_the_losses(tmp_path):
    result = dcgan.run(tiny_config(tmp_path, kid_every=1, kid_features="random", kid_samples=12))
    with open(os.path.join(result.config.model_dir, "kid.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert [int(r["step"]) for r in rows] == [3, 6]
    # Subsets of half the samples differ from each other, so the std measures something (it was always 0).
    assert all(np.isfinite(float(r["kid"])) and float(r["kid_std"]) > 0 for r in rows)
    # The loss curve gets a KID panel: a taller figure than the losses-only plot.
    assert Image.open(os.path.join(result.config.model_dir, "loss_curve.png")).size == (800, 700)
    with pytest.raises(ValueError, match="feature network 'nope'"):
        dcgan.run(tiny_config(tmp_path / "other", kid_every=1, kid_features="nope"))


def test_report_recipe_reproduces_the_old_settings():
    from keras_animegan.train import recipes

    resolve = dcgan.DCGANTrainer.resolve
    user = resolve(dcgan.DCGANConfig(recipe="report", image_dir="x"))
    assert (user.batch_size, user.learning_rate, user.gan_mode, user.epochs, user.image_size, user.base_filters) == (
        128, 3e-4, "vanilla", 100, 64, 64)
    assert (user.ema_decay, user.augment, user.r1_gamma, user.beta_1, user.discriminator_norm) == (
        0.0, "", 0.0, 0.5, "batch")
    assert recipes.recipe_kwargs(user) == dict(ema_decay=None, augment=None, r1_gamma=0.0)
    demo = resolve(dcgan.DCGANConfig(recipe="report"))
    assert (demo.epochs, demo.batch_size, demo.learning_rate, demo.augment, demo.ema_decay) == (5, 64, 3e-4, "", 0.0)
    # The modern recipe is the default; explicit settings win over either recipe.
    modern = resolve(dcgan.DCGANConfig())
    assert modern.recipe == "modern" and modern.ema_decay > 0 and modern.augment
    mixed = resolve(dcgan.DCGANConfig(recipe="report", augment="cutout", g_learning_rate=1e-4))
    assert mixed.augment == "cutout" and recipes.learning_rate(mixed, "g") == 1e-4
    assert recipes.learning_rate(mixed, "d") == 3e-4
    with pytest.raises(ValueError, match="--recipe"):
        resolve(dcgan.DCGANConfig(recipe="fancy"))


def test_report_run_keeps_no_ema_and_a_batch_norm_discriminator(tmp_path):
    result = dcgan.run(tiny_config(tmp_path, recipe="report", epochs=1, steps_per_epoch=1))
    model = result.model
    assert model.ema_decay is None and not hasattr(model, "ema_generator")
    assert model.inference_network() is model.generator and not model.augment_policy
    assert model.g_optimizer.beta_1 == 0.5 and float(model.g_optimizer.learning_rate) == pytest.approx(3e-4)


class _Capture(keras.callbacks.Callback):
    """Records the EMA weights and an augmentation draw when training (re)starts."""

    def on_train_begin(self, logs=None):
        x = tf.ones((2, 32, 32, 3)) * 0.5
        self.step = self.model.train_steps
        self.ema = [w.copy() for w in self.model.ema_generator.get_weights()]
        self.raw = [w.copy() for w in self.model.generator.get_weights()]
        self.augmented = np.asarray(self.model.augment_images(x, 0))


def test_resume_restores_the_ema_generator_and_augmentation_state(tmp_path, monkeypatch):
    config = tiny_config(tmp_path, augment="color,translation,cutout", ema_decay=0.9)
    original = ka_callbacks.TrainingCheckpoint.on_train_batch_end
    at_interrupt = {}

    def interrupt_at_step_4(self, batch, logs=None):
        original(self, batch, logs)
        if self.model.train_steps == 4:
            _Capture.on_train_begin(self)  # the state the checkpoint just saved
            at_interrupt.update(ema=self.ema, raw=self.raw, augmented=self.augmented)
            raise KeyboardInterrupt

    monkeypatch.setattr(ka_callbacks.TrainingCheckpoint, "on_train_batch_end", interrupt_at_step_4)
    with pytest.raises(KeyboardInterrupt):
        dcgan.run(config)
    monkeypatch.undo()
    capture = _Capture()
    result = dcgan.run(config, callbacks=[capture])
    assert capture.step == 4 and result.steps == 6
    for restored, saved in zip(capture.ema, at_interrupt["ema"]):
        np.testing.assert_array_equal(restored, saved)
    assert any(not np.allclose(e, r) for e, r in zip(capture.ema, capture.raw))  # the EMA, not a copy of raw
    # Augmentation is drawn from the step: the resumed run augments as the interrupted one would have.
    np.testing.assert_array_equal(capture.augmented, at_interrupt["augmented"])


def test_fine_tune_from_a_preset_takes_its_settings_and_weights(tmp_path):
    from keras_animegan import CycleGAN
    from keras_animegan import DCGAN

    source = DCGAN(latent_dim=6, image_size=32, base_filters=4, seed=3, ema_decay=0.999)
    rng = np.random.default_rng(0)
    for variable in source.inference_network("generator").weights:
        if variable.path.endswith("kernel"):  # far from any fresh N(0, 0.02) initialization
            variable.assign(rng.normal(0, 0.3, variable.shape).astype("float32"))
    preset = source.save_to_preset(str(tmp_path / "preset"), weights_dtype="float32")
    # No width, size or noise length given: they come from the preset.
    config = dcgan.DCGANConfig(model_dir=str(tmp_path / "run"), init_preset=preset, epochs=1, steps_per_epoch=1,
                               batch_size=4, num_samples=4, verbose="0")
    run = dcgan.run(config)
    assert (run.model.latent_dim, run.model.image_size, run.model.base_filters) == (6, 32, 4)
    start = [v.numpy() for v in source.inference_network("generator").weights]
    tuned = [v.numpy() for v in run.model.generator.weights]
    assert max(float(np.abs(a - b).max()) for a, b in zip(start, tuned)) < 0.05  # one small step from the preset
    with pytest.raises(ValueError, match="--base_filters=8 does not fit --init_preset"):
        dcgan.run(dcgan.DCGANConfig(model_dir=str(tmp_path / "r2"), init_preset=preset, base_filters=8))
    other = CycleGAN(image_size=32, base_filters=4, num_blocks=1, num_disc_layers=2).save_to_preset(str(tmp_path / "c"))
    with pytest.raises(ValueError, match="is a CycleGAN preset; `keras-animegan train dcgan` needs a DCGAN one"):
        dcgan.run(dcgan.DCGANConfig(model_dir=str(tmp_path / "r3"), init_preset=other))
