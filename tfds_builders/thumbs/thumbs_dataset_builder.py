"""thumbs: real face photos (the report's "Thumbs" set: 3,666 photos), the photo domain."""

import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import image_folder


class Builder(image_folder.ImageFolderBuilder):
    """Face photos: the source domain of CycleGAN and CartoonGAN, with MediaPipe face-mesh landmarks.

    Every stored photo gets, computed at build time on the stored image with
    `keras_animegan.landmarks.FaceMesh` (offline, shipped models):
    `landmarks` (468, 3) float32 (x, y normalized to the stored image, relative
    z), `face_found` (bool; all-zero landmarks when False) and `face_box`
    (xmin, ymin, xmax, ymax), normalized. The trainers' `--landmark_weight`
    builds its weight maps from these instead of running the mesh again.
    """

    BUILDER_CONFIGS = image_folder.IMAGE_CONFIGS + [
        image_folder.ImageConfig(name=f"{size}px_faces", image_size=size, crop_faces=True,
                                 description=f"Each photo cropped to its face (eyes level, 40% margin), {size}x{size}.")
        for size in (64, 128, 256)
    ]
    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.1.0": "Face-mesh landmarks, found flag and face box per photo.",
    }

    def extra_features(self):
        return {
            "landmarks": tfds.features.Tensor(shape=(468, 3), dtype=np.float32),
            "face_found": tfds.features.Tensor(shape=(), dtype=np.bool_),
            "face_box": tfds.features.Tensor(shape=(4,), dtype=np.float32),
        }

    def prepare_extras(self, images):
        from keras_animegan.landmarks import FaceMesh

        self._face_mesh = FaceMesh()

    def decode(self, data):
        if not self.builder_config.crop_faces:
            return super().decode(data)
        from keras_animegan.utils.decoding import decode_image
        from keras_animegan.landmarks import crop_face

        image = decode_image(data)
        return crop_face(image, self._face_mesh(image), size=self.builder_config.image_size)

    def extra_example_fields(self, key, image):
        result = self._face_mesh(image)
        return {"landmarks": result.landmarks, "face_found": result.found, "face_box": result.box}
