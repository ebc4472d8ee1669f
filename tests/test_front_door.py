"""One front door: `keras-animegan train ...` and `serve ...` beside the other commands, one flag library
(argparse), a quiet start, and a wheel whose only top-level packages are ours."""

import configparser
import dataclasses
import os
import subprocess
import sys

import pytest
import setuptools

from keras_animegan import cli
from keras_animegan.train import config as train_config
from keras_animegan.train import dcgan
from keras_animegan.train.cartoongan import CartoonGANTrainer
from keras_animegan.train.cyclegan import CycleGANTrainer
from keras_animegan.train.dcgan import DCGANTrainer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAINERS = {trainer.model_name(): trainer for trainer in (DCGANTrainer, CycleGANTrainer, CartoonGANTrainer)}


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_train_help_lists_the_shared_and_the_models_flags(name, capsys):
    config_cls = TRAINERS[name].config_class
    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", name, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: keras-animegan train {name} [flags]")
    own = train_config.flag_names(config_cls, shared=False)
    assert own, "each trainer has flags of its own"
    for flag in train_config.flag_names(config_cls):
        assert f"--{flag}" in out, flag
    # The model's own flags are listed under its name, after the shared ones.
    assert out.index(f"\n{name}:") < out.index(f"--{own[0]}", out.index(f"\n{name}:"))


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_every_config_field_is_a_flag_with_the_fields_default(name):
    """The config dataclass is the one statement of each setting: every field is a flag, and a command line
    with no flags gives the dataclass's defaults (a run from the command line equals one from Python)."""
    config_cls = TRAINERS[name].config_class
    fields = [f.name for f in dataclasses.fields(config_cls)]
    assert set(train_config.flag_names(config_cls)) == set(fields)
    assert train_config.parse_config(config_cls, name, "", []) == config_cls()


def test_flags_parse_as_absl_wrote_them_and_bad_ones_name_themselves(capsys):
    config = train_config.parse_config(dcgan.DCGANConfig, "dcgan", "",
                                       ["--epochs=3", "--batch_size", "8", "--mixed_precision=bf16", "--latent_dim=16"])
    assert (config.epochs, config.batch_size, config.mixed_precision, config.latent_dim) == (3, 8, "bf16", 16)
    for argv, named in ((["--epoch=3"], "--epoch=3"), (["--epochs=three"], "--epochs"),
                        (["--mixed_precision=fp8"], "--mixed_precision"), (["extra"], "extra")):
        with pytest.raises(SystemExit) as exit_:
            train_config.parse_config(dcgan.DCGANConfig, "dcgan", "", argv)
        assert exit_.value.code == 2
        assert named in capsys.readouterr().err


def test_train_without_a_known_model_says_which_exist(capsys):
    assert cli.main(["train", "stylegan"]) == 2
    assert "dcgan, cyclegan, cartoongan" in capsys.readouterr().err
    assert cli.main(["train"]) == 2
    assert "keras-animegan train {dcgan,cyclegan,cartoongan,tagged_dcgan,upscaler}" in capsys.readouterr().out


def test_serve_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["serve", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: keras-animegan serve")
    assert "--model_base_path" in out and "--max_queued_requests" in out


def test_the_main_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for command in ("train", "serve", "generate", "translate", "export", "demo"):
        assert command in out


@pytest.mark.slow
def test_commands_start_without_tensorflows_log_lines_unless_asked(tmp_path):
    """TF and XLA print CUDA / CPU-feature / oneDNN lines at import; the commands hide them, and
    TF_CPP_MIN_LOG_LEVEL set by the user shows them again."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    quiet = subprocess.run([sys.executable, "-m", "keras_animegan", "generate", "--preset", "dcgan_avatars_64",
                            "--num", "2", "--output", str(tmp_path / "two.png")],
                           env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""  # TensorFlow ran (devices, the model): still no log line
    command = [sys.executable, "-m", "keras_animegan", "train", "dcgan", "--help"]
    loud = subprocess.run(command, env=dict(env, TF_CPP_MIN_LOG_LEVEL="0"), cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert loud.returncode == 0
    assert loud.stderr.strip(), "TF_CPP_MIN_LOG_LEVEL=0 should show TensorFlow's start-up lines again"


def wheel_top_level_packages():
    parser = configparser.ConfigParser()
    parser.read(os.path.join(ROOT, "setup.cfg"))
    include = [line.strip() for line in parser["options.packages.find"]["include"].split() if line.strip()]
    packages = setuptools.find_packages(ROOT, include=include)
    return sorted({name.split(".")[0] for name in packages}), packages


def test_the_wheel_installs_only_our_top_level_packages_and_the_docs_list_them():
    top_level, packages = wheel_top_level_packages()
    assert top_level == ["keras_animegan", "tfds_builders"]
    assert "keras_animegan.train" in packages
    with open(os.path.join(ROOT, "docs", "getting-started.md")) as f:
        text = f.read()
    for name in top_level:
        assert f"`{name}`" in text, f"docs/getting-started.md should list the top-level package {name}"
