"""`BatchedCalls`: a network's calls on several batches of one step as one call, where that is exact."""

import keras
from keras import ops


def _per_sample(network):
    """Whether `network` computes each image of a batch apart: no batch-statistics layer inside."""
    layers = [network]
    while layers:
        layer = layers.pop()
        if isinstance(layer, keras.layers.BatchNormalization):
            return False
        layers.extend(getattr(layer, "layers", []))
    return True


class BatchedCalls:
    """Mixin of `GANModel`: `call_each(network, batches)`; the model lists its networks in `network_names`."""

    @property
    def calls_together(self):
        """Whether a network's calls on several batches in one step run as one call on their concatenation.

        They do when no network has batch statistics (CycleGAN's and CartoonGAN's
        instance norm treat each image apart), which gives the same outputs,
        gradients and losses with fewer, larger convolutions and a smaller graph
        to trace: CycleGAN's G_ab(a) with G_ab(b) for the identity term, and a
        discriminator's real and fake batches. A network with `BatchNormalization`
        (DCGAN's, or `norm="batch"`) keeps separate calls, as the papers' steps do.
        """
        return all(_per_sample(getattr(self, name, None)) for name in self.network_names)

    def call_each(self, network, batches, training=True):
        """`[network(x) for x in batches]`, as one call when `calls_together`."""
        if not self.calls_together:
            return [network(x, training=training) for x in batches]
        outputs = network(ops.concatenate(batches, axis=0), training=training)
        split, start = [], 0
        for x in batches:
            size = ops.shape(x)[0]
            split.append(outputs[start:start + size])
            start = start + size
        return split
