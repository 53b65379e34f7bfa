"""The network type every reader produces and every analysis consumes (torch-free).

A :class:`Checkpoint` is a layered feedforward network as its connections: per layer ``l`` a
sparse block ``W_l`` of shape ``(n_{l+1}, n_l)`` (out x in, as ``nn.Linear.weight``) in
compressed sparse rows whose stored entries are exactly the present connections -- a present
connection of weight 0 is a stored 0 -- with the biases, the activation and a JSON-safe
``meta`` dict. It costs its connections, not the dense matrices: dense weights and masks are
made only when asked for (:attr:`Checkpoint.weights`, :attr:`Checkpoint.masks`).

Every reader of :mod:`netgraph.io` returns one, and every
function of :mod:`analysis` takes one as well as a ``networkx.DiGraph`` (the graph of
:func:`netgraph.to_graph` is the same network). This module imports neither torch nor
networkx; :meth:`Checkpoint.to_model` and :meth:`Checkpoint.from_model` import torch when
called, and the activation is checked against :data:`netgraph.nn.model.ACTIVATIONS` when a
checkpoint is made (the registry is read then).

Examples
--------
>>> import numpy as np, scipy.sparse as sp
>>> W0 = sp.csr_array((np.array([1.5, -2.0, 0.5, 0.0], np.float32), [0, 1, 0, 1], [0, 1, 2, 4]), shape=(3, 2))
>>> W1 = sp.csr_array((np.array([3.0, -1.0], np.float32), [0, 2], [0, 2]), shape=(1, 3))
>>> net = Checkpoint((2, 3, 1), blocks=(W0, W1), biases=(np.zeros(3, np.float32), np.ones(1, np.float32)))
>>> net.n_connections(), net.n_connections(layer=0), net.masks[0].tolist()
(6, 4, [[True, False], [False, True], [True, True]])
>>> net.weights[1].tolist()
[[3.0, 0.0, -1.0]]
"""

import json
import weakref
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from .errors import CheckpointError, ParameterError
from .fileio import load_json

__all__ = ["Checkpoint", "INT32_MAX", "ADJACENCY_KEY", "adjacency_of", "check_meta"]

#: Largest index an int32 holds; blocks use int32 indices where they fit, int64 beyond.
INT32_MAX = int(np.iinfo(np.int32).max)
#: Key of ``G.__networkx_cache__`` under which :func:`netgraph.to_graph` leaves the structure of the
#: graph it builds: ``(layer_sizes, indptr, indices)`` of :meth:`Checkpoint.adjacency`. networkx
#: empties that cache on every structural edit, so an entry there always describes the graph.
ADJACENCY_KEY = "netgraph.network.adjacency"
_FIELDS = (
    "layer_sizes",
    "blocks",
    "biases",
    "activation",
    "has_bias",
    "meta",
    "source",
    "source_format",
    "train_state",
)
_UNSET = object()  # meta not given (None given is refused: meta is a dict)
# dense views made on request, kept while the checkpoint lives (never in its __dict__, which
# holds exactly the constructor's fields: Checkpoint(**ckpt.__dict__) is a copy)
_DENSE = weakref.WeakKeyDictionary()


class Checkpoint:
    """The connections, biases and metadata of a layered feedforward network.

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths from inputs to outputs.
    weights, masks : sequence of numpy.ndarray, optional
        Dense per-layer weights (real floating point) and boolean masks of shape
        ``(layer_sizes[l+1], layer_sizes[l])``; weights must be zero wherever the mask is
        False. Give these or ``blocks``.
    biases : sequence of numpy.ndarray
        ``biases[l]`` of shape ``(layer_sizes[l+1],)``.
    activation : str, optional
        Activation between layers, a name in :data:`netgraph.nn.model.ACTIVATIONS`. Foreign
        state_dicts do not record it: ``"relu"`` is then assumed and
        ``meta["activation_assumed"]`` is True.
    has_bias : bool, optional
    meta : dict, optional
        JSON-safe metadata (seed, dataset, method, epoch, metrics, netgraph_version, ...).
    source : str, optional
        The file (or topology folder) it was read from.
    source_format : str, optional
        ``"netgraph"``, ``"state_dict"``, ``"torch-prune"`` (these three also with
        ``"safetensors:"`` in front), ``"sklearn"``, an export format (``"graphml"``,
        ``"gexf"``, ``"edgelist"``, ``"npz"``), or ``"set-npz"`` for a topology folder.
    train_state : dict, optional
        Optimizer and random-generator state saved by the trainer for ``--resume``.
    blocks : sequence of scipy.sparse CSR arrays, optional
        Per layer the present connections, shape ``(layer_sizes[l+1], layer_sizes[l])``,
        each entry stored once, column indices increasing within a row, real floating-point
        values (float16 is widened to float32). Taken as they are when already so (no copy).

    Attributes
    ----------
    layer_sizes : tuple of int
    blocks : tuple of scipy.sparse.csr_array
        The network itself: ``blocks[l][j, i]`` is the weight of the connection from unit
        ``i`` of layer ``l`` to unit ``j`` of layer ``l + 1``, present where it is stored.
    biases : tuple of numpy.ndarray
    activation, has_bias, meta, source, source_format, train_state
        As given.

    Raises
    ------
    CheckpointError
        On construction, if the fields do not describe a network: fewer than two layers or a
        layer of width 0, arrays of the wrong number, shape or dtype (weights and biases real
        floating point, masks bool), non-finite weights or biases, a weight that is not zero
        where its mask is False, a block whose index structure is damaged or that stores an
        entry twice, non-zero biases with ``has_bias=False``, an unknown activation,
        ``has_bias`` that is not a bool or ``meta`` that is not a dict. Every loader and
        :func:`~netgraph.save_checkpoint` go through this check, so what one refuses the other
        refuses too.
    """

    def __init__(
        self,
        layer_sizes,
        weights=None,
        biases=None,
        masks=None,
        activation="relu",
        has_bias=True,
        meta=_UNSET,
        source=None,
        source_format="netgraph",
        train_state=None,
        *,
        blocks=None,
    ):
        label = source or "network"
        values = {
            "layer_sizes": layer_sizes,
            "biases": biases,
            "activation": activation,
            "has_bias": has_bias,
            "meta": {} if meta is _UNSET else meta,
            "source": source,
            "source_format": source_format,
            "train_state": train_state,
        }
        sizes = _check_common(values, label)
        if blocks is None:
            if weights is None or masks is None:
                raise CheckpointError(f"{label}: give weights and masks, or blocks")
            blocks = _dense_to_blocks(sizes, weights, masks, values["biases"], label)
        elif weights is not None or masks is not None:
            raise CheckpointError(f"{label}: give weights and masks, or blocks, not both")
        else:
            blocks = _check_blocks(sizes, blocks, label)
        _check_biases(sizes, values["biases"], values["has_bias"], label)
        values["blocks"] = blocks
        for name in _FIELDS:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name, value):
        raise AttributeError(f"Checkpoint is immutable: use replace({name}=...) for a changed copy")

    def __delattr__(self, name):
        raise AttributeError("Checkpoint is immutable")

    def __repr__(self):
        return (
            f"Checkpoint(layer_sizes={self.layer_sizes}, connections={self.n_connections():,}, "
            f"activation={self.activation!r}, has_bias={self.has_bias}, source={self.source!r}, "
            f"source_format={self.source_format!r})"
        )

    def replace(self, **changes):
        """A copy with some fields changed (``blocks`` and the arrays are shared, not copied).

        Examples
        --------
        >>> import numpy as np, scipy.sparse as sp
        >>> net = Checkpoint((2, 1), blocks=(sp.csr_array(np.ones((1, 2), np.float32)),), biases=(np.zeros(1),))
        >>> net.replace(meta={"seed": 3}).meta
        {'seed': 3}
        """
        unknown = sorted(set(changes) - set(_FIELDS))
        if unknown:
            raise ParameterError(f"replace() got {', '.join(unknown)}; fields are {', '.join(_FIELDS)}")
        return Checkpoint(**{**{k: getattr(self, k) for k in _FIELDS}, **changes})

    # ------------------------------------------------------------------ the network

    def n_connections(self, *, layer=None):
        """Number of present connections, in total or of layer ``layer``."""
        if layer is None:
            return sum(int(b.nnz) for b in self.blocks)
        return int(self.blocks[layer].nnz)

    def density(self, *, layer=None):
        """Fraction of possible connections present, in total or of layer ``layer``."""
        if layer is None:
            return self.n_connections() / sum(int(np.prod(b.shape, dtype=np.int64)) for b in self.blocks)
        block = self.blocks[layer]
        return self.n_connections(layer=layer) / int(np.prod(block.shape, dtype=np.int64))

    @property
    def weights(self):
        """tuple of numpy.ndarray: dense weights per layer (out x in), zero where no connection is.

        Made on request (they cost the dense matrices) and kept while the checkpoint lives;
        :attr:`blocks` are the network, so changing these arrays changes nothing else.
        """
        return self._dense()[0]

    @property
    def masks(self):
        """tuple of numpy.ndarray of bool: where the connections are (a present one may have weight 0)."""
        return self._dense()[1]

    def _dense(self):
        dense = _DENSE.get(self)
        if dense is None:
            weights, masks = [], []
            for block in self.blocks:
                w = np.zeros(block.shape, dtype=block.dtype)
                m = np.zeros(block.shape, dtype=bool)
                rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
                w[rows, block.indices] = block.data
                m[rows, block.indices] = True
                weights.append(w)
                masks.append(m)
            dense = _DENSE[self] = (tuple(weights), tuple(masks))
        return dense

    def transposed_blocks(self):
        """Per layer the connections source-major: ``(n_l, n_{l+1})`` CSR, targets increasing per source.

        Explicitly stored zeros are kept (they are connections). An iterator: each transpose is
        made when it is reached, so at most one is held at a time by a loop over them.
        """
        return (transpose(b) for b in self.blocks)

    def adjacency(self):
        """The out-adjacency of all units as CSR arrays over the nodes ``(l, i)`` in layer order.

        Unit ``i`` of layer ``l`` is node ``offset_l + i`` (``offset_l`` the units of the layers
        before); its targets are ``indices[indptr[k]:indptr[k + 1]]``, increasing, the edges of
        the graph :func:`netgraph.to_graph` builds in the order it adds them.

        Returns
        -------
        indptr : numpy.ndarray of int64, shape (N + 1,)
        indices : numpy.ndarray of int32 (int64 beyond 2^31 - 1 units), shape (n_connections,)

        Examples
        --------
        >>> import numpy as np, scipy.sparse as sp
        >>> W = sp.csr_array((np.ones(3, np.float32), [0, 1, 1], [0, 2, 3]), shape=(2, 2))
        >>> indptr, indices = Checkpoint((2, 2), blocks=(W,), biases=(np.zeros(2, np.float32),)).adjacency()
        >>> indptr.tolist(), indices.tolist()
        ([0, 1, 3, 3, 3], [2, 2, 3])
        """
        return adjacency_of(self.layer_sizes, self.transposed_blocks(), self.n_connections())

    # ------------------------------------------------------------------ torch

    def to_model(self, *, backend="masked"):
        """Build the :class:`~netgraph.SparseMLP` this checkpoint describes (imports torch).

        Parameters
        ----------
        backend : {"masked", "sparse"}, optional
            The layer kind (see :mod:`netgraph.nn.model`); both compute the same network.

        Returns
        -------
        SparseMLP
        """
        import torch

        from .nn.model import SparseMLP

        model = SparseMLP(
            self.layer_sizes,
            activation=self.activation,
            bias=self.has_bias,
            masks=[torch.from_numpy(np.array(m, dtype=bool)) for m in self.masks],
        )
        with torch.no_grad():
            for layer, w, b in zip(model.layers, self.weights, self.biases):
                layer.weight.copy_(torch.from_numpy(np.asarray(w, dtype=np.float32)))
                if layer.bias is not None:
                    layer.bias.copy_(torch.from_numpy(np.asarray(b, dtype=np.float32)))
        model.apply_masks_()
        return model if backend == "masked" else model.to_backend(backend)

    @classmethod
    def from_model(cls, model, *, meta=None, train_state=None):
        """Take a snapshot of a :class:`~netgraph.SparseMLP` (arrays are copies; imports torch).

        Parameters
        ----------
        model : SparseMLP
        meta : dict, optional
            JSON-safe metadata to record.
        train_state : dict, optional
            Trainer state to keep alongside (see :attr:`train_state`).

        Returns
        -------
        Checkpoint
        """
        import torch

        from .nn.model import SparseMLP

        if not isinstance(model, SparseMLP):
            raise ParameterError(f"model is a {type(model).__name__}, expected a SparseMLP")
        weights, biases, masks = [], [], []
        for layer in model.layers:
            masks.append(layer.mask.detach().cpu().numpy().copy())
            weights.append(layer.dense_weight().cpu().to(torch.float32).numpy().copy())
            if layer.bias is None:
                biases.append(np.zeros(layer.out_features, dtype=np.float32))
            else:
                biases.append(layer.bias.detach().cpu().to(torch.float32).numpy().copy())
        return cls(
            layer_sizes=model.layer_sizes,
            weights=tuple(weights),
            biases=tuple(biases),
            masks=tuple(masks),
            activation=model.activation,
            has_bias=model.has_bias,
            meta=check_meta(meta),
            train_state=train_state,
        )


# --------------------------------------------------------------------------- blocks


def adjacency_of(layer_sizes, transposed, n_connections):
    """The arrays of :meth:`Checkpoint.adjacency`, from the blocks already transposed.

    ``transposed``: per layer the ``(n_l, n_{l+1})`` CSR transpose of its block (an iterator is
    used once); for callers that hold them already, as :func:`netgraph.to_graph` does for its
    edges, so nothing is transposed twice.
    """
    sizes = [int(s) for s in layer_sizes]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n = int(offsets[-1])
    indices = np.empty(n_connections, dtype=np.int32 if n < INT32_MAX else np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    at = 0
    for l, t in enumerate(transposed):  # n_l x n_{l+1}, targets ascending per source
        indices[at : at + t.nnz] = t.indices + offsets[l + 1]
        indptr[offsets[l] + 1 : offsets[l + 1] + 1] = t.indptr[1:] + at
        at += t.nnz
    indptr[offsets[-2] + 1 :] = at  # the output layer: no edges out
    return indptr, indices


def check_meta(meta):
    """``meta`` as a dict that JSON stores and reads back (None: empty); ParameterError otherwise."""
    if meta is None:
        return {}
    if not isinstance(meta, Mapping):
        raise ParameterError(f"meta is a {type(meta).__name__}, expected a dict")
    try:
        text = json.dumps(dict(meta))
    except RecursionError:
        raise ParameterError("meta nests too deeply to be stored as JSON") from None
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"meta must be JSON-serialisable: {exc}") from None
    # what load_checkpoint would refuse (nesting deeper than MAX_JSON_DEPTH) is refused here already
    return load_json(text, "meta", error=ParameterError)


def index_dtype(n_entries, n_columns):
    """int32 where every index and offset fits, else int64."""
    return np.int32 if max(int(n_entries), int(n_columns)) <= INT32_MAX else np.int64


def csr_block(indptr, indices, data, shape):
    """A ``scipy.sparse.csr_array`` of checked arrays, taken without a copy where dtypes allow."""
    dtype = index_dtype(len(data), shape[1])
    indptr = np.asarray(indptr, dtype=dtype)
    indices = np.asarray(indices, dtype=dtype)
    block = sp.csr_array((np.asarray(data), indices, indptr), shape=tuple(int(s) for s in shape), copy=False)
    block.has_sorted_indices = True  # checked by the caller: strictly increasing within each row
    return block


def transpose(block):
    """The transpose of a CSR block as CSR, indices sorted, explicit zeros kept.

    scipy's conversion to compressed columns (a counting sort in C, rows kept in order within
    each column) is exactly the CSR form of the transpose; nothing larger than the result is made.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> b = sp.csr_array((np.array([1.0, 0.0, 2.0]), [0, 1, 1], [0, 2, 3]), shape=(2, 2))
    >>> t = transpose(b)
    >>> t.indptr.tolist(), t.indices.tolist(), t.data.tolist()
    ([0, 1, 3], [0, 0, 1], [1.0, 0.0, 2.0])
    """
    n_rows, n_cols = block.shape
    csc = sp.csc_array(block)  # no summing: a checked block stores each entry once
    return csr_block(csc.indptr, csc.indices, csc.data, (n_cols, n_rows))


def check_csr(indptr, indices, n_entries, n_rows, n_cols, where):
    """Check a CSR structure before any index is used; CheckpointError naming ``where``.

    ``indptr`` has ``n_rows + 1`` offsets that start at 0, never decrease and end at
    ``n_entries``; every index lies in ``[0, n_cols)`` and increases strictly within its row
    (no entry twice). Memory: a few bytes per entry, no array of rows.

    Examples
    --------
    >>> check_csr(np.array([0, 2, 3]), np.array([0, 2, 1]), 3, 2, 3, "x")
    >>> check_csr(np.array([0, 2, 3]), np.array([2, 0, 1]), 3, 2, 3, "x")
    Traceback (most recent call last):
    ...
    netgraph.errors.CheckpointError: x.col is not strictly increasing in row 0 (position 1: 0 after 2): a connection out of order or listed twice
    """
    if indptr.size != n_rows + 1:
        raise CheckpointError(f"{where}.crow has {indptr.size} entries, expected {n_rows + 1}")
    if indices.size != n_entries:
        raise CheckpointError(f"{where}.col has {indices.size} entries, expected {n_entries} (one per value)")
    if indptr[0] != 0:
        raise CheckpointError(f"{where}.crow starts at {indptr[0]}, expected 0")
    if indptr[-1] != n_entries:
        raise CheckpointError(f"{where}.crow ends at {indptr[-1]}, expected {n_entries} (the number of values)")
    outside = np.flatnonzero((indptr < 0) | (indptr > n_entries))
    if outside.size:
        k = int(outside[0])
        raise CheckpointError(f"{where}.crow[{k}] is {indptr[k]}, outside [0, {n_entries}]")
    steps = np.diff(indptr.astype(np.int64))
    down = np.flatnonzero(steps < 0)
    if down.size:
        j = int(down[0])
        raise CheckpointError(f"{where}.crow decreases at row {j} (from {indptr[j]} to {indptr[j + 1]})")
    chunk = 1 << 22  # bounded temporaries: a few bytes per entry of a chunk
    for start in range(0, int(n_entries), chunk):
        part = indices[start : start + chunk]
        bad = np.flatnonzero((part < 0) | (part >= n_cols))
        if bad.size:
            k = start + int(bad[0])
            raise CheckpointError(f"{where}.col[{k}] is {indices[k]}, outside [0, {n_cols}) (the layer's input width)")
    # within a row, each index above the one before; at a row's first entry anything goes
    for start in range(1, int(n_entries), chunk):
        stop = min(int(n_entries), start + chunk)
        bad = np.flatnonzero(indices[start:stop] <= indices[start - 1 : stop - 1]) + start
        if bad.size:  # in a sound block only row starts, at most one per row
            bad = bad[~np.isin(bad, indptr)]
        if bad.size:
            k = int(bad[0])
            row = int(np.searchsorted(indptr, k, side="right")) - 1
            raise CheckpointError(
                f"{where}.col is not strictly increasing in row {row} (position {k}: {indices[k]} after "
                f"{indices[k - 1]}): a connection out of order or listed twice"
            )


def check_sizes(sizes, label):
    """``sizes`` if it is a tuple of at least two positive ints; else CheckpointError."""
    if (
        not isinstance(sizes, tuple)
        or len(sizes) < 2
        or not all(isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_)) for s in sizes)
    ):
        raise CheckpointError(f"{label}: layer_sizes {sizes!r}: expected a tuple of at least two ints")
    sizes = tuple(int(s) for s in sizes)
    if min(sizes) < 1:
        l = sizes.index(min(sizes))
        raise CheckpointError(f"{label}: layer {l} has width {sizes[l]} in {list(sizes)}; every layer needs a unit")
    return sizes


def _known_activations():
    from .validation import RegistryNames

    return RegistryNames("netgraph.nn.model", "ACTIVATIONS")


def _check_common(values, label):
    """The checks that do not depend on how the connections are given; returns the layer sizes."""
    sizes = values["layer_sizes"]
    if isinstance(sizes, list):
        sizes = tuple(sizes)
    sizes = check_sizes(sizes, label)
    values["layer_sizes"] = sizes
    n = len(sizes) - 1
    biases = values["biases"]
    if not isinstance(biases, tuple) or len(biases) != n:
        count = len(biases) if isinstance(biases, (tuple, list)) else type(biases).__name__
        raise CheckpointError(f"{label}: {count} biases for {n} layers of {list(sizes)}")
    activations = _known_activations()
    if values["activation"] not in activations:
        raise CheckpointError(f"{label}: activation {values['activation']!r} is not one of {', '.join(activations)}")
    if not isinstance(values["has_bias"], (bool, np.bool_)):
        raise CheckpointError(f"{label}: has_bias is {values['has_bias']!r}, expected True or False")
    if not isinstance(values["meta"], dict):
        raise CheckpointError(f"{label}: meta is {type(values['meta']).__name__}, expected a JSON object (dict)")
    return sizes


def _check_array(arr, what, l, shape, kind, label):
    if not isinstance(arr, np.ndarray):
        raise CheckpointError(f"{label}: layer {l} {what} is a {type(arr).__name__}, expected a numpy array")
    if arr.dtype.kind != kind:
        need = "real floating point" if kind == "f" else "bool"
        raise CheckpointError(f"{label}: layer {l} {what} has dtype {arr.dtype}, expected {need}")
    if arr.shape != shape:
        raise CheckpointError(f"{label}: layer {l} {what} has shape {arr.shape}, expected {shape}")


def _dense_to_blocks(sizes, weights, masks, biases, label):
    """The blocks of dense weights and masks, checked as :class:`Checkpoint` documents."""
    n = len(sizes) - 1
    for name, value in (("weights", weights), ("masks", masks)):
        if not isinstance(value, tuple) or len(value) != n:
            count = len(value) if isinstance(value, (tuple, list)) else type(value).__name__
            raise CheckpointError(f"{label}: {count} {name} for {n} layers of {list(sizes)}")
    blocks = []
    for l in range(n):
        w, b, m = weights[l], biases[l], masks[l]
        expect = (sizes[l + 1], sizes[l])
        _check_array(w, "weight", l, expect, "f", label)
        _check_array(b, "bias", l, expect[:1], "f", label)
        _check_array(m, "mask", l, expect, "b", label)
        bad = np.size(w) - np.count_nonzero(np.isfinite(w))
        if bad:
            raise CheckpointError(f"{label}: layer {l} has {bad} non-finite weights (nan or inf)")
        outside = np.count_nonzero(w[~m])
        if outside:
            raise CheckpointError(
                f"{label}: layer {l} has {outside} non-zero weights where its mask has no connection "
                "(weights must be zero outside the mask)"
            )
        rows, cols = np.nonzero(m)  # row-major: row by row, columns increasing
        indptr = np.zeros(expect[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=expect[0]), out=indptr[1:])
        data = np.ascontiguousarray(w[rows, cols])
        if data.dtype.itemsize < 4:
            data = data.astype(np.float32)
        blocks.append(csr_block(indptr, cols, data, expect))
    return tuple(blocks)


def _check_blocks(sizes, blocks, label):
    """Blocks as :class:`Checkpoint` documents, checked; the arrays are kept where dtypes allow."""
    n = len(sizes) - 1
    if not isinstance(blocks, (tuple, list)) or len(blocks) != n:
        count = len(blocks) if isinstance(blocks, (tuple, list)) else type(blocks).__name__
        raise CheckpointError(f"{label}: {count} blocks for {n} layers of {list(sizes)}")
    out = []
    for l, block in enumerate(blocks):
        expect = (sizes[l + 1], sizes[l])
        if not sp.issparse(block) or block.format != "csr":
            raise CheckpointError(
                f"{label}: layer {l} block is a {type(block).__name__}, expected a scipy.sparse CSR array"
            )
        if tuple(block.shape) != expect:
            raise CheckpointError(f"{label}: layer {l} block has shape {tuple(block.shape)}, expected {expect}")
        data = block.data
        if data.dtype.kind != "f":
            raise CheckpointError(f"{label}: layer {l} weights have dtype {data.dtype}, expected real floating point")
        if data.dtype.itemsize < 4:
            data = data.astype(np.float32)
        bad = data.size - np.count_nonzero(np.isfinite(data))
        if bad:
            raise CheckpointError(f"{label}: layer {l} has {bad} non-finite weights (nan or inf)")
        check_csr(block.indptr, block.indices, data.size, expect[0], expect[1], f"{label}: layer {l}")
        out.append(csr_block(block.indptr, block.indices, data, expect))
    return tuple(out)


def _check_biases(sizes, biases, has_bias, label):
    for l, b in enumerate(biases):
        _check_array(b, "bias", l, (sizes[l + 1],), "f", label)
        if not np.isfinite(b).all():
            raise CheckpointError(f"{label}: layer {l} has non-finite biases (nan or inf)")
        if not has_bias and np.any(b):
            raise CheckpointError(f"{label}: layer {l} has non-zero biases but has_bias is False")
