"""The npz export: the arrays of a network in one ``numpy.savez_compressed`` file.

``layer_sizes``, ``weight_{l}`` (out x in), ``mask_{l}``, ``bias_{l}``, ``activation``,
``has_bias`` and ``meta_json``; read back exactly.
"""

import json
import zipfile

import numpy as np

from ..errors import CheckpointError
from ..fileio import atomic_write, check_implied_size, load_json
from ..network import Checkpoint

__all__ = ["NAME", "detect", "read", "write"]

#: The format name in the registry.
NAME = "npz"


def detect(path, head, size):
    """Whether a file is an npz archive: a zip whose members are all ``.npy`` arrays."""
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False  # a damaged zip: torch's reader reports it
    return bool(names) and all(n.endswith(".npy") for n in names)


def write(ckpt, path):
    """Write the npz export of a network to ``path`` (atomically)."""
    arrays = {
        "layer_sizes": np.asarray(ckpt.layer_sizes, dtype=np.int64),
        "activation": np.asarray(ckpt.activation),
        "has_bias": np.asarray(ckpt.has_bias),
        "meta_json": np.asarray(json.dumps(ckpt.meta, sort_keys=True)),
    }
    for l, (w, b, m) in enumerate(zip(ckpt.weights, ckpt.biases, ckpt.masks)):
        arrays[f"weight_{l}"], arrays[f"bias_{l}"], arrays[f"mask_{l}"] = w, b, m
    with atomic_write(path) as f:
        np.savez_compressed(f, **arrays)
    return path


def read(path, nbytes):
    """The network of an npz export (checked: sizes before arrays, members before unpacking)."""
    with np.load(path, allow_pickle=False) as z:
        files = set(z.files)
        missing = [k for k in ("layer_sizes", "activation", "has_bias", "meta_json") if k not in files]
        if missing:
            raise CheckpointError(f"npz file without {', '.join(missing)}; not a netgraph export")
        unpacked = {info.filename.removesuffix(".npy"): info.file_size for info in z.zip.infolist()}
        if unpacked["layer_sizes"] > 1 << 16:
            raise CheckpointError(f"layer_sizes unpacks to {unpacked['layer_sizes']:,} bytes; not a list of widths")
        raw = z["layer_sizes"]
        if raw.dtype.kind not in "iu" or raw.ndim != 1:
            raise CheckpointError(
                f"layer_sizes is {raw.tolist()!r:.60} ({raw.dtype}, {raw.ndim}-D), expected a 1-D array of ints"
            )
        sizes = tuple(int(s) for s in raw.tolist())
        n = len(sizes) - 1
        elements = sum(a * b for a, b in zip(sizes, sizes[1:]))
        check_implied_size(path, elements=elements, units=sum(sizes), nbytes=nbytes)
        most = 16 * (elements + sum(sizes)) + (1 << 20)  # float64 weights, masks and biases, and headers
        if sum(unpacked.values()) > most:
            raise CheckpointError(
                f"its members unpack to {sum(unpacked.values()):,} bytes, more than a network of layer sizes "
                f"{list(sizes)} can need ({most:,}); a damaged file or a zip bomb"
            )
        arrays = {}
        for key, stem in (("weights", "weight"), ("biases", "bias"), ("masks", "mask")):
            names = [f"{stem}_{l}" for l in range(n)]
            absent = [k for k in names if k not in files]
            if absent:
                raise CheckpointError(f"npz file lacks {', '.join(absent)} for layer sizes {list(sizes)}")
            arrays[key] = tuple(z[k] for k in names)
        has_bias = z["has_bias"].item() if z["has_bias"].shape == () else z["has_bias"]
        return Checkpoint(
            layer_sizes=sizes,
            activation=str(z["activation"]),
            has_bias=has_bias,
            meta=load_json(str(z["meta_json"]), path, field="meta_json"),
            **arrays,
        )
