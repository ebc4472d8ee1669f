"""The dtype of a network's last layer under mixed precision."""

import keras


def output_dtype():
    """The dtype for a network's last layer: float32 under a mixed precision policy, else the global policy.

    Images and logits leave the networks in float32 when the layers compute in
    float16/bfloat16; a float64 policy keeps float64 end to end.
    """
    compute = keras.config.dtype_policy().compute_dtype
    return "float32" if compute in ("float16", "bfloat16") else None
