"""The KID callback logs KID beside the losses."""

import csv
import os

import keras
import numpy as np
import tensorflow as tf

from keras_animegan import DCGAN
from keras_animegan.callbacks import KIDMonitor


def test_kid_monitor_logs_every_n_epochs(tmp_path):
    model = DCGAN(latent_dim=8, image_size=32, base_filters=2, seed=0)
    model.compile()
    real = np.random.default_rng(0).uniform(-1, 1, (24, 32, 32, 3)).astype(np.float32)
    features = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.AveragePooling2D(8), keras.layers.Flatten()])
    monitor = KIDMonitor(real, features, lambda m: m.sample(24, seed=1), every_n_epochs=2, num_subsets=5,
                         subset_size=16, log_dir=str(tmp_path / "logs"), csv_path=str(tmp_path / "kid.csv"))
    ds = tf.data.Dataset.from_tensors(real[:4]).repeat()
    history = model.fit(ds, epochs=4, steps_per_epoch=1, callbacks=[monitor], verbose=0)
    assert len(history.history["kid"]) == 2  # epochs 2 and 4 only
    assert all(np.isfinite(history.history["kid"]))
    with open(tmp_path / "kid.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [2, 4] and [int(r["step"]) for r in rows] == [2, 4]
    assert os.listdir(tmp_path / "logs")
