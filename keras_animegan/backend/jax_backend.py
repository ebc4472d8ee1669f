"""JAX: pure train steps over the model's state (see `keras_animegan.backend`).

Keras's JAX trainer calls `train_step(state, data)` with the values of the model's variables and
expects the new values back. The GAN step itself is the same stateful code as on the other
backends: it runs inside a `keras.StatelessScope` that maps every variable to its value in
`state`, and the values it assigns are read back from the scope. `gradients` differentiates
with `jax.grad` by swapping the variables' values in that scope for the traced arguments.

GANs keep two optimizers, which Keras's state does not hold (keras-team/keras#19358: it
carries `model.optimizer`'s variables only). `after_compile` sets `model.optimizer` to a
holder of both optimizers' variables, so they travel in the state's optimizer slot.
"""

import jax
import jax.numpy as jnp
import keras
from keras.src.backend.common.stateless_scope import get_stateless_scope

from keras_animegan.backend.common import apply_gradients as _apply_stateful
from keras_animegan.backend.common import cross_replica_mean  # noqa: F401
from keras_animegan.backend.common import first_output
from keras_animegan.backend.common import gather_replicas  # noqa: F401
from keras_animegan.backend.common import narrow_conv  # noqa: F401
from keras_animegan.backend.common import num_replicas  # noqa: F401
from keras_animegan.backend.common import replica_id  # noqa: F401
from keras_animegan.backend.common import step_logs  # noqa: F401
from keras_animegan.backend.common import update_ema  # noqa: F401


def _scope():
    scope = get_stateless_scope()
    if scope is None:
        raise RuntimeError("On JAX, keras-animegan differentiates inside a train step (or "
                           "`keras_animegan.backend.stateful(model, fn)`), where a keras.StatelessScope holds "
                           "the variables' values.")
    return scope


def _differentiate(fn, primals, bind):
    """`jax.grad` of `fn(primals)`'s first output; variables assigned in `fn` are carried out."""
    scope = _scope()
    outer = scope.state_mapping
    bound = set()

    def traced(values):
        scope.state_mapping = dict(outer)
        bound.update(bind(scope.state_mapping, values))
        try:
            outputs = fn(values)
            changed = {k: v for k, v in scope.state_mapping.items() if k not in bound and outer.get(k) is not v}
        finally:
            scope.state_mapping = outer
        return first_output(outputs).astype(jnp.float32), (outputs, changed)

    grads, (outputs, changed) = jax.grad(traced, has_aux=True)(primals)
    outer.update(changed)
    return outputs, grads


def gradients(loss_fn, variables):
    keys = [id(v) for v in variables]
    scope = _scope()
    values = [scope.state_mapping[k] for k in keys]

    def bind(mapping, traced):
        mapping.update(zip(keys, traced))
        return keys

    return _differentiate(lambda _: loss_fn(), values, bind)


def input_gradients(fn, x):
    return _differentiate(fn, x, lambda mapping, traced: ())


def apply_gradients(optimizer, grads, variables):
    """`optimizer.apply`; a `LossScaleOptimizer` through its `stateless_apply` (its stateful `apply`
    assigns inside `ops.cond` branches, which leaks tracers out of a traced step)."""
    if not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return _apply_stateful(optimizer, grads, variables)
    scope = _scope()
    optimizer_variables = list(optimizer.variables)
    new_values, new_optimizer_values = optimizer.stateless_apply(
        [scope.get_current_value(v) for v in optimizer_variables], grads,
        [scope.get_current_value(v) for v in variables])
    for variable, value in zip([*variables, *optimizer_variables], [*new_values, *new_optimizer_values]):
        variable.assign(value)


def _key(seed):
    return jax.random.wrap_key_data(jnp.asarray(seed).astype(jnp.uint32), impl="threefry2x32")


def fold_in(seed, data):
    key = jax.random.fold_in(_key(seed), jnp.asarray(data).astype(jnp.uint32))
    return jax.random.key_data(key).astype(jnp.int32)


def stateless_normal(shape, seed, dtype="float32"):
    return jax.random.normal(_key(seed), tuple(shape), dtype=dtype)


def stateless_uniform(shape, seed, minval=0.0, maxval=1.0, dtype="float32"):
    dtype = keras.backend.standardize_dtype(dtype)
    if "int" in dtype:
        return jax.random.randint(_key(seed), tuple(shape), minval, maxval, dtype=dtype)
    return jax.random.uniform(_key(seed), tuple(shape), dtype=dtype, minval=minval, maxval=maxval)


def snapshot(x):
    return jnp.asarray(x)


class _Optimizers:
    """`model.optimizer` on JAX: both optimizers' variables, for Keras to carry in the train state."""

    built = True

    def __init__(self, *optimizers):
        self.optimizers = optimizers

    @property
    def variables(self):
        return [v for optimizer in self.optimizers for v in optimizer.variables]


def after_compile(model):
    model.optimizer = _Optimizers(model.g_optimizer, model.d_optimizer)


def _state_variables(model):
    optimizer = model.optimizer.variables if model.optimizer is not None else []
    return (model.trainable_variables, model.non_trainable_variables, optimizer, model.metrics_variables)


def train_step(model, state, data):
    groups = _state_variables(model)
    mapping = [pair for variables, values in zip(groups, state) for pair in zip(variables, values)]
    with keras.StatelessScope(state_mapping=mapping) as scope:
        logs = model.gan_step(data)
    new_state = tuple([scope.get_current_value(v) for v in variables] for variables in groups)
    return logs, new_state


def stateful(model, fn):
    """Runs `fn()` (code that reads, differentiates and assigns the model's variables) outside `fit`."""
    variables = {id(v): v for v in model.weights}
    optimizer = getattr(model, "optimizer", None)
    for v in list(optimizer.variables if optimizer is not None else []) + list(getattr(model, "metrics_variables", [])):
        variables.setdefault(id(v), v)
    with keras.StatelessScope(state_mapping=[(v, v.value) for v in variables.values()]) as scope:
        result = fn()
    for v in variables.values():
        value = scope.get_current_value(v)
        if value is not None:
            v.assign(value)
    return result
