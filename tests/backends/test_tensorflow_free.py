"""The TensorFlow-free core: with `import tensorflow` made to fail, Keras on JAX (or PyTorch) loads a preset
and samples, and `generate`, `translate` and a short DCGAN training run work.

The commands run in a child process whose import system refuses TensorFlow (and TFDS), as in a venv that
has keras and jax but no TensorFlow; the test fails if anything imports it.
"""

import os
import subprocess
import sys
import sysconfig

import numpy as np
import pytest
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PHOTO = os.path.join(ROOT, "keras_animegan", "data", "embedded", "demo_photos", "astronaut.png")

WITHOUT_TENSORFLOW = """
import runpy
import sys

target, sys.argv = sys.argv[1], sys.argv[1:]
try:
    if target.endswith(".py"):
        runpy.run_path(target, run_name="__main__")
    else:
        runpy.run_module(target, run_name="__main__", alter_sys=True)
finally:
    imported = sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow")
    assert not imported, f"TensorFlow was imported: {imported[:5]}"
    assert "keras" in sys.modules
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """This venv's site-packages without TensorFlow: links to every other entry (`python -S` reads only it)."""
    folder = tmp_path_factory.mktemp("site")
    packages = sysconfig.get_paths()["purelib"]
    for entry in os.listdir(packages):
        if not entry.lower().startswith(("tensorflow", "tf_keras", "_tensorflow")):
            os.symlink(os.path.join(packages, entry), folder / entry)
    return str(folder)


SAMPLE = """
from keras_animegan import DCGAN  # first: without TensorFlow and without a chosen backend, it picks one
import keras
assert keras.backend.backend() == "{backend}", keras.backend.backend()
images = keras.ops.convert_to_numpy(DCGAN.from_preset("dcgan_avatars_64").sample(16))
assert images.shape == (16, 64, 64, 3) and images.std() > 0.2, images.std()
from keras_animegan import TaggedDCGAN
tagged = keras.ops.convert_to_numpy(TaggedDCGAN.from_preset("dcgan_tagged_avatars_64").sample(
    4, seed=0, tags=["blue_hair", "glasses"]))
assert tagged.shape == (4, 64, 64, 3) and tagged.std() > 0.2, tagged.std()
print("sampled")
"""


def without_tensorflow(site, backend, args, tmp_path, backend_env=True):
    env = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
    env.update(PYTHONPATH=os.pathsep.join([ROOT, site]), JAX_PLATFORMS="cpu",
               KERAS_HOME=str(tmp_path / "keras_home"))
    if backend_env:
        env["KERAS_BACKEND"] = backend
    done = subprocess.run([sys.executable, "-S", "-c", WITHOUT_TENSORFLOW, *args], env=env, cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_a_preset_samples_without_tensorflow(backend, tmp_path, site):
    script = tmp_path / "sample.py"
    script.write_text(SAMPLE.format(backend=backend))
    assert "sampled" in without_tensorflow(site, backend, [str(script)], tmp_path).stdout


def test_with_no_backend_chosen_and_no_tensorflow_jax_is_picked(tmp_path, site):
    script = tmp_path / "sample.py"
    script.write_text(SAMPLE.format(backend="jax"))
    assert "sampled" in without_tensorflow(site, "jax", [str(script)], tmp_path, backend_env=False).stdout


def test_generate_translate_and_train_without_tensorflow(tmp_path, site):
    without_tensorflow(site, "jax", ["keras_animegan", "generate", "--preset", "dcgan_avatars_64", "--num", "4",
                               "--output", str(tmp_path / "avatars")], tmp_path)
    assert len(os.listdir(tmp_path / "avatars")) == 4
    without_tensorflow(site, "jax", ["keras_animegan", "generate", "--preset", "dcgan_tagged_avatars_64", "--tags",
                                     "red_hair", "--num", "2", "--output", str(tmp_path / "tagged")], tmp_path)
    assert len(os.listdir(tmp_path / "tagged")) == 2
    without_tensorflow(site, "jax", ["keras_animegan", "translate", "--preset", "cartoongan_photo2anime", PHOTO,
                               "--output", str(tmp_path / "anime.png")], tmp_path)
    anime = np.asarray(Image.open(tmp_path / "anime.png"))
    assert anime.shape == np.asarray(Image.open(PHOTO)).shape and anime.std() > 10
    run = tmp_path / "run"
    done = without_tensorflow(site, "jax", ["keras_animegan.train.dcgan", f"--model_dir={run}", "--epochs=1",
                                      "--steps_per_epoch=3", "--batch_size=4", "--image_size=32", "--latent_dim=8",
                                      "--base_filters=4", "--num_samples=4", "--verbose=0"], tmp_path)
    assert "Done: 3 steps" in done.stdout
    assert (run / "dcgan.keras").exists() and (run / "checkpoints" / "latest.weights.h5").exists()
    assert "No TensorBoard logs" in done.stderr


def test_a_tensorflow_feature_names_itself_without_tensorflow(tmp_path, site):
    script = tmp_path / "export.py"
    script.write_text("""
from keras_animegan.utils.optional import MissingTensorFlowError
from keras_animegan import DCGAN, export
try:
    export.export_generator(DCGAN(latent_dim=4, image_size=32, base_filters=2), "out", "dcgan")
except MissingTensorFlowError as error:
    assert "SavedModel export needs TensorFlow" in str(error) and "pip install tensorflow" in str(error), error
    print("refused")
""")
    assert "refused" in without_tensorflow(site, "jax", [str(script)], tmp_path).stdout


def test_cyclegan_and_cartoongan_train_without_tensorflow(tmp_path, site):
    """Both photo trainers read the embedded zips through the numpy pipeline (PyTorch here, no TensorFlow)."""
    common = ["--epochs=1", "--steps_per_epoch=2", "--image_size=32", "--base_filters=4", "--verbose=0"]
    done = without_tensorflow(site, "torch", ["keras_animegan.train.cyclegan", f"--model_dir={tmp_path / 'cyclegan'}",
                                              "--batch_size=1", "--num_blocks=1", "--num_grid_rows=2", *common],
                              tmp_path)
    assert "Done: 2 steps" in done.stdout, done.stdout
    done = without_tensorflow(site, "torch", ["keras_animegan.train.cartoongan", f"--model_dir={tmp_path / 'cartoongan'}",
                                              "--batch_size=2", "--init_epochs=1", "--cartoon_blocks=1",
                                              "--vgg=vgg16", "--vgg_weights=none", *common[1:], "--epochs=2"], tmp_path)
    assert "Done: 4 steps" in done.stdout, done.stdout
    for name in ("cyclegan", "cartoongan"):
        assert (tmp_path / name / f"{name}.keras").exists() and list((tmp_path / name / "samples").iterdir())
