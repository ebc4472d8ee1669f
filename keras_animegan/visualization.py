"""Image grids, noise interpolation and loss-curve plots for training artifacts."""

import csv
import os

import numpy as np
from PIL import Image

from keras_animegan.utils.pixels import to_uint8
from keras_animegan.utils import safe_files


def make_grid(images, ncols, padding=2, pad_value=255):
    """Tiles a batch `(n, h, w, 3)` of [-1, 1] floats or uint8 into one uint8 image, row-major."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        images = to_uint8(images)
    n, h, w, c = images.shape
    nrows = -(-n // ncols)
    grid = np.full(
        (nrows * h + (nrows + 1) * padding, ncols * w + (ncols + 1) * padding, c), pad_value, np.uint8
    )
    for i, image in enumerate(images):
        r, col = divmod(i, ncols)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        grid[y : y + h, x : x + w] = image
    return grid


def save_png(image, path):
    """Writes a uint8 HxWx3 array as PNG (atomically: a reader never sees half a file)."""
    with safe_files.replacing(path) as tmp:  # a link at `path` is replaced, never written through
        Image.fromarray(np.asarray(image, np.uint8)).save(tmp, format="PNG")


def slerp(a, b, t):
    """Spherical interpolation between noise vectors `a` and `b` (1-D) at fractions `t`."""
    a, b, t = np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(t, np.float64)[:, None]
    cos = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return ((1 - t) * a + t * b).astype(np.float32)
    return ((np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)).astype(np.float32)


def interpolation_noise(endpoints, steps):
    """Rows of `steps` slerped vectors between consecutive pairs of `endpoints` (2k, d) -> (k*steps, d)."""
    t = np.linspace(0.0, 1.0, steps)
    rows = [slerp(endpoints[i], endpoints[i + 1], t) for i in range(0, len(endpoints) - 1, 2)]
    return np.concatenate(rows, axis=0)


def epochs_strip(grid_paths, tile_size, num_columns, padding=2, max_rows=10):
    """Stacks the first row of tiles of per-epoch sample grids: one row per epoch.

    Each column then shows one fixed noise vector across training (the
    report's Figure 6c). At most `max_rows` epochs, evenly spaced and always
    including the last.
    """
    if not grid_paths:
        return None
    if len(grid_paths) > max_rows:
        index = np.unique(np.round(np.linspace(0, len(grid_paths) - 1, max_rows)).astype(int))
        grid_paths = [grid_paths[i] for i in index]
    width = num_columns * (tile_size + padding) + padding
    rows = []
    for path in grid_paths:
        with Image.open(path) as image:
            array = np.asarray(image.convert("RGB"))
        rows.append(array[: tile_size + 2 * padding, :width])
    # Rows share their padding lines: drop the top padding of all but the first.
    return np.concatenate([rows[0]] + [row[padding:] for row in rows[1:]], axis=0)


def read_loss_log(path):
    """Reads the trainers' `losses.csv`: returns {column: np.ndarray}."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    return {key: np.array([float(r[key]) for r in rows]) for key in rows[0]}


def plot_loss_curves(log, path, names, title="Training losses", kid=None):
    """Plots loss columns of a loss log against the step and writes a PNG.

    `kid`: optional columns `step`, `kid`, `kid_std` (a `KIDMonitor` CSV read
    with `read_loss_log`): drawn in a panel below, on the same step axis.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if kid and len(kid.get("step", ())):
        fig, (ax, kid_ax) = plt.subplots(2, 1, figsize=(8, 7), dpi=100, sharex=True,
                                         gridspec_kw={"height_ratios": [2, 1]})
        kid_ax.errorbar(kid["step"], kid["kid"], yerr=kid.get("kid_std"), marker="o", capsize=3, color="black")
        kid_ax.set_ylabel("KID")
        kid_ax.set_xlabel("step")
        kid_ax.grid(alpha=0.3)
    else:
        fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    steps = log["step"]
    for name in names:
        if name not in log:
            continue
        values = log[name]
        ax.plot(steps, values, alpha=0.3, linewidth=0.8)
        window = max(1, len(values) // 50)
        if window > 1:
            smooth = np.convolve(values, np.ones(window) / window, mode="valid")
            ax.plot(steps[window - 1 :], smooth, color=ax.lines[-1].get_color(), label=f"{name} (smoothed)")
        else:
            ax.lines[-1].set_alpha(1.0)
            ax.lines[-1].set_label(name)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with safe_files.replacing(path) as tmp:
        fig.savefig(tmp, format=os.path.splitext(path)[1][1:] or "png")
    plt.close(fig)
