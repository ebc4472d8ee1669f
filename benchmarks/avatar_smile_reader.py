"""Trains the avatars' smile reader of the `photo2avatar_64` preset and writes its weights there.

    node benchmarks/standin_data/render.mjs mouths 0 11999 benchmarks/standin_data/anime_avatars_64_mouths.csv
    python -m benchmarks.avatar_smile_reader

The labels are the mouths DiceBear drew for the training avatars (`adventurer_00000..09999`;
`keras_animegan.photo2avatar.expression.SMILING_MOUTHS` are smiles); its accuracy is reported on the
test split (`adventurer_10000..11999`), never trained on. Results: `benchmarks/results/avatar_smile_reader.json`.
"""

import argparse
import csv
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks import tag_accuracy  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MOUTHS = os.path.join(HERE, "standin_data", "anime_avatars_64_mouths.csv")


def labelled(split, work_dir, mouths):
    from keras_animegan.photo2avatar.expression import SMILING_MOUTHS

    images, files = tag_accuracy.split_images(split, work_dir)
    return images, np.array([mouths[f] in SMILING_MOUTHS for f in files], np.float32)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work_dir", default=os.path.join(os.path.dirname(os.path.dirname(HERE)), "qwork"))
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--json", default=os.path.join(HERE, "results", "avatar_smile_reader.json"))
    args = parser.parse_args(argv)
    import keras_animegan  # noqa: F401  (before TensorFlow: oneDNN)
    import keras

    from keras_animegan import presets
    from keras_animegan.photo2avatar import expression

    with open(MOUTHS, newline="") as f:
        mouths = {row["filename"]: row["mouth"] for row in csv.DictReader(f)}
    train_x, train_y = labelled(tag_accuracy.SPLIT_TRAIN, args.work_dir, mouths)
    test_x, test_y = labelled(tag_accuracy.SPLIT_TEST, args.work_dir, mouths)
    keras.utils.set_random_seed(0)
    network = expression.smile_reader()
    network.compile(keras.optimizers.Adam(1e-3), loss=keras.losses.BinaryCrossentropy(from_logits=True))
    augment = keras.Sequential([keras.layers.RandomTranslation(0.04, 0.04, fill_mode="nearest"),
                                keras.layers.GaussianNoise(0.08)])  # GAN samples are a little noisy
    start = time.time()
    for _ in range(args.epochs):
        order = np.random.default_rng(_).permutation(len(train_x))
        for i in range(0, len(order), 64):
            batch = order[i:i + 64]
            network.train_on_batch(augment(train_x[batch], training=True), train_y[batch])
    seconds = time.time() - start
    predicted = network.predict(test_x, batch_size=200, verbose=0)[:, 0] > 0
    truth = test_y > 0.5
    result = {"what": "smile reader of the avatars: trained on adventurer_00000..09999's mouths, accuracy on "
                      "adventurer_10000..11999", "epochs": args.epochs, "train_seconds": seconds,
              "test_accuracy": float(np.mean(predicted == truth)),
              "test_balanced_accuracy": float((predicted[truth].mean() + (~predicted[~truth]).mean()) / 2),
              "test_smiling_share": float(truth.mean())}
    expression.save_weights(network, os.path.join(presets.preset_folder("photo2avatar_64"), expression.WEIGHTS_FILE))
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
