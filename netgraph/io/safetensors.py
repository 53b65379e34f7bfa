"""``.safetensors`` files: netgraph checkpoints saved in that format, or state_dicts.

safetensors stores keys in string order, so the layers of a state_dict are put back in natural
order (``fc2`` before ``fc10``, ``0`` before ``10``). A netgraph file (``format`` in the
metadata) is read straight into CSR blocks.
"""

from safetensors import SafetensorError
from safetensors.torch import load as st_load

from ..errors import CheckpointError
from ..fileio import load_json
from .native import CSR_KEYS, FORMAT, FORMAT_VERSION, JSON_HEADER_KEYS, from_native
from .paths import natural_key
from .state_dict import from_state_dict

__all__ = ["NAME", "detect", "read"]

#: The format name in the registry.
NAME = "safetensors"


def detect(path, head, size):
    """Whether a file is a safetensors file (an 8-byte header length, then a JSON object)."""
    if len(head) < 10:
        return False
    n = int.from_bytes(head[:8], "little")
    return head[8:9] == b"{" and 0 < n <= size - 8


def read(path, *, activation=None, bias_row=None, nbytes):
    """The network of a safetensors file: netgraph's own format read as CSR, or a state_dict."""

    data = path.read_bytes()
    try:
        tensors = st_load(data)
        n = int.from_bytes(data[:8], "little")
        metadata = load_json(data[8 : 8 + n], path, field="the header").get("__metadata__") or {}
    except (SafetensorError, ValueError, RuntimeError, AttributeError) as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        raise CheckpointError(f"{path}: cannot be read as safetensors (truncated or corrupt?): {reason}") from None
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{path}: safetensors __metadata__ is a {type(metadata).__name__}, expected an object")
    if metadata.get("format") == FORMAT:
        try:
            header = {
                k: (load_json(v, path, field=f"metadata {k!r}") if k in JSON_HEADER_KEYS else v)
                for k, v in metadata.items()
            }
            version = header.get("format_version")
            obj = dict(header)  # an unknown or newer version: from_native says so
            if version == 1:
                n_layers = len(header["layer_sizes"]) - 1
                for key, stem in (("weights", "weight"), ("biases", "bias"), ("masks", "mask")):
                    obj[key] = [tensors[f"layers.{l}.{stem}"] for l in range(n_layers)]
            elif version == FORMAT_VERSION:
                n_layers = len(header["layer_sizes"]) - 1
                obj["layers"] = [{k: tensors[f"layers.{l}.{k}"] for k in CSR_KEYS} for l in range(n_layers)]
        except KeyError as exc:
            raise CheckpointError(f"{path}: netgraph safetensors file is incomplete: missing {exc}") from None
        except CheckpointError:
            raise
        except (ValueError, TypeError) as exc:
            raise CheckpointError(f"{path}: netgraph safetensors header is damaged ({exc})") from None
        ckpt = from_native(obj, source=str(path), label=str(path), nbytes=nbytes)
    else:
        # safetensors stores keys sorted as strings: restore layer order with a natural sort
        ordered = {k: tensors[k] for k in sorted(tensors, key=natural_key)}
        ckpt = from_state_dict(ordered, source=str(path), activation=activation, label=str(path), nbytes=nbytes)
    fmt = f"safetensors:{ckpt.source_format}"
    return ckpt.replace(source_format=fmt)
