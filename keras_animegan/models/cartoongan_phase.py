"""The callback that ends CartoonGAN's content-only initialization phase at `init_steps`."""

import keras



class CartoonGANPhase(keras.callbacks.Callback):
    """Keeps `CartoonGAN.initializing` in step with the step count and retraces the train step when it flips."""

    def _sync(self):
        model = self.model
        initializing = model.train_steps < model.init_steps
        if initializing != model.initializing:
            model.initializing = initializing
            model.make_train_function(force=True)

    def on_train_begin(self, logs=None):
        self._sync()

    def on_train_batch_begin(self, batch, logs=None):
        if self.model.initializing:  # only the init phase can end
            self._sync()
