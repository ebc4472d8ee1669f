"""`keras-animegan train tagged_dcgan` on a user's tagged folder or zip, then `generate --tags`, `tags` and exports."""

import os
import zipfile

import numpy as np
import pytest
from PIL import Image

from keras_animegan.cli import main
from keras_animegan.data import ImageSource

SIZE = 32
TAGS = [
    "blue_hair long_hair glasses", "red_hair short_hair", "blue_hair short_hair earrings", "black_hair long_hair",
    "red_hair long_hair glasses", "black_hair short_hair", "blue_hair long_hair", "red_hair short_hair earrings",
]
TINY = ["--image_size", str(SIZE), "--base_filters", "4", "--batch_size", "4", "--steps_per_epoch", "2",
        "--epochs", "1", "--min_tag_count", "1", "--verbose", "0", "--latent_dim", "8"]


@pytest.fixture(scope="module")
def tagged_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tagged")
    rng = np.random.default_rng(0)
    for i in range(len(TAGS)):
        Image.fromarray(rng.integers(0, 255, (SIZE, SIZE, 3), dtype=np.uint8)).save(folder / f"a{i}.png")
    Image.fromarray(rng.integers(0, 255, (SIZE, SIZE, 3), dtype=np.uint8)).save(folder / "untagged.png")
    (folder / "tags.csv").write_text("filename,tags\n" + "".join(f"a{i}.png,{t}\n" for i, t in enumerate(TAGS)))
    return folder


@pytest.fixture(scope="module")
def trained(tagged_folder, tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    assert main(["train", "tagged_dcgan", "--image_dir", str(tagged_folder), "--model_dir", str(run),
                 "--export_formats", "saved_model,litert", *TINY]) == 0
    return run


def test_labels_come_with_their_images_on_both_pipelines(tagged_folder):
    source = ImageSource(tagged_folder)
    labels = {f"a{i}.png": np.full(3, i, np.float32) for i in range(len(TAGS))}
    for pipeline in ("tf.data", "numpy"):
        ds = source.dataset(SIZE, 8, shuffle=False, repeat=False, cache=False, pipeline=pipeline, labels=labels)
        images, batch_labels = next(iter(ds)) if pipeline == "tf.data" else ds[0]
        batch_labels = np.asarray(batch_labels)
        assert images.shape == (8, SIZE, SIZE, 3) and batch_labels.shape == (8, 3)
        # Files in order (the untagged one left out): each image with its own label.
        expected = np.asarray(Image.open(tagged_folder / "a5.png"), np.float32) / 127.5 - 1
        np.testing.assert_allclose(np.asarray(images)[5], expected, atol=1e-5)
        assert batch_labels[5, 0] == 5


def test_the_trainer_writes_the_model_its_exports_and_a_tag_grid(trained, capsys):
    assert (trained / "tagged_dcgan.keras").is_file()
    assert (trained / "tags.png").is_file()
    assert (trained / "export" / "tagged_dcgan" / "1" / "saved_model.pb").is_file()
    assert (trained / "export" / "tagged_dcgan.tflite").is_file()
    assert main(["tags", str(trained / "tagged_dcgan.keras")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "blue_hair\thair_color" in lines and "glasses\tflag" in lines and "long_hair\thair_length" in lines
    assert len(lines) == 7


def test_generate_takes_tags_from_every_format(trained, tmp_path, capsys):
    grids = []
    for model in ("tagged_dcgan.keras", "export/tagged_dcgan", "export/tagged_dcgan.tflite"):
        out = tmp_path / f"{os.path.basename(model)}.png"
        assert main(["generate", str(trained / model), "--tags", "blue_hair,glasses", "--num", "4", "--seed", "3",
                     "--output", str(out)]) == 0
        grids.append(np.asarray(Image.open(out), np.int16))
    # The same seed and tags give the same avatars from the .keras file, the SavedModel and the LiteRT file.
    assert np.abs(grids[0] - grids[1]).max() <= 1 and np.abs(grids[0] - grids[2]).max() <= 2
    assert main(["generate", str(trained / "tagged_dcgan.keras"), "--num", "3", "--output",
                 str(tmp_path / "each")]) == 0  # no --tags: all drawn
    assert len(os.listdir(tmp_path / "each")) == 3
    capsys.readouterr()
    assert main(["generate", str(trained / "tagged_dcgan.keras"), "--tags", "blu_hair", "--num", "1", "--output",
                 str(tmp_path / "x.png")]) == 2
    assert "Unknown tag 'blu_hair'; nearest: blue_hair" in capsys.readouterr().err
    assert main(["generate", str(trained / "tagged_dcgan.keras"), "--tags", "red_hair,blue_hair", "--num", "1",
                 "--output", str(tmp_path / "x.png")]) == 2
    assert "both hair_color" in capsys.readouterr().err


def test_a_zip_with_its_tags_csv_and_a_tags_csv_elsewhere(tagged_folder, tmp_path, capsys):
    archive = tmp_path / "set.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name in os.listdir(tagged_folder):
            z.write(tagged_folder / name, f"set/{name}")
    run = tmp_path / "zip_run"
    assert main(["train", "tagged_dcgan", "--image_dir", str(archive), "--model_dir", str(run),
                 "--export_formats", "none", *TINY]) == 0
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in os.listdir(tagged_folder):
        if name.endswith(".png"):
            (bare / name).write_bytes((tagged_folder / name).read_bytes())
    assert main(["train", "tagged_dcgan", "--image_dir", str(bare), "--model_dir", str(tmp_path / "r2"), *TINY]) == 2
    assert "has no tags.csv; give --tags_csv" in capsys.readouterr().err
    assert main(["train", "tagged_dcgan", "--image_dir", str(bare), "--tags_csv", str(tagged_folder / "tags.csv"),
                 "--model_dir", str(tmp_path / "r3"), "--export_formats", "none", *TINY]) == 0


def test_boolean_flags_take_true_or_false(capsys):
    from keras_animegan.train.config import parse_config
    from keras_animegan.train.tagged_dcgan import TaggedDCGANConfig

    for text, value in (("true", True), ("False", False), ("1", True), ("off", False)):
        assert parse_config(TaggedDCGANConfig, "tagged_dcgan", "", ["--twin_classifier", text]).twin_classifier is value
    with pytest.raises(SystemExit):
        parse_config(TaggedDCGANConfig, "tagged_dcgan", "", ["--twin_classifier", "maybe"])
    assert "--twin_classifier: expected true or false, got 'maybe'" in capsys.readouterr().err
