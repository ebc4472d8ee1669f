"""`train.cyclegan`: run() on tiny configs (embedded default and two folders), and the CLI command of the issue."""

import csv
import os
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_animegan.models import CycleGAN
from keras_animegan.train import cyclegan
from tests import forked

pytestmark = pytest.mark.slow

TINY = dict(epochs=2, steps_per_epoch=2, batch_size=1, image_size=32, base_filters=4, num_blocks=1,
            num_disc_layers=2, pool_size=2, num_grid_rows=2, verbose="0")


@pytest.fixture(scope="module")
def embedded_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cyclegan")
    return cyclegan.run(cyclegan.CycleGANConfig(model_dir=str(tmp / "run"), **TINY))


def test_run_on_the_embedded_default_writes_its_artifacts(embedded_run):
    result = embedded_run
    d = result.config.model_dir
    assert result.steps == 4
    assert result.num_images == 2000  # max(|A| = 1000 cartoon faces, |B| = 2000 avatars)
    assert sorted(os.listdir(os.path.join(d, "samples"))) == ["epoch_001.png", "epoch_002.png"]
    with Image.open(os.path.join(d, "samples", "epoch_002.png")) as grid:
        assert grid.size == (6 * 34 + 2, 2 * 34 + 2)  # A, ab, aba, B, ba, bab per row
    with open(os.path.join(d, "losses.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4]
    assert set(rows[0]) == {"step", "epoch", *CycleGAN.loss_names}
    assert os.path.getsize(os.path.join(d, "loss_curve.png")) > 1000
    assert set(result.saved_model_paths) == {"cyclegan_ab", "cyclegan_ba"}
    a = tf.random.stateless_uniform((1, 32, 32, 3), (5, 6), minval=-1, maxval=1)
    for name, direction in (("cyclegan_ab", "ab"), ("cyclegan_ba", "ba")):
        served = tf.saved_model.load(result.saved_model_paths[name])
        np.testing.assert_allclose(served.serve(a)["images"], result.model.translate(a, direction), atol=1e-5)


def test_learning_rate_is_constant_then_decays_to_zero(embedded_run):
    schedule = embedded_run.model.g_optimizer._learning_rate
    # 2 epochs x 2 steps: constant for the first epoch, linear to 0 over the second.
    assert [float(schedule(s)) for s in (0, 2, 3, 4)] == pytest.approx([2e-4, 2e-4, 1e-4, 0.0])


def test_run_on_two_image_folders(tmp_path):
    rng = np.random.default_rng(0)
    for domain, count in (("photos", 3), ("anime", 5)):
        folder = tmp_path / domain
        folder.mkdir()
        for i in range(count):
            Image.fromarray(rng.integers(0, 255, (40, 36, 3), dtype=np.uint8)).save(folder / f"{i}.jpg")
    (tmp_path / "anime" / "broken.png").write_bytes(b"not a png")
    result = cyclegan.run(cyclegan.CycleGANConfig(
        model_dir=str(tmp_path / "run"), domain_a=str(tmp_path / "photos"), domain_b=str(tmp_path / "anime"),
        **{**TINY, "epochs": 1}))
    assert result.steps == 2 and result.num_images == 6 and result.num_skipped == 1


def test_missing_domain_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.zip"):
        cyclegan.run(cyclegan.CycleGANConfig(model_dir=str(tmp_path / "r"), domain_a=str(tmp_path / "nowhere.zip"),
                                             **TINY))


def test_cli_command_from_the_issue(tmp_path):
    command = [sys.executable, "-m", "train.cyclegan", f"--model_dir={tmp_path / 'D'}", "--epochs=1",
               "--steps_per_epoch=2", "--batch_size=1", "--image_size=32", "--base_filters=8", "--num_blocks=1"]
    done = forked.run(command, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "cyclegan_ba" in done.stdout
    assert os.path.isfile(tmp_path / "D" / "export" / "cyclegan_ab" / "1" / "saved_model.pb")
