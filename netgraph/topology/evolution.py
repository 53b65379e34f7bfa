"""Topology evolution: one prune-and-regrow step of dynamic sparse training.

After each training epoch but the last, SET (Mocanu et al. 2018) removes a fraction ζ of
every layer's connections and regrows as many, so the number of connections -- and the
density -- never drifts. :func:`evolve_` does this in place on a
:class:`~netgraph.SparseMLP` with any pruning criterion of :mod:`netgraph.topology.pruning` and any
growth strategy of :mod:`netgraph.topology.growth`:

1. every layer: choose the connections to remove (:func:`~netgraph.topology.pruning.choose_to_prune`)
   and remove them (mask False, weight 0);
2. every layer, first to last: choose as many absent positions to grow
   (:func:`~netgraph.topology.growth.choose_to_grow`; positions just removed may be chosen again);
3. every layer, first to last: draw the new weights
   (:func:`~netgraph.topology.growth.new_weight_values`, with the spread of the surviving weights, or
   of the layer's weights before step 1 where no survivor is left or the survivors do not
   differ) and add the connections.

A layer with every connection present (a *dense* layer: SET's 1000 -> 10 output layer at
ε = 20, where the connection probability reaches 1) has nothing to grow into: removing and
regrowing would only put new weights where the removed ones stood. Evolution leaves such a
layer as it is (removed and added 0), in every step where it is dense; once pruning has made
it sparse, it evolves like the others.

Steps 2 and 3 draw from one random stream in that order, which is also the order of
:func:`netgraph.topology.edits.prune` followed by :func:`netgraph.topology.edits.grow`, so the graph edits
reproduce an evolution step exactly (as long as every layer keeps survivors with some spread:
the graph edits have no pre-removal spread to fall back on).

Examples
--------
>>> from netgraph import SparseMLP
>>> from netgraph.topology.initial import init_masks
>>> net = SparseMLP([8, 16, 4], masks=init_masks([8, 16, 4], density=0.5, rng=0))
>>> before = [net.n_connections(layer=l) for l in range(2)]
>>> stats = evolve_(net, zeta=0.3, criterion="magnitude", growth="strategic", rng=0)
>>> [(s["removed"], s["added"]) for s in stats]
[(17, 17), (8, 8)]
>>> [net.n_connections(layer=l) for l in range(2)] == before
True
"""

import math
import numbers

import numpy as np
import torch

from ..errors import ParameterError
from ..validation import check_choice, check_rng
from ._layers import check_grads
from .growth import DEFAULT_INIT, GROWTH_STRATEGIES, choose_to_grow, new_weight_values
from .pruning import PRUNING_CRITERIA, choose_to_prune

__all__ = ["evolve_", "reset_optimizer_state"]

_WEIGHT_OPTIONS = ("init", "init_scale")


@torch.no_grad()
def evolve_(model, *, zeta, criterion="set", growth="random", rng=None, grads=None, **growth_options):
    """Prune a fraction ``zeta`` of every layer's connections and regrow as many (in place).

    Parameters
    ----------
    model : SparseMLP
        Changed in place: masks, and weights at the removed and the added positions.
    zeta : float or int
        Amount to remove per layer, as for :func:`~netgraph.topology.pruning.choose_to_prune` (a float
        is a fraction in ``[0, 1)``; for ``criterion="set"`` a fraction of each sign). The
        fraction 1.0 is refused: it would remove every connection, so nothing learned would
        survive the step.
    criterion : str, optional
        A name in :data:`~netgraph.topology.pruning.PRUNING_CRITERIA`.
    growth : str, optional
        A name in :data:`~netgraph.topology.growth.GROWTH_STRATEGIES`. ``"none"`` means a static
        topology: nothing is removed or added.
    rng : optional
        Source of randomness (growth choices, then new weights): None, a seed or a Generator,
        see :func:`netgraph.validation.check_rng`.
    grads : sequence of torch.Tensor, optional
        One dense gradient per layer (see :func:`~netgraph.topology.growth.dense_gradients`);
        required by ``growth="gradient"``.
    **growth_options
        ``init`` (a name in :data:`~netgraph.topology.growth.GROW_INITS`, ``"normal"`` or ``"zero"``;
        default by strategy, :data:`~netgraph.topology.growth.DEFAULT_INIT`: ``"zero"`` for gradient,
        ``"normal"`` otherwise), ``init_scale`` (default
        :data:`~netgraph.topology.growth.DEFAULT_INIT_SCALE`, 0.3), and the strategy's own options
        (e.g. ``start_fraction`` for ``"strategic"``; options of other strategies are ignored).
        With ``init="normal"`` the new weights of a layer are drawn with the standard
        deviation of its surviving weights; where a layer keeps no survivor (an int count,
        or rounding on a tiny layer, removed all of it) or their standard deviation is 0,
        the standard deviation of the layer's weights before the removal is used instead
        (``fallback_sigma`` of :func:`~netgraph.topology.growth.new_weight_values`), so the layer is
        not regrown with zeros. The random stream is used the same way in both cases.

    Notes
    -----
    A dense layer (every connection present) is left as it is: with no absent position there
    is nothing to grow, and removing and regrowing would only re-initialise a share ``zeta``
    of its weights in place. Its ``removed`` and ``added`` are 0.

    Returns
    -------
    list of dict
        Per layer: ``removed`` and ``added`` (ints, equal), ``removed_index`` and
        ``added_index`` (LongTensors of flat out x in indices; an index may be in both when
        a connection was removed and regrown).

    Raises
    ------
    ParameterError
        For an unknown criterion, strategy or option, a bad ``zeta`` (the fraction 1.0
        included), or missing or mismatched ``grads``.
    """
    _check_zeta(zeta)
    check_choice(criterion, PRUNING_CRITERIA, name="criterion")
    check_choice(growth, GROWTH_STRATEGIES, name="growth")
    model.require_masked("evolve_")
    layers = list(model.layers)
    weight_opts = {k: growth_options.pop(k) for k in _WEIGHT_OPTIONS if k in growth_options}
    weight_opts.setdefault("init", DEFAULT_INIT[growth])
    grads = check_grads(grads, len(layers), growth)
    rng = check_rng(rng)
    empty = torch.zeros(0, dtype=torch.long)
    if growth == "none":
        # still validate zeta and the options, so a typo does not pass silently
        for layer in layers:
            choose_to_prune(layer.weight, layer.mask, zeta, criterion=criterion)
        choose_to_grow(layers[0].weight, layers[0].mask, 0, strategy="none", **growth_options)
        new_weight_values(layers[0].weight, layers[0].mask, 0, **weight_opts)
        return [dict(removed=0, added=0, removed_index=empty, added_index=empty) for _ in layers]

    # the spread before removal, for layers that keep no survivors (or only identical ones)
    before = [_present_std(layer) for layer in layers]
    removed = []
    for layer in layers:
        idx = choose_to_prune(layer.weight, layer.mask, zeta, criterion=criterion)
        if bool(layer.mask.all()):  # dense: nothing to grow into, so nothing is rewired
            idx = empty
        _put(layer.mask, idx, False)
        _put(layer.weight, idx, 0.0)
        removed.append(idx)
    added = [
        choose_to_grow(layer.weight, layer.mask, int(idx.numel()), strategy=growth, rng=rng, grad=g, **growth_options)
        for layer, idx, g in zip(layers, removed, grads)
    ]
    values = [
        new_weight_values(layer.weight, layer.mask, int(idx.numel()), rng=rng, fallback_sigma=sigma, **weight_opts)
        for layer, idx, sigma in zip(layers, added, before)
    ]
    for layer, idx, v in zip(layers, added, values):
        _put(layer.weight, idx, v)
        _put(layer.mask, idx, True)
    return [
        dict(removed=int(r.numel()), added=int(a.numel()), removed_index=r, added_index=a)
        for r, a in zip(removed, added)
    ]


def _check_zeta(zeta):
    """Refuse the fraction 1.0 (an int is a count and is checked per layer by choose_to_prune)."""
    if isinstance(zeta, numbers.Real) and not isinstance(zeta, numbers.Integral) and zeta == 1.0:
        raise ParameterError(
            f"zeta={zeta!r} removes every connection of every layer, so nothing learned survives; "
            "a fraction must be < 1 (an int is a count of connections)"
        )


def _present_std(layer):
    """Population standard deviation of the layer's present weights (float64; 0.0 if none)."""
    present = layer.weight.detach().cpu().numpy()[layer.mask.detach().cpu().numpy()].astype(np.float64)
    std = float(present.std()) if present.size else 0.0
    return std if math.isfinite(std) else None


@torch.no_grad()
def reset_optimizer_state(optimizer, model, added_index):
    """Zero per-weight optimizer state where a connection is absent or new (in place).

    After :func:`evolve_` (or pruning), momentum and Adam moments of removed connections would
    otherwise push their weights again, and a regrown connection would inherit the history of
    the one that stood there before. Every state tensor of a layer's weight shape is
    multiplied by the mask and zeroed at the regrown positions, so new edges start from rest.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        Its ``state`` for each layer's ``weight`` is changed in place.
    model : SparseMLP
        A masked network (``model.backend == "masked"``), as :func:`evolve_` needs one: the
        trainer runs both on a masked copy of a sparse network and converts back.
    added_index : sequence
        Per layer, the flat (out x in) indices of regrown connections
        (``evolve_``'s ``added_index``), or None.

    Examples
    --------
    >>> import torch
    >>> from netgraph import SparseMLP
    >>> net = SparseMLP([2, 1])
    >>> opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    >>> net(torch.ones(1, 2)).sum().backward(); opt.step()
    >>> reset_optimizer_state(opt, net, [torch.tensor([1])])
    >>> opt.state[net.layers[0].weight]["momentum_buffer"].tolist()
    [[1.0, 0.0]]
    """
    if model.backend != "masked":
        raise ParameterError(
            f"reset_optimizer_state: model is a {model.backend!r} network; the flat out x in indices of "
            "added_index and the dense optimizer state it resets belong to a masked one: reset the state of an "
            "optimizer over model.to_backend('masked') (netgraph.training.run does so, and converts back)"
        )
    for layer, index in zip(model.layers, added_index):
        state = optimizer.state.get(layer.weight, {})
        for value in state.values():
            if isinstance(value, torch.Tensor) and value.shape == layer.weight.shape:
                value.mul_(layer.mask)
                if index is not None and len(index):
                    value.view(-1)[torch.as_tensor(index, device=value.device)] = 0


def _put(tensor, idx, value):
    """``tensor.view(-1)[idx] = value``; through a numpy view on CPU, where torch's indexed
    writes are much slower when the cores are busy."""
    if tensor.device.type == "cpu" and tensor.is_contiguous():
        flat = tensor.detach().numpy().reshape(-1)
        flat[idx.numpy()] = value.numpy() if isinstance(value, torch.Tensor) else value
    else:
        tensor.view(-1)[idx.to(tensor.device)] = value
