"""What the backend modules share: one program per step (JAX, PyTorch) and Keras's `train_step(data)`."""

import keras


def first_output(outputs):
    """The loss to differentiate: a loss function's first output (or its only one)."""
    return outputs[0] if isinstance(outputs, tuple) else outputs


def step_logs(logs):
    return logs


def num_replicas():
    # Under `keras.distribution.DataParallel` (JAX) one program sees the global batch (SPMD).
    return 1


def replica_id():
    return 0


def cross_replica_mean(value):
    return value


def gather_replicas(value):
    return value, None


def update_ema(pairs, blend):
    for ema, raw in pairs:
        ema.assign(blend(ema.value, raw.value))


def narrow_conv(x, kernel):
    """A stride-1 "valid" convolution of NHWC `x` with a `(k, k, C_in, C_out)` kernel, for few output channels.

    TensorFlow's CPU kernels take the gradients of a 7x7 conv to 3 channels (a generator's RGB head) 5-10x
    longer than the conv itself; `tf_backend` computes them as two matrix products instead. JAX and
    PyTorch differentiate `ops.conv` well.
    """
    return keras.ops.conv(x, kernel, padding="valid")


def train_step(model, data):
    return model.gan_step(data)


def after_compile(model):
    pass


def stateful(model, fn):
    return fn()


def apply_gradients(optimizer, grads, variables):
    optimizer.apply(grads, variables)
