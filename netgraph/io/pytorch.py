"""Files written by ``torch.save``: netgraph checkpoints, state_dicts (plain, wrapped, pruned).

Loading never executes code from the file: ``torch.load(weights_only=True)`` refuses a whole
pickled module (``torch.save(model)``) or any pickle that would run code before anything in it
runs, and the refusal names what the pickle would import (a scikit-learn estimator, a module)
and what to save instead.
"""

import pickle
import pickletools
import warnings
import zipfile
from collections.abc import Mapping

import torch

from ..errors import CheckpointError
from ..fileio import error_reason
from .native import from_native, is_native
from .state_dict import from_state_dict

__all__ = ["NAME", "WRAPPER_KEYS", "detect", "read", "from_object", "torch_load"]

#: The format name of a ``torch.save`` file in the registry.
NAME = "torch"


#: The keys under which training scripts wrap a state_dict (``{"state_dict": ...}``).
WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "network")


def detect(path, head, size):
    """Whether a file is a ``torch.save`` file: a zip archive or a pickle.

    The registry tries the npz format first (a zip of ``.npy`` arrays), so a zip that reaches this
    test is torch's archive, or damaged (torch's reader reports the damage).
    """
    return head.startswith(b"PK\x03\x04") or head[:1] == b"\x80"


def read(path, *, activation=None, bias_row=None, nbytes):
    """The network of a ``torch.save`` file (netgraph's own, or a state_dict), loaded without running code."""
    obj = torch_load(path)
    return from_object(obj, source=str(path), activation=activation, path_label=str(path), nbytes=nbytes)


def torch_load(path):
    """``torch.load(path, weights_only=True)`` on the CPU; CheckpointError naming the file when it fails."""
    # sparse tensors are checked on load (indices within bounds), so nothing malformed reaches
    # to_dense(); torch's own warnings (beta sparse layouts, pickle protocols) are not ours to show
    try:
        with torch.sparse.check_sparse_tensor_invariants(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise CheckpointError(f"{path}: {_pickle_advice(path)}") from None
    except Exception as exc:  # torch raises RuntimeError, EOFError, ValueError... on damage
        reason = error_reason(exc)
        raise CheckpointError(
            f"{path}: cannot be read as a PyTorch checkpoint (truncated or corrupt?): {reason}"
        ) from None


def _pickle_globals(path, limit=1 << 26):
    """Names (``module.qualname``) of the Python objects a pickle would import, found by reading
    its opcodes with :mod:`pickletools` (which never runs them). Empty if it cannot be read."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                member = next((n for n in z.namelist() if n.endswith("data.pkl")), None)
                if member is None or z.getinfo(member).file_size > limit:
                    return []
                data = z.read(member)
        else:
            with open(path, "rb") as f:
                data = f.read(limit)
    except (OSError, zipfile.BadZipFile, ValueError):
        return []
    found, strings = [], []
    try:
        for op, arg, _ in pickletools.genops(data):
            if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
                strings = (strings + [arg])[-2:]
            elif op.name == "GLOBAL":
                found.append(str(arg).replace(" ", "."))
            elif op.name == "STACK_GLOBAL" and len(strings) == 2:
                found.append(".".join(strings))
    except Exception:  # a damaged pickle: keep what was read so far
        pass
    return list(dict.fromkeys(found))


def _pickle_advice(path):
    """Why a pickle is refused and what to do instead, by what it would import."""
    names = [n for n in _pickle_globals(path) if not n.startswith(("torch._utils.", "collections.OrderedDict"))]
    sklearn = [n for n in names if n.startswith("sklearn.")]
    if sklearn:
        return (
            f"holds a pickled scikit-learn object ({sklearn[0]}); netgraph never unpickles code from a "
            "file. If you trust the file, load it in Python (joblib.load or pickle.load) and convert the "
            "fitted MLPClassifier/MLPRegressor: netgraph.save_checkpoint(netgraph.as_checkpoint(clf), "
            "'net.pt') writes a checkpoint every netgraph command reads (netgraph.to_graph(clf) gives "
            "its graph directly)"
        )
    what = f" ({names[0]})" if names else ""
    return (
        f"holds pickled Python objects{what}, e.g. a whole model saved with "
        "torch.save(model); netgraph never runs code from a file. Save the weights instead: "
        "torch.save(model.state_dict(), path)"
    )


def from_object(obj, *, source, activation, path_label, nbytes):
    if is_native(obj):
        return from_native(obj, source=source, label=path_label, nbytes=nbytes)
    if isinstance(obj, Mapping):
        if obj and not all(isinstance(v, torch.Tensor) for v in obj.values()):
            for key in WRAPPER_KEYS:
                inner = obj.get(key)
                if isinstance(inner, Mapping) and inner and all(isinstance(v, torch.Tensor) for v in inner.values()):
                    ckpt = from_state_dict(inner, source=source, activation=activation, label=path_label, nbytes=nbytes)
                    return ckpt.replace(meta={**ckpt.meta, "state_dict_key": key})
        return from_state_dict(obj, source=source, activation=activation, label=path_label, nbytes=nbytes)
    raise CheckpointError(f"{path_label}: holds a {type(obj).__name__}, expected a state_dict (a dict of tensors)")
