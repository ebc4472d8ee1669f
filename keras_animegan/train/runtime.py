"""Where a run executes: the `tf.distribute` strategy, the chief, mixed precision."""

import contextlib
import json
import os

import keras

from keras_animegan.utils import optional

tf = optional.tensorflow("tf.distribute")


def set_mixed_precision(mode):
    """Sets Keras's global dtype policy for `mode` in {"none", "bf16", "fp16"}."""
    policies = {"none": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}
    if mode not in policies:
        raise ValueError(f"--mixed_precision must be one of {sorted(policies)}; got {mode!r}.")
    keras.mixed_precision.set_dtype_policy(policies[mode])


class KerasDistribution:
    """`--strategy` on JAX and PyTorch: one program; on JAX with several devices, Keras's `DataParallel`.

    Stands where a `tf.distribute` strategy stands in the trainers: `scope()`,
    `num_replicas_in_sync` (1: one program sees the global batch, and Keras shards it over the
    devices) and `cluster_resolver` (none: this process is the chief).
    """

    cluster_resolver = None
    num_replicas_in_sync = 1

    def __init__(self, name):
        if name not in ("auto", "default", "mirrored", "one_device"):
            raise ValueError(f"--strategy={name} runs on the TensorFlow backend only (KERAS_BACKEND="
                             f"{keras.backend.backend()}).")
        self.distribution = None
        if keras.backend.backend() == "jax" and name in ("auto", "mirrored"):
            devices = keras.distribution.list_devices()
            if len(devices) > 1:
                self.distribution = keras.distribution.DataParallel(devices=devices)
        self.num_devices = len(self.distribution.device_mesh.devices.flat) if self.distribution else 1

    def scope(self):
        return self.distribution.scope() if self.distribution is not None else contextlib.nullcontext()


def get_strategy(name):
    """The `tf.distribute` strategy for `--strategy` (a `KerasDistribution` off TensorFlow).

    `multi_worker` reads the cluster from the `TF_CONFIG` environment variable
    (one process per machine, same command everywhere; see the README) and
    must be created before TensorFlow runs any op, which `fit_and_export` does.
    """
    if keras.backend.backend() != "tensorflow":
        return KerasDistribution(name)
    if name == "multi_worker":
        if not os.environ.get("TF_CONFIG"):
            raise ValueError("--strategy=multi_worker needs the TF_CONFIG environment variable "
                             '(e.g. {"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                             '"task": {"type": "worker", "index": 0}}).')
        try:
            tf_config = json.loads(os.environ["TF_CONFIG"])
        except json.JSONDecodeError as error:
            raise ValueError(f"TF_CONFIG is not valid JSON: {error}") from None
        if not isinstance(tf_config, dict) or "cluster" not in tf_config or "task" not in tf_config:
            raise ValueError("TF_CONFIG must hold 'cluster' and 'task' for --strategy=multi_worker; "
                             f"got {os.environ['TF_CONFIG']!r}.")
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy("/gpu:0" if gpus else "/cpu:0")
    if name == "default":
        return tf.distribute.get_strategy()
    raise ValueError(f"Unknown --strategy={name!r}.")


def is_chief(strategy):
    """Whether this process writes checkpoints, samples, logs and exports.

    Single-process strategies: always. Multi-worker: the `chief` task, or
    worker 0 when the cluster has no chief (TF's convention).
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def distribute_options(dataset, strategy):
    """Multi-worker: shard by element (our sources are generators and zips, not TFRecord files)."""
    if isinstance(strategy, KerasDistribution):
        return dataset
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        return dataset.with_options(options)
    return dataset
