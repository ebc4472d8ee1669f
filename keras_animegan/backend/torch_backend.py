"""PyTorch: autograd, eager steps, one process (see `keras_animegan.backend`)."""

import keras
import numpy as np
import torch


from keras_animegan.backend.common import after_compile  # noqa: F401
from keras_animegan.backend.common import apply_gradients  # noqa: F401
from keras_animegan.backend.common import cross_replica_mean  # noqa: F401
from keras_animegan.backend.common import first_output
from keras_animegan.backend.common import gather_replicas  # noqa: F401
from keras_animegan.backend.common import narrow_conv  # noqa: F401
from keras_animegan.backend.common import num_replicas  # noqa: F401
from keras_animegan.backend.common import replica_id  # noqa: F401
from keras_animegan.backend.common import stateful  # noqa: F401
from keras_animegan.backend.common import step_logs  # noqa: F401
from keras_animegan.backend.common import train_step  # noqa: F401
from keras_animegan.backend.common import update_ema as _update_ema_locally


def _plain_layout_for_single_channel_kernels():
    """Work around a PyTorch CPU bug: a channels-last conv kernel with one output channel fails its backward pass.

    Keras's PyTorch backend hands `conv2d` its kernel in channels-last layout. For a kernel of shape
    `(1, C, H, W)` that layout is ambiguous, and PyTorch's fallback CPU convolution (`slow_conv2d`, used
    where oneDNN is not: bf16 on CPUs without AVX-512 bf16, or oneDNN switched off) then raises
    "slow_conv2d: grad_weight must be contiguous" in the backward pass. Every discriminator here ends in a
    one-filter convolution, so such a kernel gets PyTorch's default layout, which gives the same numbers
    (the helper cannot tell a kernel from an input: a batch of one image on the CPU keeps that layout too).
    This patches one private Keras helper (listed in DEVELOPERS.md); a Keras without it is left alone.
    """
    try:
        from keras.src.backend.torch import nn as keras_torch_nn
    except ImportError:  # pragma: no cover - a Keras whose private layout differs
        return
    convert = getattr(keras_torch_nn, "_maybe_convert_to_channels_last", None)
    if convert is None or getattr(convert, "keeps_single_channel_kernels", False):
        return

    def maybe_convert(tensor):
        if tensor.ndim >= 4 and tensor.shape[0] == 1 and tensor.shape[1] > 1 and tensor.device.type == "cpu":
            return tensor.contiguous()
        return convert(tensor)

    maybe_convert.keeps_single_channel_kernels = True
    keras_torch_nn._maybe_convert_to_channels_last = maybe_convert


_plain_layout_for_single_channel_kernels()


def _dtype(dtype):
    return getattr(torch, keras.backend.standardize_dtype(dtype))


def gradients(loss_fn, variables):
    outputs = loss_fn()
    values = [v.value for v in variables]
    grads = torch.autograd.grad(first_output(outputs), values, allow_unused=True)
    return outputs, [torch.zeros_like(v) if g is None else g for g, v in zip(grads, values)]


def input_gradients(fn, x):
    x = x.detach().requires_grad_(True)
    outputs = fn(x)
    (grad,) = torch.autograd.grad(first_output(outputs), x, create_graph=True)
    return outputs, grad


def _seed_words(seed):
    words = np.asarray(torch.as_tensor(seed).detach().cpu().numpy(), dtype=np.int64).reshape(-1)
    return [int(w) & 0xFFFFFFFF for w in words[:2]]


def fold_in(seed, data):
    data = int(torch.as_tensor(data).detach().cpu().item()) & 0xFFFFFFFF
    state = np.random.SeedSequence(_seed_words(seed) + [data]).generate_state(2, np.uint32)
    return torch.as_tensor(state.view(np.int32).copy(), device=get_device())


def get_device():
    """The device Keras puts new tensors on (its `keras.device` scope, else the GPU when there is one)."""
    return keras.ops.zeros(()).device


def _generator(seed):
    low, high = _seed_words(seed)
    generator = torch.Generator(device=get_device())
    generator.manual_seed((high << 32 | low) & 0x7FFFFFFFFFFFFFFF)
    return generator


def _shape(shape):
    return tuple(int(s) for s in shape)


def stateless_normal(shape, seed, dtype="float32"):
    dtype = _dtype(dtype)
    return torch.randn(_shape(shape), generator=_generator(seed), dtype=dtype, device=get_device())


def stateless_uniform(shape, seed, minval=0.0, maxval=1.0, dtype="float32"):
    uniform = torch.rand(_shape(shape), generator=_generator(seed), dtype=torch.float32, device=get_device())
    minval = torch.as_tensor(minval, device=get_device())
    maxval = torch.as_tensor(maxval, device=get_device())
    dtype = _dtype(dtype)
    if not dtype.is_floating_point:
        return (minval + torch.floor(uniform * (maxval - minval))).to(dtype)
    return (minval + uniform * (maxval - minval)).to(dtype)


def snapshot(x):
    return torch.as_tensor(x).clone()


def update_ema(pairs, blend):
    with torch.no_grad():
        _update_ema_locally(pairs, blend)
