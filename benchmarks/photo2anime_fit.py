"""Fit the photo translator's U-Net toward each photo's flat-colour cartoon, on any Keras backend.

    python -m benchmarks.photo2anime_fit --photos ../qwork/data/photo2anime_photos --output unet.npz \\
        [--minutes 5] [--batch_size 64] [--learning_rate 5e-4]
    KERAS_BACKEND=jax python -m benchmarks.photo2anime_fit ...     # e.g. a GPU machine without TensorFlow

The same objective as `keras-animegan train cartoongan --architecture unet --target_weight 1
--content_weight 0 --style_weight 0` with `--init_epochs` covering the run (an L1 loss between
G(photo) and `flat_cartoon(photo)`, no adversarial or VGG term), written as a plain supervised
Keras `fit` so that it runs on JAX and PyTorch too. That is how `cartoongan_photo2anime` was trained on
a GPU: `benchmarks/train_presets.py` turns the weights into the preset.

Photos: every image of `--photos` (`benchmarks.photo2anime_data` writes them), random `--size` crops
(as they are when already that size), horizontal flips added. Adam with an EMA of the weights
(`use_ema`, momentum 0.999); the EMA weights are saved, as `generator/<i>` arrays of
`unet_generator(None, --base_filters, --num_blocks)` in an `.npz`.

Without TensorFlow, `keras_animegan` itself does not import yet: the network is then rebuilt from
`--network_json` (`unet_generator(...).to_json()`, standard Keras layers only) and the target
function is read from `keras_animegan/data/flat_cartoon.py` by path (it needs only numpy and OpenCV).
"""

import argparse
import importlib.util
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def flat_cartoon_function():
    try:
        from keras_animegan.data.flat_cartoon import flat_cartoon
    except ImportError:  # no TensorFlow: the module itself needs only numpy and OpenCV
        spec = importlib.util.spec_from_file_location(
            "flat_cartoon", os.path.join(ROOT, "keras_animegan", "data", "flat_cartoon.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        flat_cartoon = module.flat_cartoon
    return flat_cartoon


def load_photos(folder, size, seed=0):
    """uint8 `(n, size, size, 3)`: one random `size` crop of each image of `folder` (sorted names)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    crops = []
    for name in sorted(os.listdir(folder)):
        if not name.lower().endswith((".jpg", ".jpeg", ".png", ".webp", ".bmp")):
            continue
        try:
            with Image.open(os.path.join(folder, name)) as image:
                array = np.asarray(image.convert("RGB"))
        except OSError as error:
            print(f"warning: skipping unreadable {name}: {error}", file=sys.stderr)
            continue
        if min(array.shape[:2]) < size:
            continue
        y = rng.integers(0, array.shape[0] - size + 1)
        x = rng.integers(0, array.shape[1] - size + 1)
        crops.append(array[y:y + size, x:x + size])
    if not crops:
        raise SystemExit(f"error: --photos {folder!r} holds no image of at least {size} px.")
    return np.stack(crops)


def targets_of(photos, workers):
    flat_cartoon = flat_cartoon_function()
    if workers <= 1:
        return np.stack([flat_cartoon(p) for p in photos])
    from concurrent.futures import ThreadPoolExecutor  # OpenCV releases the GIL

    with ThreadPoolExecutor(workers) as pool:
        return np.stack(list(pool.map(flat_cartoon, photos)))


def build_generator(args):
    import keras

    if args.network_json:
        with open(args.network_json) as f:
            return keras.models.model_from_json(f.read())
    from keras_animegan.models import unet_generator

    return unet_generator(None, args.base_filters, args.num_blocks)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", required=True, help="A folder of training photos.")
    parser.add_argument("--output", required=True, help="The .npz of the EMA generator weights.")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--base_filters", type=int, default=32)
    parser.add_argument("--num_blocks", type=int, default=4)
    parser.add_argument("--network_json", default=None, help="The generator as Keras JSON (no TensorFlow needed).")
    parser.add_argument("--init", default=None, help="An .npz of generator weights to start from.")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--learning_rate", type=float, default=5e-4)
    parser.add_argument("--minutes", type=float, default=5.0, help="Training time budget.")
    parser.add_argument("--max_epochs", type=int, default=100000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def budget_callback(count, minutes):
    """Stops `fit` after the epoch that passes `minutes`; prints each epoch's loss and rate."""
    import keras

    class Budget(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start = time.time()

        def on_epoch_end(self, epoch, logs=None):
            elapsed = time.time() - self.start
            images_per_second = (epoch + 1) * count / elapsed
            print(f"[fit] epoch {epoch + 1}: loss {logs['loss']:.4f}, {elapsed:.0f} s, {images_per_second:.0f} img/s",
                  flush=True)
            if elapsed > 60 * minutes:
                self.model.stop_training = True

    return Budget()


def main(argv=None):
    args = parse_args(argv)

    import keras
    from keras import ops

    keras.utils.set_random_seed(args.seed)
    start = time.time()
    photos = load_photos(args.photos, args.size, args.seed)
    photos = np.concatenate([photos, photos[:, :, ::-1]])  # horizontal flips
    targets = targets_of(photos, args.workers)
    print(f"[fit] {len(photos)} photos and targets in {time.time() - start:.0f} s; backend {keras.backend.backend()}",
          flush=True)

    generator = build_generator(args)
    if args.init:
        data = np.load(args.init)
        generator.set_weights([data[f"generator/{i}"] for i in range(len(generator.weights))])
    images = keras.Input((None, None, 3), dtype="uint8", name="photos_uint8")
    model = keras.Model(images, generator(ops.cast(images, "float32") / 127.5 - 1.0))

    def l1_to_target(y_true, y_pred):
        return ops.mean(ops.abs(ops.cast(y_true, "float32") / 127.5 - 1.0 - y_pred))

    optimizer = keras.optimizers.Adam(args.learning_rate, beta_1=0.9, use_ema=True, ema_momentum=0.999)
    model.compile(optimizer=optimizer, loss=l1_to_target, steps_per_execution=8)

    # fit ends by copying the EMA weights in.
    history = model.fit(photos, targets, batch_size=args.batch_size, epochs=args.max_epochs, shuffle=True,
                        callbacks=[budget_callback(len(photos), args.minutes)], verbose=0)
    weights = {f"generator/{i}": np.asarray(w) for i, w in enumerate(generator.get_weights())}
    np.savez(args.output, **weights)
    summary = {"backend": keras.backend.backend(), "photos": len(photos), "epochs": len(history.history["loss"]),
               "steps": int(np.asarray(optimizer.iterations)), "final_loss": history.history["loss"][-1],
               "minutes": (time.time() - start) / 60, "batch_size": args.batch_size,
               "learning_rate": args.learning_rate, "size": args.size, "budget_minutes": args.minutes}
    with open(os.path.splitext(args.output)[0] + ".json", "w") as f:
        json.dump(summary, f, indent=2)
    print(f"[fit] {json.dumps(summary)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
