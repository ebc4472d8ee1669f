"""A history buffer of generated images for the discriminator (CycleGAN)."""

import keras
import tensorflow as tf
from keras import layers


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
        """Returns the images the discriminator should see; updates the pool. `seed`: stateless seed (2,)."""
        if self.pool_size == 0:
            return images
        images = tf.cast(images, self.images.dtype)
        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync if context is not None else 1
        if replicas > 1:
            local_batch = tf.shape(images)[0]
            images = context.all_gather(images, axis=0)
        batch = tf.shape(images)[0]
        count = tf.convert_to_tensor(self.count)
        pool = tf.convert_to_tensor(self.images)

        def fill():
            # Store as many as fit, in order; return the images unchanged.
            slots = count + tf.range(batch)
            fits = slots < self.pool_size
            updated = tf.tensor_scatter_nd_update(pool, tf.boolean_mask(slots, fits)[:, None], tf.boolean_mask(images, fits))
            return images, updated, tf.minimum(count + batch, self.pool_size)

        def swap():
            seed_swap, seed_slot = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
            use_pool = tf.random.stateless_uniform((batch,), seed_swap) > 0.5
            slots = tf.random.stateless_uniform((batch,), seed_slot, maxval=self.pool_size, dtype=tf.int32)
            stored = tf.gather(pool, slots)
            mask = tf.reshape(use_pool, (-1, 1, 1, 1))
            returned = tf.where(mask, stored, images)
            updated = tf.tensor_scatter_nd_update(
                pool, tf.boolean_mask(slots, use_pool)[:, None], tf.boolean_mask(images, use_pool)
            )
            return returned, updated, count

        returned, updated, new_count = tf.cond(count < self.pool_size, fill, swap)
        self.images.assign(updated)
        self.count.assign(new_count)
        if replicas > 1:
            start = context.replica_id_in_sync_group * local_batch
            returned = returned[start:start + local_batch]
        return returned

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "image_shape": self.image_shape}
