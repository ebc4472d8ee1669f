"""`benchmarks.upscale`'s arithmetic and table: PSNR by hand, tiles of the grid, rows with sets left out."""

import numpy as np

from benchmarks import upscale


def test_psnr_matches_a_hand_computed_value():
    truth = np.zeros((2, 4, 4, 3), np.uint8)
    outputs = truth.copy()
    outputs[0] += 10  # MSE 100 -> 10 log10(255^2 / 100) = 28.13 dB
    outputs[1, 0, 0, 0] = 255  # MSE 255^2 / 48 -> 10 log10(48) = 16.81 dB
    np.testing.assert_allclose(upscale.psnr(outputs, truth), (28.1308 + 16.8124) / 2, atol=1e-3)


def test_bicubic_is_four_times_larger():
    assert upscale.bicubic(np.zeros((2, 5, 7, 3), np.uint8)).shape == (2, 20, 28, 3)


def test_the_table_shows_every_row_and_a_dash_for_sets_a_method_skipped():
    ours = {"method": "ours", "test_kid256": 0.001, "test_psnr": 30.0, "test_vgg_distance": 0.1,
            "held_out_kid256": 0.002, "held_out_psnr": 29.0, "tagged_samples_kid256": 0.03,
            "dcgan_samples_kid256": 0.04, "seconds_batch1": 0.02, "seconds_batch16": 0.01, "parameters": 1234}
    peer = {"method": "waifu2x", "images_per_set": 400, "test_kid256": 0.005, "test_psnr": 26.0,
            "test_vgg_distance": 0.2, "tagged_samples_kid256": 0.2, "seconds_batch1": 0.3, "seconds_batch16": 0.3}
    lines = upscale.table({"rows": [peer, ours]}).splitlines()
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    assert cells[0][:4] == ["waifu2x (400 images a set)", "0.0050 / 26.0 dB / 0.200", "-", "0.2000"]
    assert cells[1] == ["ours", "0.0010 / 30.0 dB / 0.100", "0.0020 / 29.0 dB", "0.0300", "0.0400", "0.020 / 0.010",
                        "1,234"]
