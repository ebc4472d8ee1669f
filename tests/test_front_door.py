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


@pytest.mark.slow
def test_importing_the_package_in_a_program_prints_nothing_unless_asked():
    """Before: `from keras_animegan import DCGAN` printed 8 TensorFlow lines, a `cuInit` error among them."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    program = ("import numpy as np\nimport keras_animegan\nfrom keras_animegan import DCGAN\n"
               "m = DCGAN(latent_dim=8, image_size=32, base_filters=4, seed=0)\n"
               "print(m.generator(np.zeros((1, 8), 'float32')).shape)\n")
    quiet = subprocess.run([sys.executable, "-c", program], env=env, cwd=ROOT, capture_output=True, text=True,
                           timeout=300)
    assert quiet.returncode == 0 and quiet.stdout.strip() == "(1, 32, 32, 3)", quiet.stderr
    assert quiet.stderr == ""
    loud = subprocess.run([sys.executable, "-c", "import keras_animegan"], env=dict(env, TF_CPP_MIN_LOG_LEVEL="0"),
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert loud.returncode == 0 and loud.stderr.strip()


MISTAKES = [["generate", "--num", "0"], ["generate", "--num", "0", "--output", "x.png"],
            ["generate", "no_such_export", "--output", "x.png"], ["translate", "missing.jpg"],
            ["translate", "--preset", "cartoongan_photo2anime", "missing.jpg", "--output", "x.png"],
            ["translate", "no_such_model.keras", "missing.jpg", "--output", "x.png"]]


@pytest.mark.parametrize("argv", MISTAKES, ids=lambda argv: " ".join(argv))
def test_argument_mistakes_are_named_before_tensorflow_loads(argv, tmp_path):
    """Before: a wrong path or `--num 0` was reported after TensorFlow had loaded (6-9 s)."""
    # What the `keras-animegan` console script runs (its argv[0] is the command's path).
    program = ("import sys\nsys.argv[0] = '/usr/bin/keras-animegan'\nfrom keras_animegan.cli import main\n"
               "try:\n    status = main(sys.argv[1:])\n"
               "except SystemExit as stop:\n    status = stop.code\n"
               "print('STATUS', status, 'tensorflow' in sys.modules, 'keras' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", program, *argv], cwd=tmp_path, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "STATUS 2 False False", done.stdout + done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert "error" in message and ("--num" in message or "no such file" in message or "required" in message
                                   or "INPUT is missing" in message), message


@pytest.mark.slow
def test_ctrl_c_during_training_prints_one_line_and_the_run_resumes(tmp_path):
    """Before: a 50-line KeyboardInterrupt traceback."""
    import signal
    import time

    from tests import forked

    command = [sys.executable, "-m", "train.dcgan", f"--model_dir={tmp_path / 'run'}", "--epochs=1",
               "--steps_per_epoch=400", "--batch_size=2", "--image_size=32", "--latent_dim=8", "--base_filters=2",
               "--num_samples=4", "--checkpoint_every=5", "--verbose=0", "--export_formats=none"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT)
    first = forked.start(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    checkpoint = tmp_path / "run" / "checkpoints" / "latest.weights.h5"
    deadline = time.time() + 240
    while not checkpoint.exists():
        assert first.poll() is None and time.time() < deadline, "no checkpoint came"
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)
    stderr = first.communicate(timeout=120)[1]
    assert first.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("interrupted at step ") and "run the same command again to resume" in last, last
    again = forked.run(command, env=env, cwd=ROOT, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Resuming from step" in again.stderr


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


def test_the_readme_commands_write_only_ignored_files():
    """Before: the README's commands left `blue.png` and `me.png` as untracked files in the checkout."""
    import fnmatch
    import re

    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    with open(os.path.join(ROOT, ".gitignore")) as f:
        patterns = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    written = set(re.findall(r"--output (\S+)", readme)) | set(re.findall(r"\.save\(\"([^\"]+)\"\)", readme))
    written |= set(re.findall(r"extractall\('([^']+)'\)", readme)) | set(re.findall(r"--model_dir (\S+)", readme))
    assert {"blue.png", "me.png", "avatars.png"} <= written
    for path in written:
        top = path.split("/")[0]
        folder = "/" in path
        assert any(fnmatch.fnmatch(top + ("/" if folder else ""), p) or fnmatch.fnmatch(top, p.rstrip("/"))
                   for p in patterns), f"{path} (written by a README command) is not in .gitignore"
