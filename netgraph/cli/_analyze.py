"""``netgraph analyze PATH... [--json FILE]``: structure of each checkpoint as a table.

Per layer: units, incoming connections and their density, in- and out-degree statistics,
isolated units, driver nodes, the width bound and the shortfall above it.
"""

import json
import math
import sys

from ._paths import PATH_HELP, add_bias_row_option, add_blocks_option

__all__ = ["register"]


def register(subparsers):
    p = subparsers.add_parser(
        "analyze",
        help="structure of checkpoints: connections, density, degrees, driver nodes",
        description="Print a table per checkpoint: layers, connections, density, degree statistics, "
        "driver nodes N_D (structural controllability), the width bound on N_D and the shortfall "
        "above it.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help=PATH_HELP)
    p.add_argument("--json", metavar="FILE", help="also write every number to FILE as JSON")
    add_bias_row_option(p)
    add_blocks_option(p)
    p.set_defaults(func=_run)


def analyze_graph(G, source=None):
    """The numbers ``netgraph analyze`` shows for one network (a Checkpoint) or graph, as a JSON-safe dict."""
    from analysis import degree_distribution, driver_nodes, layer_summary

    from ..network import Checkpoint

    summary = layer_summary(G)
    drivers = driver_nodes(G)
    total = degree_distribution(G, direction="total")
    meta = (G.meta if isinstance(G, Checkpoint) else G.graph.get("meta")) or {}
    return {
        "file": source,
        "method": meta.get("method"),
        "seed": meta.get("seed"),
        "epoch": meta.get("epoch"),
        "layer_sizes": list(summary.layer_sizes),
        "connections": summary.total_connections,
        "density": summary.total_density,
        "layer_summary": summary.to_dict(),
        "degree": {"mean": total.mean, "std": total.std, "max": total.max, "n_isolated": total.n_isolated},
        "driver_nodes": drivers.to_dict(nodes=False),
    }


def _f(x, spec):
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, spec)


def analyze_channels(path, net):
    """The numbers ``netgraph analyze`` shows for a channel network (a program, a HF folder, a block view)."""
    import numpy as np

    from analysis import degree_distribution, driver_nodes

    drivers = driver_nodes(net)
    indptr, indices = net.adjacency()
    outs, ins = np.diff(indptr), np.bincount(indices, minlength=net.n_nodes)
    spaces = []
    for l, space in enumerate(net.spaces):
        part = slice(net.offsets[l], net.offsets[l + 1])
        i, o = ins[part], outs[part]
        spaces.append(
            {
                "space": l,
                "kind": space["kind"],
                "module": space["module"],
                "units": space["units"],
                "in_mean": float(i.mean()),
                "in_max": int(i.max()),
                "out_mean": float(o.mean()),
                "out_max": int(o.max()),
                "n_isolated": int(np.count_nonzero((i == 0) & (o == 0))),
                "drivers": drivers.layer_drivers[l],
                "bound": drivers.layer_bound[l],
            }
        )
    total = degree_distribution(net, direction="total")
    return {
        "file": str(path),
        "contract": net.contract,
        "channels": net.n_nodes,
        "connections": net.n_edges,
        "spaces": spaces,
        "degree": {"mean": total.mean, "std": total.std, "max": total.max, "n_isolated": total.n_isolated},
        "driver_nodes": {
            "count": drivers.count,
            "fraction": drivers.fraction,
            "n_nodes": drivers.n_nodes,
            "bound": drivers.bound,
        },
    }


def _print_channels(r, out):
    print(f"{r['file']}  (channel graph)", file=out)
    header = f"{'space':>5} {'kind':>6} {'units':>6} {'in mean':>8} {'in max':>6} {'out mean':>8} {'out max':>7} {'isolated':>8} {'N_D':>6} {'bound':>6}  module"
    print(header, file=out)
    for s in r["spaces"]:
        print(
            f"{s['space']:>5} {s['kind']:>6} {s['units']:>6} {s['in_mean']:>8.2f} {s['in_max']:>6} "
            f"{s['out_mean']:>8.2f} {s['out_max']:>7} {s['n_isolated']:>8} {s['drivers']:>6} {s['bound']:>6}  {s['module']}",
            file=out,
        )
    d = r["driver_nodes"]
    print(
        f"total  {len(r['spaces'])} spaces, {r['channels']:,} channels, {r['connections']:,} connections, degree mean "
        f"{_f(r['degree']['mean'], '.2f')} max {r['degree']['max']}, N_D {d['count']} ({d['fraction']:.4f} of "
        f"{d['n_nodes']} nodes), bound {d['bound']} (units a space's sources cannot reach; loose where spaces share "
        "sources)",
        file=out,
    )


def _print_table(r, out):
    if "contract" in r:
        return _print_channels(r, out)
    s, d = r["layer_summary"], r["driver_nodes"]
    tags = ", ".join(f"{k} {r[k]}" for k in ("method", "seed", "epoch") if r.get(k) is not None)
    print(f"{r['file']}" + (f"  ({tags})" if tags else ""), file=out)
    header = (
        f"{'layer':>5} {'units':>6} {'conn in':>9} {'density':>8} {'in mean':>8} {'in std':>7} {'in max':>6} "
        f"{'out mean':>8} {'out std':>7} {'out max':>7} {'isolated':>8} {'N_D':>6} {'bound':>6} {'short':>6}"
    )
    print(header, file=out)
    for l, n in enumerate(s["layer_sizes"]):
        conn = s["connections"][l - 1] if l else None
        dens = s["density"][l - 1] if l else None
        print(
            f"{l:>5} {n:>6} {_f(conn, ',d'):>9} {_f(dens, '.4f'):>8} {_f(s['in_mean'][l], '.2f'):>8} "
            f"{_f(s['in_std'][l], '.2f'):>7} {_f(s['in_max'][l] if l else None, 'd'):>6} "
            f"{_f(s['out_mean'][l], '.2f'):>8} {_f(s['out_std'][l], '.2f'):>7} "
            f"{_f(s['out_max'][l] if l < len(s['layer_sizes']) - 1 else None, 'd'):>7} {s['n_isolated'][l]:>8} "
            f"{d['layer_drivers'][l]:>6} {d['layer_bound'][l]:>6} {d['layer_shortfall'][l]:>6}",
            file=out,
        )
    print(
        f"total  {'-'.join(map(str, r['layer_sizes']))}: {r['connections']:,} connections, density "
        f"{r['density']:.4f}, degree mean {_f(r['degree']['mean'], '.2f')} max {r['degree']['max']}, "
        f"N_D {d['count']} ({d['fraction']:.4f} of {d['n_nodes']} nodes), bound {d['bound']}, "
        f"shortfall {d['shortfall']}",
        file=out,
    )


def _run(args):
    from netgraph import load_checkpoint
    from netgraph.fileio import atomic_write, check_not_input, jsonable

    from ._paths import channel_input, input_files, read_channel_network, resolve_checkpoints

    files = resolve_checkpoints(args.paths, unique=False)
    if args.json:
        check_not_input(args.json, input_files(files), name="--json")
    results = []
    for k, path in enumerate(files):
        if channel_input(path, args):  # a network of any architecture (.pt2, HF folder, --blocks): as channels
            r = analyze_channels(path, read_channel_network(path, args))
        else:
            r = analyze_graph(load_checkpoint(path, bias_row=args.bias_row), source=str(path))  # no graph built
        results.append(r)
        if k:
            print()
        _print_table(r, sys.stdout)
    if args.json:
        with atomic_write(args.json, "w", encoding="utf-8") as f:
            json.dump(jsonable(results), f, indent=1, allow_nan=False)
        print(f"wrote {args.json}", file=sys.stderr)
    return 0
