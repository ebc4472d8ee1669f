"""Per-step losses: a CSV, TensorBoard scalars and the loss-curve figure."""

import csv
import os

import keras

from keras_animegan import visualization
from keras_animegan.utils import safe_files
from keras_animegan.utils import tensorboard
from keras_animegan.callbacks.non_finite_guard import float_logs


def truncate_csv(path, step, column):
    """Repairs a CSV log for a run resuming at `step`: one row per step, in order, none past `step`.

    Rows past `step` were written by a run killed after its last checkpoint;
    a step logged twice (two processes on one run folder) keeps its last row.
    The file is rewritten atomically (temporary file + rename), so a crash
    mid-repair leaves the old file, not half of it.
    """
    if not os.path.lexists(path):
        return
    with safe_files.open_no_follow(path, "r", newline="") as f:  # a planted link is refused, not read
        rows = list(csv.reader(f))
    if not rows:
        return
    index = rows[0].index(column)
    by_step = {}
    for row in rows[1:]:
        try:
            row_step = int(row[index])
        except (IndexError, ValueError):
            continue  # a torn last line
        if row_step <= step:
            by_step[row_step] = row
    kept = [rows[0]] + [by_step[s] for s in sorted(by_step)]
    if kept == rows:
        return
    with safe_files.open_replacing(path, "w", newline="") as f:
        csv.writer(f).writerows(kept)


class LossLogger(keras.callbacks.Callback):
    """Per-step losses to `losses.csv` and TensorBoard; a loss-curve PNG at every epoch end.

    Keras reports running epoch means; this recovers each step's own value
    from consecutive means, so the CSV and the plot show per-step losses.

    Args:
        csv_path: the CSV file (appended to; rows past a restored step are dropped).
        plot_path: the loss-curve PNG.
        log_dir: TensorBoard log directory (or None).
        names: the loss names to log and plot.
        kid_csv: optional CSV written by `KIDMonitor`; when it has rows, the plot
            gets a KID panel below the losses.
    """

    def __init__(self, csv_path, plot_path, log_dir, names, kid_csv=None):
        super().__init__()
        self.csv_path, self.plot_path, self.names = csv_path, plot_path, list(names)
        self.kid_csv = kid_csv
        self.log_dir = log_dir
        self._file = self._writer = self._tb = None
        self._prev = {}

    def truncate_after(self, step):
        """Drops rows past `step` (left by a run killed after its last checkpoint)."""
        truncate_csv(self.csv_path, step, "step")

    def on_train_begin(self, logs=None):
        os.makedirs(os.path.dirname(os.path.abspath(self.csv_path)), exist_ok=True)
        new = not os.path.exists(self.csv_path) or os.path.getsize(self.csv_path) == 0
        self._file = safe_files.open_no_follow(self.csv_path, "a", newline="", buffering=1)
        self._writer = csv.writer(self._file)
        if new:
            self._writer.writerow(["step", "epoch"] + self.names)
        self._tb = tensorboard.open_writer(self.log_dir)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._prev = {}

    def on_train_batch_end(self, batch, logs=None):
        logs = float_logs(logs)
        step = self.model.train_steps
        values = []
        for name in self.names:
            mean = logs.get(name, float("nan"))
            # Means over batches 0..batch -> this batch's own value.
            value = mean if batch == 0 or name not in self._prev else (batch + 1) * mean - batch * self._prev[name]
            self._prev[name] = mean
            values.append(value)
        self._writer.writerow([step, self._epoch + 1] + [f"{v:.6g}" for v in values])
        if self._tb is not None:
            self._tb.scalars(step, dict(zip(self.names, values)))

    def on_epoch_end(self, epoch, logs=None):
        self._file.flush()
        if self._tb is not None:
            self._tb.flush()
        log = visualization.read_loss_log(self.csv_path)
        if log:
            kid = visualization.read_loss_log(self.kid_csv) if self.kid_csv and os.path.exists(self.kid_csv) else None
            visualization.plot_loss_curves(log, self.plot_path, self.names, kid=kid)

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._tb is not None:
            self._tb.close()
            self._tb = None
