"""What differs between the Keras backends, kept in one place.

The models' train steps are written once, with `keras.ops`. Where TensorFlow, JAX and PyTorch
differ, they call the functions here, which come from one module per backend
(`tf_backend`, `jax_backend`, `torch_backend`), the way Keras keeps a trainer per backend:

- `gradients(loss_fn, variables)`: run `loss_fn()` and differentiate its first output
  (`tf.GradientTape`; `jax.grad` over the variables' values in a `keras.StatelessScope`;
  `torch.autograd.grad`).
- `input_gradients(fn, x)`: the same with respect to an input, differentiable again (R1).
- `fold_in`, `stateless_normal`, `stateless_uniform`: random numbers from a seed tensor of
  shape (2,), so a step's noise and augmentation follow from the step counter alone.
- replicas (`num_replicas`, `replica_id`, `cross_replica_mean`, `gather_replicas`, `update_ema`,
  `step_logs`):
  `tf.distribute` on TensorFlow; one program on JAX and PyTorch.
- `apply_gradients(optimizer, grads, variables)`: `optimizer.apply`, but a `LossScaleOptimizer`
  (fp16) on JAX updates through its `stateless_apply`.
- `narrow_conv(x, kernel)`: a stride-1 "valid" conv to few channels (an RGB head), differentiated as
  two matrix products on TensorFlow, whose CPU conv gradients are slow there.
- `train_step(model, *args)`: Keras calls `train_step(data)` on TensorFlow and PyTorch and
  `train_step(state, data)` on JAX; both end in the model's stateful `gan_step(data)`.

The random streams differ between backends: the same seed gives the same numbers on one
backend every time, not the same numbers on two backends.
"""

import keras

BACKEND = keras.backend.backend()

if BACKEND == "tensorflow":
    from keras_animegan.backend import tf_backend as _impl
elif BACKEND == "jax":
    from keras_animegan.backend import jax_backend as _impl
elif BACKEND == "torch":
    from keras_animegan.backend import torch_backend as _impl
else:
    raise ImportError(f"keras-animegan runs on the tensorflow, jax and torch Keras backends; KERAS_BACKEND is "
                      f"{BACKEND!r}. Set KERAS_BACKEND to one of those.")

gradients = _impl.gradients
input_gradients = _impl.input_gradients
fold_in = _impl.fold_in
stateless_normal = _impl.stateless_normal
stateless_uniform = _impl.stateless_uniform
snapshot = _impl.snapshot
num_replicas = _impl.num_replicas
replica_id = _impl.replica_id
cross_replica_mean = _impl.cross_replica_mean
gather_replicas = _impl.gather_replicas
update_ema = _impl.update_ema
step_logs = _impl.step_logs
train_step = _impl.train_step
after_compile = _impl.after_compile
stateful = _impl.stateful
apply_gradients = _impl.apply_gradients
narrow_conv = _impl.narrow_conv

