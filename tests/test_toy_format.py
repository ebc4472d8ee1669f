"""A fifth export format, defined only in this file, gets the whole house by registering itself.

It follows `docs/contributing.md` ("Add an export format"): an `export` function, a loader and one
`register_format` line. `keras-animegan export --format`, the trainers' `--export_formats`,
`keras_animegan.inference.Generator` (so `generate` / `translate`), the shared export checks and the
docs' format table then take it, with no edit anywhere in the package.
"""

import json
import os

import keras
import numpy as np
import pytest

from keras_animegan.cli import main
from keras_animegan.export import format_table
from keras_animegan.export import formats
from keras_animegan.export import register_format
from keras_animegan.export import unregister_format
from keras_animegan.inference import Generator
from keras_animegan.models import DCGAN
from tests import model_cases

SUFFIX = ".toy.npz"


def export(network, kind, export_dir, name, **unused):
    """The network's config and weights in one NumPy archive (the format's export call)."""
    os.makedirs(export_dir, exist_ok=True)
    path = os.path.join(os.fspath(export_dir), name + SUFFIX)
    config = json.dumps(keras.saving.serialize_keras_object(network))
    np.savez(path, config=np.array(config), kind=np.array(kind), *network.get_weights())
    return {name: path}


class ToyRunner:
    """Loads one archive back into a network and runs it (numpy in [-1, 1] -> numpy in [-1, 1])."""

    def __init__(self, path):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path!r}: no such {SUFFIX} file.")
        with np.load(path) as archive:
            self.network = keras.saving.deserialize_keras_object(json.loads(str(archive["config"])))
            self.network.set_weights([archive[f"arr_{i}"] for i in range(len(archive.files) - 2)])
            self.kind = str(archive["kind"])
        self.scale, self.tag_vocabulary = 1, None
        if self.kind == "noise":
            self.latent_dim, self.output_size = int(self.network.input_shape[-1]), int(self.network.output_shape[1])

    def __call__(self, inputs):
        return np.clip(keras.ops.convert_to_numpy(self.network(inputs, training=False)), -1.0, 1.0)


@pytest.fixture(scope="module", autouse=True)
def _registered():
    # The one registration line (a module of the package puts it at its bottom), undone after these tests.
    register_format("toy", label="Toy", writes=f"`<export_dir>/<name>{SUFFIX}`", loader=ToyRunner,
                    accepts=lambda path: path.endswith(SUFFIX))
    yield
    unregister_format("toy")


@pytest.fixture(scope="module")
def dcgan_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("toy_format") / "dcgan.keras"
    DCGAN(latent_dim=8, image_size=32, base_filters=4, seed=1).save(path)
    return path


def test_the_shared_export_checks_hold_for_the_toy_format(tmp_path):
    assert "toy" in formats()
    model_cases.check_exports(DCGAN(latent_dim=8, image_size=32, base_filters=4, seed=1), tmp_path, ["toy"])


def test_the_export_command_writes_it_and_generate_loads_it(dcgan_file, tmp_path, capsys):
    exports = tmp_path / "exports"
    assert main(["export", str(dcgan_file), "--export_dir", str(exports), "--format", "toy"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Toy:") and f"dcgan{SUFFIX}" in out
    path = str(exports / f"dcgan{SUFFIX}")
    generator = Generator(path, trust=True)
    assert (generator.kind, generator.latent_dim) == ("noise", 8)
    assert main(["generate", path, "--trust_model", "--num", "2", "--output", str(tmp_path / "out")]) == 0
    assert len(os.listdir(tmp_path / "out")) == 2
    assert main(["generate", str(tmp_path / f"missing{SUFFIX}"), "--trust_model", "--output", str(tmp_path)]) == 2
    assert "missing.toy.npz" in capsys.readouterr().err


def test_the_trainers_and_the_docs_table_list_it():
    from keras_animegan.train.config import TrainConfig
    from keras_animegan.train.recipes import export_formats

    assert export_formats(TrainConfig(export_formats="saved_model,toy")) == ["saved_model", "toy"]
    assert f"| `toy` | `<export_dir>/<name>{SUFFIX}` | `ToyRunner` |" in format_table()


def test_a_format_that_loads_says_which_paths():
    with pytest.raises(ValueError, match="together"):
        register_format("broken", label="Broken", writes="-", loader=ToyRunner)
    assert "broken" not in formats()
