import numpy as np
import pytest
import torch
from scipy.special import ndtr

from netgraph import SparseMLP
from netgraph.errors import ParameterError
from netgraph.topology.growth import (
    GROWTH_STRATEGIES,
    choose_to_grow,
    dense_gradients,
    grow_strategic,
    new_weight_values,
)


def random_layer(seed, n_out=12, n_in=9, density=None):
    g = np.random.default_rng(seed)
    density = g.uniform(0.05, 0.98) if density is None else density
    mask = torch.from_numpy(g.random((n_out, n_in)) < density)
    weight = torch.from_numpy(g.normal(size=(n_out, n_in)).astype(np.float32)) * mask
    grad = torch.from_numpy(g.normal(size=(n_out, n_in)).astype(np.float32))
    return weight, mask, grad


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("strategy", ["random", "strategic", "gradient"])
def test_growth_picks_distinct_absent_positions(strategy, seed):
    weight, mask, grad = random_layer(seed)
    n_absent = int((~mask).sum())
    n = int(np.random.default_rng(seed).integers(0, mask.numel()))
    idx = choose_to_grow(weight, mask, n, strategy=strategy, rng=seed, grad=grad)
    assert idx.dtype == torch.long
    assert idx.numel() == min(n, n_absent)
    assert not mask.view(-1)[idx].any()
    assert torch.equal(idx, torch.unique(idx))  # distinct and ascending


@pytest.mark.parametrize("strategy", ["random", "strategic"])
def test_growth_is_reproducible(strategy):
    weight, mask, _ = random_layer(0, 30, 30, density=0.2)
    a = choose_to_grow(weight, mask, 40, strategy=strategy, rng=5)
    assert torch.equal(a, choose_to_grow(weight, mask, 40, strategy=strategy, rng=5))
    assert not torch.equal(a, choose_to_grow(weight, mask, 40, strategy=strategy, rng=6))


def test_float_amount_is_fraction_of_present_connections():
    weight, mask, _ = random_layer(1, 20, 20, density=0.25)
    n_present = int(mask.sum())
    assert choose_to_grow(weight, mask, 0.5, rng=0).numel() == round(0.5 * n_present)


def test_count_capped_at_absent_positions():
    mask = torch.tensor([[True, False], [True, True]])
    assert choose_to_grow(torch.ones(2, 2), mask, 10, strategy="random", rng=0).tolist() == [1]
    assert choose_to_grow(torch.ones(2, 2), mask, 10, strategy="strategic", rng=0).tolist() == [1]
    full = torch.ones(2, 2, dtype=torch.bool)
    assert choose_to_grow(torch.ones(2, 2), full, 3, strategy="strategic", rng=0).tolist() == []


def test_none_grows_nothing():
    weight, mask, _ = random_layer(2)
    assert choose_to_grow(weight, mask, 5, strategy="none", rng=0).tolist() == []


# --- strategic -------------------------------------------------------------------------
# layer of 4 sources (columns) x 5 targets (rows); source scores s = column sums of |W|


def _strategic_layer():
    w = torch.zeros(5, 4)
    mask = torch.zeros(5, 4, dtype=torch.bool)
    # source 2: strongest (score 9), connected to targets 0, 1
    w[0, 2], w[1, 2] = 5.0, -4.0
    # source 0: second (score 3), connected to target 2
    w[2, 0] = 3.0
    # source 3: third (score 1), connected to target 3
    w[3, 3] = 1.0
    mask |= w != 0
    return w, mask


def test_strategic_starts_at_the_top_source():
    w, mask = _strategic_layer()
    idx = grow_strategic(w, mask, 3, rng=np.random.default_rng(0), start_fraction=0.25)
    # one start point (ceil(0.25 * 4)): source 2, whose free targets are 2, 3, 4
    assert idx.tolist() == [2 * 4 + 2, 3 * 4 + 2, 4 * 4 + 2]


def test_strategic_extends_start_points_in_score_order():
    w, mask = _strategic_layer()
    # source 2 has 3 free targets, source 0 has 4: 5 edges need both, none from 3 or 1
    idx = grow_strategic(w, mask, 5, rng=np.random.default_rng(0), start_fraction=0.25)
    src = (idx % 4).tolist()
    assert src.count(2) == 3 and src.count(0) == 2


def test_strategic_skips_full_sources():
    w, mask = _strategic_layer()
    mask[:, 2] = True
    w[:, 2] = 5.0  # source 2 is full: the start point becomes source 0
    idx = grow_strategic(w, mask, 2, rng=np.random.default_rng(1), start_fraction=0.25)
    assert (idx % 4).tolist() == [0, 0]
    assert not mask.view(-1)[idx].any()


@pytest.mark.parametrize("seed", range(5))
def test_strategic_only_possible_position(seed):
    w = torch.tensor([[1.0, 2.0], [3.0, 0.0]])
    mask = torch.tensor([[True, True], [True, False]])
    assert grow_strategic(w, mask, 1, rng=np.random.default_rng(seed)).tolist() == [3]


def test_strategic_sigma_zero_is_uniform():
    # a fresh layer: every weight zero, so every target scores 0 and sigma = 0
    mask = torch.zeros(4, 1, dtype=torch.bool)
    w = torch.zeros(4, 1)
    counts = np.zeros(4)
    rng = np.random.default_rng(0)
    for _ in range(2000):
        counts[grow_strategic(w, mask, 1, rng=rng).item()] += 1
    assert np.all(np.abs(counts / 2000 - 0.25) < 0.04)


def test_strategic_endpoint_probability_follows_normal_cdf():
    # source 0 is full (targets carry |w| = 1, 2, 3); source 1 has no edges and becomes the
    # start point; its endpoint is target j with probability Phi(z_j) / sum Phi
    w = torch.tensor([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    mask = w != 0
    t = np.array([1.0, 2.0, 3.0])
    p = ndtr((t - t.mean()) / t.std())
    p /= p.sum()  # about 0.074, 0.333, 0.593
    rng = np.random.default_rng(0)
    draws = 4000
    counts = np.zeros(3)
    for _ in range(draws):
        idx = grow_strategic(w, mask, 1, rng=rng, start_fraction=0.5).item()
        assert idx % 2 == 1
        counts[idx // 2] += 1
    assert np.all(np.abs(counts / draws - p) < 4 * np.sqrt(p * (1 - p) / draws))


@pytest.mark.parametrize("bad", [0, 0.0, 1.5, -0.2, "half", True])
def test_strategic_bad_start_fraction(bad):
    w, mask = _strategic_layer()
    with pytest.raises(ParameterError, match="start_fraction"):
        choose_to_grow(w, mask, 1, strategy="strategic", rng=0, start_fraction=bad)


# --- gradient --------------------------------------------------------------------------


def test_gradient_takes_largest_absent_gradients():
    grad = torch.tensor([[9.0, -1.0, 4.0], [-4.0, 0.5, -7.0]])
    mask = torch.tensor([[True, False, False], [False, False, True]])
    # absent: 1 (|-1|), 2 (4), 3 (4), 4 (0.5); the 9 and -7 are present
    idx = choose_to_grow(torch.zeros(2, 3), mask, 2, strategy="gradient", grad=grad)
    assert idx.tolist() == [2, 3]
    # tie at the boundary goes to the lower index
    idx = choose_to_grow(torch.zeros(2, 3), mask, 1, strategy="gradient", grad=grad)
    assert idx.tolist() == [2]


def test_gradient_needs_grad():
    weight, mask, _ = random_layer(0)
    with pytest.raises(ParameterError, match="needs the dense gradient"):
        choose_to_grow(weight, mask, 1, strategy="gradient")
    with pytest.raises(ParameterError, match="grad has shape"):
        choose_to_grow(weight, mask, 1, strategy="gradient", grad=torch.zeros(2, 2))


# --- validation ------------------------------------------------------------------------


def test_unknown_strategy_lists_valid_names():
    weight, mask, _ = random_layer(0)
    with pytest.raises(ParameterError) as err:
        choose_to_grow(weight, mask, 1, strategy="best")
    assert "strategy='best'" in str(err.value)
    for name in GROWTH_STRATEGIES:
        assert repr(name) in str(err.value)


def test_options_of_other_strategies_are_ignored_unknown_ones_raise():
    weight, mask, _ = random_layer(0)
    assert choose_to_grow(weight, mask, 2, strategy="random", rng=0, start_fraction=0.5).numel() == 2
    with pytest.raises(ParameterError, match="unknown growth option.*'start_frac'"):
        choose_to_grow(weight, mask, 2, strategy="strategic", rng=0, start_frac=0.5)


@pytest.mark.parametrize(
    "amount, match",
    [
        (-1, "amount=-1"),
        (1.5, r"amount=1.5, must be a fraction in \[0, 1\]"),
        (-0.1, "amount=-0.1"),
        ("3", "amount='3'"),
        (None, "amount=None"),
        (True, "amount=True"),
    ],
)
def test_bad_amount(amount, match):
    weight, mask, _ = random_layer(0)
    with pytest.raises(ParameterError, match=match):
        choose_to_grow(weight, mask, amount, rng=0)


def test_mask_shape_mismatch():
    with pytest.raises(ParameterError, match=r"mask has shape \(2, 2\), expected \(2, 3\)"):
        choose_to_grow(torch.zeros(2, 3), torch.zeros(2, 2, dtype=torch.bool), 1, rng=0)


# --- new weights -----------------------------------------------------------------------


def test_new_weights_normal_scaled_by_present_std():
    g = np.random.default_rng(0)
    weight = torch.from_numpy(g.normal(0, 0.5, size=(100, 100)).astype(np.float32))
    mask = torch.from_numpy(g.random((100, 100)) < 0.5)
    weight[~mask] = 100.0  # absent positions must not count
    sigma_w = float(weight[mask].double().std(unbiased=False))
    v = new_weight_values(weight, mask, 20000, init_scale=2.0, rng=1)
    assert v.shape == (20000,) and v.dtype == torch.float32
    assert float(v.std()) == pytest.approx(2.0 * sigma_w, rel=0.03)
    assert abs(float(v.mean())) < 0.03
    assert torch.equal(v, new_weight_values(weight, mask, 20000, init_scale=2.0, rng=1))


def test_new_weights_zero_and_degenerate():
    weight, mask, _ = random_layer(0)
    assert new_weight_values(weight, mask, 4, init="zero", rng=0).tolist() == [0.0] * 4
    empty = torch.zeros_like(mask)
    assert new_weight_values(weight, empty, 3, rng=0).tolist() == [0.0] * 3
    assert new_weight_values(weight, mask, 0, rng=0).shape == (0,)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(init="uniform"), "init='uniform' is not valid; expected one of 'normal', 'zero'"),
        (dict(init_scale=-1.0), "init_scale=-1.0"),
        (dict(n=-2), "n=-2"),
    ],
)
def test_new_weights_bad_input(kwargs, match):
    weight, mask, _ = random_layer(0)
    kwargs = dict(dict(n=3), **kwargs)
    n = kwargs.pop("n")
    with pytest.raises(ParameterError, match=match):
        new_weight_values(weight, mask, n, rng=0, **kwargs)


# --- dense gradients -------------------------------------------------------------------


def test_dense_gradients_match_autograd_on_effective_weights(make_net):
    g = np.random.default_rng(0)
    net = make_net([4, 5, 3], 0.5, seed=g, activation="tanh")
    x = torch.from_numpy(g.normal(size=(7, 4)).astype(np.float32))
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0])
    before = [p.detach().clone() for p in net.parameters()]
    grads = dense_gradients(net, x, y)
    # reference: a dense net holding W * M, ordinary backward
    ref = SparseMLP([4, 5, 3], activation="tanh")
    with torch.no_grad():
        for r, layer in zip(ref.layers, net.layers):
            r.weight.copy_(layer.weight * layer.mask)
            r.bias.copy_(layer.bias)
    torch.nn.functional.cross_entropy(ref(x), y).backward()
    for g_l, r in zip(grads, ref.layers):
        assert torch.allclose(g_l, r.weight.grad, atol=1e-6)
    assert bool((grads[0][~net.layers[0].mask] != 0).any())  # dense: absent positions too
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    assert all(p.grad is None for p in net.parameters())


# --- fallback sigma (a layer whose every connection was just removed) ---------------------


def test_new_weights_fall_back_when_no_weight_survives():
    weight, mask, _ = random_layer(0)
    empty = torch.zeros_like(mask)
    v = new_weight_values(weight * 0, empty, 20000, init_scale=0.5, rng=1, fallback_sigma=2.0)
    assert float(v.double().std()) == pytest.approx(0.5 * 2.0, rel=0.03)
    # survivors all equal (std 0, e.g. one survivor): the fallback applies too
    one = torch.zeros_like(mask)
    one[0, 0] = True
    v = new_weight_values(torch.full(mask.shape, 0.7), one, 5, rng=1, fallback_sigma=2.0)
    assert bool((v != 0).all())


def test_fallback_sigma_is_ignored_while_survivors_spread_and_draws_the_same_stream():
    weight, mask, _ = random_layer(3, density=0.5)
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    a = new_weight_values(weight, mask, 50, rng=rng_a)
    b = new_weight_values(weight, mask, 50, rng=rng_b, fallback_sigma=123.0)
    assert torch.equal(a, b) and rng_a.random() == rng_b.random()
    # with no survivor, the fallback changes the scale but not how much of the stream is used
    empty = torch.zeros_like(mask)
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    zeros = new_weight_values(weight, empty, 50, rng=rng_a)
    drawn = new_weight_values(weight, empty, 50, rng=rng_b, fallback_sigma=1.0)
    assert zeros.abs().sum() == 0 and drawn.abs().sum() > 0 and rng_a.random() == rng_b.random()


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), "big", True])
def test_new_weights_bad_fallback_sigma(bad):
    weight, mask, _ = random_layer(0)
    with pytest.raises(ParameterError, match=r"^fallback_sigma=.*, must be a (finite number|number >= 0)$"):
        new_weight_values(weight, mask, 3, rng=0, fallback_sigma=bad)


# --- registries ------------------------------------------------------------------------


def test_a_registered_strategy_defaults_to_normal_weights_and_unknown_names_still_fail(monkeypatch):
    from netgraph.topology.growth import DEFAULT_INIT, GROWTH_STRATEGIES, grow_random

    monkeypatch.setitem(GROWTH_STRATEGIES, "toy", grow_random)
    assert DEFAULT_INIT["toy"] == "normal"
    assert (DEFAULT_INIT["random"], DEFAULT_INIT["strategic"], DEFAULT_INIT["gradient"], DEFAULT_INIT["none"]) == (
        "normal",
        "normal",
        "zero",
        "zero",
    )
    with pytest.raises(KeyError):
        DEFAULT_INIT["unregistered"]
    weight, mask, _ = random_layer(0)
    assert torch.equal(choose_to_grow(weight, mask, 5, strategy="toy", rng=3), choose_to_grow(weight, mask, 5, rng=3))


def test_a_registered_grow_init_is_used_by_new_weight_values(monkeypatch):
    from netgraph.topology.growth import GROW_INITS

    seen = {}

    def halves(weight, mask, n, *, init_scale, rng, fallback_sigma=None):
        seen.update(n=n, init_scale=init_scale, fallback_sigma=fallback_sigma)
        return np.full(n, 0.5)

    monkeypatch.setitem(GROW_INITS, "halves", halves)
    weight, mask, _ = random_layer(0)
    v = new_weight_values(weight, mask, 3, init="halves", init_scale=0.7, rng=0, fallback_sigma=0.2)
    assert v.tolist() == [0.5] * 3 and v.dtype == weight.dtype
    assert seen == {"n": 3, "init_scale": 0.7, "fallback_sigma": 0.2}


def test_the_built_in_grow_inits_draw_as_new_weight_values_does():
    from netgraph.topology.growth import new_weights_normal, new_weights_zero

    weight, mask, _ = random_layer(0)
    drawn = new_weights_normal(weight, mask, 50, init_scale=0.3, rng=np.random.default_rng(4))
    assert torch.equal(
        new_weight_values(weight, mask, 50, rng=np.random.default_rng(4)), torch.as_tensor(drawn, dtype=torch.float32)
    )
    assert new_weights_zero(weight, mask, 2, init_scale=0.3, rng=None).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_dense_gradients_match_a_written_out_forward(make_net, activation):
    """The model's own forward (functional_call) gives the gradient of W * M at every position."""
    from torch.nn import functional as F

    from netgraph.nn.model import ACTIVATIONS
    from netgraph.topology.growth import dense_gradients

    g = np.random.default_rng(3)
    net = make_net([5, 6, 3], 0.4, seed=g, activation=activation)
    x, y = torch.from_numpy(g.normal(size=(7, 5)).astype(np.float32)), torch.tensor([0, 1, 2, 0, 1, 2, 0])
    eff = [(layer.weight * layer.mask).detach().requires_grad_(True) for layer in net.layers]
    h = ACTIVATIONS[activation](F.linear(x, eff[0], net.layers[0].bias.detach()))
    loss = F.cross_entropy(F.linear(h, eff[1], net.layers[1].bias.detach()), y)
    expected = torch.autograd.grad(loss, eff)
    got = dense_gradients(net, x, y)
    assert all(torch.equal(a, b) for a, b in zip(got, expected))
    assert all(p.grad is None for p in net.parameters())  # the model's parameters are left alone
