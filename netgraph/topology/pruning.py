"""Pruning: which present connections to remove, schedules, and unused-path removal.

Pruning criteria are small functions in :data:`PRUNING_CRITERIA` with one signature::

    fn(weight, mask, amount) -> torch.LongTensor

returning ascending distinct flat (row-major, out x in) indices of *present* connections.
``amount`` is an int count or a float fraction (see :func:`choose_to_prune`).

- ``"set"`` -- SET (Mocanu et al. 2018): the fraction ``amount`` of the smallest positive
  weights and, separately, of the largest negative weights (the negatives closest to zero).
  A present weight of exactly 0 counts on the positive side, where it is the smallest value,
  so zeros go first. Per side the count is ``round(amount * n_side)`` (Python's ``round``,
  ties to even). An int ``amount`` is a total count, split between the sides in proportion
  to their sizes: ``k_pos = floor(amount * n_pos / n + 1/2)``, ``k_neg = amount - k_pos``.
- ``"magnitude"`` -- the ``amount`` smallest ``|w|`` (a float is a fraction of the present
  connections, rounded like :func:`netgraph.validation.check_amount`).

Ties between equal values go to the lower flat index, so every criterion is deterministic.

To add a criterion, write a function with the signature above and put it in
:data:`PRUNING_CRITERIA` under a new name: :func:`choose_to_prune`, :func:`prune_to_density_`,
:func:`netgraph.topology.evolution.evolve_`, ``TrainConfig(criterion=..., prune_criterion=...)`` and
``netgraph train --criterion/--prune-criterion`` all take it from there.

:func:`gmp_density` is Zhu & Gupta's (2017) cubic gradual-pruning schedule (in epochs),
:func:`prune_to_density_` applies one step of it, and :func:`remove_dead_` removes unused
paths (P-RM) without changing the network's outputs.

Examples
--------
>>> import torch
>>> w = torch.tensor([[1.0, 2.0, 3.0, 4.0], [-4.0, -3.0, -2.0, -1.0]])
>>> choose_to_prune(w, w != 0, 0.25, criterion="set").tolist()
[0, 7]
>>> choose_to_prune(w, w != 0, 2, criterion="magnitude").tolist()
[0, 7]

References
----------
.. [1] D. C. Mocanu et al., "Scalable training of artificial neural networks with adaptive
   sparse connectivity inspired by network science", Nature Communications 9, 2383 (2018).
.. [2] M. Zhu, S. Gupta, "To prune, or not to prune: exploring the efficacy of pruning for
   model compression", arXiv:1710.01878 (2017).
"""

import math
import numbers

import numpy as np
import torch

from ..errors import ParameterError
from ..validation import Interval, check_amount, check_choice
from ._layers import as_index, check_layer, np_mask, np_weight

__all__ = [
    "PRUNING_CRITERIA",
    "choose_to_prune",
    "prune_set",
    "prune_magnitude",
    "gmp_density",
    "prune_to_density_",
    "remove_dead_",
    "remove_dead_tensors_",
]


_NUMBER = Interval(numbers.Real)
_DENSITY = Interval(numbers.Real, 0, 1)


def prune_set(weight, mask, amount):
    """SET's rule: the smallest positive and, separately, the largest negative weights.

    See the module docstring for how zeros, fractions and int counts are handled.

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([[0.5, 0.0, 2.0], [-1.0, -0.1, 3.0]])
    >>> prune_set(w, torch.ones(2, 3, dtype=torch.bool), 0.5).tolist()  # 0.0 and 0.5; -0.1
    [0, 1, 4]
    """
    w, present = _present(weight, mask)
    vals = w[present]
    pos = present[vals >= 0]
    neg = present[vals < 0]
    n = present.size
    if isinstance(amount, numbers.Integral) and not isinstance(amount, bool):
        k = check_amount(amount, n)
        k_pos = min(pos.size, math.floor(k * pos.size / n + 0.5)) if n else 0
        k_neg = k - k_pos
    else:
        k_pos = check_amount(amount, pos.size)
        k_neg = check_amount(amount, neg.size)
    pos_order = np.argsort(w[pos], kind="stable")  # smallest positive first
    neg_order = np.argsort(-w[neg], kind="stable")  # closest to zero first
    picked = np.concatenate([pos[pos_order[:k_pos]], neg[neg_order[:k_neg]]])
    return as_index(np.sort(picked), weight)


def prune_magnitude(weight, mask, amount):
    """The present connections with the smallest ``|w|``.

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([[1.0, 2.0, 3.0, 4.0], [-4.0, -3.0, -2.0, -1.0]])
    >>> prune_magnitude(w, w != 0, 0.5).tolist()
    [0, 1, 6, 7]
    """
    w, present = _present(weight, mask)
    k = check_amount(amount, present.size)
    order = np.argsort(np.abs(w[present]), kind="stable")
    return as_index(np.sort(present[order[:k]]), weight)


#: Pruning criteria by name; each has the signature ``fn(weight, mask, amount)``.
PRUNING_CRITERIA = {"set": prune_set, "magnitude": prune_magnitude}


def choose_to_prune(weight, mask, amount, *, criterion="set"):
    """Choose which present connections of one layer to remove.

    Parameters
    ----------
    weight, mask : torch.Tensor, shape (n_out, n_in)
        The layer's weight and boolean mask.
    amount : int or float
        An int is a count (at most the number of present connections); a float in
        ``[0, 1]`` a fraction (for ``"set"``: of each sign).
    criterion : str, optional
        A name in :data:`PRUNING_CRITERIA`.

    Returns
    -------
    torch.LongTensor
        Ascending distinct flat indices (out x in, row-major) of present connections.

    Raises
    ------
    ParameterError
        For an unknown criterion, a bad ``amount`` or mismatched shapes.

    Examples
    --------
    >>> import torch
    >>> choose_to_prune(torch.tensor([[3.0, -1.0, 2.0]]), torch.ones(1, 3, dtype=torch.bool), 1, criterion="magnitude").tolist()
    [1]
    """
    check_choice(criterion, PRUNING_CRITERIA, name="criterion")
    mask = check_layer(weight, mask)
    return PRUNING_CRITERIA[criterion](weight, mask, amount)


def gmp_density(epoch, *, start_epoch, end_epoch, initial_density, target_density):
    """Density at ``epoch`` under gradual magnitude pruning (Zhu & Gupta 2017, cubic).

    .. math::

        d_t = d_f + (d_i - d_f) \\left(1 - \\frac{t - t_0}{t_1 - t_0}\\right)^3
        \\quad\\text{for } t_0 \\le t \\le t_1,

    ``d_i`` before ``t_0``, ``d_f`` after ``t_1`` (Zhu & Gupta write ``t_1 - t_0 = n Δt``
    in steps; here time is counted in epochs).

    Parameters
    ----------
    epoch : float
    start_epoch, end_epoch : float
        ``t_0 <= t_1``; when equal, the density drops to the target at ``t_0``.
    initial_density, target_density : float
        ``d_i`` and ``d_f`` in ``[0, 1]``.

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        If ``end_epoch < start_epoch`` or a density lies outside ``[0, 1]``.

    Examples
    --------
    >>> [gmp_density(t, start_epoch=0, end_epoch=4, initial_density=1.0, target_density=0.2) for t in (0, 2, 4, 9)]
    [1.0, 0.30000000000000004, 0.2, 0.2]
    """
    for name, v in (("epoch", epoch), ("start_epoch", start_epoch), ("end_epoch", end_epoch)):
        _NUMBER(v, name=name)
    for name, v in (("initial_density", initial_density), ("target_density", target_density)):
        _DENSITY(v, name=name)
    if end_epoch < start_epoch:
        raise ParameterError(f"end_epoch={end_epoch!r}, must be >= start_epoch={start_epoch!r}")
    if epoch < start_epoch:
        return float(initial_density)
    if epoch >= end_epoch:
        return float(target_density)
    frac = (epoch - start_epoch) / (end_epoch - start_epoch)
    return float(target_density + (initial_density - target_density) * (1.0 - frac) ** 3)


@torch.no_grad()
def prune_to_density_(model, density, *, criterion="magnitude"):
    """Bring each layer down to ``density`` of its possible connections (in place).

    A layer with ``m`` possible connections keeps ``round(density * m)`` of them; a layer
    already at or below that is left alone (never grown). Removed weights are set to 0.

    Parameters
    ----------
    model : SparseMLP
    density : float or sequence of float
        In ``[0, 1]``: one density for every layer, or one per layer.
    criterion : str, optional
        A name in :data:`PRUNING_CRITERIA` (``"set"`` is given the count to remove).

    Returns
    -------
    list of int
        Connections removed per layer.

    Examples
    --------
    >>> import torch
    >>> from netgraph import SparseMLP
    >>> net = SparseMLP([4, 2, 1])
    >>> prune_to_density_(net, 0.5), net.n_connections()
    ([4, 1], 5)
    >>> prune_to_density_(net, [0.25, 0.5]), net.n_connections()
    ([2, 0], 3)
    """
    check_choice(criterion, PRUNING_CRITERIA, name="criterion")
    model.require_masked("prune_to_density_")
    n_layers = len(model.layers)
    densities = list(density) if isinstance(density, (list, tuple)) else [density] * n_layers
    if len(densities) != n_layers:
        raise ParameterError(f"density has {len(densities)} entries, expected {n_layers} (one per layer)")
    for d in densities:
        if isinstance(d, bool) or not isinstance(d, numbers.Real) or not 0 <= d <= 1:
            raise ParameterError(f"density={density!r}, must be a number in [0, 1] or one per layer")
    removed = []
    for layer, d in zip(model.layers, densities):
        keep = check_amount(float(d), layer.mask.numel())
        k = max(0, int(layer.mask.sum()) - keep)
        idx = choose_to_prune(layer.weight, layer.mask, k, criterion=criterion) if k else None
        if idx is not None:
            layer.mask.view(-1)[idx] = False
            layer.weight.view(-1)[idx] = 0.0
        removed.append(k)
    return removed


@torch.no_grad()
def remove_dead_(model):
    """Remove unused paths (P-RM) in place, leaving the network's outputs unchanged.

    Repeated until nothing changes, for every hidden unit ``j``:

    - no outgoing connections: its incoming connections are removed and its bias set to 0
      (its value reaches nothing);
    - no incoming connections (but outgoing ones): its output is the constant
      ``act(b_j)``, so ``act(b_j) * W[k, j]`` is added to the bias of every unit ``k`` it
      feeds; then its outgoing connections are removed and its bias set to 0. Without
      biases this is done only where ``act(0) == 0`` (e.g. relu, tanh), since there is no
      bias to fold a non-zero constant into.

    Layer sizes stay the same: a dropped unit remains as an isolated unit.

    Parameters
    ----------
    model : SparseMLP

    Returns
    -------
    dict
        ``"no_outgoing"`` and ``"no_incoming"``: units dropped per layer of units (inputs
        and outputs always 0); ``"removed"``: connections removed per layer of weights.

    Examples
    --------
    >>> import torch
    >>> from netgraph import SparseMLP
    >>> net = SparseMLP([2, 2, 1], masks=[torch.tensor([[True, True], [False, False]]), torch.ones(1, 2)])
    >>> remove_dead_(net)
    {'no_outgoing': [0, 0, 0], 'no_incoming': [0, 1, 0], 'removed': [0, 1]}
    """
    model.require_masked("remove_dead_")
    layers = list(model.layers)
    masks = [layer.mask for layer in layers]
    weights = [layer.weight for layer in layers]
    biases = [layer.bias for layer in layers] if model.has_bias else None
    return remove_dead_tensors_(masks, weights, biases, activation=model.activation)


@torch.no_grad()
def remove_dead_tensors_(masks, weights, biases, *, activation="relu"):
    """:func:`remove_dead_` on plain per-layer tensors, changed in place.

    The kernel behind :func:`remove_dead_` (a model) and :func:`netgraph.topology.edits.remove_dead`
    (a graph).

    Parameters
    ----------
    masks, weights : list of torch.Tensor
        ``masks[l]`` (bool) and ``weights[l]``, out x in.
    biases : list of torch.Tensor or None
        Bias vectors, or None for a network without biases.
    activation : str, optional
        A name in :data:`netgraph.nn.model.ACTIVATIONS`.

    Returns
    -------
    dict
        As :func:`remove_dead_`.

    Examples
    --------
    >>> import torch
    >>> masks = [torch.tensor([[True], [True]]), torch.tensor([[True, False]])]
    >>> weights = [torch.ones(2, 1), torch.tensor([[2.0, 0.0]])]
    >>> remove_dead_tensors_(masks, weights, None)["removed"], masks[0].tolist()
    ([1, 0], [[True], [False]])
    """
    from ..nn.model import ACTIVATIONS

    check_choice(activation, ACTIVATIONS, name="activation")
    act = ACTIVATIONS[activation]
    n_layers = len(masks)
    no_out = [0] * (n_layers + 1)
    no_in = [0] * (n_layers + 1)
    removed = [0] * n_layers
    can_fold_zero_bias = biases is not None or float(act(torch.zeros(1))[0]) == 0.0
    changed = True
    while changed:
        changed = False
        for h in range(1, n_layers):  # hidden unit layer h: fed by masks[h-1], feeds masks[h]
            m_in, m_out = masks[h - 1], masks[h]
            indeg = m_in.sum(dim=1)
            outdeg = m_out.sum(dim=0)
            dead_end = (outdeg == 0) & (indeg > 0)
            if dead_end.any():
                removed[h - 1] += int(indeg[dead_end].sum())
                no_out[h] += int(dead_end.sum())
                m_in[dead_end] = False
                weights[h - 1][dead_end] = 0.0
                if biases is not None:
                    biases[h - 1][dead_end] = 0.0
                changed = True
            constant = (indeg == 0) & (outdeg > 0) & can_fold_zero_bias
            if constant.any():
                cols = torch.nonzero(constant).ravel()
                if biases is not None:
                    value = act(biases[h - 1][cols])
                    w = weights[h][:, cols] * m_out[:, cols]
                    biases[h] += w @ value.to(w.dtype)
                    biases[h - 1][cols] = 0.0
                removed[h] += int(outdeg[cols].sum())
                no_in[h] += int(cols.numel())
                m_out[:, cols] = False
                weights[h][:, cols] = 0.0
                changed = True
    return {"no_outgoing": no_out, "no_incoming": no_in, "removed": removed}


def _present(weight, mask):
    return np_weight(weight).ravel(), np.flatnonzero(np_mask(mask).ravel())
