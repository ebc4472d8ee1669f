"""Files a hostile user plants: symbolic links at the paths keras-animegan writes and reads, tampered presets,
and run folders that cannot be one. Every write leaves a link's target untouched; every refusal is one line."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from keras_animegan.cli import main
from keras_animegan.utils import safe_files

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
SECRET = b"the victim's own file\n"


def victim(tmp_path, name="victim.txt"):
    path = tmp_path / name
    path.write_bytes(SECRET)
    return path


def plant(link, target):
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)


def test_replacing_writes_beside_the_link_and_renames_over_it(tmp_path):
    target = victim(tmp_path)
    plant(tmp_path / "out" / "a.json", target)
    safe_files.write_json(tmp_path / "out" / "a.json", {"x": 1})
    assert target.read_bytes() == SECRET
    assert not os.path.islink(tmp_path / "out" / "a.json")
    assert json.loads((tmp_path / "out" / "a.json").read_text()) == {"x": 1}
    assert oct(os.stat(tmp_path / "out" / "a.json").st_mode & 0o777) == oct(0o666 & ~_umask())
    # A failed write leaves the path as it was and no temporary file behind.
    with pytest.raises(RuntimeError):
        with safe_files.open_replacing(tmp_path / "out" / "b.txt", "w") as f:
            f.write("half")
            raise RuntimeError("disk gone")
    assert os.listdir(tmp_path / "out") == ["a.json"]
    # Files read back or appended to refuse a link, naming it.
    plant(tmp_path / "run" / "losses.csv", target)
    for mode in ("r", "a"):
        with pytest.raises(safe_files.LinkRefusedError, match="losses.csv is a symbolic link"):
            safe_files.open_no_follow(tmp_path / "run" / "losses.csv", mode)
    assert target.read_bytes() == SECRET


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_generate_and_translate_outputs_replace_links_and_leave_their_targets(tiny_models, tmp_path):
    target = victim(tmp_path)
    model = str(tiny_models["dir"] / "dcgan.keras")
    plant(tmp_path / "grid.png", target)
    assert main(["generate", model, "--num", "4", "--output", str(tmp_path / "grid.png")]) == 0
    plant(tmp_path / "gen" / "avatar_00001.png", target)
    assert main(["generate", model, "--num", "2", "--output", str(tmp_path / "gen")]) == 0
    rng = np.random.default_rng(0)
    (tmp_path / "in").mkdir()
    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "in" / "photo.png")
    plant(tmp_path / "out" / "photo.png", target)
    assert main(["translate", str(tiny_models["dir"] / "cyclegan.keras"), str(tmp_path / "in"),
                 "--output", str(tmp_path / "out")]) == 0
    assert target.read_bytes() == SECRET
    for written in (tmp_path / "grid.png", tmp_path / "gen" / "avatar_00001.png", tmp_path / "out" / "photo.png"):
        assert not os.path.islink(written) and Image.open(written).format == "PNG", written
    assert sorted(os.listdir(tmp_path / "gen")) == ["avatar_00000.png", "avatar_00001.png"]  # no temporary files


def train(model_dir, *flags):
    command = [sys.executable, "-m", "train.dcgan", f"--model_dir={model_dir}", "--epochs=1", "--steps_per_epoch=2",
               "--batch_size=2", "--image_size=32", "--latent_dim=8", "--base_filters=2", "--num_samples=4",
               "--verbose=0", "--export_formats=none", *flags]
    return subprocess.run(command, capture_output=True, text=True, env=ENV, cwd=ROOT, timeout=300)


def test_a_run_folder_replaces_planted_outputs_and_refuses_planted_inputs(tmp_path):
    target = victim(tmp_path)
    run = tmp_path / "run"
    plant(run / "dcgan.keras", target)
    plant(run / "samples_across_epochs.png", target)
    done = train(run)
    assert done.returncode == 0, done.stderr[-3000:]
    assert target.read_bytes() == SECRET
    assert not os.path.islink(run / "dcgan.keras") and os.path.getsize(run / "dcgan.keras") > 1000
    # A loss log or config planted as a link would be read (and appended to): refused, in one line.
    for name in ("losses.csv", "config.json"):
        other = tmp_path / f"run_{name}"
        plant(other / name, target)
        done = train(other)
        assert done.returncode == 2, done.stderr[-3000:]
        assert f"{name} is a symbolic link" in done.stderr and "Traceback" not in done.stderr, done.stderr[-3000:]
        assert target.read_bytes() == SECRET


def test_a_model_dir_that_cannot_be_a_run_folder_is_one_line(tmp_path, monkeypatch):
    from keras_animegan.train.loop import check_run_folder

    (tmp_path / "a_file").write_text("x")
    done = train(tmp_path / "a_file")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert f"--model_dir '{tmp_path / 'a_file'}' is a file, not a folder" in done.stderr
    with pytest.raises(ValueError, match="is inside .*a_file, which is a file"):
        check_run_folder(str(tmp_path / "a_file" / "run"))
    # This suite may run as root, which may write anywhere: the permission check itself, with access() saying no.
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(ValueError, match=r"--model_dir '.*locked' is not writable by this user"):
        (tmp_path / "locked").mkdir()
        check_run_folder(str(tmp_path / "locked"))


def tampered_preset(tmp_path, change):
    from keras_animegan.presets import BUILTIN_DIR

    folder = tmp_path / "preset"
    shutil.copytree(os.path.join(BUILTIN_DIR, "dcgan_avatars_64"), folder)
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))
    return str(folder)


def test_tampered_presets_are_one_line_errors(tmp_path, capsys):
    def bad_argument(config):
        config["config"]["latent_dim"] = {"not": "a number"}

    def unknown_class(config):
        config["registered_name"] = "evil>Evil" + "x" * 20000

    for change, message in ((bad_argument, "config.json does not build a DCGAN"),
                            (unknown_class, "which is not a registered keras-animegan model")):
        preset = tampered_preset(tmp_path / change.__name__, change)
        assert main(["generate", "--preset", preset, "--num", "1", "--output", str(tmp_path / "g.png")]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err) < 800 and err.count("\n") == 1, err[:2000]


def test_a_savedmodel_from_outside_the_package_is_named_as_code_once(tiny_models, tmp_path, capsys, monkeypatch):
    from keras_animegan.utils import trust

    monkeypatch.setattr(trust, "_WARNED", set())  # other tests in this process may have loaded it
    export = str(tiny_models["dcgan_export"])
    for _ in range(2):
        assert main(["generate", export, "--num", "1", "--output", str(tmp_path / "a.png")]) == 0
    err = capsys.readouterr().err
    assert err.count("loading it runs its graph") == 1 and "--trust_model" in err, err
    assert main(["generate", export, "--num", "1", "--output", str(tmp_path / "b.png"), "--trust_model"]) == 0
    assert "runs its graph" not in capsys.readouterr().err
    # Presets are data: no warning.
    assert main(["generate", "--preset", "dcgan_avatars_64", "--num", "1", "--output", str(tmp_path / "c.png")]) == 0
    assert "runs its graph" not in capsys.readouterr().err
