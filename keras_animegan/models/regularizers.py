"""What a GAN may do to its discriminators' inputs and losses: DiffAugment and the R1 penalty."""

from keras import ops

from keras_animegan import backend as gan_backend
from keras_animegan.models.augment import diff_augment


class DiscriminatorRegularizers:
    """Mixin of `GANModel`: `augment_images` (its `augment_policy`) and `r1_penalty` (its `r1_gamma`)."""

    def augment_images(self, images, salt, policy=None):
        """`images` through the model's DiffAugment policy (unchanged without one), seeded per step and `salt`.

        `policy` replaces the model's policy for this call (`""` leaves the images unchanged).
        """
        policy = self.augment_policy if policy is None else policy
        if not policy:
            return images
        # One seed for the global batch, sliced per replica (as `DCGAN.replica_noise`): N replicas
        # augment their shares exactly as one device would augment the whole batch.
        seed = self.step_seed(1000 + salt, per_replica=False)
        replicas = self.num_replicas()
        if replicas == 1:
            return diff_augment(images, policy, seed)
        batch = ops.shape(images)[0]
        return diff_augment(images, policy, seed, offset=self.replica_id() * batch,
                            total=batch * replicas)

    def r1_penalty(self, discriminator, real_images, salt=0, augment=None):
        """`r1_gamma / 2 * mean_i |grad_x D(aug(x_i))|^2` on real images, or 0 without `r1_gamma`.

        Returns `(penalty, real_logits)`: the logits come from the same call, so the
        discriminator loss can reuse them. `augment` replaces `augment_images(images, salt)`.
        """
        augment = augment or (lambda images: self.augment_images(images, salt))

        def logits_sum(images):
            logits = discriminator(augment(images), training=True)
            return ops.sum(ops.cast(logits, "float32")), logits

        (_, real_logits), grads = gan_backend.input_gradients(logits_sum, real_images)
        grads = ops.cast(grads, "float32")
        squared = ops.sum(ops.square(grads), axis=tuple(range(1, len(grads.shape))))
        return 0.5 * self.r1_gamma * ops.mean(squared), real_logits

