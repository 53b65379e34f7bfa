"""Initial sparse topologies: Erdős–Rényi masks with SET's ε.

Sparse Evolutionary Training (SET; Mocanu et al. 2018) starts every layer as an Erdős–Rényi
random bipartite graph: each of the ``n_in * n_out`` possible connections is present
independently with probability

.. math::

    p = \\min\\left(1, \\frac{\\varepsilon (n_\\mathrm{in} + n_\\mathrm{out})}{n_\\mathrm{in} n_\\mathrm{out}}\\right),

so a layer has about ``ε (n_in + n_out)`` connections: it grows linearly, not
quadratically, with the layer widths. An explicit ``density`` (the same probability for
every layer) is the alternative; giving neither means dense layers.

Masks are boolean tensors of shape ``(n_out, n_in)`` (``nn.Linear``'s out x in), ready for
:class:`netgraph.SparseMLP`.

For layers of any shape -- convolutions ``(n_out, n_in, k_h, k_w)`` beside Linear layers --
:func:`erk_densities` gives RigL's Erdős–Rényi-Kernel densities (Evci et al. 2020): a layer's
density proportional to ``sum(shape) / prod(shape)`` (``(n_in + n_out + k_h + k_w) / (n_in
n_out k_h k_w)``; SET's ε rule for a Linear layer), scaled so that the network has the target
density, layers that would exceed 1 made dense; :func:`uniform_densities` the same density
everywhere. :func:`random_masks` draws masks with exactly those counts.

Examples
--------
>>> m = erdos_renyi_mask(4, 3, density=0.5, rng=0)
>>> m.shape, m.dtype
(torch.Size([3, 4]), torch.bool)
>>> [tuple(m.shape) for m in init_masks([784, 1000, 10], epsilon=20, rng=0)]
[(1000, 784), (10, 1000)]

References
----------
.. [1] D. C. Mocanu, E. Mocanu, P. Stone, P. H. Nguyen, M. Gibescu, A. Liotta, "Scalable
   training of artificial neural networks with adaptive sparse connectivity inspired by
   network science", Nature Communications 9, 2383 (2018).
.. [2] U. Evci, T. Gale, J. Menick, P. S. Castro, E. Elsen, "Rigging the Lottery: Making All
   Tickets Winners", ICML (2020).
"""

import math
import numbers

import numpy as np
import torch

from ..errors import ParameterError
from ..validation import Interval, check_layer_sizes, check_positive_int, check_rng

__all__ = [
    "epsilon_probability",
    "expected_density",
    "erdos_renyi_mask",
    "init_masks",
    "erk_densities",
    "uniform_densities",
    "random_masks",
]

_EPSILON = Interval(numbers.Real, 0, closed="neither")
_DENSITY = Interval(numbers.Real, 0, 1)


def epsilon_probability(n_in, n_out, epsilon):
    """SET's connection probability ``p = ε (n_in + n_out) / (n_in n_out)``, clipped to 1.

    Parameters
    ----------
    n_in, n_out : int
        Layer widths (positive).
    epsilon : float
        SET's sparsity parameter ε (positive); larger means denser.

    Returns
    -------
    float
        The probability that a connection is present.

    Raises
    ------
    ParameterError
        If a width is not a positive int or ``epsilon`` is not a positive number.

    Examples
    --------
    >>> epsilon_probability(784, 1000, 20)
    0.04551020408163265
    >>> epsilon_probability(1000, 10, 20)
    1.0
    """
    n_in, n_out, epsilon = _check_set_args(n_in, n_out, epsilon)
    return min(1.0, epsilon * (n_in + n_out) / (n_in * n_out))


def expected_density(layer_sizes, *, epsilon=None, density=None):
    """Expected overall density of :func:`init_masks` with these options.

    With ``epsilon``, each layer's connections are present with its own probability
    :func:`epsilon_probability`, so the overall density is
    :math:`\\sum_l p_l n_l n_{l+1} / \\sum_l n_l n_{l+1}` (a dense layer, ``p`` clipped to 1,
    counts in full); with ``density`` it is ``density``; with neither (dense layers) 1.0. The
    masks drawn have this density in expectation (their connection counts are binomial).

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths from inputs to outputs.
    epsilon : float, optional
        SET's ε.
    density : float, optional
        The connection probability of every layer. Give at most one of the two.

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        If both ``epsilon`` and ``density`` are given, or the sizes or values are invalid.

    Examples
    --------
    >>> expected_density([784, 1000, 1000, 1000, 10], epsilon=20)
    0.04498210450966356
    >>> expected_density([64, 256, 256, 10], density=0.1), expected_density([3, 2])
    (0.1, 1.0)
    """
    sizes = check_layer_sizes(layer_sizes)
    if epsilon is not None and density is not None:
        raise ParameterError(f"epsilon={epsilon!r}, density={density!r}: give at most one of epsilon and density")
    if density is not None:
        return _check_density(density)
    if epsilon is None:
        return 1.0
    pairs = list(zip(sizes[:-1], sizes[1:]))
    present = sum(epsilon_probability(a, b, epsilon) * a * b for a, b in pairs)
    return present / sum(a * b for a, b in pairs)


def erdos_renyi_mask(n_in, n_out, *, epsilon=None, density=None, rng=None):
    """A random connection mask: every connection present independently with probability ``p``.

    Parameters
    ----------
    n_in, n_out : int
        Layer widths.
    epsilon : float, optional
        SET's ε: ``p = epsilon_probability(n_in, n_out, epsilon)``.
    density : float, optional
        ``p`` itself, in ``[0, 1]``. Give exactly one of ``epsilon`` and ``density``.
    rng : None, int, SeedSequence or numpy.random.Generator, optional
        Source of randomness.

    Returns
    -------
    torch.Tensor of bool, shape (n_out, n_in)
        ``mask[j, i]`` is True when input unit ``i`` connects to output unit ``j``. The number
        of connections is binomial with mean ``p * n_in * n_out`` (not fixed), as in SET.

    Raises
    ------
    ParameterError
        If both or neither of ``epsilon`` and ``density`` are given, or either is invalid.

    Examples
    --------
    >>> erdos_renyi_mask(3, 2, density=1.0).tolist()
    [[True, True, True], [True, True, True]]
    >>> int(erdos_renyi_mask(1000, 1000, epsilon=20, rng=0).sum())
    39866
    """
    if (epsilon is None) == (density is None):
        raise ParameterError(f"epsilon={epsilon!r}, density={density!r}: give exactly one of epsilon and density")
    if epsilon is not None:
        p = epsilon_probability(n_in, n_out, epsilon)
    else:
        n_in, n_out, _ = _check_set_args(n_in, n_out, 1.0)
        p = _check_density(density)
    rng = check_rng(rng)
    return torch.from_numpy(rng.random((n_out, n_in)) < p)


def init_masks(layer_sizes, *, epsilon=None, density=None, rng=None):
    """One connection mask per layer of a network.

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths from inputs to outputs.
    epsilon : float, optional
        SET's ε, applied to each layer with its own widths (see :func:`epsilon_probability`).
    density : float, optional
        The same connection probability for every layer.
    rng : None, int, SeedSequence or numpy.random.Generator, optional
        Source of randomness; the layers draw from one stream, first to last.

    Returns
    -------
    list of torch.Tensor of bool
        ``masks[l]`` has shape ``(layer_sizes[l + 1], layer_sizes[l])``. With neither
        ``epsilon`` nor ``density`` every mask is all True (dense layers).

    Raises
    ------
    ParameterError
        If both ``epsilon`` and ``density`` are given, or the sizes or values are invalid.

    Examples
    --------
    >>> [m.all().item() for m in init_masks([3, 2, 1])]
    [True, True]
    >>> [int(m.sum()) for m in init_masks([64, 256, 256, 10], epsilon=10, rng=0)]
    [3189, 5098, 2560]
    """
    sizes = check_layer_sizes(layer_sizes)
    pairs = list(zip(sizes[:-1], sizes[1:]))
    if epsilon is None and density is None:
        return [torch.ones(n_out, n_in, dtype=torch.bool) for n_in, n_out in pairs]
    if epsilon is not None and density is not None:
        raise ParameterError(f"epsilon={epsilon!r}, density={density!r}: give at most one of epsilon and density")
    rng = check_rng(rng)
    return [erdos_renyi_mask(n_in, n_out, epsilon=epsilon, density=density, rng=rng) for n_in, n_out in pairs]


def _check_set_args(n_in, n_out, epsilon):
    for name, n in (("n_in", n_in), ("n_out", n_out)):
        check_positive_int(n, name=name)
    return int(n_in), int(n_out), _EPSILON(epsilon, name="epsilon")


def _check_density(density):
    return _DENSITY(density, name="density")


def _check_shapes(shapes, dense):
    shapes = [tuple(shape) for shape in shapes]
    for k, shape in enumerate(shapes):
        if len(shape) < 2 or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0 for n in shape
        ):
            raise ParameterError(f"shapes[{k}]={shape!r}, must be a weight shape of 2 or more positive ints")
    dense = set(dense)
    bad = sorted(k for k in dense if not (isinstance(k, numbers.Integral) and 0 <= k < len(shapes)))
    if bad:
        raise ParameterError(f"dense={sorted(dense, key=str)!r}, must hold layer indices in [0, {len(shapes)})")
    return shapes, dense


def erk_densities(shapes, density, *, dense=()):
    """RigL's Erdős–Rényi-Kernel densities of layers of these weight shapes, for an overall ``density``.

    Layer ``l`` (``N_l = prod(shape_l)`` weights) gets ``d_l = min(1, eps * sum(shape_l) /
    prod(shape_l))``, ``eps`` chosen so that ``sum_l d_l N_l = density * sum_l N_l``: a layer
    whose density would exceed 1 is made dense, and ``eps`` solved again over the rest (the
    layers with the largest ratio first, one ratio at a time), as RigL does.

    Parameters
    ----------
    shapes : sequence of tuple of int
        Weight shapes, ``(n_out, n_in)`` or ``(n_out, n_in, k_h, k_w)``.
    density : float
        The overall density, in ``[0, 1]``.
    dense : iterable of int, optional
        Layers kept dense whatever the rule says (RigL keeps the first one dense); they count
        towards the overall density.

    Returns
    -------
    list of float
        One density per layer.

    Raises
    ------
    ParameterError
        If a shape is not a weight shape, ``density`` is outside ``[0, 1]``, a ``dense`` index is
        not a layer, or the dense layers alone exceed ``density``.

    Examples
    --------
    Two Linear layers 2 -> 2 and 4 -> 4 at density 0.8: the first would need 4/3, so it is dense,
    and the second holds the rest, 12 of its 16 weights:

    >>> erk_densities([(2, 2), (4, 4)], 0.8)
    [1.0, 0.75]
    >>> [round(d, 4) for d in erk_densities([(2, 2), (4, 4)], 0.5)]
    [0.8333, 0.4167]
    """
    shapes, dense = _check_shapes(shapes, dense)
    density = _check_density(density)
    sizes = [math.prod(shape) for shape in shapes]
    ratio = [sum(shape) / n for shape, n in zip(shapes, sizes)]
    target = density * sum(sizes)
    while True:
        sparse = [k for k in range(len(shapes)) if k not in dense]
        rest = target - sum(sizes[k] for k in dense)
        if rest < -1e-9 * max(target, 1.0):
            raise ParameterError(
                f"density={density!r}, must be at least the share of the dense layers "
                f"({sum(sizes[k] for k in dense) / sum(sizes):.6g})"
            )
        if not sparse:
            return [1.0] * len(shapes)
        eps = max(rest, 0.0) / sum(ratio[k] * sizes[k] for k in sparse)
        top = max(ratio[k] for k in sparse)
        if eps * top <= 1.0:
            return [1.0 if k in dense else eps * ratio[k] for k in range(len(shapes))]
        dense |= {k for k in sparse if ratio[k] == top}


def uniform_densities(shapes, density, *, dense=()):
    """The same density for every layer but the ``dense`` ones, scaled so the network has ``density``.

    Parameters, returns and errors as for :func:`erk_densities`.

    Examples
    --------
    >>> uniform_densities([(2, 2), (4, 4)], 0.5)
    [0.5, 0.5]
    >>> uniform_densities([(2, 2), (4, 4)], 0.5, dense=[0])
    [1.0, 0.375]
    """
    shapes, dense = _check_shapes(shapes, dense)
    density = _check_density(density)
    sizes = [math.prod(shape) for shape in shapes]
    rest = density * sum(sizes) - sum(sizes[k] for k in dense)
    sparse = sum(n for k, n in enumerate(sizes) if k not in dense)
    if rest < -1e-9 * sum(sizes):
        raise ParameterError(
            f"density={density!r}, must be at least the share of the dense layers "
            f"({sum(sizes[k] for k in dense) / sum(sizes):.6g})"
        )
    d = min(1.0, max(rest, 0.0) / sparse) if sparse else 1.0
    return [1.0 if k in dense else d for k in range(len(shapes))]


def random_masks(shapes, densities, *, rng=None):
    """Masks of these shapes with exactly ``round(d * prod(shape))`` present weights each, placed uniformly.

    Parameters
    ----------
    shapes : sequence of tuple of int
        Weight shapes.
    densities : sequence of float
        One per shape, in ``[0, 1]`` (:func:`erk_densities`, :func:`uniform_densities`).
    rng : None, int, SeedSequence or numpy.random.Generator, optional
        One stream for all layers, first to last.

    Returns
    -------
    list of torch.Tensor of bool

    Examples
    --------
    >>> [int(m.sum()) for m in random_masks([(6, 1, 5, 5), (10, 96)], [0.5, 0.1], rng=0)]
    [75, 96]
    """
    shapes, _ = _check_shapes(shapes, ())
    densities = list(densities)
    if len(densities) != len(shapes):
        raise ParameterError(f"densities has {len(densities)} entries, expected {len(shapes)} (one per shape)")
    rng = check_rng(rng)
    masks = []
    for shape, d in zip(shapes, densities):
        n = math.prod(shape)
        flat = np.zeros(n, dtype=bool)
        flat[rng.choice(n, size=int(round(_check_density(d) * n)), replace=False)] = True
        masks.append(torch.from_numpy(flat.reshape(shape)))
    return masks
