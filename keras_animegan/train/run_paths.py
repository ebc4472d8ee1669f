"""A run folder's layout (`--model_dir`), and the check that a resumed run has the settings it started with."""

import dataclasses
import json
import os

from keras_animegan.utils import safe_files


@dataclasses.dataclass
class RunPaths:
    """Where a run writes, all inside `model_dir` (the `--model_dir` flag): see the training docs' list."""

    model_dir: str

    @property
    def checkpoints(self):
        return os.path.join(self.model_dir, "checkpoints")

    @property
    def samples(self):
        return os.path.join(self.model_dir, "samples")

    @property
    def logs(self):
        return os.path.join(self.model_dir, "logs")

    @property
    def losses_csv(self):
        return os.path.join(self.model_dir, "losses.csv")

    @property
    def loss_curve(self):
        return os.path.join(self.model_dir, "loss_curve.png")

    @property
    def kid_csv(self):
        return os.path.join(self.model_dir, "kid.csv")

    @property
    def config_json(self):
        return os.path.join(self.model_dir, "config.json")

    def model_file(self, model_name):
        """The `.keras` file the run saves at its end."""
        return os.path.join(self.model_dir, f"{model_name}.keras")


# Fields that may change between a run and its resumption.
# The learning rate may change (e.g. lowered after a non-finite loss stopped a run).
RESUMABLE_CHANGES = {
    "epochs", "export_dir", "export_formats", "verbose", "checkpoint_every", "checkpoint_minutes", "strategy", "model_dir", "learning_rate",
    "g_learning_rate", "d_learning_rate",
    "mixed_precision", "kid_every", "kid_features", "kid_samples",
}


def check_same_run(config, path):
    """Refuses a run folder whose `config.json` holds other settings; writes this run's settings there."""
    current = dataclasses.asdict(config)
    if os.path.lexists(path):
        with safe_files.open_no_follow(path) as f:
            previous = json.load(f)
        changed = {
            k: (previous.get(k), v)
            for k, v in current.items()
            if k not in RESUMABLE_CHANGES and previous.get(k) != v
        }
        # fp16 adds loss-scale variables to the optimizers: its checkpoints only resume as fp16.
        precisions = {previous.get("mixed_precision", "none"), current["mixed_precision"]}
        if "fp16" in precisions and len(precisions) == 2:
            changed["mixed_precision"] = (previous.get("mixed_precision", "none"), current["mixed_precision"])
        if changed:
            details = ", ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in sorted(changed.items()))
            raise ValueError(
                f"--model_dir {config.model_dir!r} holds a run with other settings ({details}). "
                "Resume with the same settings, or pass a new --model_dir."
            )
    os.makedirs(config.model_dir, exist_ok=True)
    safe_files.write_json(path, current, indent=2, sort_keys=True)
