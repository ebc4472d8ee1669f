"""DCGAN and CycleGAN on JAX and PyTorch: the same numbers as on TensorFlow, every registered model training,
training from the command line, and checkpoints and `.keras` files that move between backends.

Each backend runs in its own process (Keras picks its backend once, at import): one process per backend runs every
case of `tests/backends/cases.py`, and the test of that backend checks each case in a subtest of its own.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES_SCRIPT = os.path.join(ROOT, "tests", "backends", "cases.py")
OTHER_BACKENDS = ("jax", "torch")
# The trainers' data pipeline on each backend: JAX takes the numpy pipeline (what a machine without TensorFlow
# gets); PyTorch runs without oneDNN, so bf16 meets its fallback CPU convolution, as on CPUs without AVX-512 bf16.
TRAINERS_OPTION = {"jax": "--numpy", "torch": "--without_onednn"}


def run_on(backend, args, timeout=600, extra_env=None):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT,
           "JAX_PLATFORMS": "cpu", **(extra_env or {})}
    done = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{backend}: {done.stderr[-3000:]}"
    return done


CASES = ("dcgan", "dcgan_lsgan_r1", "cyclegan", "cyclegan_r1", "cartoongan_lsgan")  # see tests/backends/step_case.py


@pytest.fixture(scope="module")
def tensorflow_cases(tmp_path_factory):
    """The cases on TensorFlow, in this process (the tests' backend)."""
    from tests.backends import step_case

    folder = tmp_path_factory.mktemp("tensorflow_cases")
    assert step_case.main([str(folder)]) == 0
    return folder


TRAIN_FLAGS = ["--epochs=1", "--steps_per_epoch=3", "--batch_size=4", "--image_size=32", "--latent_dim=8",
               "--base_filters=4", "--num_samples=4", "--verbose=0"]
TRAIN = ["-m", "train.dcgan", *TRAIN_FLAGS]


@pytest.mark.parametrize("backend", OTHER_BACKENDS)
def test_every_case_on_another_backend(backend, tensorflow_cases, tmp_path, capfd, subtests):
    """One process on `backend` runs every case; each `check_*` below is a subtest (named without `check_`)."""
    folder = tmp_path / "cases"
    run_on(backend, [CASES_SCRIPT, str(folder), TRAINERS_OPTION[backend], "--train", *TRAIN_FLAGS], timeout=1500)
    checks = [
        (check_losses_gradients_and_updates_match_tensorflow, (backend, folder, tensorflow_cases)),
        (check_every_registered_models_networks_match_tensorflow, (backend, folder, tensorflow_cases)),
        (check_train_resume_on_tensorflow_and_the_same_images_everywhere,
         (backend, folder, tmp_path / "resume", capfd)),
        (check_cyclegan_and_cartoongan_train_with_every_recipe_option, (folder,)),
        (check_every_registered_model_fits, (folder,)),
        (check_the_trainers_fine_tune_from_a_preset_and_train_in_bf16_and_fp16, (folder,)),
    ]
    if backend == "jax":
        checks.append((check_jax_trains_data_parallel_over_every_device_with_the_numbers_of_one,
                       (folder, tmp_path / "devices_2")))
    for check, args in checks:
        with subtests.test(check.__name__.removeprefix("check_")):
            check(*args)


def case_output(folder, case):
    """`(stdout, stderr)` of a case that exited with status 0; else the test fails with the case's traceback."""
    import json

    result = json.loads((folder / f"{case}.json").read_text())
    stdout, stderr = (folder / f"{case}.stdout").read_text(), (folder / f"{case}.stderr").read_text()
    assert result["status"] == 0, result["error"] or stderr[-3000:]
    return stdout, stderr


def check_every_registered_models_networks_match_tensorflow(backend, folder, tensorflow_cases):
    """Each registered model's networks: outputs and gradients equal to TensorFlow's (`step_case.registered_networks`)."""
    from keras_animegan.models import registered_models

    case_output(folder, "steps")
    for name in registered_models():
        expected = np.load(tensorflow_cases / f"registered_{name}.npz")
        got = np.load(folder / "steps" / f"registered_{name}.npz")
        assert expected.files == got.files and len(got.files) >= 4, name
        assert not np.allclose(expected["arr_1"], 0.0), name  # the first network's output
        for key in expected.files:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-4, atol=1e-4, err_msg=f"{backend} {name} {key}")


def check_losses_gradients_and_updates_match_tensorflow(backend, folder, tensorflow_cases):
    case_output(folder, "steps")
    for case in CASES:
        expected, got = np.load(tensorflow_cases / f"{case}.npz"), np.load(folder / "steps" / f"{case}.npz")
        assert expected.files == got.files and len(got.files) > 40  # 2 losses, every gradient (, every weight)
        assert not np.allclose(expected["arr_0"], 0.0)
        for key in expected.files:
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-4, atol=1e-4,
                                       err_msg=f"{backend} {case} {key}")


# Samples a `.keras` file and the DCGAN preset on the process's backend, with the same noise as `sample`.
SAMPLE = """
import sys
import keras
import numpy as np
import keras_animegan  # registers the model classes
from keras_animegan import DCGAN
model = keras.models.load_model(sys.argv[1])
noise = np.random.default_rng(0).normal(size=(4, model.latent_dim)).astype("float32")
np.save(sys.argv[2], keras.ops.convert_to_numpy(model(noise)))
preset = DCGAN.from_preset("dcgan_avatars_64")
noise = np.random.default_rng(0).normal(size=(8, preset.latent_dim)).astype("float32")
np.save(sys.argv[3], keras.ops.convert_to_numpy(preset(noise)))
np.save(sys.argv[3] + ".seed3.npy", keras.ops.convert_to_numpy(preset.sample(8, seed=3)))  # seeded, on this backend
"""


def sample(model, count):
    """What `SAMPLE` computes, here on TensorFlow (the tests' process)."""
    import keras

    noise = np.random.default_rng(0).normal(size=(count, model.latent_dim)).astype("float32")
    return keras.ops.convert_to_numpy(model(noise))


def read_losses(model_dir):
    import csv

    with open(model_dir / "losses.csv") as f:
        return [(float(r["d_loss"]), float(r["g_loss"])) for r in csv.DictReader(f)]


def trained(folder):
    """`(run folder, (stdout, stderr), losses)` of the tiny DCGAN trained for 3 steps on the backend (one device,
    the DCGAN trainer's `main`); checks copy the folder before changing it."""
    output = case_output(folder, "trained")
    return folder / "trained" / "run", output, read_losses(folder / "trained" / "run")


def check_train_resume_on_tensorflow_and_the_same_images_everywhere(backend, folder, tmp_path, capfd):
    import shutil

    import keras

    from keras_animegan import DCGAN
    from keras_animegan.train import dcgan

    run_dir, (first_out, first_err), _ = trained(folder)
    assert "Done: 3 steps" in first_out, first_out
    for artifact in ("checkpoints/latest.weights.h5", "dcgan.keras", "losses.csv", "config.json"):
        assert (run_dir / artifact).exists(), artifact
    assert list((run_dir / "samples").iterdir())
    assert "SavedModel export runs on the TensorFlow backend" in first_err
    # The checkpoint resumes on TensorFlow (this process), at the step it stopped.
    model_dir = tmp_path / "run"
    shutil.copytree(run_dir, model_dir)
    capfd.readouterr()
    assert dcgan.main([*TRAIN_FLAGS, f"--model_dir={model_dir}", "--epochs=2", "--export_formats=none"]) == 0
    out, err = capfd.readouterr()
    assert "Resuming from step 3" in err and "Done: 6 steps (3 this run)" in out, (out, err[-2000:])
    # The .keras file and the preset give the same images on every backend.
    files = [str(tmp_path / name) for name in ("keras.npy", "preset.npy")]
    run_on(backend, ["-c", SAMPLE, str(model_dir / "dcgan.keras"), *files])
    a, b = sample(keras.models.load_model(model_dir / "dcgan.keras"), 4), np.load(files[0])
    assert a.shape == (4, 32, 32, 3) and a.std() > 1e-4  # a barely trained tiny generator: small outputs
    assert np.abs(a - b).max() <= 0.01 * a.std()
    reference, images = sample(DCGAN.from_preset("dcgan_avatars_64"), 8), np.load(files[1])
    assert reference.shape == (8, 64, 64, 3) and reference.std() > 0.2
    assert np.abs(images - reference).max() <= 1e-3
    # The same preset and seed draw the same avatars on every backend (the noise comes from NumPy).
    seeded = keras.ops.convert_to_numpy(DCGAN.from_preset("dcgan_avatars_64").sample(8, seed=3))
    assert np.abs(np.load(files[1] + ".seed3.npy") - seeded).max() <= 1e-3


def check_jax_trains_data_parallel_over_every_device_with_the_numbers_of_one(folder, tmp_path):
    """`--strategy=auto` on JAX: Keras's `DataParallel` over the local devices (two CPU devices here)."""
    _, (_, one_device_err), losses_one = trained(folder)
    assert "batch 4, 1 device(s)" in one_device_err, one_device_err[-2000:]
    model_dir = tmp_path / "devices_2"
    done = run_on("jax", [*TRAIN, f"--model_dir={model_dir}"],
                  extra_env={"XLA_FLAGS": os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"})
    assert "batch 4, 2 device(s)" in done.stderr, done.stderr[-2000:]
    losses = read_losses(model_dir)
    assert len(losses) == 3 and np.isfinite(losses).all()
    np.testing.assert_allclose(losses, losses_one, rtol=1e-4, atol=1e-5)


def check_cyclegan_and_cartoongan_train_with_every_recipe_option(folder):
    """EMA, DiffAugment, R1 and the image pool (CycleGAN); the content-only phase and its end (CartoonGAN)."""
    stdout, _ = case_output(folder, "fits")
    results = {r["model"]: r for r in json_lines(stdout) if "model" in r}
    cyclegan, cartoongan = results["cyclegan"], results["cartoongan"]
    assert cyclegan["steps"] == 4 and cyclegan["pool"] == 3
    assert set(cyclegan["losses"]) >= {"g_loss", "d_a_loss", "d_b_loss", "cycle_a"}
    assert all(np.isfinite(v) for v in cyclegan["losses"].values())
    assert cartoongan["steps"] == 4 and cartoongan["initializing"] is False
    assert {"d_loss", "style_loss", "adv_loss"} <= set(cartoongan["losses"])  # the adversarial phase ran
    assert all(np.isfinite(v) for v in cartoongan["losses"].values())


def json_lines(text):
    import json

    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def check_every_registered_model_fits(folder):
    """Each registered model's tiny instance (the registry's, not a list here) trains two steps on the backend."""
    from keras_animegan.models import registered_models

    stdout, _ = case_output(folder, "fits")
    results = {r["registered"]: r for r in json_lines(stdout) if "registered" in r}
    assert set(results) == set(registered_models())
    for name, result in results.items():
        assert result["steps"] == 2, (name, result)
        assert set(result["losses"]) == set(registered_models()[name].tiny().loss_names), name
        assert all(np.isfinite(v) for v in result["losses"].values()), (name, result)


def check_the_trainers_fine_tune_from_a_preset_and_train_in_bf16_and_fp16(folder):
    """The trainers as a user runs them: DCGAN from the preset in bf16, CycleGAN in fp16, CartoonGAN's two phases,
    TaggedDCGAN on the tagged avatars (JAX with the numpy pipeline, PyTorch without oneDNN: see `TRAINERS_OPTION`);
    the tagged model's seeded sample is the same on TensorFlow."""
    import csv
    import json

    import keras

    from keras_animegan import DCGAN

    stdout, stderr = case_output(folder, "trainers")
    statuses = {r["model"]: r["status"] for r in map(json.loads, (line for line in stdout.splitlines()
                                                                   if line.startswith("{")))}
    assert statuses == {"dcgan": 0, "cyclegan": 0, "cartoongan": 0, "tagged_dcgan": 0}, stderr[-3000:]
    for name, steps in (("dcgan", 2), ("cyclegan", 2), ("cartoongan", 4), ("tagged_dcgan", 2)):
        run = folder / "trainers" / name
        for artifact in ("checkpoints/latest.weights.h5", f"{name}.keras", "config.json"):
            assert (run / artifact).is_file(), (name, artifact)
        assert list((run / "samples").iterdir()), name
        with open(run / "losses.csv") as f:
            rows = list(csv.DictReader(f))
        assert [int(r["step"]) for r in rows] == list(range(1, steps + 1)), name
        assert all(np.isfinite(float(r["g_loss" if name != "cartoongan" else "content_loss"])) for r in rows), name
    # Fine-tuned, not trained from scratch: two small steps from the preset give nearly its images.
    noise = np.random.default_rng(0).normal(size=(8, 100)).astype("float32")
    preset = keras.ops.convert_to_numpy(DCGAN.from_preset("dcgan_avatars_64").generator(noise))
    tuned = keras.models.load_model(folder / "trainers" / "dcgan" / "dcgan.keras")
    images = keras.ops.convert_to_numpy(tuned.generator(noise)).astype("float32")
    assert images.shape == preset.shape and preset.std() > 0.2
    assert 0.0 < np.abs(images - preset).mean() < 0.1
    tagged = keras.models.load_model(folder / "trainers" / "tagged_dcgan" / "tagged_dcgan.keras", compile=False)
    here = keras.ops.convert_to_numpy(tagged.sample(4, seed=3, tags=["blue_hair", "glasses"]))
    np.testing.assert_allclose(np.load(folder / "trainers" / "tagged_dcgan" / "sample.npy"), here, atol=1e-3)
