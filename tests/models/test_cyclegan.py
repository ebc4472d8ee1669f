"""CycleGAN with tiny networks built once for the module."""


import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_animegan import CycleGAN
from keras_animegan.models import ImagePool
from keras_animegan.models import LinearDecaySchedule
from keras_animegan.models import patch_discriminator
from keras_animegan.models import resnet_generator
from keras_animegan.losses import weighted_l1
from tests import testing

SIZE, BATCH = 32, 2
NETWORKS = ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b")
# What a round trip must preserve: A -> B (the model's call) and B -> A.
BOTH_DIRECTIONS = (lambda m, ab: m(ab[0]), lambda m, ab: m.translate(ab[1], "ba"))


def tiny_cyclegan(**kwargs):
    return CycleGAN(image_size=SIZE, base_filters=4, num_blocks=1, num_disc_layers=2, pool_size=3, seed=0, **kwargs)


def batches():
    a = tf.random.stateless_uniform((BATCH, SIZE, SIZE, 3), (1, 2), minval=-1, maxval=1)
    b = tf.random.stateless_uniform((BATCH, SIZE, SIZE, 3), (3, 4), minval=-1, maxval=1)
    return a, b


@pytest.fixture(scope="module")
def trained():
    model = tiny_cyclegan()
    a, b = batches()
    before, history = testing.fit_steps(model, tf.data.Dataset.from_tensors((a, b)).repeat(), NETWORKS)
    return model, before, history


def test_default_network_shapes():
    generator = resnet_generator(image_size=256)
    assert generator.output_shape == (None, 256, 256, 3)
    assert len([l for l in generator.layers if l.name.endswith("_add")]) == 9
    # 70x70 PatchGAN on 256 px: a 30x30 map of logits, as junyanz's NLayerDiscriminator.
    assert patch_discriminator(image_size=256).output_shape == (None, 30, 30, 1)
    assert patch_discriminator(image_size=128).output_shape == (None, 14, 14, 1)
    with pytest.raises(ValueError, match="multiple of 4"):
        resnet_generator(image_size=30)


def test_tiny_shapes_and_directions(trained):
    model = trained[0]
    a, b = batches()
    assert model(a).shape == (BATCH, SIZE, SIZE, 3)
    np.testing.assert_allclose(model(a), model.translate(a, "ab"), atol=1e-6)
    assert model.translate(b, "ba").shape == (BATCH, SIZE, SIZE, 3)
    assert model.discriminator_a(a).shape == (BATCH, 6, 6, 1)
    with pytest.raises(ValueError, match="direction"):
        model.translate(a, "ac")


def test_fit_step_reports_every_loss_and_updates_all_four_networks(trained):
    model, before, history = trained
    testing.assert_finite_history(history, CycleGAN.loss_names)
    for name in NETWORKS:
        assert testing.changed(before[name], getattr(model, name)), name
    # The generator total is the weighted sum of its parts (lambda 10, identity 0.5 x 10).
    h = {k: v[0] for k, v in history.history.items()}
    expected = h["adv_ab"] + h["adv_ba"] + 10 * (h["cycle_a"] + h["cycle_b"]) + 5 * (h["identity_a"] + h["identity_b"])
    assert h["g_loss"] == pytest.approx(expected, rel=1e-5)


def test_config_round_trip(trained):
    model = trained[0]
    a, b = batches()
    testing.assert_config_round_trip(model, (a, b), calls=BOTH_DIRECTIONS)


def test_keras_file_round_trip(trained, tmp_path):
    model = trained[0]
    loaded = testing.assert_keras_file_round_trip(model, tmp_path, batches(), calls=BOTH_DIRECTIONS)
    assert loaded.train_steps == 1
    np.testing.assert_array_equal(loaded.pool_a.images.numpy(), model.pool_a.images.numpy())


def test_export_round_trip_both_directions(trained, tmp_path):
    model = trained[0]
    a, b = batches()
    for name, network, x in (("ab", model.generator_ab, a), ("ba", model.generator_ba, b)):
        testing.assert_export_round_trip(model, tmp_path, f"cyclegan_{name}", x, model.translate(x, name),
                                         network=network)


def test_image_pool_fills_then_swaps_half():
    pool = ImagePool(pool_size=3, image_shape=(1, 1, 1))
    seed = tf.constant([0, 0])
    first = tf.constant([[[[1.0]]], [[[2.0]]]])
    np.testing.assert_array_equal(pool(first, seed=seed), first)  # filling: returned unchanged
    assert int(pool.count.numpy()) == 2
    second = tf.constant([[[[3.0]]], [[[4.0]]]])
    np.testing.assert_array_equal(pool(second, seed=seed), second)  # 3 fits, 4 does not: both returned
    assert int(pool.count.numpy()) == 3
    assert sorted(pool.images.numpy().ravel()) == [1.0, 2.0, 3.0]
    swapped = 0
    for step in range(200):
        before = sorted(pool.images.numpy().ravel())
        new = tf.constant([[[[100.0 + step]]]])
        out = float(pool(new, seed=tf.constant([step, 1])).numpy().ravel()[0])
        after = sorted(pool.images.numpy().ravel())
        if out == 100.0 + step:
            assert after == before  # kept the new image out of the pool
        else:
            swapped += 1
            assert out in before and 100.0 + step in after  # returned an old one, stored the new one
            assert sorted(after + [out]) == sorted(before + [100.0 + step])
    assert 70 < swapped < 130  # about half
    off = ImagePool(pool_size=0, image_shape=(1, 1, 1))
    np.testing.assert_array_equal(off(first, seed=seed), first)


def test_linear_decay_schedule_values():
    schedule = LinearDecaySchedule(2e-4, constant_steps=10, decay_steps=10)
    values = [float(schedule(s)) for s in (0, 5, 10, 15, 19, 20, 30)]
    np.testing.assert_allclose(values, [2e-4, 2e-4, 2e-4, 1e-4, 2e-5, 0.0, 0.0], atol=1e-10)
    clone = LinearDecaySchedule.from_config(schedule.get_config())
    assert float(clone(15)) == pytest.approx(1e-4)


def test_weighted_l1_ignores_changes_where_the_weight_is_zero():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32)
    y = rng.uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32)
    weight = np.zeros((2, 8, 8, 1), np.float32)
    weight[:, 2:5, 3:6] = 1.0  # a region
    base = float(weighted_l1(x, y, weight))
    changed_outside = y.copy()
    changed_outside[:, :2] += 5.0
    changed_outside[:, :, 6:] -= 3.0
    assert float(weighted_l1(x, changed_outside, weight)) == pytest.approx(base, abs=1e-7)
    changed_inside = y.copy()
    changed_inside[:, 3, 4] += 1.0
    assert float(weighted_l1(x, changed_inside, weight)) > base
    # Uniform weight = the plain L1 mean.
    assert float(weighted_l1(x, y, np.ones_like(weight))) == pytest.approx(float(np.abs(x - y).mean()), rel=1e-6)


def test_train_step_uses_the_weight_map_for_the_a_cycle():
    model = tiny_cyclegan(lambda_identity=0.0)
    model.compile()
    a, b = batches()
    zeros = tf.zeros((BATCH, SIZE, SIZE, 1))
    _, terms, _, _ = model.generator_losses(a, b, zeros, training=False)
    assert float(terms["cycle_a"]) == 0.0 and float(terms["cycle_b"]) > 0.0
    assert "identity_a" not in terms  # identity off
    _, terms_uniform, _, _ = model.generator_losses(a, b, tf.ones((BATCH, SIZE, SIZE, 1)), training=False)
    _, terms_none, _, _ = model.generator_losses(a, b, None, training=False)
    assert float(terms_uniform["cycle_a"]) == pytest.approx(float(terms_none["cycle_a"]), rel=1e-6)
    # fit takes (a, b, weight_a) batches.
    history = model.fit(tf.data.Dataset.from_tensors((a, b, zeros)).repeat(), epochs=1, steps_per_epoch=1, verbose=0)
    assert history.history["cycle_a"][0] == 0.0


class SeparateCalls(CycleGAN):
    calls_together = False  # each network call on its own batch, as in the paper's step


def test_calls_together_train_as_separate_calls_do():
    # One call on real and identity (or real and pooled) batches must be exact, not an approximation.
    together, separate = tiny_cyclegan(), SeparateCalls(
        image_size=SIZE, base_filters=4, num_blocks=1, num_disc_layers=2, pool_size=3, seed=0)
    assert together.calls_together
    testing.assert_train_alike(together, separate, tf.data.Dataset.from_tensors(batches()).repeat(), NETWORKS)
    # And each output of the batched calls is the term it stands for (both modes share the batch lists).
    a, b = batches()
    _, terms, fake_a, fake_b = together.generator_losses(a, b, training=False)
    np.testing.assert_allclose(fake_b, together.generator_ab(a, training=False), atol=1e-5)
    np.testing.assert_allclose(fake_a, together.generator_ba(b, training=False), atol=1e-5)
    for term, generator, real in (("identity_a", together.generator_ba, a), ("identity_b", together.generator_ab, b)):
        assert float(terms[term]) == pytest.approx(float(weighted_l1(generator(real, training=False), real)), rel=1e-5)


def test_a_network_with_batch_statistics_keeps_separate_calls():
    inner = keras.Sequential([keras.layers.Conv2D(3, 3, padding="same"), keras.layers.BatchNormalization()])
    inputs = keras.Input((SIZE, SIZE, 3))
    generator = keras.Model(inputs, inner(inputs))
    assert not tiny_cyclegan(generator_ab=generator).calls_together
