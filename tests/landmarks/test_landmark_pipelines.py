"""Landmarks in the `thumbs` builder and `--landmark_weight` in both trainers, on folders of photos."""

import numpy as np
import pytest
import skimage.data
import tensorflow_datasets as tfds
from PIL import Image

import tfds_builders  # noqa: F401 - registers the builders
from keras_animegan.landmarks import FaceMesh
from train import cartoongan
from train import cyclegan

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory):
    """A face photo (and two variants) and an image without a face."""
    root = tmp_path_factory.mktemp("photos")
    astronaut = Image.fromarray(skimage.data.astronaut())
    astronaut.save(root / "astronaut.png")
    astronaut.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(root / "astronaut_flipped.jpg")
    astronaut.crop((64, 0, 448, 384)).save(root / "astronaut_crop.png")
    Image.new("RGB", (120, 90), (90, 140, 200)).save(root / "sky.png")
    return root


def test_thumbs_stores_landmarks_for_faces_and_flags_the_rest(photo_dir, tmp_path):
    mesh = FaceMesh()
    for config in ("128px", "128px_faces"):
        builder = tfds.builder(f"thumbs/{config}", data_dir=str(tmp_path))
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(photo_dir)))
        examples = {e["image/filename"].decode(): e for split in builder.info.splits
                    for e in tfds.as_numpy(builder.as_dataset(split=split))}
        assert set(examples) == {"astronaut.png", "astronaut_flipped.jpg", "astronaut_crop.png", "sky.png"}
        assert not examples["sky.png"]["face_found"] and not examples["sky.png"]["landmarks"].any()
        for name in ("astronaut.png", "astronaut_flipped.jpg", "astronaut_crop.png"):
            example = examples[name]
            assert example["face_found"], (config, name)
            # The stored landmarks are the mesh of the stored image.
            again = mesh(example["image"])
            assert np.abs(example["landmarks"][:, :2] - again.landmarks[:, :2]).max() < 1e-5
            x0, y0, x1, y1 = example["face_box"]
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


def test_cyclegan_and_cartoongan_train_with_the_landmark_loss(photo_dir, tmp_path):
    common = dict(epochs=1, steps_per_epoch=2, batch_size=1, image_size=32, base_filters=4, landmark_weight=2.0,
                  verbose="0")
    run = cyclegan.run(cyclegan.CycleGANConfig(model_dir=str(tmp_path / "cg"), domain_a=str(photo_dir),
                                               num_blocks=1, num_disc_layers=2, **common))
    assert run.steps == 2 and np.isfinite(run.model.get_weights()[0]).all()
    run = cartoongan.run(cartoongan.CartoonGANConfig(model_dir=str(tmp_path / "ct"), photos=str(photo_dir),
                                                     cartoon_blocks=1, vgg="vgg16", vgg_weights="none",
                                                     init_epochs=0, **common))
    assert run.steps == 2


def test_thumbs_dataset_feeds_weight_maps_from_stored_landmarks(photo_dir, tmp_path):
    builder = tfds.builder("thumbs/64px", data_dir=str(tmp_path))
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(photo_dir)))
    from keras_animegan.data import TFDSImageSource
    from keras_animegan.landmarks import LandmarkWeights

    weights = LandmarkWeights(strength=2.0)
    source = TFDSImageSource("thumbs/64px", data_dir=str(tmp_path), split="train")  # 4 photos: all in train
    images, maps = next(iter(source.dataset(64, 4, shuffle=False, repeat=False, weight_fn=weights)))
    assert images.shape == (4, 64, 64, 3) and maps.shape == (4, 64, 64, 1)
    np.testing.assert_allclose(maps.numpy().mean(axis=(1, 2, 3)), 1.0, atol=1e-5)
    assert weights.found == 3 and weights.missed == 1  # from the stored flags, no mesh run
