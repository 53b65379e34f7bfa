"""Graph edits: pruning, growth and unused-path removal on a graph from :func:`~netgraph.to_graph`.

These are the operations of dynamic sparse training expressed on the weighted
``networkx.DiGraph`` of a network (nodes ``(layer, index)``, edges ``(l, i) -> (l + 1, j)``
with attribute ``weight``). Choosing is separate from applying:

- :func:`choose_edges_to_prune` / :func:`choose_edges_to_grow` return, per layer of weights, the
  list of ``(u, v)`` edges to remove or add -- computed by the very functions the training
  loop uses (:mod:`netgraph.topology.pruning`, :mod:`netgraph.topology.growth`) on the layer's weight matrix,
  so for the same weights and the same ``rng`` they choose the same connections;
- :func:`remove_edges` / :func:`add_edges` apply a choice;
- :func:`prune`, :func:`grow` and :func:`remove_dead` do both.

Every function that edits takes ``copy``: with ``copy=True`` (the default) ``G`` is left
alone and an edited copy is returned; with ``copy=False`` ``G`` is modified in place and
returned. :func:`prune` followed by :func:`grow` with the per-layer removed counts and the
same ``rng`` reproduces :func:`netgraph.topology.evolution.evolve_` exactly.

Examples
--------
>>> import torch
>>> from netgraph import SparseMLP, to_graph
>>> net = SparseMLP([2, 2])
>>> with torch.no_grad():
...     _ = net.layers[0].weight.copy_(torch.tensor([[1.0, -2.0], [3.0, -0.5]]))
>>> G = to_graph(net)
>>> choose_edges_to_prune(G, 1, criterion="magnitude")
[[((0, 1), (1, 1))]]
>>> H = prune(G, 0.5, criterion="set")
>>> sorted(H.edges()), G.number_of_edges()
([((0, 0), (1, 1)), ((0, 1), (1, 0))], 4)
"""

import numbers

import numpy as np
import torch

from ..convert import graph_to_checkpoint
from ..errors import GraphContractError, ParameterError
from ..validation import check_choice, check_rng
from ._layers import check_grads
from .growth import DEFAULT_INIT, DEFAULT_INIT_SCALE, GROWTH_STRATEGIES, choose_to_grow, new_weight_values
from .pruning import choose_to_prune, remove_dead_tensors_

__all__ = [
    "choose_edges_to_prune",
    "choose_edges_to_grow",
    "remove_edges",
    "add_edges",
    "prune",
    "grow",
    "remove_dead",
]


def choose_edges_to_prune(G, amount, *, criterion="set"):
    """Choose, per layer, the edges that pruning would remove.

    Parameters
    ----------
    G : networkx.DiGraph
        A graph following the contract of :func:`~netgraph.to_graph`.
    amount : int, float or sequence
        Per layer: an int count or a float fraction (see
        :func:`~netgraph.topology.pruning.choose_to_prune`); a sequence gives one amount per layer.
    criterion : str, optional
        A name in :data:`~netgraph.topology.pruning.PRUNING_CRITERIA` (``"set"`` or ``"magnitude"``).

    Returns
    -------
    list of list of tuple
        ``edges[l]`` holds the ``(u, v)`` edges from layer ``l`` to ``l + 1``, ordered by
        target then source index.

    Raises
    ------
    ParameterError, GraphContractError
    """
    weights, masks = _layers(G)
    amounts = _per_layer(amount, len(weights))
    return [
        _to_edges(l, choose_to_prune(w, m, a, criterion=criterion), w.shape[1])
        for l, (w, m, a) in enumerate(zip(weights, masks, amounts))
    ]


def choose_edges_to_grow(G, amount, *, strategy="random", rng=None, grads=None, **options):
    """Choose, per layer, the absent edges that growth would add.

    Parameters
    ----------
    G : networkx.DiGraph
    amount : int, float or sequence
        Per layer: an int count or a float fraction of the layer's present edges (see
        :func:`~netgraph.topology.growth.choose_to_grow`); a sequence gives one amount per layer.
    strategy : str, optional
        A name in :data:`~netgraph.topology.growth.GROWTH_STRATEGIES`.
    rng : None, int, SeedSequence or numpy.random.Generator, optional
        One stream, used by the layers first to last.
    grads : sequence of torch.Tensor, optional
        One dense gradient (out x in) per layer, for ``strategy="gradient"``.
    **options
        Strategy options, e.g. ``start_fraction``.

    Returns
    -------
    list of list of tuple
        ``edges[l]`` holds new ``(u, v)`` edges from layer ``l`` to ``l + 1``.

    Examples
    --------
    >>> import torch
    >>> from netgraph import SparseMLP, to_graph
    >>> G = to_graph(SparseMLP([2, 2], masks=[torch.tensor([[True, True], [True, False]])]))
    >>> choose_edges_to_grow(G, 5, strategy="strategic", rng=0)
    [[((0, 1), (1, 1))]]
    """
    return _choose_to_grow(*_layers(G), amount, strategy=strategy, rng=rng, grads=grads, **options)


def _choose_to_grow(weights, masks, amount, *, strategy, rng, grads, **options):
    """:func:`choose_edges_to_grow` on the per-layer weights and masks of the graph."""
    check_choice(strategy, tuple(GROWTH_STRATEGIES), name="strategy")
    amounts = _per_layer(amount, len(weights))
    grads = check_grads(grads, len(weights), strategy, name="strategy")
    rng = check_rng(rng)
    return [
        _to_edges(l, choose_to_grow(w, m, a, strategy=strategy, rng=rng, grad=g, **options), w.shape[1])
        for l, (w, m, a, g) in enumerate(zip(weights, masks, amounts, grads))
    ]


def remove_edges(G, edges, *, copy=True):
    """Remove edges from the graph.

    Parameters
    ----------
    G : networkx.DiGraph
    edges : sequence
        Per-layer lists of ``(u, v)`` edges (as the ``choose_*`` functions return) or one
        flat sequence of edges.
    copy : bool, optional
        Edit a copy (default) or ``G`` itself.

    Returns
    -------
    networkx.DiGraph
        The edited graph (``G`` itself when ``copy=False``).

    Raises
    ------
    ParameterError
        If an edge is not in ``G`` (nothing is removed then).

    Examples
    --------
    >>> from netgraph import SparseMLP, to_graph
    >>> G = to_graph(SparseMLP([2, 1]))
    >>> remove_edges(G, [((0, 0), (1, 0))]).number_of_edges(), G.number_of_edges()
    (1, 2)
    """
    flat = _flatten_edges(edges)
    for u, v in flat:
        if not G.has_edge(u, v):
            raise ParameterError(f"edge {u} -> {v} is not in the graph; cannot remove it")
    H = G.copy() if copy else G
    H.remove_edges_from(flat)
    return H


def add_edges(G, edges, weights, *, copy=True):
    """Add new edges ``(l, i) -> (l + 1, j)`` with the given weights.

    Parameters
    ----------
    G : networkx.DiGraph
    edges : sequence
        Per-layer lists of ``(u, v)`` edges or one flat sequence of edges.
    weights : sequence
        Matching weights: per-layer sequences (lists, arrays, tensors) or one flat sequence.
    copy : bool, optional
        Edit a copy (default) or ``G`` itself.

    Returns
    -------
    networkx.DiGraph

    Raises
    ------
    ParameterError
        If an edge already exists, appears twice, or the weights do not match the edges.
    GraphContractError
        If an endpoint is not a node of ``G`` or the edge does not go from layer ``l`` to
        ``l + 1``.

    Examples
    --------
    >>> import torch
    >>> from netgraph import SparseMLP, to_graph
    >>> G = to_graph(SparseMLP([2, 1], masks=[torch.tensor([[True, False]])]))
    >>> H = add_edges(G, [[((0, 1), (1, 0))]], [[0.5]])
    >>> H.edges[(0, 1), (1, 0)]["weight"]
    0.5
    """
    flat = _flatten_edges(edges)
    values = _flatten_weights(weights)
    if values.size != len(flat):
        raise ParameterError(f"weights has {values.size} values for {len(flat)} edges")
    if len(set(flat)) != len(flat):
        raise ParameterError("edges lists the same edge more than once")
    for u, v in flat:
        if u not in G or v not in G:
            raise GraphContractError(f"edge {u} -> {v}: {u if u not in G else v} is not a node of the graph")
        if v[0] != u[0] + 1:
            raise GraphContractError(f"edge {u} -> {v} does not go from layer l to layer l + 1")
        if G.has_edge(u, v):
            raise ParameterError(f"edge {u} -> {v} is already in the graph")
    H = G.copy() if copy else G
    H.add_weighted_edges_from((u, v, w) for (u, v), w in zip(flat, values.tolist()))
    return H


def prune(G, amount, *, criterion="set", copy=True):
    """Remove edges chosen by a pruning criterion (see :func:`choose_edges_to_prune`).

    Parameters
    ----------
    G : networkx.DiGraph
    amount : int, float or sequence
        Per layer: an int count or a float fraction; or one amount per layer.
    criterion : str, optional
        ``"set"`` or ``"magnitude"``.
    copy : bool, optional
        Edit a copy (default) or ``G`` itself.

    Returns
    -------
    networkx.DiGraph
    """
    return remove_edges(G, choose_edges_to_prune(G, amount, criterion=criterion), copy=copy)


def grow(
    G,
    amount,
    *,
    strategy="random",
    rng=None,
    copy=True,
    grads=None,
    init=None,
    init_scale=DEFAULT_INIT_SCALE,
    **options,
):
    """Add edges chosen by a growth strategy, with new weights.

    The edges of every layer are chosen first (:func:`choose_edges_to_grow`), then the new
    weights are drawn layer by layer with :func:`~netgraph.topology.growth.new_weight_values` from the
    same ``rng``.

    Parameters
    ----------
    G : networkx.DiGraph
    amount : int, float or sequence
        Per layer: an int count or a float fraction of the present edges; or one per layer.
    strategy : str, optional
        A name in :data:`~netgraph.topology.growth.GROWTH_STRATEGIES`.
    rng : None, int, SeedSequence or numpy.random.Generator, optional
    copy : bool, optional
        Edit a copy (default) or ``G`` itself.
    grads : sequence of torch.Tensor, optional
        Per-layer dense gradients, for ``strategy="gradient"``.
    init : {"normal", "zero"}, optional
        Weights of the new edges; default ``"zero"`` for ``"gradient"``, else ``"normal"``.
    init_scale : float, optional
        See :func:`~netgraph.topology.growth.new_weight_values`.
    **options
        Strategy options, e.g. ``start_fraction``.

    Returns
    -------
    networkx.DiGraph

    Examples
    --------
    >>> import torch
    >>> from netgraph import SparseMLP, to_graph
    >>> G = to_graph(SparseMLP([3, 2], masks=[torch.eye(2, 3, dtype=torch.bool)]))
    >>> grow(G, 4, rng=0, init="zero").number_of_edges()
    6
    """
    rng = check_rng(rng)
    weights, masks = _layers(G)  # the graph is read once, for choosing and for the new weights
    chosen = _choose_to_grow(weights, masks, amount, strategy=strategy, rng=rng, grads=grads, **options)
    init = DEFAULT_INIT[strategy] if init is None else init
    values = [
        new_weight_values(w, m, len(e), init=init, init_scale=init_scale, rng=rng)
        for w, m, e in zip(weights, masks, chosen)
    ]
    return add_edges(G, chosen, [v.numpy() for v in values], copy=copy)


def remove_dead(G, *, copy=True):
    """Remove unused paths (P-RM) without changing the network's function.

    Hidden nodes with no outgoing edges lose their incoming edges; hidden nodes with no
    incoming edges have their constant output ``act(bias) * weight`` folded into the
    ``bias`` of the nodes they feed, then lose their outgoing edges; dropped nodes get bias
    0 and stay in the graph, isolated. See :func:`netgraph.topology.pruning.remove_dead_`.

    Parameters
    ----------
    G : networkx.DiGraph
    copy : bool, optional
        Edit a copy (default) or ``G`` itself.

    Returns
    -------
    networkx.DiGraph

    Examples
    --------
    >>> import torch
    >>> from netgraph import SparseMLP, to_graph
    >>> net = SparseMLP([1, 2, 1], masks=[torch.tensor([[True], [False]]), torch.tensor([[False, True]])])
    >>> remove_dead(to_graph(net)).number_of_edges()
    0
    """
    ckpt = graph_to_checkpoint(G)
    weights = [torch.from_numpy(np.array(w)) for w in ckpt.weights]
    old = [torch.from_numpy(np.array(m)) for m in ckpt.masks]
    masks = [m.clone() for m in old]
    biases = [torch.from_numpy(np.array(b)) for b in ckpt.biases] if ckpt.has_bias else None
    old_biases = [b.clone() for b in biases] if biases is not None else None
    remove_dead_tensors_(masks, weights, biases, activation=ckpt.activation)
    gone = [m_old & ~m_new for m_old, m_new in zip(old, masks)]
    H = G.copy() if copy else G
    for l, g in enumerate(gone):
        idx = torch.nonzero(g.reshape(-1)).ravel()
        H.remove_edges_from(_to_edges(l, idx, g.shape[1]))
    if biases is not None:
        for l, (b_old, b_new) in enumerate(zip(old_biases, biases)):
            for j in torch.nonzero(b_old != b_new).ravel().tolist():
                H.nodes[(l + 1, j)]["bias"] = float(b_new[j])
    return H


def _layers(G):
    """Per-layer weight (float32) and mask tensors of a contract graph."""
    ckpt = graph_to_checkpoint(G)
    weights = [torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32)) for w in ckpt.weights]
    masks = [torch.from_numpy(np.ascontiguousarray(m, dtype=bool)) for m in ckpt.masks]
    return weights, masks


def _to_edges(l, idx, n_in):
    flat = torch.as_tensor(idx).cpu().numpy()
    src = (flat % n_in).tolist()
    dst = (flat // n_in).tolist()
    return [((l, i), (l + 1, j)) for i, j in zip(src, dst)]


def _per_layer(amount, n_layers):
    if isinstance(amount, numbers.Real):
        return [amount] * n_layers
    if isinstance(amount, (str, bytes)):
        raise ParameterError(f"amount={amount!r}: expected an int count, a float fraction or one of them per layer")
    try:
        amounts = list(amount)
    except TypeError:
        raise ParameterError(
            f"amount={amount!r}: expected an int count, a float fraction or one of them per layer"
        ) from None
    if len(amounts) != n_layers:
        raise ParameterError(f"amount has {len(amounts)} entries, expected {n_layers} (one per layer)")
    return amounts


def _is_edge(item):
    return isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, tuple) for x in item)


def _flatten_edges(edges):
    flat = []
    for item in edges:
        if _is_edge(item):
            flat.append(item)
            continue
        for e in item:
            if not _is_edge(e):
                raise ParameterError(f"{e!r} is not an edge ((layer, i), (layer + 1, j))")
            flat.append(e)
    return flat


def _flatten_weights(weights):
    parts = [
        np.asarray(w.detach().cpu() if isinstance(w, torch.Tensor) else w, dtype=np.float64).ravel() for w in weights
    ]
    return np.concatenate(parts) if parts else np.zeros(0)
