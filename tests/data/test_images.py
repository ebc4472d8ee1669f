"""The image pipeline on a messy folder and zip made here, with every kind of bad file."""

import io
import logging
import os
import zipfile

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_animegan import data
from tests.messy_images import encode as _png
from tests.messy_images import messy_files
from tests.messy_images import write_messy_folder

SIZE = 16


@pytest.fixture(scope="module")
def messy_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("messy")
    good, bad = write_messy_folder(root)
    return str(root), good, bad


@pytest.fixture(scope="module")
def messy_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("zip") / "messy.zip"
    good, bad, ignored = messy_files()
    with zipfile.ZipFile(path, "w") as archive:
        for name, payload in {**good, **bad, **ignored}.items():
            archive.writestr(name, payload)
        archive.writestr("some_folder/", b"")
    return str(path), good, bad


def _all_images(source):
    ds = source.dataset(SIZE, batch_size=1, shuffle=False, repeat=False, drop_remainder=False)
    return np.concatenate([b.numpy() for b in ds])


@pytest.mark.parametrize("fixture", ["messy_folder", "messy_zip"])
def test_bad_files_are_skipped_and_counted(fixture, request, caplog):
    path, good, bad = request.getfixturevalue(fixture)
    source = data.ImageSource(path)
    assert sorted(source.files) == sorted(list(good) + list(bad))
    with caplog.at_level(logging.WARNING, logger="keras_animegan"):
        images = _all_images(source)
    assert images.shape == (len(good), SIZE, SIZE, 3)
    assert images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert source.num_skipped == len(bad)
    assert set(source.skipped) == set(bad)
    warned = [r.getMessage() for r in caplog.records if "Skipping unreadable image" in r.getMessage()]
    assert len(warned) == len(bad)  # one line per file
    for name in bad:
        assert any(name in line for line in warned)


def test_a_fifo_named_like_an_image_is_skipped_not_read(tmp_path):
    """Reading a FIFO blocks until someone writes to it: the pipeline would hang."""
    write_messy_folder(tmp_path)
    os.mkfifo(tmp_path / "pipe.png")
    source = data.ImageSource(str(tmp_path))
    assert source.load("pipe.png") is None
    assert "not a regular file" in source.skipped["pipe.png"]


def test_modes_convert_to_rgb(messy_folder):
    path, good, _ = messy_folder
    source = data.ImageSource(path)
    load = lambda name: source.load(name, SIZE)  # noqa: E731
    np.testing.assert_array_equal(load("rgba.png")[0, 0], [255, 255, 255])  # transparent -> white
    np.testing.assert_array_equal(load("palette.png")[0, 0], [0, 128, 0])
    np.testing.assert_array_equal(load("palette_transparent.png")[0, 0], [255, 255, 255])
    np.testing.assert_array_equal(load("grey16.png")[0, 0], [255, 255, 255])  # 16-bit white stays white
    np.testing.assert_array_equal(load("grey.png")[0, 0], [90, 90, 90])
    cmyk = load("cmyk.jpg")[0, 0].astype(int)
    assert cmyk[0] > 200 and cmyk[1] < 60 and cmyk[2] < 60  # CMYK (0, 255, 255, 0) is red
    assert load("tiny.png").shape == (SIZE, SIZE, 3)


def test_resize_then_center_crop():
    # 40x20: left quarter black, middle half grey, right quarter white. Short side -> 16,
    # so the image becomes 32x16 and the center 16x16 crop is the grey middle only.
    array = np.zeros((20, 40, 3), np.uint8)
    array[:, 10:30] = 128
    array[:, 30:] = 255
    out = data.decode_image(_png(Image.fromarray(array)), SIZE)
    assert out.shape == (SIZE, SIZE, 3)
    assert abs(int(out[:, 2:-2].mean()) - 128) <= 2


def test_pipeline_scales_to_unit_range_and_batches(tmp_path):
    Image.new("RGB", (8, 8), (255, 255, 255)).save(tmp_path / "white.png")
    Image.new("RGB", (8, 8), (0, 0, 0)).save(tmp_path / "black.png")
    ds = data.image_dataset(str(tmp_path), SIZE, batch_size=2, shuffle=True, seed=0)
    batch = next(iter(ds)).numpy()
    assert batch.shape == (2, SIZE, SIZE, 3)
    assert sorted([batch[0].mean(), batch[1].mean()]) == [-1.0, 1.0]
    assert ds.element_spec.shape == (2, SIZE, SIZE, 3)  # static shapes for the model


def test_empty_and_unreadable_sources_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        data.ImageSource(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="No image files.*empty"):
        data.ImageSource(str(tmp_path / "empty"))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "a.png").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="No readable images.*broken"):
        data.image_dataset(str(tmp_path / "broken"), SIZE, 1)
    (tmp_path / "file.tar").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a .zip"):
        data.ImageSource(str(tmp_path / "file.tar"))


def test_resolve_image_source_tells_missing_paths_from_tfds_names(tmp_path):
    for missing in (str(tmp_path / "photos"), str(tmp_path / "set.zip"), "./photos", "a/b/c"):
        with pytest.raises(FileNotFoundError, match="does not exist"):
            data.resolve_image_source(missing)
    folder = tmp_path / "ok"
    folder.mkdir()
    Image.new("RGB", (4, 4)).save(folder / "x.png")
    assert isinstance(data.resolve_image_source(str(folder)), data.ImageSource)


def test_open_image_source_validates_arguments(tmp_path):
    with pytest.raises(ValueError, match="not both"):
        data.open_image_source(image_dir=str(tmp_path), dataset="mnist")
    with pytest.raises(ValueError, match="No image source"):
        data.open_image_source()


def _tiny_tfds_builder():
    import tensorflow_datasets as tfds

    class KaTestGreyImages(tfds.core.GeneratorBasedBuilder):
        """Six grey 28x20 images, generated locally (no download)."""

        VERSION = tfds.core.Version("1.0.0")

        def _info(self):
            return self.dataset_info_from_configs(
                features=tfds.features.FeaturesDict({"image": tfds.features.Image(shape=(28, 20, 1))})
            )

        def _split_generators(self, dl_manager):
            return {"train": self._generate_examples()}

        def _generate_examples(self):
            for i in range(6):
                yield i, {"image": np.full((28, 20, 1), 40 * i, np.uint8)}

    return KaTestGreyImages


def test_tfds_source_reads_the_image_feature(tmp_path):
    _tiny_tfds_builder()  # registers "ka_test_grey_images"
    source = data.open_image_source(dataset="ka_test_grey_images", data_dir=str(tmp_path))
    assert len(source) == 6 and source.num_skipped == 0
    ds = source.dataset(SIZE, batch_size=6, shuffle=False, repeat=False)
    batch = next(iter(ds)).numpy()
    assert batch.shape == (6, SIZE, SIZE, 3)  # grey 28x20 -> RGB 16x16
    assert batch.min() >= -1.0 and batch.max() <= 1.0
    np.testing.assert_array_equal(batch[..., 0], batch[..., 2])
    assert sorted(round(float(b.mean()) * 127.5 + 127.5) for b in batch) == [0, 40, 80, 120, 160, 200]
    with pytest.raises(ValueError, match="no 'photo' feature"):
        data.TFDSImageSource("ka_test_grey_images", data_dir=str(tmp_path), image_key="photo")


def test_tf_resize_matches_policy():
    image = np.zeros((20, 40, 3), np.uint8)
    image[:, 10:30] = 128
    out = data.resize_and_center_crop(tf.constant(image), SIZE).numpy()
    assert out.shape == (SIZE, SIZE, 3) and out.dtype == np.uint8
    assert abs(int(out[:, 2:-2].mean()) - 128) <= 2


def test_embedded_dataset_ships_with_the_package():
    path = data.embedded.anime_avatars_64()
    assert os.path.isfile(path)
    source = data.ImageSource(path)
    assert len(source) == 2000
    assert source.load(source.files[0]).shape == (64, 64, 3)
    assert os.path.isfile(os.path.join(os.path.dirname(path), "ATTRIBUTION.md"))


def test_cache_budget_counts_pairs_and_weight_maps(tmp_path, monkeypatch):
    from keras_animegan.data import images

    for i in range(4):
        Image.new("RGB", (8, 8), (60 * i, 0, 0)).save(tmp_path / f"{i}.png")
    # The budget holds the 4 RGB images exactly, nothing more.
    monkeypatch.setattr(images, "CACHE_BYTES_LIMIT", 4 * SIZE * SIZE * 3)

    def decodes_in_two_passes(**derived):
        source = data.open_image_source(str(tmp_path))
        calls = []
        load = source.load
        monkeypatch.setattr(source, "load", lambda *args: calls.append(1) or load(*args))
        ds = source.dataset(SIZE, batch_size=1, shuffle=False, repeat=False, cache="auto", **derived)
        calls.clear()  # dataset() reads one image to check the source
        for _ in range(2):  # two full passes; a memory cache filled by the first serves the second
            for _ in ds:
                pass
        return len(calls)

    assert decodes_in_two_passes() == 4  # fits: decoded once, then served from the cache
    # An edge-smoothed pair doubles what is cached, a float32 weight map adds 4/3: neither fits.
    assert decodes_in_two_passes(paired_fn=lambda image: image) == 8
    assert decodes_in_two_passes(weight_fn=lambda image: np.ones(image.shape[:2] + (1,), np.float32)) == 8
    assert images.cached_bytes(4, (tf.TensorSpec((SIZE, SIZE, 3), tf.uint8),
                                   tf.TensorSpec((SIZE, SIZE, 1), tf.float32))) == 4 * SIZE * SIZE * 7


ZIP_BOMB_CHILD = """
import json, resource, sys
from keras_animegan.data import ImageSource
source = ImageSource(sys.argv[1])
images = [b for b in source.dataset(16, batch_size=2, shuffle=False, repeat=False)]
print(json.dumps({"batches": len(images), "skipped": source.skipped,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def test_a_zip_bomb_member_is_skipped_before_it_is_inflated(tmp_path):
    import json
    import subprocess
    import sys

    from tests.bombs import zip_bomb

    goods = {f"good_{i}.png": _png(Image.new("RGB", (20, 20), (60 * i, 90, 200))) for i in range(4)}
    path = zip_bomb(str(tmp_path / "bomb.zip"), goods, bomb_bytes=4_500_000_000)
    assert os.path.getsize(path) < 10_000_000
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("a_bomb.png").file_size >= 4 * 1024**3
    plain = str(tmp_path / "plain.zip")
    with zipfile.ZipFile(plain, "w") as archive:
        for name, data in goods.items():
            archive.writestr(name, data)

    def child(zip_path):  # a child process, so its peak RSS is its own
        done = subprocess.run([sys.executable, "-c", ZIP_BOMB_CHILD, zip_path], capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    result, without_bomb = child(path), child(plain)
    assert result["batches"] == without_bomb["batches"] == 2  # the 4 good images
    assert list(result["skipped"]) == ["a_bomb.png"] and without_bomb["skipped"] == {}
    assert "zip bomb" in result["skipped"]["a_bomb.png"] and "4,513,071,104 bytes" in result["skipped"]["a_bomb.png"]
    # What TensorFlow and tf.data take varies with the machine (about 0.85 GB on 2 cores); the bomb adds
    # nothing to it: the same pipeline over the good members alone peaks within 256 MB of it, and the whole
    # process stays far below the 4.5 GB the member would inflate to.
    assert result["max_rss_mb"] < without_bomb["max_rss_mb"] + 256, (result, without_bomb)
    assert result["max_rss_mb"] < 2048


def test_members_are_read_within_their_limits(tmp_path):
    from keras_animegan.utils import archives

    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", bytes(3 * 1024 * 1024))  # 3 MiB of zeros: a ratio of about 1000:1
        archive.writestr("small.bin", b"x" * 1000)
    with zipfile.ZipFile(path) as archive:
        assert archives.read_member(archive, "small.bin") == b"x" * 1000
        with pytest.raises(archives.MemberTooLargeError, match="compression ratio"):
            archives.read_member(archive, "zeros.bin")
        with pytest.raises(archives.MemberTooLargeError, match="over the 500-byte limit"):
            archives.read_member(archive, "small.bin", max_bytes=500)
        assert len(archives.read_member(archive, "zeros.bin", max_ratio=None)) == 3 * 1024 * 1024


def test_many_unreadable_files_are_one_summary_not_a_line_each(tmp_path, caplog):
    path = tmp_path / "empty.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(300):
            archive.writestr(f"empty_{i:03d}.png", b"")
    source = data.ImageSource(str(path))
    with caplog.at_level(logging.WARNING, logger="keras_animegan"):
        with pytest.raises(ValueError, match=r"all 300 image files failed to decode \(first: empty_000.png"):
            source.check_readable(SIZE)
    lines = [r for r in caplog.records if r.name == "keras_animegan"]
    assert len(lines) == 21 and "without a line each" in lines[-1].getMessage()
    assert source.num_skipped == 300
