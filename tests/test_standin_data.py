"""`benchmarks.standin_data`: the zips it writes (names, order, fixed timestamps: the same images give the
same bytes), the pixel comparison with a reference set, and where `ensure` looks before rebuilding."""

import io
import os
import zipfile

import numpy as np
from PIL import Image

from benchmarks import standin_data


def rendered(folder, prefix, count, seed=0):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    for n in range(count):
        Image.fromarray(rng.integers(0, 256, (64, 64, 4), dtype=np.uint8)).save(os.path.join(folder, f"{prefix}_{n:05d}.png"))


def test_zips_are_ordered_rgb_and_byte_identical_across_builds(tmp_path):
    rendered(tmp_path / "r", "adventurer", 5)
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    standin_data.write_zip(str(tmp_path / "r"), "adventurer", 5, str(first))
    standin_data.write_zip(str(tmp_path / "r"), "adventurer", 5, str(second))
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert archive.namelist() == [f"adventurer_{n:05d}.png" for n in range(5)]
        assert Image.open(io.BytesIO(archive.read("adventurer_00003.png"))).mode == "RGB"


def test_compare_counts_identical_images(tmp_path):
    rendered(tmp_path / "a", "facesjs", 4, seed=1)
    rendered(tmp_path / "b", "facesjs", 4, seed=1)
    Image.new("RGBA", (64, 64)).save(tmp_path / "b" / "facesjs_00002.png")
    for name in ("a", "b"):
        standin_data.write_zip(str(tmp_path / name), "facesjs", 4, str(tmp_path / f"{name}.zip"))
    assert standin_data.compare(str(tmp_path / "a.zip"), str(tmp_path / "b.zip")) == (3, 4)


def test_ensure_uses_a_zip_it_finds_and_builds_only_when_missing(tmp_path, monkeypatch):
    built = []
    monkeypatch.setattr(standin_data, "DEFAULT_OUTPUT", str(tmp_path / "default"))
    monkeypatch.setattr(standin_data, "build", lambda output, names: built.append((output, names)))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "anime-avatars-64.zip").write_bytes(b"")
    assert standin_data.ensure("anime-avatars-64.zip", str(tmp_path / "data")) == str(tmp_path / "data" / "anime-avatars-64.zip")
    assert built == []
    path = standin_data.ensure("cartoon-faces-64.zip", str(tmp_path / "data"))
    assert built == [(str(tmp_path / "default"), ("cartoon-faces-64.zip",))]
    assert path == str(tmp_path / "default" / "cartoon-faces-64.zip")
