"""A history buffer of generated images for the discriminator (CycleGAN)."""

import keras
from keras import layers
from keras import ops

from keras_animegan import backend as gan_backend


@keras.saving.register_keras_serializable(package="keras_animegan")
class ImagePool(layers.Layer):
    """A history of generated images for the discriminator (Shrivastava et al., 2017; junyanz `ImagePool`).

    Until the pool is full, each new image is stored and returned. After that,
    each image is, with probability 1/2, swapped with a random stored one (the
    stored one is returned and the new one takes its place), else returned as
    is. `pool_size=0` turns the pool off.

    The pool lives in non-trainable variables, so checkpoints keep it. Under a
    `tf.distribute` strategy with several replicas, the replicas' images are
    gathered into the global batch, every replica applies the same update
    (pass the same `seed` on every replica) and returns its own slice: the
    pool behaves exactly as on one device with the same global batch.

    Args:
        pool_size: images kept (junyanz: 50).
        image_shape: `(height, width, channels)` of the images.
    """

    def __init__(self, pool_size=50, image_shape=(256, 256, 3), **kwargs):
        super().__init__(**kwargs)
        self.pool_size = int(pool_size)
        self.image_shape = tuple(image_shape)
        if self.pool_size > 0:
            self.images = self.add_weight(
                shape=(self.pool_size,) + self.image_shape, initializer="zeros", trainable=False,
                name="images", aggregation="only_first_replica",
            )
            self.count = self.add_weight(
                shape=(), initializer="zeros", dtype="int32", trainable=False, name="count",
                aggregation="only_first_replica",
            )
        self.built = True

    def call(self, images, seed):
        """Returns the images the discriminator should see; updates the pool. `seed`: stateless seed (2,).

        Written with fixed shapes (no boolean masks), so one compiled step serves every call on
        JAX too: both the filling and the swapping update are computed and one is kept.
        """
        if self.pool_size == 0:
            return images
        images = ops.cast(images, self.images.dtype)
        images, local = gan_backend.gather_replicas(images)
        batch = ops.shape(images)[0]
        size = self.pool_size
        count = ops.convert_to_tensor(self.count.value)
        pool = ops.convert_to_tensor(self.images.value)
        index = ops.arange(batch, dtype="int32")

        # Filling: image i goes to slot count + i while there is room, and is returned as it is.
        fill_slots = count + index
        # Full: each image, with probability 1/2, is swapped with a random stored one.
        use_pool = gan_backend.stateless_uniform((batch,), gan_backend.fold_in(seed, 0)) > 0.5
        swap_slots = gan_backend.stateless_uniform((batch,), gan_backend.fold_in(seed, 1), 0, size, "int32")
        filling = count < size
        slots = ops.where(filling, fill_slots, swap_slots)
        writes = ops.where(filling, fill_slots < size, use_pool)
        stored = ops.take(pool, ops.clip(swap_slots, 0, size - 1), axis=0)
        returned = ops.where(ops.logical_and(ops.logical_not(filling), use_pool)[:, None, None, None], stored, images)
        # Slot j takes the last image written to it (-1: none).
        hits = ops.logical_and(writes[:, None], ops.equal(slots[:, None], ops.arange(size, dtype="int32")[None, :]))
        writer = ops.max(ops.where(hits, index[:, None] + 1, 0), axis=0) - 1
        updated = ops.where((writer >= 0)[:, None, None, None], ops.take(images, ops.maximum(writer, 0), axis=0), pool)
        self.images.assign(updated)
        self.count.assign(ops.where(filling, ops.minimum(count + batch, size), count))
        if local is not None:
            start, local_batch = local
            returned = returned[start:start + local_batch]
        return returned

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "image_shape": self.image_shape}
