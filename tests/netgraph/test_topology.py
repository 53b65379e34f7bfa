import numpy as np
import pytest
import torch

from netgraph.errors import ParameterError
from netgraph.topology import erdos_renyi_mask, init_masks, set_density


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
    assert set_density(n_in, n_out, epsilon) == pytest.approx(expected)


def test_mask_shape_dtype_and_extremes():
    m = erdos_renyi_mask(5, 3, density=0.5, rng=0)
    assert m.shape == (3, 5) and m.dtype == torch.bool
    assert not erdos_renyi_mask(5, 3, density=0.0, rng=0).any()
    assert erdos_renyi_mask(5, 3, density=1.0, rng=0).all()
    assert erdos_renyi_mask(5, 3, epsilon=100, rng=0).all()


def test_mask_density_matches_set_probability():
    m = erdos_renyi_mask(1000, 1000, epsilon=20, rng=1)
    p = set_density(1000, 1000, 20)  # 0.04
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
        (lambda: set_density(0, 3, 1), "n_in=0"),
        (lambda: set_density(3, 2.5, 1), "n_out=2.5"),
        (lambda: set_density(3, 3, 0), "epsilon=0"),
        (lambda: set_density(3, 3, -1.0), "epsilon=-1.0"),
        (lambda: set_density(3, 3, "big"), "epsilon='big'"),
        (lambda: erdos_renyi_mask(3, 3), "exactly one of epsilon and density"),
        (lambda: erdos_renyi_mask(3, 3, epsilon=1, density=0.5), "exactly one"),
        (lambda: erdos_renyi_mask(3, 3, density=1.5), r"density=1.5, must be a number in \[0, 1\]"),
        (lambda: erdos_renyi_mask(3, 3, density=-0.1), "density=-0.1"),
        (lambda: init_masks([3, 2], epsilon=1, density=0.5), "at most one"),
        (lambda: init_masks([3], density=0.5), "at least two layers"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ParameterError, match=match):
        call()
