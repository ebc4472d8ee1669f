"""Run with the code before constructor arguments were recorded once: tiny .keras files of each model and their outputs."""
import os, sys
import numpy as np
import keras
from keras_animegan.models import DCGAN, CycleGAN, CartoonGAN, TaggedDCGAN, Upscaler
from keras_animegan.utils.tags import TagVocabulary
out = sys.argv[1]
rows = [{"hair": "blue_hair", "eyes": "red_eyes"}, {"hair": "pink_hair", "eyes": "blue_eyes"}]
vocab = TagVocabulary.from_rows([["blue_hair", "red_eyes"], ["pink_hair", "blue_eyes"], ["blue_hair", "blue_eyes", "glasses"]])
models = {
 "dcgan": DCGAN(latent_dim=8, image_size=32, base_filters=4, seed=1, ema_decay=0.9),
 "cyclegan": CycleGAN(image_size=32, base_filters=4, num_blocks=1, num_disc_layers=2, pool_size=2, seed=0, lambda_identity=0.25),
 "cartoongan": CartoonGAN(image_size=32, base_filters=4, num_blocks=1, seed=0, init_steps=3, architecture="unet"),
 "tagged_dcgan": TaggedDCGAN(tag_vocabulary=vocab, latent_dim=8, image_size=32, base_filters=4, seed=2, augment="color,translation", twin_classifier=True),
 "upscaler": Upscaler(filters=4, num_convs=1, disc_filters=4, num_disc_layers=1, patch_size=32, seed=0, unpaired_weight=0.01),
}
rng = np.random.default_rng(0)
arrays = {}
for name, model in models.items():
    if model.input_kind == "tags":
        x = model.tag_inputs(2, None, 0)
    elif model.input_kind == "noise":
        x = rng.standard_normal((2, model.latent_dim)).astype("float32")
    else:
        x = rng.uniform(-1, 1, (2, 16 if model.input_kind == "upscale" else 32, 16 if model.input_kind == "upscale" else 32, 3)).astype("float32")
    model.save(os.path.join(out, f"{name}.keras"))
    arrays[f"{name}_inputs"] = np.asarray(x)
    arrays[f"{name}_outputs"] = keras.ops.convert_to_numpy(model(x, training=False))
np.savez(os.path.join(out, "outputs.npz"), **arrays)
