"""The four trainers on the current Keras backend, as a user runs them, in one process.

`python tests/backends/train_case.py OUT_DIR [--numpy] [--without_onednn]`: DCGAN fine-tuned from the shipped preset in
bf16, CycleGAN in fp16 (loss scaling), CartoonGAN with its content-only phase and its adversarial
phase, TaggedDCGAN on the embedded tagged avatars (and its `sample(4, seed=3, tags=...)` saved as
`tagged_dcgan/sample.npy`); each on the embedded sets, tiny networks, a few steps. `--numpy` makes `ImageSource.dataset`
use the numpy pipeline even where TensorFlow is installed (what a machine without it gets).
`--without_onednn` switches PyTorch's oneDNN convolutions off, so bf16 runs PyTorch's fallback CPU
convolution, as on a CPU without AVX-512 bf16, whatever CPU runs the test. Prints
one JSON line per run with its exit status; the test reads the run folders.
"""

import json
import os
import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    out_dir = argv[0]
    if "--numpy" in argv:
        import functools

        from keras_animegan.data import images

        images.ImageSource.dataset = functools.partialmethod(images.ImageSource.dataset, pipeline="numpy")

    if "--without_onednn" in argv:
        import torch

        torch.backends.mkldnn.enabled = False

    from keras_animegan.train import cartoongan
    from keras_animegan.train import cyclegan
    from keras_animegan.train import dcgan
    from keras_animegan.train import tagged_dcgan

    runs = {
        "dcgan": (dcgan.main, ["--init_preset=dcgan_avatars_64", "--mixed_precision=bf16", "--epochs=1",
                               "--steps_per_epoch=2", "--batch_size=4", "--num_samples=4", "--ema_decay=0.9"]),
        "cyclegan": (cyclegan.main, ["--mixed_precision=fp16", "--epochs=1", "--steps_per_epoch=2", "--batch_size=1",
                                     "--image_size=32", "--base_filters=4", "--num_blocks=1", "--num_grid_rows=2"]),
        "cartoongan": (cartoongan.main, ["--epochs=2", "--init_epochs=1", "--steps_per_epoch=2", "--batch_size=2",
                                         "--image_size=32", "--vgg_weights=none", "--vgg=vgg16", "--base_filters=4",
                                         "--cartoon_blocks=1"]),
        "tagged_dcgan": (tagged_dcgan.main, ["--epochs=1", "--steps_per_epoch=2", "--batch_size=4", "--num_samples=4",
                                             "--image_size=32", "--base_filters=4", "--export_formats=none"]),
    }
    for name, (main_fn, flags) in runs.items():
        status = main_fn([f"--model_dir={os.path.join(out_dir, name)}", "--verbose=0", *flags])
        print(json.dumps({"model": name, "status": status}), flush=True)
    import keras
    import numpy as np

    model = keras.saving.load_model(os.path.join(out_dir, "tagged_dcgan", "tagged_dcgan.keras"), compile=False)
    np.save(os.path.join(out_dir, "tagged_dcgan", "sample.npy"),
            keras.ops.convert_to_numpy(model.sample(4, seed=3, tags=["blue_hair", "glasses"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
