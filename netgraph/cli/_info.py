"""``netgraph info PATH...``: layer sizes, connections, density, compression and metadata."""

import json
import math

from ..io.paths import is_hf_folder
from ._paths import PATH_HELP, add_bias_row_option, add_blocks_option

__all__ = ["register"]


def register(subparsers):
    p = subparsers.add_parser(
        "info",
        help="summarise a checkpoint: layers, connections, density, compression, metadata",
        description="Summarise checkpoints (netgraph, nn.Sequential/custom state_dict, "
        "torch.nn.utils.prune, safetensors, a netgraph export, a SET/NNSTD topology folder, or a torch.export "
        "program (.pt2) or a HuggingFace model folder of any feedforward architecture, shown as its channel graph): "
        "layer sizes, "
        "connections per layer, "
        "density, compression vs. dense, and metadata.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help=PATH_HELP)
    p.add_argument("--json", action="store_true", help="print the summary as JSON (a list for several checkpoints)")
    add_bias_row_option(p)
    add_blocks_option(p)
    p.set_defaults(func=_run)


def summarize(ckpt):
    """The numbers ``netgraph info`` shows, as a JSON-safe dict."""
    sizes = list(ckpt.layer_sizes)
    layers = []
    for l in range(len(sizes) - 1):
        n, possible = ckpt.n_connections(layer=l), sizes[l] * sizes[l + 1]
        layers.append(
            {
                "layer": l,
                "shape": [sizes[l], sizes[l + 1]],
                "connections": n,
                "possible": possible,
                "density": n / possible,
            }
        )
    total = ckpt.n_connections()
    possible = sum(row["possible"] for row in layers)
    return {
        "file": ckpt.source,
        "format": ckpt.source_format,
        "layer_sizes": sizes,
        "activation": ckpt.activation,
        "layers": layers,
        "connections": total,
        "possible": possible,
        "density": total / possible,
        "compression": possible / total if total else None,
        "meta": ckpt.meta,
    }


def _run(args):
    from ..io import load_checkpoint
    from ._paths import channel_input, read_channel_network, resolve_checkpoints

    files = resolve_checkpoints(args.paths, unique=False)
    summaries = [
        summarize_channels(p, read_channel_network(p, args), blocks=args.blocks)
        if channel_input(p, args)
        else summarize(load_checkpoint(p, bias_row=args.bias_row))
        for p in files
    ]
    if args.json:
        print(json.dumps(summaries[0] if len(summaries) == 1 else summaries, indent=2, sort_keys=True))
        return 0
    for k, s in enumerate(summaries):
        if k:
            print()
        _print(s)
    return 0


def summarize_channels(path, net, *, blocks=False):
    """What ``netgraph info`` shows of a channel network ``net`` read from ``path`` (a program, a HF folder, a block view)."""
    layers = []
    for layer, block in zip(net.layers, net.blocks):
        inputs = len(dict.fromkeys(map(tuple, layer["inputs"])))
        shape = layer["weight_shape"]
        layers.append(
            {
                "module": layer["module"],
                "type": layer["type"],
                "weight_shape": shape,
                "groups": layer["groups"],
                "weights": int(block.nnz.sum()),
                "possible": math.prod(shape),
                "channel_connections": block.n_edges,
                "possible_channel_connections": shape[0] * inputs // layer["groups"],
            }
        )
    weights, possible = sum(r["weights"] for r in layers), sum(r["possible"] for r in layers)
    kinds = [s["kind"] for s in net.spaces]
    return {
        "file": str(path),
        "format": f"{_channel_source(path, blocks)} (channel graph)",
        "spaces": {kind: kinds.count(kind) for kind in dict.fromkeys(kinds)},
        "channels": net.n_nodes,
        "layers": layers,
        "weights": weights,
        "possible": possible,
        "density": weights / possible if possible else None,
        "compression": possible / weights if weights else None,
        "channel_connections": sum(r["channel_connections"] for r in layers),
    }


def _channel_source(path, blocks):
    if blocks:
        return "block view"
    from ..io.cnn import is_cnn_checkpoint

    if is_hf_folder(path):
        return "HuggingFace model folder"
    return "netgraph convolutional network checkpoint" if is_cnn_checkpoint(path) else "torch.export program"


def _print_channels(s):
    print(f"{s['file']}  ({s['format']})")
    spaces = ", ".join(f"{n} {kind}" for kind, n in s["spaces"].items())
    print(f"spaces      {sum(s['spaces'].values())} ({spaces}), {s['channels']:,} channels")
    for row in s["layers"]:
        shape = "x".join(map(str, row["weight_shape"]))
        groups = f" groups {row['groups']}" if row["groups"] > 1 else ""
        print(
            f"  {row['module'] or '(root)'}  {row['type']} {shape}{groups}  weights {row['weights']:,} / "
            f"{row['possible']:,}  channel connections {row['channel_connections']:,} / "
            f"{row['possible_channel_connections']:,}"
        )
    comp = f"compression {s['compression']:.1f}x vs. dense" if s["compression"] else "no weights"
    print(f"weights     {s['weights']:,} / {s['possible']:,}  density {s['density']:.4f}  ({comp})")
    print(f"connections {s['channel_connections']:,} between channels")


def _print(s):
    if "channels" in s:
        return _print_channels(s)
    print(f"{s['file']}  ({s['format']})")

    print(f"layers      {'-'.join(map(str, s['layer_sizes']))}  activation={s['activation']}")
    for row in s["layers"]:
        a, b = row["shape"]
        print(
            f"  layer {row['layer']}  {a:>6} -> {b:<6} {row['connections']:>10,} / {row['possible']:<12,} density {row['density']:.4f}"
        )
    comp = f"compression {s['compression']:.1f}x vs. dense" if s["compression"] else "no connections"
    print(f"connections {s['connections']:,} / {s['possible']:,}  density {s['density']:.4f}  ({comp})")
    trained = _training_line(s["meta"])
    if trained:
        print(f"trained     {trained}")
    width = max((len(key) for key in s["meta"]), default=0)
    for key in sorted(s["meta"]):
        value = s["meta"][key]
        text = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
        if len(text) > 100:
            text = text[:97] + "... (netgraph info --json shows it all)"
        print(f"meta.{key:<{width}} {text}")


def _training_line(meta):
    """What a checkpoint of ``netgraph train`` says of its run: method, seed, epoch, accuracies, loss."""
    metrics = meta.get("metrics")
    if not isinstance(metrics, dict):
        return None
    parts = []
    for key, label in (("test_accuracy", "test accuracy"), ("train_accuracy", "train accuracy"), ("loss", "loss")):
        value = metrics.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            parts.append(f"{label} {value:.4f}")
    run = ", ".join(
        f"{label} {meta[key]}"
        for key, label in (("dataset", "on"), ("method", "method"), ("seed", "seed"))
        if key in meta
    )
    epoch = metrics.get("epoch", meta.get("epoch"))
    head = f"{run}, after epoch {epoch}" if epoch is not None else run
    return f"{head}: {', '.join(parts)}" if parts else None
