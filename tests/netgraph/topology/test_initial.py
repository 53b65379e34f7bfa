import numpy as np
import pytest
import torch

from netgraph.errors import ParameterError
from netgraph.topology.initial import (
    epsilon_probability,
    erdos_renyi_mask,
    erk_densities,
    expected_density,
    init_masks,
    random_masks,
    uniform_densities,
)


@pytest.mark.parametrize(
    "n_in, n_out, epsilon, expected",
    [
        (784, 1000, 20, 20 * 1784 / 784000),
        (100, 100, 1, 0.02),
        (1000, 10, 20, 1.0),  # 20 * 1010 / 10000 > 1: clipped
        (2, 2, 1, 1.0),
    ],
)
def test_set_density_formula(n_in, n_out, epsilon, expected):
    assert epsilon_probability(n_in, n_out, epsilon) == pytest.approx(expected)


def test_mask_shape_dtype_and_extremes():
    m = erdos_renyi_mask(5, 3, density=0.5, rng=0)
    assert m.shape == (3, 5) and m.dtype == torch.bool
    assert not erdos_renyi_mask(5, 3, density=0.0, rng=0).any()
    assert erdos_renyi_mask(5, 3, density=1.0, rng=0).all()
    assert erdos_renyi_mask(5, 3, epsilon=100, rng=0).all()


def test_mask_density_matches_set_probability():
    m = erdos_renyi_mask(1000, 1000, epsilon=20, rng=1)
    p = epsilon_probability(1000, 1000, 20)  # 0.04
    n = m.numel()
    # binomial count: within 5 standard deviations of its mean
    assert abs(int(m.sum()) - p * n) < 5 * np.sqrt(n * p * (1 - p))


def test_mask_reproducible_and_seed_dependent():
    a = erdos_renyi_mask(50, 40, density=0.3, rng=7)
    assert torch.equal(a, erdos_renyi_mask(50, 40, density=0.3, rng=7))
    assert not torch.equal(a, erdos_renyi_mask(50, 40, density=0.3, rng=8))


def test_init_masks_dense_by_default():
    masks = init_masks([4, 3, 2])
    assert [tuple(m.shape) for m in masks] == [(3, 4), (2, 3)]
    assert all(m.all() for m in masks)


def test_init_masks_draw_from_one_stream():
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    masks = init_masks([6, 5, 4], epsilon=1, rng=g1)
    expected = [erdos_renyi_mask(6, 5, epsilon=1, rng=g2), erdos_renyi_mask(5, 4, epsilon=1, rng=g2)]
    assert all(torch.equal(a, b) for a, b in zip(masks, expected))


def test_init_masks_per_layer_epsilon():
    masks = init_masks([784, 1000, 10], epsilon=20, rng=0)
    assert masks[1].all()  # the 1000 -> 10 layer is dense at epsilon 20
    assert 0.03 < masks[0].float().mean() < 0.06


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: epsilon_probability(0, 3, 1), "n_in=0"),
        (lambda: epsilon_probability(3, 2.5, 1), "n_out=2.5"),
        (lambda: epsilon_probability(3, 3, 0), "epsilon=0, must be a number > 0"),
        (lambda: epsilon_probability(3, 3, -1.0), "epsilon=-1.0"),
        (lambda: epsilon_probability(3, 3, "big"), "epsilon='big'"),
        (lambda: erdos_renyi_mask(3, 3), "exactly one of epsilon and density"),
        (lambda: erdos_renyi_mask(3, 3, epsilon=1, density=0.5), "exactly one"),
        (lambda: erdos_renyi_mask(3, 3, density=1.5), r"density=1.5, must be a number >= 0 and <= 1"),
        (lambda: erdos_renyi_mask(3, 3, density=-0.1), "density=-0.1"),
        (lambda: init_masks([3, 2], epsilon=1, density=0.5), "at most one"),
        (lambda: init_masks([3], density=0.5), "at least two layers"),
        (lambda: expected_density([3, 2], epsilon=1, density=0.5), "at most one"),
        (lambda: expected_density([3], density=0.5), "at least two layers"),
        (lambda: expected_density([3, 2], density=1.5), r"density=1.5, must be a number >= 0 and <= 1"),
        (lambda: expected_density([3, 2], epsilon=0), "epsilon=0"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


def test_expected_density_by_hand():
    # epsilon 1 on 4-4-2: p = 8/16 = 0.5 (8 of 16 expected), then 6/8 = 0.75 (6 of 8): 14 of 24
    assert expected_density([4, 4, 2], epsilon=1) == pytest.approx(14 / 24)
    # epsilon 20 on MNIST's 784-1000-1000-1000-10: the 1000 -> 10 layer is dense (p clipped to 1)
    sizes = [784, 1000, 1000, 1000, 10]
    present = 20 * 1784 + 20 * 2000 + 20 * 2000 + 1000 * 10
    assert expected_density(sizes, epsilon=20) == pytest.approx(present / (784000 + 2 * 1000000 + 10000))
    assert expected_density([64, 256, 256, 10], density=0.1) == 0.1
    assert expected_density([5, 3]) == 1.0  # neither: dense


@pytest.mark.parametrize("options", [{"epsilon": 2}, {"epsilon": 30}, {"density": 0.2}, {}])
def test_expected_density_is_what_init_masks_draws(options):
    sizes = [60, 80, 40, 10]
    counts = [sum(int(m.sum()) for m in init_masks(sizes, rng=seed, **options)) for seed in range(20)]
    possible = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    assert np.mean(counts) / possible == pytest.approx(expected_density(sizes, **options), rel=0.02)


# ERK (RigL): density ∝ sum(shape) / prod(shape), scaled to the target, capped at 1
CONV_AND_LINEAR = [(2, 1, 3, 3), (4, 2)]  # 18 weights, ratio 9/18; 8 weights, ratio 6/8


@pytest.mark.parametrize(
    ("shapes", "density", "dense", "expected"),
    [
        # 13 of 26 weights: eps = 13 / (0.5 * 18 + 0.75 * 8) = 13/15
        (CONV_AND_LINEAR, 0.5, (), [0.5 * 13 / 15, 0.75 * 13 / 15]),
        # the first layer dense (18 weights), the other holds 0.8 * 26 - 18 = 2.8 of its 8
        (CONV_AND_LINEAR, 0.8, (0,), [1.0, 0.35]),
        # 2 -> 2 would need 4/3: dense; 4 -> 4 holds 16 - 4 = 12 of 16
        ([(2, 2), (4, 4)], 0.8, (), [1.0, 0.75]),
        ([(2, 2), (4, 4)], 1.0, (), [1.0, 1.0]),
        ([(2, 2), (4, 4)], 0.0, (), [0.0, 0.0]),
    ],
)
def test_erk_densities_by_hand(shapes, density, dense, expected):
    got = erk_densities(shapes, density, dense=dense)
    assert got == pytest.approx(expected)
    sizes = [int(np.prod(s)) for s in shapes]
    assert sum(d * n for d, n in zip(got, sizes)) == pytest.approx(density * sum(sizes))  # the target, exactly


def test_uniform_densities_keep_the_target_with_a_dense_first_layer():
    assert uniform_densities(CONV_AND_LINEAR, 0.8, dense=[0]) == pytest.approx([1.0, 0.35])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erk_densities(CONV_AND_LINEAR, 0.5, dense=[0]), "density=0.5, must be at least the share"),
        (lambda: erk_densities([(3,)], 0.5), r"shapes\[0\]=\(3,\), must be a weight shape"),
        (lambda: erk_densities(CONV_AND_LINEAR, 1.5), "density"),
        (lambda: uniform_densities(CONV_AND_LINEAR, 0.5, dense=[2]), r"dense=\[2\], must hold layer indices"),
        (lambda: random_masks(CONV_AND_LINEAR, [0.5]), "densities has 1 entries, expected 2"),
    ],
)
def test_bad_erk_input_is_refused(call, message):
    with pytest.raises(ParameterError, match=message):
        call()


def test_random_masks_have_exact_counts_and_follow_the_seed():
    shapes = [(6, 1, 5, 5), (16, 6, 5, 5), (10, 120)]
    densities = erk_densities(shapes, 0.1, dense=[0])
    masks = random_masks(shapes, densities, rng=3)
    assert [tuple(m.shape) for m in masks] == shapes and masks[0].all()
    assert [int(m.sum()) for m in masks] == [round(d * np.prod(s)) for d, s in zip(densities, shapes)]
    assert all(torch.equal(a, b) for a, b in zip(masks, random_masks(shapes, densities, rng=3)))
