"""Fitted scikit-learn MLPs (``MLPClassifier``, ``MLPRegressor``) as networks (objects in memory, never files)."""

import numpy as np
import torch

from ..errors import CheckpointError
from .state_dict import from_state_dict, held_bytes

__all__ = ["is_sklearn_mlp", "from_sklearn"]


def is_sklearn_mlp(obj):
    module = type(obj).__module__ or ""
    return module.startswith("sklearn.neural_network") and hasattr(type(obj), "predict")


_SKLEARN_ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid", "identity": "identity"}


def from_sklearn(model, activation):
    name = type(model).__name__
    coefs, intercepts = getattr(model, "coefs_", None), getattr(model, "intercepts_", None)
    if coefs is None or intercepts is None:
        raise CheckpointError(f"{name} is not fitted (no coefs_): call fit() first")
    act = activation or _SKLEARN_ACTIVATIONS.get(getattr(model, "activation", None))
    if act is None:
        raise CheckpointError(f"{name}: activation {model.activation!r} has no netgraph equivalent; pass activation=")
    sd = {}
    for l, (w, b) in enumerate(zip(coefs, intercepts)):
        sd[f"coefs_{l}.weight"] = torch.as_tensor(np.asarray(w, dtype=np.float32).T.copy())
        sd[f"coefs_{l}.bias"] = torch.as_tensor(np.asarray(b, dtype=np.float32))
    ckpt = from_state_dict(sd, source=None, activation=act, label=name, nbytes=held_bytes(sd))
    meta = {
        "activation_assumed": False,
        "sklearn_class": f"{type(model).__module__}.{name}",
        "sklearn_out_activation": getattr(model, "out_activation_", None),
    }
    return ckpt.replace(meta=meta, source_format="sklearn")
