"""The photo -> anime measures: anime-ness (KID against the avatar test split) and identity (face-mesh Procrustes).

- KID: the project's protocol (`benchmarks/kid_protocol.py`): outputs resized to 64 px,
  VGG16 pooled features at 224 px, unbiased cubic-kernel MMD^2 over 50 subsets, against the
  avatar test split `adventurer_10000..10999`.
- Identity: the face mesh runs on each photo and each output (both resized to 256 px); the
  468 (x, y) points are centred and scaled to unit norm; the distance of two point sets is
  1 - the sum of the singular values of `a.T @ b` (orthogonal Procrustes). Identity top-k is the
  share of outputs whose own photo is among the k nearest photos (an output without a face
  counts as a miss); `face_found` is the share of outputs where a face is found.
"""

import zipfile

import numpy as np

MESH_SIZE = 256


def read_zip_images(path, size=None):
    """The images of a zip archive in name order, RGB uint8 (resized to `size` if given)."""
    import io

    from PIL import Image

    images = []
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            if name.endswith("/"):
                continue
            image = Image.open(io.BytesIO(archive.read(name))).convert("RGB")
            if size is not None and image.size != (size, size):
                image = image.resize((size, size), Image.BICUBIC)
            images.append(np.asarray(image))
    return images


def normalized_points(result):
    """Centred, unit-norm (468, 2) points of a `FaceMeshResult`, or None when no face was found."""
    if not result.found:
        return None
    points = result.landmarks[:, :2].astype(np.float64)
    points = points - points.mean(axis=0)
    return points / np.linalg.norm(points)


def procrustes_distance(a, b):
    """1 - the sum of the singular values of a.T @ b for centred, unit-norm point sets (0 = same shape)."""
    return 1.0 - float(np.linalg.svd(a.T @ b, compute_uv=False).sum())


def mesh_points(images, face_mesh=None):
    """Normalized landmarks of each uint8 image at 256 px (None where no face is found)."""
    import cv2

    from keras_animegan.landmarks import FaceMesh

    face_mesh = face_mesh or FaceMesh()
    points = []
    for image in images:
        if image.shape[:2] != (MESH_SIZE, MESH_SIZE):
            image = cv2.resize(image, (MESH_SIZE, MESH_SIZE), interpolation=cv2.INTER_AREA)
        points.append(normalized_points(face_mesh(np.ascontiguousarray(image))))
    return points


def identity_scores(photo_points, output_points, ks=(1, 5)):
    """`{"face_found": share, "identity_top1": ..., "identity_top5": ...}` (photos without a face are skipped)."""
    usable = [i for i, p in enumerate(photo_points) if p is not None]
    gallery = [photo_points[i] for i in usable]
    hits = {k: 0 for k in ks}
    found = 0
    for row, i in enumerate(usable):
        out = output_points[i]
        if out is None:
            continue
        found += 1
        distances = np.array([procrustes_distance(out, g) for g in gallery])
        rank = int((distances < distances[row]).sum())
        for k in ks:
            hits[k] += rank < k
    scores = {"face_found": found / len(usable), "photos_with_face": len(usable)}
    scores.update({f"identity_top{k}": hits[k] / len(usable) for k in ks})
    return scores


def to_kid_images(images):
    """uint8 images of any size -> [-1, 1] float32 at 64 px (area resize), the KID protocol's input."""
    import cv2

    return np.stack([cv2.resize(im, (64, 64), interpolation=cv2.INTER_AREA) for im in images]).astype(
        np.float32) / 127.5 - 1.0


def kid_of(protocol, images):
    """KID (mean, std) of uint8 images against the avatar test split, in the project's protocol."""
    from keras_animegan.metrics import kid_from_activations

    acts = protocol.activations(to_kid_images(images))
    from benchmarks import kid_protocol

    return kid_from_activations(acts, protocol.reference, num_subsets=kid_protocol.NUM_SUBSETS,
                                subset_size=kid_protocol.SUBSET_SIZE, seed=0)
