"""Topology folders: one scipy.sparse matrix per layer, as SET and NNSTD save networks."""

import json
import re

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from netgraph import (
    CheckpointError,
    OutputError,
    ParameterError,
    SparseMLP,
    as_checkpoint,
    load_checkpoint,
    to_graph,
)
from netgraph.checkpoint import Checkpoint, save_topology_folder
from netgraph.export import export

# net_231 (tests/conftest.py) as SET/NNSTD store it: n_in x n_out, biases as the last row.
# Its present connection (0,1)->(1,2) of weight 0 cannot be stored: a connection is a non-zero value.
M0 = [[1.5, 0.0, 0.5], [0.0, -2.0, 0.0]]
B0 = [0.1, 0.2, -0.3]
M1 = [[3.0], [0.0], [-1.0]]
B1 = [0.5]
EDGES_231 = [
    ((0, 0), (1, 0), 1.5),
    ((0, 0), (1, 2), 0.5),
    ((0, 1), (1, 1), -2.0),
    ((1, 0), (2, 0), 3.0),
    ((1, 2), (2, 0), -1.0),
]


def _write(folder, matrices, *, prefix="weight", fmt="csr"):
    folder.mkdir(parents=True, exist_ok=True)
    for l, m in enumerate(matrices):
        m = m if sp.issparse(m) else sp.csr_matrix(np.asarray(m)).asformat(fmt)
        sp.save_npz(folder / f"{prefix}_l{l}.npz", m)
    return folder


def _231(folder, *, bias_row=True, fmt="csr"):
    if bias_row:
        return _write(folder, [M0 + [B0], M1 + [B1]], fmt=fmt)
    return _write(folder, [M0, M1], fmt=fmt)


@pytest.mark.parametrize("fmt", ["csr", "coo", "csc"])
def test_231_with_bias_row_reads_exactly(tmp_path, fmt):
    ckpt = load_checkpoint(_231(tmp_path / "t", fmt=fmt))
    assert ckpt.layer_sizes == (2, 3, 1) and ckpt.has_bias is True
    assert ckpt.source == str(tmp_path / "t") and ckpt.source_format == "set-npz"
    np.testing.assert_array_equal(ckpt.weights[0], np.array(M0, dtype=np.float32).T)
    np.testing.assert_array_equal(ckpt.weights[1], np.array(M1, dtype=np.float32).T)
    np.testing.assert_array_equal(ckpt.biases[0], np.array(B0, dtype=np.float32))
    np.testing.assert_array_equal(ckpt.biases[1], np.array(B1, dtype=np.float32))
    assert ckpt.masks[0].tolist() == [[True, False], [False, True], [True, False]]
    assert ckpt.meta == {
        "activation_assumed": True,
        "source_format": "set-npz",
        "source_folder": str(tmp_path / "t"),
        "layer_prefix": "weight",
        "bias_row": True,
    }
    G = to_graph(tmp_path / "t")  # weight of (l, i) -> (l + 1, j) is M_l[i, j]
    assert sorted(G.edges(data="weight")) == EDGES_231
    assert [G.nodes[(1, j)]["bias"] for j in range(3)] == pytest.approx(B0)
    assert G.nodes[(2, 0)]["bias"] == 0.5 and G.graph["has_bias"] is True


def test_231_without_bias_row(tmp_path):
    ckpt = as_checkpoint(str(_231(tmp_path / "t", bias_row=False)), activation="tanh")
    assert ckpt.layer_sizes == (2, 3, 1) and ckpt.has_bias is False and ckpt.activation == "tanh"
    assert all(not b.any() for b in ckpt.biases)
    assert ckpt.meta["bias_row"] is False and ckpt.meta["activation_assumed"] is False
    assert sorted(to_graph(ckpt).edges(data="weight")) == EDGES_231


def test_same_network_as_the_231_fixture(tmp_path, net_231):
    ckpt = load_checkpoint(_231(tmp_path / "t"))
    x = torch.randn(5, 2)
    with torch.no_grad():  # the absent weight-0 connection changes nothing in the outputs
        assert torch.equal(ckpt.to_model()(x), net_231(x))


def test_values_and_explicit_zeros(tmp_path):
    """float64 values are read as float32; a stored 0 is no connection."""
    m = sp.coo_matrix(([0.1, 0.0, 3.0], ([0, 1, 1], [0, 0, 1])), shape=(2, 2))
    assert m.nnz == 3 and m.dtype == np.float64
    _write(tmp_path / "t", [m, np.ones((2, 1))])
    ckpt = load_checkpoint(tmp_path / "t")
    assert ckpt.weights[0].dtype == np.float32 and ckpt.weights[0][0, 0] == np.float32(0.1)
    assert ckpt.masks[0].tolist() == [[True, False], [False, True]] and ckpt.weights[0][1, 1] == 3.0


def test_other_files_are_ignored_and_indices_sort_numerically(tmp_path):
    sizes = [3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1]  # 11 layers: l10 after l9, not after l1
    _write(tmp_path / "t", [np.ones((a, b)) for a, b in zip(sizes, sizes[1:])])
    (tmp_path / "t" / "testacc.txt").write_text("0.98\n")
    (tmp_path / "t" / "sub").mkdir()
    assert load_checkpoint(tmp_path / "t").layer_sizes == tuple(sizes)


@pytest.mark.parametrize("bias_row", [True, False])
def test_a_single_layer_needs_bias_row(tmp_path, bias_row):
    _write(tmp_path / "t", [np.arange(1.0, 13.0).reshape(4, 3)])
    with pytest.raises(CheckpointError, match="cannot tell whether the last row of weight_l0.npz .4 x 3. holds biases"):
        load_checkpoint(tmp_path / "t")
    ckpt = load_checkpoint(tmp_path / "t", bias_row=bias_row)
    assert ckpt.layer_sizes == ((3, 3) if bias_row else (4, 3)) and ckpt.has_bias is bias_row


@pytest.mark.parametrize(
    ("files", "bias_row", "message"),
    [
        ({"a_l0.npz": (3, 4), "a_l1.npz": (4, 2), "b_l0.npz": (3, 2)}, None, r"layer files of 2 networks \(a_l\*"),
        ({"w_l0.npz": (3, 4), "w_l2.npz": (4, 2)}, None, r"w_l1.npz missing \(found w_l0.npz, w_l2.npz\)"),
        ({"w_l0.npz": (3, 4), "w_l1.npz": (4, 2), "w_l01.npz": (4, 2)}, None, "w_l01.npz and w_l1.npz both claim"),
        ({"w_l0.npz": (3, 4), "w_l1.npz": (7, 2)}, None, r"w_l1.npz has 7 rows, expected 4 \(no bias row\) or 5"),
        (
            {"w_l0.npz": (3, 4), "w_l1.npz": (5, 3), "w_l2.npz": (3, 1)},
            None,
            r"w_l1.npz has a bias row \(5 rows after 4 columns\) but w_l2.npz has none .*one or none",
        ),
        ({"w_l0.npz": (3, 4), "w_l1.npz": (4, 2)}, True, r"bias_row=True, w_l1.npz should have 5 rows .* it has 4"),
        ({"w_l0.npz": (3, 4), "w_l1.npz": (5, 2)}, False, r"bias_row=False, w_l1.npz should have 4 rows"),
        ({"w_l0.npz": (1, 4), "w_l1.npz": (4, 2)}, True, "1 row: no inputs besides the bias row"),
    ],
)
def test_folder_structure_refused(tmp_path, files, bias_row, message):
    d = tmp_path / "t"
    d.mkdir()
    for name, shape in files.items():
        sp.save_npz(d / name, sp.csr_matrix(np.ones(shape)))
    with pytest.raises(CheckpointError, match=f"^{re.escape(str(d))}: .*{message}"):
        load_checkpoint(d, bias_row=bias_row)


def _npz_of(kind):
    if kind == "complex":
        return lambda p: sp.save_npz(p, sp.csr_matrix(np.ones((3, 4)) * (1 + 1j)))
    if kind == "int":
        return lambda p: sp.save_npz(p, sp.csr_matrix(np.ones((3, 4), dtype=np.int64)))
    if kind in ("nan", "inf"):
        return lambda p: sp.save_npz(p, sp.csr_matrix(np.full((3, 4), float(kind))))
    if kind == "huge":
        return lambda p: sp.save_npz(p, sp.csr_matrix(np.full((3, 4), 1e300)))
    if kind == "3d":
        return lambda p: sp.save_npz(p, sp.coo_array(np.ones((3, 4, 2))))
    if kind == "dense":
        return lambda p: np.savez(p, w=np.ones((3, 4)))
    if kind == "export":
        return lambda p: export(SparseMLP([3, 4]), p)
    if kind == "text":
        return lambda p: p.write_text("not a matrix\n")
    if kind == "empty":
        return lambda p: p.write_bytes(b"")
    if kind == "truncated":
        return lambda p: (sp.save_npz(p, sp.csr_matrix(np.ones((3, 4)))), p.write_bytes(p.read_bytes()[:-30]))
    if kind == "bad-index":  # a csr column index outside the matrix, written by hand
        return lambda p: np.savez(
            p,
            format="csr",
            shape=np.array([3, 4]),
            data=np.ones(1),
            indices=np.array([9]),
            indptr=np.array([0, 1, 1, 1]),
        )
    if kind == "lil":
        return lambda p: np.savez(p, format="lil", shape=np.array([3, 4]), data=np.ones(1))
    if kind == "zero-width":
        return lambda p: sp.save_npz(p, sp.csr_matrix(np.ones((3, 0))))
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("complex", "has dtype complex128, expected real floating point"),
        ("int", "has dtype int64, expected real floating point"),
        ("nan", r"holds 12 non-finite values \(nan or inf\)"),
        ("inf", r"holds 12 non-finite values \(nan or inf\)"),
        ("huge", "beyond the float32 range"),
        ("3d", "holds a 3-D sparse array of shape .3, 4, 2.; a layer is a 2-D"),
        ("dense", "holds the arrays w, not a scipy.sparse matrix"),
        ("export", r"holds a netgraph npz export \(a whole network\), not a scipy.sparse matrix"),
        ("text", r"is not an .npz file \(not a zip archive\)"),
        ("empty", r"is empty \(0 bytes\)"),
        ("truncated", "cannot be read as an .npz file|not a zip archive"),
        ("bad-index", r"is a damaged scipy.sparse matrix \(indices must be < 4\)"),
        ("lil", "sparse format 'lil' is unknown"),
        ("zero-width", "has shape 3 x 0"),
    ],
)
def test_bad_layer_file_refused_naming_it(tmp_path, kind, message):
    d = tmp_path / "t"
    d.mkdir()
    sp.save_npz(d / "w_l0.npz", sp.csr_matrix(np.ones((2, 3))))
    _npz_of(kind)(d / "w_l1.npz")
    with pytest.raises(CheckpointError, match=f"^{re.escape(str(d / 'w_l1.npz'))}: .*({message})"):
        load_checkpoint(d)


def test_folders_that_are_not_one_network(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="empty: is a directory without layer files"):
        load_checkpoint(tmp_path / "empty")
    run = tmp_path / "e5_s0_w0"
    for epoch in (0, 10, 190):
        _231(run / f"epoch_{epoch:03d}")
    with pytest.raises(
        CheckpointError, match=r"3 epoch folders .*\(epoch_000 \.\.\. epoch_190\).*e5_s0_w0/epoch_190 \(the last"
    ):
        load_checkpoint(run)
    with pytest.raises(CheckpointError, match="one layer of a SET/NNSTD topology folder; pass .*epoch_000 .with the"):
        load_checkpoint(run / "epoch_000" / "weight_l0.npz")
    with pytest.raises(ParameterError, match="bias_row='yes' is not valid"):
        load_checkpoint(run / "epoch_000", bias_row="yes")


@pytest.mark.parametrize("bias", [True, False])
def test_writer_round_trip(tmp_path, make_net, bias):
    net = make_net([6, 5, 4, 3], 0.5, seed=2, activation="tanh", bias=bias)
    d = save_topology_folder(net, tmp_path / "t", meta={"seed": 2, "method": "set"})
    back = load_checkpoint(d)
    ref = Checkpoint.from_model(net)
    assert back.layer_sizes == ref.layer_sizes and back.has_bias is bias and back.activation == "tanh"
    for a, b in zip(back.weights + back.biases + back.masks, ref.weights + ref.biases + ref.masks):
        np.testing.assert_array_equal(a, b)
    assert back.meta["seed"] == 2 and back.meta["method"] == "set" and "netgraph_version" in back.meta
    x = torch.randn(4, 6)
    with torch.no_grad():
        assert torch.equal(back.to_model()(x), net(x))
    # what SET/NNSTD read: n_in x n_out, with the biases as a last row that NNSTD's reader drops
    for l, layer in enumerate(net.layers):
        m = sp.load_npz(d / f"weight_l{l}.npz").toarray()
        w = layer.weight.detach().numpy()
        np.testing.assert_array_equal(m[:-1] if bias else m, w.T)
        if bias:
            np.testing.assert_array_equal(m[-1], layer.bias.detach().numpy())
    sidecar = json.loads((d / "netgraph.json").read_text())
    assert sidecar["bias_row"] is bias and sidecar["layers"] == 3 and sidecar["prefix"] == "weight"


def test_writer_single_layer_and_zero_weights(tmp_path, net_231, make_net):
    """A single layer reads back without bias_row (netgraph.json says); a weight-0 connection is lost."""
    d = save_topology_folder(make_net([4, 3], 0.7, seed=1, bias=False), tmp_path / "one", prefix="w")
    assert sorted(p.name for p in d.iterdir()) == ["netgraph.json", "w_l0.npz"]
    assert load_checkpoint(d).has_bias is False
    back = load_checkpoint(save_topology_folder(net_231, tmp_path / "t"))
    assert back.n_connections() == 5 and not back.masks[0][2, 1]


def test_writer_refusals(tmp_path, net_231):
    d = save_topology_folder(net_231, tmp_path / "t")
    save_topology_folder(load_checkpoint(tmp_path / "t"), tmp_path / "copy")  # same files again: fine
    with pytest.raises(OutputError, match="is the folder the network was read from"):
        save_topology_folder(load_checkpoint(d), d)
    with pytest.raises(OutputError, match=r"already holds weight_l0.npz, weight_l1.npz: layer files of another"):
        save_topology_folder(net_231, d, prefix="other")
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a regular file; a topology folder is written into a folder"):
        save_topology_folder(net_231, tmp_path / "file")
    for prefix in ("", "a/b", 3):
        with pytest.raises(ParameterError, match="prefix=.* is not valid"):
            save_topology_folder(net_231, tmp_path / "p", prefix=prefix)
    with pytest.raises(ParameterError, match="model is a str"):
        save_topology_folder("net.pt", tmp_path / "p")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: "{", "is not valid JSON"),
        (lambda s: json.dumps({**s, "format": "other"}), "is not netgraph's description of a topology folder"),
        (
            lambda s: json.dumps({**s, "layers": 3}),
            "describes 3 layers named 'weight'_l<N>.npz, but the folder holds 2",
        ),
        (lambda s: json.dumps({**s, "activation": "swish"}), "'activation' is 'swish', expected one of"),
        (lambda s: json.dumps({**s, "format_version": 2}), "format_version 2 is unknown"),
    ],
)
def test_damaged_sidecar_refused(tmp_path, net_231, change, message):
    d = save_topology_folder(net_231, tmp_path / "t")
    sidecar = d / "netgraph.json"
    sidecar.write_text(change(json.loads(sidecar.read_text())))
    with pytest.raises(CheckpointError, match=f"^{re.escape(str(sidecar))}: {message}"):
        load_checkpoint(d)


# ----------------------------------------------------------------- issue 16


def _raw_npz(path, fmt, shape, **arrays):
    """A layer file written member by member, as scipy.sparse.save_npz lays it out (no checks of scipy's)."""
    np.savez_compressed(path, format=np.array(fmt.encode()), shape=np.array(shape), **arrays)
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("coo", r"weight_l0.npz: stores entry \(0, 0\) more than once \(1 repeated entries\)"),
        ("csr", r"weight_l0.npz: stores entry \(0, 0\) more than once"),
    ],
)
def test_entries_stored_twice_are_refused(tmp_path, kind, message):
    """scipy would add the two entries up: one connection, two weights."""
    folder = tmp_path / "t"
    folder.mkdir()
    if kind == "csr":
        _raw_npz(
            folder / "weight_l0.npz",
            "csr",
            (3, 2),
            data=np.array([1.0, 2.0]),
            indices=np.array([0, 0], dtype=np.int32),
            indptr=np.array([0, 2, 2, 2], dtype=np.int32),
        )
    else:
        sp.save_npz(folder / "weight_l0.npz", sp.coo_matrix(([1.0, 2.0, 3.0], ([0, 0, 1], [0, 0, 1])), shape=(3, 2)))
    sp.save_npz(folder / "weight_l1.npz", sp.csr_matrix(np.ones((3, 1))))
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(folder)


def test_float16_matrices_are_read_exactly(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    for l, (r, c) in enumerate([(3, 3), (4, 1)]):  # 2 inputs + bias row, 3 units + bias row
        m = sp.csr_matrix(np.full((r, c), 0.5))
        _raw_npz(
            folder / f"weight_l{l}.npz",
            "csr",
            (r, c),
            data=m.data.astype(np.float16),
            indices=m.indices,
            indptr=m.indptr,
        )
    ckpt = load_checkpoint(folder)
    assert ckpt.layer_sizes == (2, 3, 1) and ckpt.weights[0].dtype == np.float32
    assert np.all(ckpt.weights[0] == 0.5) and np.all(ckpt.biases[1] == 0.5)


def test_a_gap_of_10_11_layers_is_named_not_listed(tmp_path):
    """weight_l0.npz + weight_l99999999999.npz: 13.3 GB and 194 s to list the missing names, before."""
    folder = _write(tmp_path / "t", [np.ones((3, 2))])
    sp.save_npz(folder / "weight_l99999999999.npz", sp.csr_matrix(np.ones((3, 2))))
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(folder)
    text = str(caught.value)
    assert "weight_l1.npz, weight_l2.npz, weight_l3.npz and 99,999,999,995 more missing" in text and len(text) < 400


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    """A 1 x 2000 DIA matrix with 2000 diagonals: 32 KB on disk, 32 MB unpacked (the issue's: 3 MB, 3.2 GB)."""
    folder = tmp_path / "t"
    folder.mkdir()
    _raw_npz(folder / "weight_l0.npz", "dia", (1, 2000), data=np.zeros((2000, 2000)), offsets=np.arange(2000))
    assert (folder / "weight_l0.npz").stat().st_size < 100_000
    with pytest.raises(
        CheckpointError, match=r"weight_l0.npz: its members unpack to 32,0\d\d,\d{3} bytes, more than a 1 x 2000"
    ):
        load_checkpoint(folder)


def test_a_layer_declaring_a_huge_shape_is_refused(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    sp.save_npz(folder / "weight_l0.npz", sp.csr_matrix((3, 100_000_000), dtype=np.float32))
    sp.save_npz(folder / "weight_l1.npz", sp.csr_matrix((100_000_000, 1), dtype=np.float32))
    with pytest.raises(CheckpointError, match=r"t: implies dense arrays of 400,000,000 elements"):
        load_checkpoint(folder)


def test_export_over_a_folder_is_all_or_nothing(tmp_path, net_231, make_net, monkeypatch):
    """A full disk at the second layer file: the old network is still there, whole; the new one, whole, after."""
    import errno

    import netgraph.fileio

    folder = save_topology_folder(net_231, tmp_path / "t", meta={"which": "old"})
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    real, calls = netgraph.fileio._new_temporary, []

    def full_at_the_second_layer(target, *args):
        calls.append(target.name)
        if target.name == "weight_l1.npz":
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real(target, *args)

    monkeypatch.setattr(netgraph.fileio, "_new_temporary", full_at_the_second_layer)
    new = make_net([2, 3, 1], 0.9, seed=5)
    with pytest.raises(OSError, match="No space left on device"):
        save_topology_folder(new, folder, meta={"which": "new"})
    assert calls[:2] == ["netgraph.json", "weight_l0.npz"]  # the description is written first
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    monkeypatch.undo()
    assert load_checkpoint(folder).meta["which"] == "old"
    save_topology_folder(new, folder, meta={"which": "new"})
    back = load_checkpoint(folder)
    assert back.meta["which"] == "new"
    np.testing.assert_array_equal(back.weights[1], Checkpoint.from_model(new).weights[1])


def test_a_folder_mixing_two_networks_is_refused(tmp_path, net_231, make_net):
    """One layer file of another export (copied in by hand, or an interruption between renames): refused."""
    a = save_topology_folder(net_231, tmp_path / "a")
    b = save_topology_folder(make_net([2, 3, 1], 0.9, seed=5), tmp_path / "b")
    (a / "weight_l1.npz").write_bytes((b / "weight_l1.npz").read_bytes())
    with pytest.raises(CheckpointError, match=r"weight_l1.npz: is not the layer file .*netgraph.json describes"):
        load_checkpoint(a)
    (a / "netgraph.json").unlink()  # without the description, the files are read as they are
    assert load_checkpoint(a).layer_sizes == (2, 3, 1)


def test_csc_bias_row_with_zero_biases_and_empty_columns(tmp_path):
    # 2 inputs + a bias row, 4 units: unit 0 has a weight and a bias, unit 1 a weight only,
    # unit 2 a bias only, unit 3 nothing at all
    M = [[1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.5, 0.0, -0.25, 0.0]]
    ckpt = load_checkpoint(_write(tmp_path / "t", [M], fmt="csc"), bias_row=True)
    assert ckpt.layer_sizes == (2, 4)
    assert ckpt.weights[0].tolist() == [[1.0, 0.0], [2.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
    assert ckpt.biases[0].tolist() == [0.5, 0.0, -0.25, 0.0]
    assert ckpt.n_connections() == 2


def test_written_layers_are_the_blocks_arrays_in_columns(tmp_path):
    ckpt = load_checkpoint(_231(tmp_path / "src"))
    folder = save_topology_folder(ckpt, tmp_path / "out")
    m = sp.load_npz(folder / "weight_l0.npz")
    assert m.format == "csc" and m.shape == (3, 3)  # 2 inputs + the bias row, 3 units
    np.testing.assert_array_equal(m.toarray(), np.array(M0 + [B0], dtype=np.float32))
    # column j: unit j's inputs (as in row j of the block), then its bias
    assert m.indptr.tolist() == [0, 2, 4, 6] and m.indices.tolist() == [0, 2, 1, 2, 0, 2]
    back = load_checkpoint(folder)
    for a, b in zip(back.blocks, ckpt.blocks):
        assert (a != b).nnz == 0 and a.indices.tolist() == b.indices.tolist()
