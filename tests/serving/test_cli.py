"""`keras-animegan generate | translate | export` on the tiny exported and saved models."""

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_animegan.cli import main
from tests import forked
from tests.serving.conftest import SIZE

pytestmark = pytest.mark.slow  # see setup.cfg: subprocesses, servers or many traced models

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_installed_console_script_runs():
    """The `keras-animegan` entry point that `pip install` put beside this Python runs (not just declared)."""
    script = os.path.join(os.path.dirname(sys.executable), "keras-animegan")
    assert os.path.exists(script), f"{script} is missing: install the package (pip install -e .) first"
    done = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert all(command in done.stdout for command in ("generate", "translate", "export"))


@pytest.mark.parametrize("model_key", ["dcgan_export", "dcgan.keras"])
def test_generate_folder_and_grid(tiny_models, tmp_path, model_key):
    model = tiny_models[model_key] if model_key in tiny_models else str(tiny_models["dir"] / model_key)
    assert main(["generate", str(model), "--num", "5", "--output", str(tmp_path / "folder"), "--seed", "3"]) == 0
    files = sorted(os.listdir(tmp_path / "folder"))
    assert files == [f"avatar_{i:05d}.png" for i in range(5)]
    assert all(Image.open(tmp_path / "folder" / f).size == (SIZE, SIZE) for f in files)
    assert main(["generate", str(model), "--num", "6", "--columns", "3", "--output", str(tmp_path / "grid.png")]) == 0
    # 3 x 2 tiles of SIZE with 2 px padding around and between.
    assert Image.open(tmp_path / "grid.png").size == (3 * SIZE + 4 * 2, 2 * SIZE + 3 * 2)


def test_generate_through_python_dash_m(tiny_models, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), TF_CPP_MIN_LOG_LEVEL="2")
    done = forked.run([sys.executable, "-m", "keras_animegan", "generate", tiny_models["dcgan_export"],
                       "--num", "2", "--output", str(tmp_path / "g.png")], cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert Image.open(tmp_path / "g.png").size == (2 * SIZE + 6, SIZE + 4)


def read_video(path):
    """Every frame (BGR) of the video at `path`, and its frame rate."""
    capture = cv2.VideoCapture(path)
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames, fps


def write_images(folder, sizes):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for i, (h, w) in enumerate(sizes):
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(folder / f"img{i}.{'png' if i % 2 else 'jpg'}")


@pytest.mark.parametrize("model_key", ["cyclegan_export", "cyclegan.keras"])
def test_translate_image_and_folder(tiny_models, tmp_path, model_key):
    model = tiny_models[model_key] if model_key in tiny_models else str(tiny_models["dir"] / model_key)
    sizes = [(40, 24), (SIZE, SIZE), (17, 50)]
    write_images(tmp_path / "in" / "sub", sizes)
    (tmp_path / "in" / "broken.png").write_bytes(b"not a png")
    # One image to a named file.
    assert main(["translate", str(model), str(tmp_path / "in" / "sub" / "img0.jpg"),
                 "--output", str(tmp_path / "one.png")]) == 0
    assert Image.open(tmp_path / "one.png").size == (24, 40)
    # A folder (recursive, sub-folders kept), the broken file skipped and counted.
    assert main(["translate", str(model), str(tmp_path / "in"), "--output", str(tmp_path / "out")]) == 0
    for i, (h, w) in enumerate(sizes):
        assert Image.open(tmp_path / "out" / "sub" / f"img{i}.png").size == (w, h)
    assert not (tmp_path / "out" / "broken.png").exists()


def test_translate_video(tiny_models, tmp_path):
    source = str(tmp_path / "clip.mp4")
    writer = cv2.VideoWriter(source, cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (48, 40))
    assert writer.isOpened()
    for i in range(6):
        writer.write(np.full((40, 48, 3), 40 * i, np.uint8))
    writer.release()
    output = str(tmp_path / "clip_anime.mp4")
    assert main(["translate", tiny_models["cyclegan_export"], source, "--output", output]) == 0
    frames, fps = read_video(output)
    assert len(frames) == 6 and frames[0].shape == (40, 48, 3)
    assert fps == pytest.approx(10.0)


@pytest.fixture(scope="module")
def identity_export(tmp_path_factory):
    """An exported 'translator' that returns its input: the CLI's output is then the face crop itself."""
    import keras

    from keras_animegan.export import export_generator

    inputs = keras.Input((CROP, CROP, 3))
    network = keras.Model(inputs, keras.layers.Activation("linear")(inputs), name="identity")
    return export_generator(network, tmp_path_factory.mktemp("identity"), "identity")


CROP = 192


def face_box(image):
    """(center x, center y, side) of the face mesh's landmark box, as fractions of the image size."""
    from keras_animegan.landmarks import FaceMesh

    result = FaceMesh()(np.asarray(image))
    assert result.found, "no face in the output"
    h, w = np.asarray(image).shape[:2]
    points = result.pixels(w, h)
    low, high = points.min(0), points.max(0)
    return (low[0] + high[0]) / 2 / w, (low[1] + high[1]) / 2 / h, (high - low).max() / max(h, w)


def test_translate_with_face_crop(tiny_models, identity_export, tmp_path, capsys):
    from skimage import data

    Image.fromarray(data.astronaut()).save(tmp_path / "astronaut.png")
    assert main(["translate", tiny_models["cyclegan_export"], str(tmp_path / "astronaut.png"), "--crop_faces",
                 "--crop_size", "48", "--output", str(tmp_path / "face.png")]) == 0
    assert Image.open(tmp_path / "face.png").size == (48, 48)
    # The crop holds the face, centered and large (the whole 512 px photo's face spans about a quarter of it,
    # so a center crop fails this).
    assert main(["translate", identity_export, str(tmp_path / "astronaut.png"), "--crop_faces", "--crop_size",
                 str(CROP), "--output", str(tmp_path / "crop.png")]) == 0
    x, y, side = face_box(Image.open(tmp_path / "crop.png"))
    assert abs(x - 0.5) < 0.1 and abs(y - 0.5) < 0.1 and side > 0.45, (x, y, side)
    assert "without a face" in capsys.readouterr().out


def test_crop_faces_counts_photos_without_a_face(identity_export, tmp_path, capsys):
    from skimage import data

    (tmp_path / "in").mkdir()
    Image.fromarray(data.astronaut()).save(tmp_path / "in" / "face.png")
    Image.fromarray(np.full((100, 140, 3), 200, np.uint8)).save(tmp_path / "in" / "wall.png")
    assert main(["translate", identity_export, str(tmp_path / "in"), "--crop_faces", "--crop_size", str(CROP),
                 "--output", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "1 without a face" in captured.out and "1 image(s) had no face" in captured.err
    assert sorted(os.listdir(tmp_path / "out")) == ["face.png", "wall.png"]  # written, and said so


def test_video_with_a_moving_face_keeps_every_frame(identity_export, tmp_path, capsys):
    """--crop_faces without --crop_size: the face moves and changes size, yet every frame is written at one size."""
    from skimage import data

    face = data.astronaut()
    writer = cv2.VideoWriter(str(tmp_path / "clip.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (400, 300))
    for i in range(6):
        side = 280 + 8 * i  # the face grows ...
        frame = np.full((300, 400, 3), 90, np.uint8)
        x0 = 5 + 12 * i  # ... and moves right
        frame[:side, x0:x0 + side] = cv2.resize(face, (side, side))[:300]
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    assert main(["translate", identity_export, str(tmp_path / "clip.mp4"), "--crop_faces", "--output",
                 str(tmp_path / "out.mp4")]) == 0
    assert "Wrote 6 frames" in capsys.readouterr().out
    frames, _ = read_video(str(tmp_path / "out.mp4"))
    assert len(frames) == 6 and len({f.shape for f in frames}) == 1
    for frame in (frames[0], frames[-1]):  # the face stays in the crop as it moves
        x, y, side = face_box(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        assert abs(x - 0.5) < 0.15 and abs(y - 0.5) < 0.15 and side > 0.4, (x, y, side)


def test_export_keras_to_serving_layout(tiny_models, tmp_path):
    assert main(["export", str(tiny_models["dir"] / "cyclegan.keras"), "--export_dir", str(tmp_path)]) == 0
    for name in ("cyclegan_ab", "cyclegan_ba"):
        loaded = tf.saved_model.load(str(tmp_path / name / "1"))
        assert {"serving_default", "translate_bytes", "serve"} <= set(loaded.signatures)
    assert main(["export", str(tiny_models["dir"] / "dcgan.keras"), "--export_dir", str(tmp_path), "--name",
                 "avatars", "--version", "3"]) == 0
    assert (tmp_path / "avatars" / "3" / "saved_model.pb").exists()


def test_a_folder_with_bombs_a_fifo_and_shared_names_keeps_going(tiny_models, tmp_path, capsys):
    """Before: a 20000x20000 PNG aborted the folder with a DecompressionBombError traceback (the files after
    it were never written), a 12000x12000 JPEG or GIF frame passed 5.9 GB, a FIFO named x.png hung the
    command, and dup.jpg + dup.png both wrote dup.png while the summary counted two."""
    from tests.bombs import all_bombs

    folder = tmp_path / "in"
    write_images(folder, [(20, 30), (24, 24)])  # img0.jpg, img1.png
    bombs = all_bombs()
    for name, data in bombs.items():
        (folder / name).write_bytes(data)
    os.mkfifo(folder / "x.png")
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 256, (16, 20, 3), dtype=np.uint8)).save(folder / "dup.jpg")
    Image.fromarray(rng.integers(0, 256, (18, 22, 3), dtype=np.uint8)).save(folder / "dup.png")
    (folder / "zzz_last.png").write_bytes((folder / "img1.png").read_bytes())
    assert main(["translate", tiny_models["cyclegan_export"], str(folder), "--output", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    written = sorted(os.listdir(tmp_path / "out"))
    assert written == ["dup.jpg.png", "dup.png.png", "img0.png", "img1.png", "zzz_last.png"]
    assert Image.open(tmp_path / "out" / "dup.jpg.png").size == (20, 16)
    assert Image.open(tmp_path / "out" / "dup.png.png").size == (22, 18)
    assert f"Wrote 5 images to {tmp_path / 'out'}/; skipped {len(bombs) + 1} unreadable or too large" in captured.out
    for name in list(bombs) + ["x.png"]:
        assert f"skipping {folder / name}:" in captured.err
    assert "over the limit of 16,777,216 pixels" in captured.err and "not a regular file" in captured.err
    assert "Traceback" not in captured.err


def test_a_single_huge_image_is_a_clear_error(tiny_models, tmp_path, capsys):
    from tests.bombs import header_bomb

    (tmp_path / "huge.png").write_bytes(header_bomb("PNG", 20000))
    assert main(["translate", tiny_models["cyclegan_export"], str(tmp_path / "huge.png"), "--output",
                 str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err
    assert "huge.png" in err and "20000x20000 pixels" in err and "Traceback" not in err
    # --max_pixels sets the budget.
    assert main(["translate", tiny_models["cyclegan_export"], str(tmp_path / "huge.png"), "--output",
                 str(tmp_path / "o.png"), "--max_pixels", "1000"]) == 2
    assert "over the limit of 1,000 pixels" in capsys.readouterr().err


def test_errors_name_the_argument(tiny_models, tmp_path, capsys):
    assert main(["generate", str(tmp_path / "missing"), "--output", str(tmp_path / "x")]) == 2
    assert "missing" in capsys.readouterr().err
    assert main(["generate", tiny_models["cyclegan_export"], "--output", str(tmp_path / "x")]) == 2
    assert "translate" in capsys.readouterr().err
    assert main(["translate", tiny_models["cyclegan_export"], str(tmp_path / "nope.png"), "--output", "o"]) == 2
    assert "nope.png" in capsys.readouterr().err
    (tmp_path / "bad.png").write_bytes(b"xx")
    assert main(["translate", tiny_models["cyclegan_export"], str(tmp_path / "bad.png"), "--output", "o.png"]) == 2
    assert "bad.png" in capsys.readouterr().err
    assert main(["export", tiny_models["dcgan_export"], "--export_dir", str(tmp_path)]) == 2
    assert ".keras" in capsys.readouterr().err


def test_export_onnx_matches_keras(tiny_models, tmp_path):
    from onnx.reference import ReferenceEvaluator

    assert main(["export", str(tiny_models["dir"] / "cyclegan.keras"), "--export_dir", str(tmp_path), "--onnx"]) == 0
    x = np.random.default_rng(0).uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
    for name, direction in (("cyclegan_ab", "ab"), ("cyclegan_ba", "ba")):
        session = ReferenceEvaluator(str(tmp_path / f"{name}.onnx"))
        out = session.run(None, {"inputs": x})[0]
        np.testing.assert_allclose(out, tiny_models["cyclegan"].translate(x, direction), atol=1e-4)


def test_generate_and_translate_from_a_preset(tiny_models, tmp_path, capsys):
    dcgan = tiny_models["dcgan"].save_to_preset(str(tmp_path / "dcgan_preset"), weights_dtype="float32")
    cyclegan = tiny_models["cyclegan"].save_to_preset(str(tmp_path / "cyclegan_preset"))
    assert main(["generate", "--preset", dcgan, "--num", "4", "--seed", "3", "--output", str(tmp_path / "p")]) == 0
    assert main(["generate", str(tiny_models["dir"] / "dcgan.keras"), "--num", "4", "--seed", "3",
                 "--output", str(tmp_path / "k")]) == 0
    for i in range(4):  # the preset samples exactly what the model it was saved from samples
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "p" / f"avatar_{i:05d}.png")),
                                      np.asarray(Image.open(tmp_path / "k" / f"avatar_{i:05d}.png")))
    write_images(tmp_path / "in", [(40, 24)])
    assert main(["translate", "--preset", cyclegan, str(tmp_path / "in" / "img0.jpg"),
                 "--output", str(tmp_path / "one.png")]) == 0
    assert Image.open(tmp_path / "one.png").size == (24, 40)
    capsys.readouterr()
    assert main(["generate", "--preset", "no_such_preset", "--output", str(tmp_path / "x.png")]) != 0
    assert "Unknown preset 'no_such_preset'. Available presets:" in capsys.readouterr().err
    assert main(["generate", str(tiny_models["dir"] / "dcgan.keras"), "--preset", dcgan,
                 "--output", str(tmp_path / "y.png")]) != 0
    assert "not both" in capsys.readouterr().err


def test_the_photo_translator_keeps_each_photo_size_and_size_resizes_the_longer_side(tmp_path, capsys):
    """The README's command: `translate --preset cartoongan_photo2anime photos/ --output out/`."""
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    shapes = {"wide.jpg": (90, 150), "tall.png": (133, 71), "square.png": (256, 256)}
    for name, (h, w) in shapes.items():
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(photos / name)
    out = tmp_path / "out"
    assert main(["translate", "--preset", "cartoongan_photo2anime", str(photos), "--output", str(out)]) == 0
    for name, (h, w) in shapes.items():
        with Image.open(out / (os.path.splitext(name)[0] + ".png")) as image:
            assert image.size == (w, h), name
    assert main(["translate", "--preset", "cartoongan_photo2anime", str(photos / "wide.jpg"), "--size", "60",
                 "--output", str(tmp_path / "small.png")]) == 0
    with Image.open(tmp_path / "small.png") as image:
        assert image.size == (60, 36)
    with pytest.raises(SystemExit):
        main(["translate", "--preset", "cartoongan_photo2anime", str(photos), "--size", "0", "--output", "o"])
    assert "--size must be a positive integer" in capsys.readouterr().err
