"""The photo -> anime measures (`benchmarks/photo_eval.py`) and the backend-neutral fit (`benchmarks/photo2anime_fit.py`)."""

import json
import types

import numpy as np
import pytest
from PIL import Image

from benchmarks import photo2anime_fit
from benchmarks import photo_eval


def mesh(points):
    return types.SimpleNamespace(found=True, landmarks=np.concatenate([points, np.zeros((len(points), 1))], 1))


def test_procrustes_distance_ignores_position_scale_and_rotation_but_not_shape():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, (468, 2))
    angle = 0.3
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = 0.5 * a @ rotation.T + 2.0
    pa, pm = photo_eval.normalized_points(mesh(a)), photo_eval.normalized_points(mesh(moved))
    assert photo_eval.procrustes_distance(pa, pm) == pytest.approx(0.0, abs=1e-9)
    other = photo_eval.normalized_points(mesh(rng.uniform(0, 1, (468, 2))))
    assert photo_eval.procrustes_distance(pa, other) > 0.1
    assert photo_eval.normalized_points(types.SimpleNamespace(found=False)) is None


def test_identity_scores_rank_each_output_among_all_photos():
    rng = np.random.default_rng(1)
    photos = [photo_eval.normalized_points(mesh(rng.uniform(0, 1, (468, 2)))) for _ in range(6)]
    near = [photo_eval.normalized_points(mesh(p + rng.normal(0, 1e-4, p.shape))) for p in photos]
    # Outputs 0-3 keep their photo's shape; output 4 is photo 5's shape; output 5 has no face.
    outputs = near[:4] + [near[5], None]
    scores = photo_eval.identity_scores(photos, outputs, ks=(1, 5))
    assert scores["face_found"] == pytest.approx(5 / 6)
    assert scores["identity_top1"] == pytest.approx(4 / 6)
    assert scores["identity_top5"] >= 4 / 6


def test_the_fit_script_trains_the_unet_toward_the_flat_cartoon_and_saves_loadable_weights(tmp_path):
    from keras_animegan.models import unet_generator

    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(2)
    for i in range(6):
        Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(photos / f"{i}.jpg")
    (photos / "broken.jpg").write_bytes(b"not an image")
    network_json = tmp_path / "unet.json"
    network_json.write_text(unet_generator(None, 4, 1).to_json())
    output = tmp_path / "w.npz"
    assert photo2anime_fit.main(["--photos", str(photos), "--output", str(output), "--size", "32",
                                 "--network_json", str(network_json), "--batch_size", "4", "--max_epochs", "2",
                                 "--minutes", "10", "--workers", "2"]) == 0
    summary = json.loads((tmp_path / "w.json").read_text())
    assert summary["photos"] == 12 and summary["epochs"] == 2 and summary["steps"] == 6  # 6 photos + flips
    network = unet_generator(None, 4, 1)
    data = np.load(output)
    network.set_weights([data[f"generator/{i}"] for i in range(len(network.weights))])
    assert network(np.zeros((1, 32, 32, 3), np.float32)).shape == (1, 32, 32, 3)
    with pytest.raises(SystemExit, match="no image"):
        photo2anime_fit.main(["--photos", str(photos), "--output", str(output), "--size", "64"])
