"""The anime / thumbs / faces builders on messy data made here, the `tfds build` CLI, and a trainer on them."""

import collections
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

import tfds_builders  # noqa: F401 - registers the builders
from tests.messy_images import encode
from tests.messy_images import messy_files
from tests.messy_images import write_messy_folder
from tfds_builders import image_folder


def build(name, manual_dir, data_dir):
    builder = tfds.builder(name, data_dir=str(data_dir))
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))
    return builder


def all_examples(builder):
    examples = []
    for split in builder.info.splits:
        for example in tfds.as_numpy(builder.as_dataset(split=split)):
            examples.append((split, example))
    return examples


@pytest.fixture(scope="module")
def messy_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("manual")
    good, bad = write_messy_folder(root)
    (root / "tags.csv").write_text("filename,tags\nrgb.png,red,flat\nnested/deeper/inner.PNG,red\n")
    return root, good, bad


@pytest.mark.parametrize("name", ["anime", "thumbs", "faces"])
def test_messy_folder_builds_every_readable_image_once(name, messy_dir, tmp_path, caplog):
    root, good, bad = messy_dir
    builder = build(f"{name}/64px", root, tmp_path)
    examples = all_examples(builder)
    filenames = [example["image/filename"].decode() for _, example in examples]
    assert len(examples) == len(good)  # every readable image, no unreadable one
    assert collections.Counter(filenames) == collections.Counter(list(good))  # each exactly once
    for split, example in examples:
        assert example["image"].shape == (64, 64, 3) and example["image"].dtype == np.uint8
        assert split == image_folder.split_of(example["image/filename"].decode())
    total = sum(s.num_examples for s in builder.info.splits.values())
    assert total == len(good)
    if name == "anime":
        names = builder.info.features["labels"].feature.names
        assert names == ["flat", "red"]
        labels = {e["image/filename"].decode(): sorted(names[i] for i in e["labels"]) for _, e in examples}
        assert labels["rgb.png"] == ["flat", "red"]
        assert labels["nested/deeper/inner.PNG"] == ["red"]
        assert labels["grey.png"] == []
        from keras_animegan.data import multi_hot

        by_name = {e["image/filename"].decode(): e["labels"] for _, e in examples}
        np.testing.assert_array_equal(multi_hot(by_name["rgb.png"], 2), [1.0, 1.0])
        np.testing.assert_array_equal(multi_hot(by_name["nested/deeper/inner.PNG"], 2), [0.0, 1.0])
        np.testing.assert_array_equal(multi_hot(by_name["grey.png"], 2), [0.0, 0.0])


def test_skips_are_counted_in_the_build_log(messy_dir, tmp_path, caplog):
    root, good, bad = messy_dir
    with caplog.at_level("WARNING", logger="keras_animegan"):
        build("faces/64px", root, tmp_path)
    per_file = [r.getMessage() for r in caplog.records if "skipping unreadable image" in r.getMessage()]
    assert sorted(m.split("image ")[1].split(" (")[0] for m in per_file) == sorted(bad)
    counts = [r.getMessage() for r in caplog.records if "unreadable file(s)" in r.getMessage()]
    assert sum(int(m.split("skipped ")[1].split(" ")[0]) for m in counts) == len(bad)


def test_zip_given_as_manual_dir_and_original_config(tmp_path):
    archive = tmp_path / "set.zip"
    sizes = {"a.png": (30, 20), "b/c.jpg": (7, 9), "d.webp": (64, 64)}
    with zipfile.ZipFile(archive, "w") as z:
        for name, (w, h) in sizes.items():
            fmt = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}[name.rsplit(".", 1)[1]]
            z.writestr(name, encode(Image.new("RGB", (w, h), (10, 20, 30)), format=fmt))
        z.writestr("broken.png", b"\x89PNG\r\n\x1a\n broken")
    builder = build("faces/original", archive, tmp_path / "data")
    examples = {e["image/filename"].decode(): e["image"] for _, e in all_examples(builder)}
    assert {k: v.shape for k, v in examples.items()} == {k: (h, w, 3) for k, (w, h) in sizes.items()}
    # The splits are the ones the hash rule puts these names in (TFDS keeps no empty split).
    assert sorted(builder.info.splits) == sorted({image_folder.split_of(name) for name in sizes})


def test_split_is_stable_and_about_five_percent():
    names = [f"img_{i:05d}.png" for i in range(4000)]
    first = [image_folder.split_of(n) for n in names]
    assert first == [image_folder.split_of(n) for n in names]
    assert 0.035 < first.count("test") / len(names) < 0.065


@pytest.mark.slow
def test_tfds_build_cli_then_load_and_train(tmp_path):
    """`tfds build <builder folder> --manual_dir <zip> ...`, `tfds.load`, and `train.dcgan --dataset`."""
    rng = np.random.default_rng(0)
    archive = tmp_path / "avatars.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for i in range(40):
            z.writestr(f"avatar_{i:03d}.png", encode(Image.fromarray(rng.integers(0, 255, (64, 64, 3), np.uint8))))
    builder_dir = os.path.dirname(tfds_builders.faces.faces_dataset_builder.__file__)
    data_dir = tmp_path / "data"
    tfds_cli = os.path.join(os.path.dirname(sys.executable), "tfds")
    # The CLI imports the builder file by path; its `tfds_builders` import needs the package
    # importable, as it is once installed (here: also from a source checkout).
    repo = os.path.dirname(os.path.dirname(builder_dir))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.pathsep.join(
        [repo] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    result = subprocess.run(
        [tfds_cli, "build", builder_dir, "--manual_dir", str(archive), "--data_dir", str(data_dir),
         "--config", "64px"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ds = tfds.load("faces/64px", data_dir=str(data_dir), split="train+test")
    images = [e["image"] for e in tfds.as_numpy(ds)]
    assert len(images) == 40
    assert all(i.shape == (64, 64, 3) and i.dtype == np.uint8 for i in images)

    from keras_animegan.train import dcgan

    run = dcgan.run(dcgan.DCGANConfig(
        model_dir=str(tmp_path / "run"), dataset="faces/64px", data_dir=str(data_dir), epochs=1,
        steps_per_epoch=2, batch_size=4, image_size=32, latent_dim=8, base_filters=4, num_samples=8, verbose="0",
    ))
    assert run.steps == 2
    assert run.num_images == tfds.builder("faces/64px", data_dir=str(data_dir)).info.splits["train"].num_examples


def test_unbuilt_manual_dataset_is_a_clear_error(tmp_path):
    from keras_animegan import data

    with pytest.raises(ValueError, match="tfds build tfds_builders/thumbs"):
        data.open_image_source(dataset="thumbs/64px", data_dir=str(tmp_path))
