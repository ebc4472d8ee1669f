"""Landmarks in the `thumbs` builder and `--landmark_weight` in both trainers, on folders of photos."""

import numpy as np
import pytest
import skimage.data
import tensorflow_datasets as tfds
from PIL import Image

import tfds_builders  # noqa: F401 - registers the builders
from tfds_builders import image_folder
from keras_animegan.landmarks import FaceMesh
from keras_animegan.train import cartoongan
from keras_animegan.train import cyclegan

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
                  verbose="0", export_formats="none")
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
    # Each photo is in the split its name hashes to (image_folder.split_of); read every split there is.
    splits = {image_folder.split_of(path.name) for path in photo_dir.iterdir()}
    assert set(builder.info.splits) == splits
    source = TFDSImageSource("thumbs/64px", data_dir=str(tmp_path), split="+".join(sorted(splits)))
    images, maps = next(iter(source.dataset(64, 4, shuffle=False, repeat=False, weight_fn=weights)))
    assert images.shape == (4, 64, 64, 3) and maps.shape == (4, 64, 64, 1)
    np.testing.assert_allclose(maps.numpy().mean(axis=(1, 2, 3)), 1.0, atol=1e-5)
    assert weights.found == 3 and weights.missed == 1  # from the stored flags, no mesh run


class RecordingWeights:
    """A weight_fn that records the landmarks the pipeline hands it (normalized to the cropped frame)."""

    def __init__(self):
        self.seen = []

    def from_landmarks(self, landmarks, found, height, width):
        self.seen.append((np.array(landmarks), bool(found)))
        return np.ones((height, width, 1), np.float32)

    def __call__(self, image):  # never used here: the landmarks come from the stored ones
        raise AssertionError("the face mesh ran again instead of using the stored landmarks")


def _pixel_error(landmarks, image, mesh):
    """Mean distance in pixels between `landmarks` (normalized) and the face mesh run on `image`."""
    image = np.asarray(image)
    found = mesh(image)
    assert found.found
    size = np.array(image.shape[1::-1], np.float32)
    error = float(np.linalg.norm((landmarks[:, :2] - found.landmarks[:, :2]) * size, axis=1).mean())
    return error


def test_stored_landmarks_land_on_the_face_after_resize_and_crop(tmp_path):
    """The stored landmarks, moved by the pipeline's resize and crop, sit where the mesh finds the face
    in the image the pipeline outputs (a wrong scale or crop offset moves them by many pixels)."""
    from keras_animegan.data import TFDSImageSource
    from keras_animegan.data.tfds_source import stored_landmark_weights

    mesh = FaceMesh()
    astronaut = skimage.data.astronaut()
    wide = np.pad(astronaut, ((0, 0), (96, 32), (0, 0)), constant_values=128)  # 512 x 640, face off-centre
    # The pipeline's own step on a non-square stored image: short side 512 -> 192, width 240, 24 px cut each side.
    recorder = RecordingWeights()
    example = {"image": wide, "landmarks": mesh(wide).landmarks, "face_found": True}
    image, _ = stored_landmark_weights(example, "image", 192, recorder)
    assert image.shape == (192, 192, 3)
    (landmarks, found), = recorder.seen
    assert found and _pixel_error(landmarks, image.numpy(), mesh) < 1.0  # measured 0.3
    nose = landmarks[1, :2] * 192  # mesh point 1: the nose tip, moved by the 24 px crop
    unmoved = example["landmarks"][1, :2] * (240, 192)
    assert abs((unmoved[0] - 24) - nose[0]) < 0.5 and abs(unmoved[1] - nose[1]) < 0.5

    # End to end: a wide photo through the thumbs builder (crop + resize to 128) and the dataset (to 96).
    (tmp_path / "photos").mkdir()
    Image.fromarray(wide).save(tmp_path / "photos" / "wide.png")
    builder = tfds.builder("thumbs/128px", data_dir=str(tmp_path / "tfds"))
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(tmp_path / "photos")))
    split = next(name for name, info in builder.info.splits.items() if info.num_examples)  # wherever it hashed
    recorder = RecordingWeights()
    source = TFDSImageSource("thumbs/128px", data_dir=str(tmp_path / "tfds"), split=split)
    images, _ = next(iter(source.dataset(96, 1, shuffle=False, repeat=False, weight_fn=recorder)))
    (landmarks, found), = recorder.seen
    output = np.round((images.numpy()[0] + 1) * 127.5).astype(np.uint8)
    assert found and _pixel_error(landmarks, output, mesh) < 1.0  # measured 0.2
