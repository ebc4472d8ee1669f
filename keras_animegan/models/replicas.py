"""What a GAN's train step needs to know about replicas: their count, this one's id, losses and seeds for them."""

from keras import ops

from keras_animegan import backend as gan_backend


class ReplicaMath:
    """Mixin of `GANModel`: losses scaled for the replicas in sync, cross-replica means, per-replica seeds."""

    @staticmethod
    def num_replicas():
        """Replicas in sync: `tf.distribute`'s on TensorFlow; 1 on JAX and PyTorch (one program)."""
        return gan_backend.num_replicas()

    def scale_loss_for_replicas(self, loss, optimizer=None):
        """The loss to differentiate: divided by the replica count, then scaled by `optimizer`'s loss scale.

        Dividing a local-batch mean by the number of replicas makes the summed
        replica gradients the gradient of the global-batch mean. Under
        `mixed_float16` the optimizers are `LossScaleOptimizer`s: their
        `scale_loss` multiplies by the dynamic loss scale, and their `apply`
        unscales the gradients (and skips a step whose gradients overflowed).
        """
        replicas = self.num_replicas()
        loss = loss / replicas if replicas > 1 else loss
        return optimizer.scale_loss(loss) if optimizer is not None else loss

    @staticmethod
    def cross_replica_mean(value):
        """`value` averaged over the replicas of the current strategy (itself with one replica).

        For batch statistics that a loss uses nonlinearly (CartoonGAN's style
        target): the mean of equal-sized replica batches is the global batch's.
        """
        return gan_backend.cross_replica_mean(value)

    @staticmethod
    def replica_id():
        """This replica's index in the sync group (0 outside a strategy); a Python int or a tensor."""
        return gan_backend.replica_id()

    def step_seed(self, salt=0, per_replica=True):
        """A stateless RNG seed, shape (2,), unique per (model seed, step, replica, salt).

        Derived from the generator optimizer's step counter, so a run resumed
        from a checkpoint draws the same noise it would have drawn uninterrupted,
        and every replica of a distributed step draws different noise.
        `per_replica=False` leaves the replica out: the same seed on every
        replica (to draw global-batch noise and slice it, see `DCGAN.replica_noise`).
        """
        step = ops.cast(self.g_optimizer.iterations.value, "int32")
        seed = ops.convert_to_tensor([self.seed % (2**31 - 1), salt], dtype="int32")
        seed = gan_backend.fold_in(seed, step)
        if not per_replica:
            return seed
        return gan_backend.fold_in(seed, self.replica_id())

