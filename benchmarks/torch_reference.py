"""The same networks and update steps as keras_animegan, written in PyTorch, for `benchmarks.pytorch_compare`.

Layer for layer the Keras models of `keras_animegan.models` (same kernel
sizes, strides, paddings, biases, norms and activations) and the same
`train_step`s: losses (vanilla for DCGAN, least squares for the translators),
update order, and which passes are recomputed. CycleGAN's image pool is left
out (a copy, no FLOPs). Needs `pip install torch` (the CPU build: torch==2.13.0).
"""

import torch
from torch import nn
from torch.nn import functional as F


def _lrelu():
    return nn.LeakyReLU(0.2)


class DCGANGenerator(nn.Module):
    def __init__(self, latent_dim=100, image_size=64, base_filters=64, n_extra_layers=1):
        super().__init__()
        n_up = {32: 2, 64: 3, 128: 4, 256: 5}[image_size]
        c = base_filters * 2**n_up
        self.c = c
        self.project = nn.Linear(latent_dim, 16 * c, bias=False)
        layers = [nn.BatchNorm2d(c, eps=1e-3), _lrelu()]
        for _ in range(n_up):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2, eps=1e-3), _lrelu()]
            c //= 2
        for _ in range(n_extra_layers):
            layers += [nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c, eps=1e-3), _lrelu()]
        layers += [nn.ConvTranspose2d(c, 3, 4, 2, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z):
        return self.body(self.project(z).view(-1, self.c, 4, 4))


class DCGANDiscriminator(nn.Module):
    def __init__(self, image_size=64, base_filters=64, n_extra_layers=1):
        super().__init__()
        n_down = {32: 2, 64: 3, 128: 4, 256: 5}[image_size]
        c = base_filters
        layers = [nn.Conv2d(3, c, 4, 2, 1), _lrelu()]
        for _ in range(n_extra_layers):
            layers += [nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c, eps=1e-3), _lrelu()]
        for _ in range(n_down):
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c, eps=1e-3), _lrelu()]
            c *= 2
        layers += [nn.Conv2d(c, 1, 4, 1, 0), nn.Flatten()]
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


def _instance_norm(c, affine=False):
    return nn.InstanceNorm2d(c, eps=1e-5, affine=affine)


class ResnetBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), _instance_norm(c), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), _instance_norm(c),
        )

    def forward(self, x):
        return x + self.body(x)


def resnet_generator(base_filters=64, num_blocks=9):
    c = base_filters
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(3, c, 7), _instance_norm(c), nn.ReLU()]
    for _ in range(2):
        layers += [nn.Conv2d(c, 2 * c, 3, 2, 1), _instance_norm(2 * c), nn.ReLU()]
        c *= 2
    layers += [ResnetBlock(c) for _ in range(num_blocks)]
    for _ in range(2):
        layers += [nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1), _instance_norm(c // 2), nn.ReLU()]
        c //= 2
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(c, 3, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def patch_discriminator(base_filters=64, num_layers=3):
    layers = [nn.Conv2d(3, base_filters, 4, 2, 1), _lrelu()]
    c = base_filters
    for i in range(1, num_layers + 1):
        out = base_filters * min(2**i, 8)
        layers += [nn.Conv2d(c, out, 4, 2 if i < num_layers else 1, 1), _instance_norm(out), _lrelu()]
        c = out
    layers += [nn.Conv2d(c, 1, 4, 1, 1)]
    return nn.Sequential(*layers)


class CartoonBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1), _instance_norm(c, True), nn.ReLU(),
                                  nn.Conv2d(c, c, 3, 1, 1), _instance_norm(c, True))

    def forward(self, x):
        return x + self.body(x)


def cartoon_generator(base_filters=64, num_blocks=8):
    c = base_filters
    layers = [nn.Conv2d(3, c, 7, 1, 3), _instance_norm(c, True), nn.ReLU()]
    for _ in range(2):
        layers += [nn.Conv2d(c, 2 * c, 3, 2, 1), nn.Conv2d(2 * c, 2 * c, 3, 1, 1), _instance_norm(2 * c, True),
                   nn.ReLU()]
        c *= 2
    layers += [CartoonBlock(c) for _ in range(num_blocks)]
    for _ in range(2):
        layers += [nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1), nn.Conv2d(c // 2, c // 2, 3, 1, 1),
                   _instance_norm(c // 2, True), nn.ReLU()]
        c //= 2
    layers += [nn.Conv2d(c, 3, 7, 1, 3), nn.Tanh()]
    return nn.Sequential(*layers)


def cartoon_discriminator(base_filters=32):
    c = base_filters
    layers = [nn.Conv2d(3, c, 3, 1, 1), _lrelu()]
    for i in range(2):
        out = c * 4 if i == 0 else c * 2
        layers += [nn.Conv2d(c, c * 2, 3, 2, 1), _lrelu(), nn.Conv2d(c * 2, out, 3, 1, 1), _instance_norm(out, True),
                   _lrelu()]
        c = out
    layers += [nn.Conv2d(c, c, 3, 1, 1), _instance_norm(c, True), _lrelu(), nn.Conv2d(c, 1, 3, 1, 1)]
    return nn.Sequential(*layers)


def vgg16_to_block4_conv3():
    """VGG16 features up to conv4_3 + ReLU (Keras `block4_conv3`), frozen."""
    layers, c = [], 3
    for v in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512):
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(c, v, 3, 1, 1), nn.ReLU()]
            c = v
    model = nn.Sequential(*layers)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval()


def _adam(params):
    return torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999))


def _lsgan_d(real, fake):
    return 0.5 * (F.mse_loss(real, torch.ones_like(real)) + F.mse_loss(fake, torch.zeros_like(fake)))


def _lsgan_g(fake):
    return F.mse_loss(fake, torch.ones_like(fake))


def _gram(x):
    n, c, h, w = x.shape
    f = x.float().reshape(n, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


class Setup:
    """Networks, optimizers, a batch, and `step()`, for one model; `autocast` wraps the forward passes."""

    def __init__(self, model, image_size, batch_size, channels_last=False, compile=False, bf16=False):
        self.bf16 = bf16
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        self.image = lambda seed: torch.rand(batch_size, 3, image_size, image_size,
                                             generator=torch.Generator().manual_seed(seed)).mul(2).sub(1) \
            .contiguous(memory_format=fmt)
        self.batch_size = batch_size
        if model == "dcgan":
            nets = {"g": DCGANGenerator(image_size=image_size), "d": DCGANDiscriminator(image_size=image_size)}
            self.real = self.image(0)
            self.noise = lambda s: torch.randn(batch_size, 100, generator=torch.Generator().manual_seed(s))
            self._step = self._dcgan_step
        elif model == "cyclegan":
            blocks = 9 if image_size >= 256 else 6
            nets = {"g_ab": resnet_generator(64, blocks), "g_ba": resnet_generator(64, blocks),
                    "d_a": patch_discriminator(), "d_b": patch_discriminator()}
            self.a, self.b = self.image(0), self.image(1)
            self._step = self._cyclegan_step
        elif model == "cartoongan":
            nets = {"g": cartoon_generator(), "d": cartoon_discriminator(), "vgg": vgg16_to_block4_conv3()}
            self.photo, self.cartoon, self.smoothed = self.image(0), self.image(1), self.image(2)
            self._step = self._cartoongan_step
        else:
            raise ValueError(model)
        for name, net in nets.items():
            net.to(memory_format=fmt)
            setattr(self, name, torch.compile(net) if compile else net)
        trainable = {k: v for k, v in nets.items() if k != "vgg"}
        gens = [p for k, v in trainable.items() if k.startswith("g") for p in v.parameters()]
        discs = [p for k, v in trainable.items() if k.startswith("d") for p in v.parameters()]
        self.g_opt, self.d_opt = _adam(gens), _adam(discs)
        self.steps = 0

    def autocast(self):
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16)

    def step(self):
        self._step()
        self.steps += 1

    def _dcgan_step(self):
        bce = F.binary_cross_entropy_with_logits
        with self.autocast():
            fake = self.g(self.noise(2 * self.steps))
            real_logits, fake_logits = self.d(self.real), self.d(fake.detach())
            d_loss = bce(real_logits.float(), torch.ones_like(real_logits, dtype=torch.float32)) + \
                bce(fake_logits.float(), torch.zeros_like(fake_logits, dtype=torch.float32))
        self.d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_opt.step()
        with self.autocast():
            logits = self.d(self.g(self.noise(2 * self.steps + 1)))
            g_loss = bce(logits.float(), torch.ones_like(logits, dtype=torch.float32))
        self.g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_opt.step()

    def _cyclegan_step(self):
        a, b = self.a, self.b
        for p in list(self.d_a.parameters()) + list(self.d_b.parameters()):
            p.requires_grad_(False)
        with self.autocast():
            fake_b, fake_a = self.g_ab(a), self.g_ba(b)
            rec_a, rec_b = self.g_ba(fake_b), self.g_ab(fake_a)
            g_loss = _lsgan_g(self.d_b(fake_b).float()) + _lsgan_g(self.d_a(fake_a).float()) + 10 * (
                F.l1_loss(rec_a.float(), a) + F.l1_loss(rec_b.float(), b)) + 5 * (
                F.l1_loss(self.g_ba(a).float(), a) + F.l1_loss(self.g_ab(b).float(), b))
        self.g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_opt.step()
        for p in list(self.d_a.parameters()) + list(self.d_b.parameters()):
            p.requires_grad_(True)
        with self.autocast():
            d_loss = _lsgan_d(self.d_a(a).float(), self.d_a(fake_a.detach()).float()) + \
                _lsgan_d(self.d_b(b).float(), self.d_b(fake_b.detach()).float())
        self.d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_opt.step()

    def _cartoongan_step(self):
        with self.autocast():
            with torch.no_grad():
                photo_features = self.vgg(self.photo)
                generated = self.g(self.photo)
            real = self.d(self.cartoon).float()
            d_loss = F.mse_loss(real, torch.ones_like(real))
            fake = self.d(generated).float()
            smooth = self.d(self.smoothed).float()
            d_loss = d_loss + F.mse_loss(fake, torch.zeros_like(fake)) + F.mse_loss(smooth, torch.zeros_like(smooth))
        self.d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_opt.step()
        for p in self.d.parameters():
            p.requires_grad_(False)
        with self.autocast():
            generated = self.g(self.photo)
            adv = _lsgan_g(self.d(generated).float())
            generated_features = self.vgg(generated)
            content = F.l1_loss(generated_features.float(), photo_features.float())
            with torch.no_grad():
                cartoon_features = self.vgg(self.cartoon)
            style = F.l1_loss(_gram(generated_features), _gram(cartoon_features))
            g_loss = adv + 10 * content + style
        self.g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_opt.step()
        for p in self.d.parameters():
            p.requires_grad_(True)
