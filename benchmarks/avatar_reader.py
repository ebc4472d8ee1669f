"""Trains the avatar reader of the `photo2avatar_64` preset and writes its weights there.

    node benchmarks/standin_data/render.mjs parts 0 11999 benchmarks/standin_data/anime_avatars_64_parts.csv
    python -m benchmarks.avatar_reader

The labels are the parts DiceBear drew for the training avatars (`adventurer_00000..09999`): the mouth
(`keras_animegan.photo2avatar.expression.SMILING_MOUTHS` smile), the hair style (`BALD_HAIR` is a shaved
head) and the glasses (`DARK_GLASSES` are sunglasses). Its accuracy on each reading is reported on the
test split (`adventurer_10000..11999`), never trained on; `dark_glasses` is scored on the avatars with
glasses. Results: `benchmarks/results/avatar_reader.json`.
"""

import argparse
import csv
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks import machine  # noqa: E402
from benchmarks import tag_accuracy  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PARTS = os.path.join(HERE, "standin_data", "anime_avatars_64_parts.csv")


def read_parts(path=PARTS):
    """`{file name: {"hair": ..., "glasses": ..., "mouth": ...}}` from `render.mjs parts`."""
    with open(path, newline="") as f:
        return {row["filename"]: row for row in csv.DictReader(f)}


def labels_of(part):
    """The reader's targets (one per `expression.READINGS`) of one avatar's parts."""
    from keras_animegan.photo2avatar import expression

    return [part["mouth"] in expression.SMILING_MOUTHS, part["hair"] in expression.BALD_HAIR,
            part["glasses"] != "none", part["glasses"] in expression.DARK_GLASSES]


def labelled(split, work_dir, parts):
    images, files = tag_accuracy.split_images(split, work_dir)
    return images, np.array([labels_of(parts[f]) for f in files], np.float32)


def masked_loss(targets, logits):
    """Binary cross-entropy per reading; `dark_glasses` counts only where there are glasses."""
    from keras import ops

    from keras_animegan.photo2avatar import expression

    losses = ops.maximum(logits, 0) - logits * targets + ops.log1p(ops.exp(-ops.abs(logits)))
    dark = expression.READINGS.index("dark_glasses")
    weights = ops.concatenate([ops.ones_like(targets[:, :dark]),
                               targets[:, expression.READINGS.index("glasses"):][:, :1]], axis=1)
    return ops.sum(losses * weights, axis=1)


def scores(predicted, truth):
    """Accuracy and balanced accuracy of boolean arrays."""
    return {"accuracy": float(np.mean(predicted == truth)),
            "balanced_accuracy": float((predicted[truth].mean() + (~predicted[~truth]).mean()) / 2),
            "positive_share": float(truth.mean()), "count": int(len(truth))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work_dir", default=os.path.join(os.path.dirname(os.path.dirname(HERE)), "qwork"))
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--json", default=os.path.join(HERE, "results", "avatar_reader.json"))
    parser.add_argument("--preset_dir", default=None, help="where the weights go (default: the shipped preset)")
    args = parser.parse_args(argv)
    import keras_animegan  # noqa: F401  (before TensorFlow: oneDNN)
    import keras

    from keras_animegan import presets
    from keras_animegan.photo2avatar import expression

    parts = read_parts()
    train_x, train_y = labelled(tag_accuracy.SPLIT_TRAIN, args.work_dir, parts)
    test_x, test_y = labelled(tag_accuracy.SPLIT_TEST, args.work_dir, parts)
    keras.utils.set_random_seed(0)
    network = expression.avatar_reader()
    network.compile(keras.optimizers.Adam(1e-3), loss=masked_loss)
    augment = keras.Sequential([keras.layers.RandomTranslation(0.04, 0.04, fill_mode="nearest"),
                                keras.layers.GaussianNoise(0.08)])  # GAN samples are a little noisy
    start = time.time()
    for epoch in range(args.epochs):
        order = np.random.default_rng(epoch).permutation(len(train_x))
        for i in range(0, len(order), 64):
            batch = order[i:i + 64]
            network.train_on_batch(augment(train_x[batch], training=True), train_y[batch])
        print(f"epoch {epoch + 1}/{args.epochs}: {time.time() - start:.0f} s", flush=True)
    seconds = time.time() - start
    predicted = network.predict(test_x, batch_size=200, verbose=0) > 0
    truth = test_y > 0.5
    test = {}
    for k, name in enumerate(expression.READINGS):
        rows = truth[:, expression.READINGS.index("glasses")] if name == "dark_glasses" else slice(None)
        test[name] = scores(predicted[rows, k], truth[rows, k])
    result = {"what": "avatar reader: trained on adventurer_00000..09999's parts (mouth, hair style, glasses), "
                      "scored on adventurer_10000..11999", "epochs": args.epochs, "train_seconds": seconds,
              "machine": machine.describe(), "test": test}
    folder = args.preset_dir or presets.preset_folder("photo2avatar_64")
    expression.save_weights(network, os.path.join(folder, expression.WEIGHTS_FILE))
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
