"""Reading a network from anything netgraph accepts: :func:`load_checkpoint` and :func:`as_checkpoint`.

:func:`load_checkpoint` recognises a file by its content (:func:`netgraph.io.registry.detect`)
and calls its format's reader; a folder is a topology folder. Loading never executes code from
the file: ``.pt`` files are read with ``torch.load(weights_only=True)``.
"""

import stat
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from torch import nn

from ..errors import CheckpointError, ParameterError
from ..fileio import looks_like_text, note_input, stat_input
from ..network import Checkpoint
from ..nn.model import ACTIVATIONS, SparseMLP
from . import topology
from .cnn import is_cnn_checkpoint
from .paths import layer_file_name
from .pytorch import from_object
from .registry import detect, read_head
from .sklearn import from_sklearn, is_sklearn_mlp
from .state_dict import from_module, held_bytes

__all__ = ["load_checkpoint", "as_checkpoint"]


def load_checkpoint(path, *, activation=None, bias_row=None):
    """Read a checkpoint file or topology folder without executing any code from it.

    Parameters
    ----------
    path : str or Path
        A netgraph checkpoint (format version 2, or 1: the dense weights and masks netgraph
        wrote before), a ``state_dict`` saved with ``torch.save`` (plain, wrapped in
        ``{"state_dict": ...}``, or pruned with ``torch.nn.utils.prune``), a
        ``.safetensors`` file with the same keys, a file written by
        :func:`netgraph.io.export` (GraphML, GEXF, edge list or npz), recognised by its
        content, or a topology folder (see Notes).
    activation : str, optional
        Activation to use where the file does not record one (foreign state_dicts, topology
        folders); default ``"relu"``. A file that records its activation keeps it: another one
        asked for here is a ParameterError, never silently ignored.
    bias_row : bool, optional
        Topology folders only (other sources ignore it): True if the last row of every layer
        matrix holds the biases, False if none does. Default: told from the shapes (Notes).

    Returns
    -------
    Checkpoint

    Raises
    ------
    CheckpointError
        If the file is missing, a folder that is no topology folder or another non-regular
        file (a FIFO is refused at once, never opened), empty, truncated or corrupt, text, a
        pickled module (``torch.save(model)``), a pickled scikit-learn estimator or other
        pickled code, or does not describe a chain of Linear layers (see :class:`Checkpoint`
        for the checks). In a version 2 file, the index structure of every layer is checked
        before it is used: ``crow`` of ``n_out + 1`` integers that starts at 0, never
        decreases and ends at the number of values; ``col`` of one integer per value, each in
        ``[0, n_in)``, strictly increasing within a row; float ``values`` and ``bias`` of the
        right lengths. A topology folder is refused if it holds the layers of several networks
        (two prefixes), misses a layer file (``_l0``, ``_l1``, ... without gaps), holds a layer
        file that is not a 2-D ``scipy.sparse`` matrix of real floating-point values (a dense
        or damaged ``.npz``, complex or integer values, nan or inf), or if its shapes do not
        chain, or chain both with and without a bias row (Notes). The message names the file
        or folder and the problem.
    ParameterError
        If ``activation`` or ``bias_row`` is not a valid value, or ``activation`` differs from
        the one the file records.

    See Also
    --------
    save_checkpoint, as_checkpoint, save_topology_folder

    Notes
    -----
    A topology folder holds one network as the code of SET (Mocanu et al. 2018) and NNSTD
    (Liu et al. 2020) saves it: layer ``l`` in ``<prefix>_l<l>.npz``, a matrix written by
    ``scipy.sparse.save_npz`` of shape ``n_in x n_out`` (``M_l[i, j]`` is the weight of the
    connection from unit ``i`` to unit ``j`` of the next layer, so ``W_l = M_l.T`` in
    ``nn.Linear``'s out x in), or ``(n_in + 1) x n_out`` with the biases as the last row.
    Other files in the folder are ignored. A connection is a non-zero entry (an explicitly
    stored 0 is none), its weight the value (read as float32). With a bias row, the biases are
    its values and ``has_bias`` is True; without, ``has_bias`` is False.

    Whether the matrices carry a bias row is told from how their shapes ``(r_l, c_l)`` chain:
    without one ``r_{l+1} == c_l``, with one ``r_{l+1} == c_l + 1``, for every layer (a folder
    has a bias row in all its layers or in none). With two layers or more at most one reading
    fits; a single layer fits both, and a folder whose shapes fit neither is refused, either
    way naming the shapes and asking for ``bias_row``. A folder written by
    :func:`save_topology_folder` records it (with the activation and metadata) in
    ``netgraph.json``. ``meta`` is that metadata; for other folders it records
    ``source_format`` (``"set-npz"``), ``source_folder``, ``layer_prefix``, ``bias_row`` and
    ``activation_assumed``. A folder of ``epoch_<N>`` topology folders (one per epoch, as NNSTD
    keeps them) is one run, not one network: it is refused with the name of its last epoch
    (the netgraph commands take that one).

    Examples
    --------
    >>> import tempfile, pathlib, torch
    >>> seq = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "seq.pt"
    >>> torch.save(seq.state_dict(), p)
    >>> ckpt = load_checkpoint(p)
    >>> ckpt.layer_sizes, ckpt.source_format, ckpt.meta["activation_assumed"]
    ((4, 3, 2), 'state_dict', True)

    A topology folder of a 2-3-1 network with bias rows (3 x 3 = 2 inputs + biases, then 4 x 1):

    >>> import scipy.sparse as sp
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> sp.save_npz(d / "weight_l0.npz", sp.csr_matrix([[1.5, 0, 0.5], [0, -2, 0], [0.1, 0.2, -0.3]]))
    >>> sp.save_npz(d / "weight_l1.npz", sp.coo_matrix([[3.0], [0.0], [-1.0], [0.5]]))
    >>> ckpt = load_checkpoint(d)
    >>> ckpt.layer_sizes, ckpt.has_bias, ckpt.source_format, ckpt.n_connections()
    ((2, 3, 1), True, 'set-npz', 5)
    >>> ckpt.weights[0].tolist(), ckpt.biases[1].tolist()
    ([[1.5, 0.0], [0.0, -2.0], [0.5, 0.0]], [0.5])
    """
    path = Path(path)
    if activation is not None:
        _check_activation(activation)
    if bias_row is not None and not isinstance(bias_row, (bool, np.bool_)):
        raise ParameterError(f"bias_row={bias_row!r} is not valid; expected True, False or None (tell from the shapes)")
    return _with_activation(_load(path, activation, bias_row), activation)


def _load(path, activation, bias_row):
    """The body of :func:`load_checkpoint` (its arguments checked)."""
    st = stat_input(path, error=CheckpointError, missing="no such file")
    if stat.S_ISDIR(st.st_mode):
        return topology.read(path, activation=activation, bias_row=bias_row)
    size, head = read_head(path)
    note_input(path)
    fmt = detect(path, head, size)
    if fmt is None:
        if looks_like_text(head):
            raise CheckpointError(f"{path}: is a text file, not a checkpoint")
        raise CheckpointError(f"{path}: is not a PyTorch or safetensors checkpoint (unrecognised header)")
    if fmt.name == "torch" and is_cnn_checkpoint(path):
        raise CheckpointError(
            f"{path}: is the checkpoint of a convolutional network, not a chain of Linear layers: read it as its "
            "channel graph (netgraph.to_graph(path), netgraph info/analyze/similarity) or with "
            "netgraph.io.cnn.load_cnn_checkpoint"
        )
    if fmt.name == "npz" and topology.is_layer_file(path):
        m = layer_file_name(path.name)
        where = f"{path.parent} (with the other {m['prefix']}_l*.npz files)" if m else "the folder of all its layers"
        raise CheckpointError(
            f"{path}: holds one scipy.sparse matrix, one layer of a SET/NNSTD topology folder; "
            f"pass {where} to read the network"
        )
    return fmt.read(path, activation=activation, bias_row=bias_row, nbytes=size)


def as_checkpoint(source, *, activation=None):
    """Turn anything netgraph accepts as a network into a :class:`Checkpoint`.

    Parameters
    ----------
    source : str, Path, Checkpoint, SparseMLP, torch.nn.Module, Mapping or sklearn MLP
        A file or topology folder (see :func:`load_checkpoint`), a checkpoint, a model (an
        ``nn.Sequential`` of Linear and activation layers, or any module whose state_dict is a
        chain of Linear layers), a state_dict, or a fitted
        :class:`sklearn.neural_network.MLPClassifier` / ``MLPRegressor``.
    activation : str, optional
        Activation to assume where ``source`` does not tell.

    Returns
    -------
    Checkpoint

    Raises
    ------
    CheckpointError
        If ``source`` is not a layered feedforward network.

    Notes
    -----
    A scikit-learn MLP becomes the network of its ``coefs_`` (in x out, transposed to
    out x in) and ``intercepts_``, with a connection wherever a weight is non-zero (as for
    other foreign networks without masks). Its hidden activation maps to netgraph's
    (``"logistic"`` is ``"sigmoid"``); the output activation (``out_activation_``, softmax for
    a classifier) is not part of the network's logits and is recorded in
    ``meta["sklearn_out_activation"]``.

    Examples
    --------
    >>> from sklearn.neural_network import MLPClassifier
    >>> clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    >>> import warnings
    >>> with warnings.catch_warnings():  # 5 iterations do not converge: silence that warning
    ...     warnings.simplefilter("ignore")
    ...     clf = clf.fit([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1])
    >>> ckpt = as_checkpoint(clf)
    >>> ckpt.layer_sizes, ckpt.activation, ckpt.source_format
    ((2, 5, 1), 'relu', 'sklearn')
    """
    if activation is not None:
        _check_activation(activation)
    if isinstance(source, (str, Path)):
        return load_checkpoint(source, activation=activation)
    if isinstance(source, Checkpoint):
        ckpt = source
    elif isinstance(source, SparseMLP):
        ckpt = Checkpoint.from_model(source)
    elif is_sklearn_mlp(source):
        ckpt = from_sklearn(source, activation)
    elif isinstance(source, nn.Module):
        ckpt = from_module(source)
    elif isinstance(source, Mapping):
        ckpt = from_object(source, source=None, activation=None, path_label="state_dict", nbytes=held_bytes(source))
    else:
        raise CheckpointError(
            f"source is a {type(source).__name__}; expected a path, Checkpoint, nn.Module or state_dict"
        )
    return _with_activation(ckpt, activation)


def _with_activation(ckpt, activation):
    """``ckpt`` with ``activation`` where it records none (``meta["activation_assumed"]``).

    A network that records its activation keeps it: asking for another one is an error, never
    silently ignored.
    """
    if activation is None or activation == ckpt.activation and not ckpt.meta.get("activation_assumed"):
        return ckpt
    if ckpt.meta.get("activation_assumed"):
        meta = {**ckpt.meta, "activation_assumed": False}
        return ckpt.replace(activation=activation, meta=meta)
    where = ckpt.source or "the network"
    raise ParameterError(
        f"activation={activation!r}: {where} records its activation, {ckpt.activation!r}; activation= applies only "
        "to networks that record none (foreign state_dicts, topology folders)"
    )


def _check_activation(activation):
    if activation not in ACTIVATIONS:
        valid = ", ".join(repr(a) for a in ACTIVATIONS)
        raise ParameterError(f"activation={activation!r} is not valid; expected one of {valid}")
    return activation
