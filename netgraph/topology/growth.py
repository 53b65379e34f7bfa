"""Growth strategies: which absent connections of a layer to add.

Every strategy is a small function in :data:`GROWTH_STRATEGIES` with one signature::

    fn(weight, mask, n, *, rng, grad=None, **options) -> torch.LongTensor

``weight``, ``mask`` and ``grad`` are tensors of one layer, out x in (``nn.Linear``'s
layout) or out x in x kernel (``nn.Conv2d``'s: one position per kernel element); ``rng`` is a
``numpy.random.Generator``. The result holds ``n`` distinct flat (row-major) indices of
positions where ``mask`` is False (``j * n_in + i`` for a Linear layer), in ascending
order -- fewer only when fewer absent positions exist. A strategy never picks an existing
connection. Its options are its keyword-only parameters besides ``rng`` and ``grad``.

- ``"random"`` -- SET (Mocanu et al. 2018): uniform among the absent positions.
- ``"strategic"`` -- our reading of Finlinson & Moschoyiannis (2020): new edges start at the
  sources with the largest outgoing weight magnitude and end at targets drawn with
  probability proportional to the normal CDF of their standardised incoming magnitude. The
  authors' full text was not available to us; ``docs/METHODS.md`` gives the formulas.
- ``"gradient"`` -- RigL (Evci et al. 2020): the absent positions with the largest
  ``|dL/dw|`` (needs ``grad``; ties go to the lower flat index).
- ``"none"`` -- no growth.

:func:`choose_to_grow` validates and dispatches; :func:`new_weight_values` draws the weights of
the grown connections by one of :data:`GROW_INITS`; :func:`dense_gradients` computes the
``grad`` that ``"gradient"`` needs.

To add a strategy, write a function with the signature above and put it in
:data:`GROWTH_STRATEGIES` under a new name: :func:`choose_to_grow`,
:func:`netgraph.topology.evolution.evolve_`, ``TrainConfig(growth=...)`` and ``netgraph train --growth``
all take it from there (its new weights are ``"normal"`` unless :data:`DEFAULT_INIT` says
otherwise). The same holds for a way to draw new weights added to :data:`GROW_INITS`
(``TrainConfig(grow_init=...)``, ``--grow-init``).

Examples
--------
>>> import torch
>>> mask = torch.tensor([[True, False], [False, True]])
>>> choose_to_grow(torch.ones(2, 2), mask, 2, strategy="random", rng=0).tolist()
[1, 2]

References
----------
.. [1] D. C. Mocanu et al., "Scalable training of artificial neural networks with adaptive
   sparse connectivity inspired by network science", Nature Communications 9, 2383 (2018).
.. [2] D. Finlinson, S. Moschoyiannis, "Synthesis and Pruning as a Dynamic Compression
   Strategy for Efficient Deep Neural Networks" (2020).
.. [3] U. Evci, T. Gale, J. Menick, P. S. Castro, E. Elsen, "Rigging the Lottery: Making All
   Tickets Winners", ICML (2020).
"""

import inspect
import math
import numbers

import numpy as np
import torch
from scipy.special import log_ndtr
from torch.nn import functional as F

from ..errors import ParameterError
from ..validation import Interval, NoneOr, check_amount, check_choice, check_rng
from ._layers import as_index, check_layer, np_mask, np_weight
from .defaults import DEFAULT_INIT_SCALE

__all__ = [
    "GROWTH_STRATEGIES",
    "GROW_INITS",
    "DEFAULT_INIT",
    "DEFAULT_INIT_SCALE",
    "choose_to_grow",
    "new_weight_values",
    "dense_gradients",
    "grow_random",
    "grow_strategic",
    "grow_gradient",
    "grow_none",
    "new_weights_normal",
    "new_weights_zero",
]

# rows x targets of the Gumbel key matrix drawn at once by the strategic strategy
_CHUNK = 1 << 21
_START_FRACTION = Interval(numbers.Real, 0, 1, closed="right")
_NON_NEGATIVE = Interval(numbers.Real, 0)
_COUNT = Interval(numbers.Integral, 0)


def grow_random(weight, mask, n, *, rng, grad=None):
    """SET growth: ``n`` positions drawn uniformly without replacement among the absent ones.

    Examples
    --------
    >>> import numpy as np, torch
    >>> grow_random(torch.zeros(2, 3), torch.eye(2, 3, dtype=torch.bool), 4, rng=np.random.default_rng(0)).tolist()
    [1, 2, 3, 5]
    """
    absent = np.flatnonzero(~np_mask(mask))
    n = min(int(n), absent.size)
    picked = absent[rng.choice(absent.size, size=n, replace=False)] if n else absent[:0]
    return as_index(np.sort(picked), weight)


def grow_strategic(weight, mask, n, *, rng, grad=None, start_fraction=0.2):
    """Strategic synthesis: strong sources as start points, Gaussian-weighted endpoints.

    The nodes are units: for a Linear layer the input and output units, for a convolution its
    input and output *channels*, each kernel slice ``W[j, i]`` the connection between two of
    them (its present elements summed in the magnitudes below). A new element of a convolution
    is a free kernel position: step 3 draws, for a start channel ``i``, among the free elements
    ``(j, y, x)`` of its slices, each with probability proportional to ``Phi`` of its output
    channel ``j`` -- so the output channel follows the Gaussian rule and the position within the
    slice is uniform among the free ones. For a Linear layer (a 1-element kernel) this is the
    rule below exactly, with the same random draws.

    1. Each source unit ``i`` (input side) is scored by its outgoing magnitude
       ``s_i = sum_j |W[j, i]|`` over present connections. Sources are ranked by score
       (ties: lower index first); the start points are the top ``ceil(start_fraction * n_in)``
       sources that still have a free (unconnected) target. If they have fewer than ``n`` free
       positions between them, the next-ranked sources join until there are enough.
    2. The ``n`` new edges are spread uniformly at random over the start points (a
       multinomial draw), never more on a start point than it has free targets; any excess is
       spread again over the start points with room left.
    3. Each target ``j`` has incoming magnitude ``t_j = sum_i |W[j, i]|``; with ``mu`` and
       ``sigma`` their mean and (population) standard deviation, a start point's endpoints
       are drawn without replacement among its free targets with probability proportional to
       ``Phi((t_j - mu) / sigma)``, ``Phi`` the standard normal CDF (``sigma == 0``: every
       target gets ``Phi(0)``, i.e. uniform). Strong targets are favoured, none is excluded.

    Sampling uses the Gumbel-top-k trick, one key matrix per batch of start points.

    Parameters
    ----------
    weight, mask : torch.Tensor, shape (n_out, n_in)
    n : int
    rng : numpy.random.Generator
    grad : ignored
    start_fraction : float, optional
        Share of the sources (by score) used as start points, in ``(0, 1]``.

    Returns
    -------
    torch.LongTensor
        Ascending flat indices of the new connections.

    Examples
    --------
    Only source 1 has a free target, and only one:

    >>> import numpy as np, torch
    >>> w = torch.tensor([[1.0, 2.0], [3.0, 0.0]])
    >>> m = torch.tensor([[True, True], [True, False]])
    >>> grow_strategic(w, m, 1, rng=np.random.default_rng(0)).tolist()
    [3]
    """
    _START_FRACTION(start_fraction, name="start_fraction")
    m = np_mask(mask)
    n_out, n_in = m.shape[:2]
    m = m.reshape(n_out, n_in, -1)  # out x in x kernel elements (1 for a Linear layer)
    k_size = m.shape[2]
    free = (~m).sum(axis=(0, 2))  # free elements per source
    n = min(int(n), int(free.sum()))
    if n == 0:
        return as_index(np.zeros(0, dtype=np.int64), weight)
    a = np.abs(np_weight(weight).reshape(m.shape) * m, dtype=np.float64)
    source_score = a.sum(axis=(0, 2))
    target_score = a.sum(axis=(1, 2))

    # (1) start points: top sources by score that have room, extended until n positions fit
    ranked = np.argsort(-source_score, kind="stable")
    ranked = ranked[free[ranked] > 0]
    k = min(max(1, math.ceil(start_fraction * n_in)), ranked.size)
    k = max(k, int(np.searchsorted(np.cumsum(free[ranked]), n)) + 1)
    starts = ranked[:k]
    cap = free[starts]

    # (2) spread n edges over the start points, uniformly, within each one's capacity
    counts = np.zeros(k, dtype=np.int64)
    left = n
    while left:
        room = np.flatnonzero(counts < cap)
        counts[room] += rng.multinomial(left, np.full(room.size, 1.0 / room.size))
        over = np.maximum(counts - cap, 0)
        counts -= over
        left = int(over.sum())

    # (3) endpoints: Gumbel-top-k with log-probabilities log Phi(z_j) among the free elements (j, e)
    sigma = target_score.std()
    z = (target_score - target_score.mean()) / sigma if sigma > 0 else np.zeros(n_out)
    log_p = np.repeat(log_ndtr(z), k_size)  # per candidate j * k_size + e
    n_cand = n_out * k_size
    starts, counts = starts[counts > 0], counts[counts > 0]
    out = []
    rows = max(1, _CHUNK // n_cand)
    for lo in range(0, starts.size, rows):
        src, cnt = starts[lo : lo + rows], counts[lo : lo + rows]
        keys = log_p + rng.gumbel(size=(src.size, n_cand))
        keys[m[:, src, :].transpose(1, 0, 2).reshape(src.size, n_cand)] = -np.inf
        top = int(cnt.max())
        if top < n_cand:
            part = np.argpartition(-keys, top - 1, axis=1)[:, :top]
        else:
            part = np.broadcast_to(np.arange(n_cand), (src.size, n_cand))
        order = np.take_along_axis(part, np.argsort(-np.take_along_axis(keys, part, axis=1), axis=1), axis=1)
        take = np.arange(top) < cnt[:, None]
        cand = order[take]  # j * k_size + e
        tgt, elem = np.divmod(cand, k_size)
        out.append((tgt * n_in + np.repeat(src, cnt)) * k_size + elem)
    return as_index(np.sort(np.concatenate(out)), weight)


def grow_gradient(weight, mask, n, *, rng, grad=None):
    """RigL growth: the ``n`` absent positions with the largest ``|grad|``.

    Ties are broken towards the lower flat index, so the choice is deterministic; ``rng`` is
    not used.

    Raises
    ------
    ParameterError
        If ``grad`` is missing or not of the layer's shape.

    Examples
    --------
    >>> import torch
    >>> g = torch.tensor([[5.0, -3.0], [0.5, -9.0]])
    >>> m = torch.tensor([[True, False], [False, False]])
    >>> grow_gradient(torch.zeros(2, 2), m, 2, rng=None, grad=g).tolist()
    [1, 3]
    """
    if grad is None:
        raise ParameterError("grad=None: the 'gradient' growth strategy needs the dense gradient of the layer")
    if tuple(grad.shape) != tuple(mask.shape):
        raise ParameterError(f"grad has shape {tuple(grad.shape)}, expected {tuple(mask.shape)} (the weight's)")
    m = np_mask(mask).ravel()
    score = np.abs(grad.detach().cpu().numpy().astype(np.float64, copy=False).ravel())
    absent = np.flatnonzero(~m)
    n = min(int(n), absent.size)
    if n == 0:
        return as_index(absent[:0], weight)
    s = score[absent]
    # n-th largest value, then everything above it and the lowest-index ties at it
    thresh = np.partition(s, s.size - n)[s.size - n]
    above = absent[s > thresh]
    ties = absent[s == thresh][: n - above.size]
    return as_index(np.sort(np.concatenate([above, ties])), weight)


def grow_none(weight, mask, n, *, rng, grad=None):
    """No growth: always an empty index tensor.

    Examples
    --------
    >>> import torch
    >>> grow_none(torch.zeros(2, 2), torch.zeros(2, 2, dtype=torch.bool), 3, rng=None).tolist()
    []
    """
    return as_index(np.zeros(0, dtype=np.int64), weight)


#: Growth strategies by name; each has the signature ``fn(weight, mask, n, *, rng, grad=None, **options)``.
GROWTH_STRATEGIES = {
    "random": grow_random,
    "strategic": grow_strategic,
    "gradient": grow_gradient,
    "none": grow_none,
}


class _DefaultInit(dict):
    """The exceptions as a dict; any other registered strategy gets ``"normal"``."""

    def __missing__(self, strategy):
        if strategy in GROWTH_STRATEGIES:
            return "normal"
        raise KeyError(strategy)


#: The weight initialisation (a name in :data:`GROW_INITS`) each strategy's new connections get
#: by default: ``"zero"`` for ``"gradient"`` (RigL's choice) and ``"none"``, ``"normal"`` for
#: every other strategy of :data:`GROWTH_STRATEGIES`, registered later ones included.
DEFAULT_INIT = _DefaultInit(gradient="zero", none="zero")


def new_weights_normal(weight, mask, n, *, init_scale, rng, fallback_sigma=None):
    """``n`` draws from ``N(0, (init_scale * sigma_W)^2)``, ``sigma_W`` the spread of the present weights.

    ``sigma_W`` is the population standard deviation of the present weights; where there are
    none, or it is 0, it is ``fallback_sigma`` (without one: 0, giving zeros). The ``n``
    normals are drawn whatever the scale, so the random stream advances the same way.

    Examples
    --------
    >>> import numpy as np, torch
    >>> w = torch.tensor([[1.0, -1.0]])
    >>> new_weights_normal(w, w != 0, 2, init_scale=0.0, rng=np.random.default_rng(0)).tolist()
    [0.0, -0.0]
    """
    present = np_weight(weight)[np_mask(mask)].astype(np.float64)
    sigma_w = float(present.std()) if present.size else 0.0
    if sigma_w == 0.0 and fallback_sigma is not None:
        sigma_w = float(fallback_sigma)
    return rng.normal(0.0, float(init_scale) * sigma_w, size=int(n))


def new_weights_zero(weight, mask, n, *, init_scale, rng, fallback_sigma=None):
    """``n`` zeros (RigL's choice: a new connection starts without effect). Uses no randomness.

    Examples
    --------
    >>> import torch
    >>> new_weights_zero(torch.ones(1, 2), torch.ones(1, 2, dtype=torch.bool), 3, init_scale=0.3, rng=None).tolist()
    [0.0, 0.0, 0.0]
    """
    return np.zeros(int(n))


#: Ways to draw the weights of new connections by name (``init`` of :func:`new_weight_values`,
#: ``TrainConfig.grow_init``); each is ``fn(weight, mask, n, *, init_scale, rng, fallback_sigma=None)``
#: returning ``n`` floats, with ``weight`` and ``mask`` the layer before the connections are added
#: and ``rng`` a ``numpy.random.Generator``.
GROW_INITS = {"normal": new_weights_normal, "zero": new_weights_zero}


def choose_to_grow(weight, mask, amount, *, strategy="random", rng=None, grad=None, **options):
    """Choose which absent connections of one layer to add.

    Parameters
    ----------
    weight, mask : torch.Tensor, shape (n_out, n_in)
        The layer's weight and boolean mask.
    amount : int or float
        An int is a count; a float in ``[0, 1]`` a fraction of the layer's *present*
        connections (rounded to the nearest int). Capped at the number of absent positions.
    strategy : str, optional
        A name in :data:`GROWTH_STRATEGIES`.
    rng : optional
        Source of randomness: None, a seed or a Generator, see
        :func:`netgraph.validation.check_rng`.
    grad : torch.Tensor, optional
        Dense gradient of the loss with respect to the layer's effective weight (for
        ``"gradient"``; see :func:`dense_gradients`).
    **options
        The strategy's options (``start_fraction`` for ``"strategic"``). Options that belong
        to another registered strategy are ignored, so one set of options can serve all.

    Returns
    -------
    torch.LongTensor
        Ascending distinct flat indices (out x in, row-major) of absent positions.

    Raises
    ------
    ParameterError
        For an unknown strategy or option, a bad ``amount``, mismatched shapes, or
        ``"gradient"`` without ``grad``.

    Examples
    --------
    >>> import torch
    >>> m = torch.tensor([[True, True, False, False]])
    >>> choose_to_grow(torch.ones(1, 4), m, 0.5, strategy="random", rng=0).tolist()
    [3]
    """
    fn = _check_strategy(strategy)
    mask = check_layer(weight, mask)
    n_present = int(np.count_nonzero(np_mask(mask)))
    n_absent = mask.numel() - n_present
    n = min(_check_count(amount, n_present), n_absent)
    own = _strategy_options(fn, options)
    return fn(weight, mask, n, rng=check_rng(rng), grad=grad, **own)


def new_weight_values(weight, mask, n, *, init="normal", init_scale=DEFAULT_INIT_SCALE, rng=None, fallback_sigma=None):
    """Weights for ``n`` new connections of a layer.

    Parameters
    ----------
    weight, mask : torch.Tensor, shape (n_out, n_in)
        The layer as it is before the new connections are added.
    n : int
        How many values.
    init : str, optional
        A name in :data:`GROW_INITS`. ``"normal"`` (:func:`new_weights_normal`) draws from
        ``N(0, (init_scale * sigma_W)^2)`` with ``sigma_W`` the population standard deviation
        of the present weights; where there are none, or their standard deviation is 0,
        ``sigma_W`` is ``fallback_sigma`` (without one: 0, giving zeros). ``"zero"`` gives
        zeros (RigL's choice).
    init_scale : float, optional
        Multiplier of ``sigma_W`` (non-negative).
    rng : optional
        Source of randomness: None, a seed or a Generator, see
        :func:`netgraph.validation.check_rng`.
    fallback_sigma : float, optional
        ``sigma_W`` to use when the present weights have no spread: typically the standard
        deviation of the layer's weights *before* the connections were removed, as
        :func:`netgraph.topology.evolution.evolve_` passes it, so a layer that lost every connection
        (or all but identical ones) is not regrown with zeros. It never replaces a positive
        standard deviation of the present weights, and the same amount of ``rng`` is used
        either way.

    Returns
    -------
    torch.Tensor, shape (n,)
        In the weight's dtype and device.

    Raises
    ------
    ParameterError
        For an unknown ``init``, a negative ``init_scale`` or ``n``, a ``fallback_sigma``
        that is not a non-negative finite number, or mismatched shapes.

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([[1.0, -1.0], [0.0, 0.0]])
    >>> new_weight_values(w, w != 0, 3, init="zero").tolist()
    [0.0, 0.0, 0.0]
    >>> new_weight_values(w, w != 0, 2, init_scale=0.0, rng=0).tolist()
    [0.0, 0.0]

    No weight present: zeros, unless a fallback spread is given.

    >>> none = torch.zeros(2, 2, dtype=torch.bool)
    >>> new_weight_values(w, none, 2, rng=0).tolist()
    [0.0, 0.0]
    >>> bool((new_weight_values(w, none, 2, rng=0, fallback_sigma=1.0) != 0).all())
    True
    """
    check_choice(init, GROW_INITS, name="init")
    _NON_NEGATIVE(init_scale, name="init_scale")
    _COUNT(n, name="n")
    NoneOr(_NON_NEGATIVE)(fallback_sigma, name="fallback_sigma")
    mask = check_layer(weight, mask)
    rng = check_rng(rng)
    values = np.zeros(0)
    if n:
        values = GROW_INITS[init](weight, mask, int(n), init_scale=init_scale, rng=rng, fallback_sigma=fallback_sigma)
    return torch.as_tensor(values, dtype=weight.dtype, device=weight.device)


def dense_gradients(model, inputs, targets):
    """Cross-entropy gradient with respect to each layer's effective weight ``W * M``.

    The gradient is dense: it is generally non-zero at absent positions too, which is what
    RigL-style growth ranks. The model's parameters and their ``.grad`` are left untouched.

    Parameters
    ----------
    model : SparseMLP or netgraph.nn.conv.SparseCNN
    inputs : torch.Tensor, shape (batch, n_features)
    targets : torch.LongTensor, shape (batch,)
        Class indices.

    Returns
    -------
    list of torch.Tensor
        One per layer, of its weight's shape.

    Examples
    --------
    >>> import torch
    >>> from netgraph import SparseMLP
    >>> net = SparseMLP([2, 2], masks=[torch.tensor([[True, False], [False, True]])])
    >>> g = dense_gradients(net, torch.ones(3, 2), torch.tensor([0, 1, 1]))
    >>> g[0].shape, bool((g[0] != 0).all())
    (torch.Size([2, 2]), True)
    """
    if model.backend != "masked":  # the dense gradient needs dense weights: a masked copy
        model = model.to_backend("masked")
    # the model's own forward, with every weight replaced by its effective value W * M and every
    # mask by ones, so that the gradient reaches absent positions too
    replaced, eff = {}, []
    names = {id(module): name for name, module in model.named_modules()}
    for layer in model.layers:
        name = names[id(layer)]
        w = (layer.weight * layer.mask).detach().requires_grad_(True)
        eff.append(w)
        replaced[f"{name}.weight"] = w
        replaced[f"{name}.mask"] = torch.ones_like(layer.mask)
        if layer.bias is not None:
            replaced[f"{name}.bias"] = layer.bias.detach()
    for name, buffer in model.named_buffers():  # BatchNorm's running statistics: updated in copies, not the model's
        replaced.setdefault(name, buffer.clone())
    with torch.enable_grad():
        out = torch.func.functional_call(model, replaced, (inputs,))
        grads = torch.autograd.grad(F.cross_entropy(out, targets), eff)
    return [g.detach() for g in grads]


def _check_strategy(strategy):
    check_choice(strategy, GROWTH_STRATEGIES, name="strategy")
    return GROWTH_STRATEGIES[strategy]


def _option_names(fn):
    params = inspect.signature(fn).parameters.values()
    return {p.name for p in params if p.kind is p.KEYWORD_ONLY and p.name not in ("rng", "grad")}


def _strategy_options(fn, options):
    """The options ``fn`` takes; options of other strategies are dropped, unknown ones raise."""
    own = _option_names(fn)
    known = set().union(*(_option_names(f) for f in GROWTH_STRATEGIES.values()))
    unknown = sorted(set(options) - known)
    if unknown:
        valid = ", ".join(sorted(known)) or "none"
        raise ParameterError(f"unknown growth option(s) {', '.join(map(repr, unknown))}; valid options: {valid}")
    return {k: v for k, v in options.items() if k in own}


def _check_count(amount, n_present):
    """An int count (any non-negative size) or a fraction of the present connections."""
    if isinstance(amount, numbers.Integral) and not isinstance(amount, bool):
        return check_amount(amount, max(int(amount), 0))
    return check_amount(amount, n_present)
