import gzip
import os
import re
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from netgraph import NetgraphError, ParameterError
from netgraph.training.data import (
    find_idx_files,
    load,
    load_csv,
    load_digits,
    load_idx,
    make_synthetic,
    read_idx,
)

MNIST_DIR = Path(__file__).resolve().parents[4] / "shared" / "data" / "mnist"


def _idx_bytes(array):
    codes = {
        np.dtype(np.uint8): 0x08,
        np.dtype(np.int8): 0x09,
        np.dtype(">i2"): 0x0B,
        np.dtype(">i4"): 0x0C,
        np.dtype(">f4"): 0x0D,
        np.dtype(">f8"): 0x0E,
    }
    header = bytes([0, 0, codes[array.dtype], array.ndim])
    header += b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return header + array.tobytes()


@pytest.fixture
def tiny_mnist(tmp_path):
    """A 3-train / 2-test MNIST-style directory: images 2x2, labels 0..2; train gzipped, test raw."""
    train = np.array([[[0, 255], [0, 0]], [[255, 255], [0, 0]], [[0, 0], [255, 255]]], dtype=np.uint8)
    test = np.array([[[0, 255], [255, 0]], [[0, 0], [0, 0]]], dtype=np.uint8)
    files = {
        "train-images-idx3-ubyte.gz": train,
        "train-labels-idx1-ubyte.gz": np.array([0, 1, 2], dtype=np.uint8),
        "t10k-images-idx3-ubyte": test,
        "t10k-labels-idx1-ubyte": np.array([2, 0], dtype=np.uint8),
    }
    for name, array in files.items():
        data = _idx_bytes(array)
        (tmp_path / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return tmp_path


def test_digits_split_and_standardisation():
    ds = load("digits", rng=0)
    assert (ds.n_features, ds.n_classes) == (64, 10)
    assert ds.x_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    assert len(ds.y_train) + len(ds.y_test) == 1797
    # stratified: every class holds out round(0.2 * its count); digits has 178..183 per class
    counts = np.bincount(np.concatenate([ds.y_train.numpy(), ds.y_test.numpy()]))
    np.testing.assert_array_equal(np.bincount(ds.y_test.numpy()), np.round(0.2 * counts).astype(int))
    # images: one global mean and std over the training pixels
    assert float(ds.x_train.mean()) == pytest.approx(0.0, abs=1e-5)
    assert float(ds.x_train.std(unbiased=False)) == pytest.approx(1.0, abs=1e-4)
    assert ds.standardize == "global" and ds.seed == 0


def test_split_is_seeded():
    a, b, c = load("digits", rng=1), load("digits", rng=1), load("digits", rng=2)
    assert torch.equal(a.x_test, b.x_test) and torch.equal(a.y_train, b.y_train)
    assert not torch.equal(a.y_test, c.y_test)


def test_synthetic_is_standardised_per_feature():
    ds = load("synthetic", rng=0, n_samples=200, n_features=6, n_classes=3, test_size=0.25)
    assert (ds.n_features, ds.n_classes, len(ds.y_test)) == (6, 3, 50)
    np.testing.assert_allclose(ds.x_train.mean(0).numpy(), 0.0, atol=1e-5)
    np.testing.assert_allclose(ds.x_train.std(0, unbiased=False).numpy(), 1.0, atol=1e-4)
    assert ds.to_dict()["n_train"] == 150


def test_csv_label_column_categories_and_string_labels(tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text(
        "bytes,proto,label\n"
        "10,tcp,normal\n20,udp,attack\n30,tcp,normal\n40,icmp,attack\n"
        "50,tcp,normal\n60,udp,attack\n70,tcp,normal\n80,icmp,attack\n"
    )
    ds = load(f"csv:{path}", rng=0, test_size=0.25, standardize="feature")
    # features: bytes, then proto one-hot in sorted order (icmp, tcp, udp); classes sorted: attack, normal
    assert ds.n_features == 4 and ds.class_names == ("attack", "normal")
    assert np.bincount(ds.y_test.numpy()).tolist() == [1, 1]
    raw = load(f"csv:{path}", rng=0, test_size=0.25, standardize="global")
    assert raw.n_features == 4


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "message"),
    [
        ("cifar", {}, ParameterError, "name='cifar' is not valid; expected one of 'digits'"),
        ("digits", {"test_size": 1.5}, ParameterError, r"test_size=1.5, must be a number > 0 and < 1"),
        ("digits", {"standardize": "minmax"}, ParameterError, "standardize='minmax' is not valid"),
        ("csv:", {}, ParameterError, "names no file"),
        ("csv:/nonexistent/x.csv", {}, NetgraphError, "no such CSV file"),
        ("synthetic", {"n_classes": 1}, ParameterError, "n_classes=1, must be an int >= 2"),
    ],
)
def test_bad_arguments(name, kwargs, error, message):
    with pytest.raises(error, match=message):
        load(name, **kwargs)


def test_csv_without_label_column_lists_columns(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,class\n1,2,x\n3,4,y\n")
    with pytest.raises(ParameterError, match="label_column='label' is not a column of .*; columns: a, b, class"):
        load(f"csv:{path}")


def test_mnist_missing_files_says_what_and_where(tmp_path):
    with pytest.raises(NetgraphError) as info:
        load("mnist", data_dir=tmp_path)
    msg = str(info.value)
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        assert name in msg
    assert "never downloads" in msg and str(tmp_path) in msg and "--data-dir" in msg


def test_find_idx_files_finds_what_load_reads(tiny_mnist):
    found = find_idx_files(tiny_mnist)
    assert {k: p.name for k, p in found.items()} == {
        "train_images": "train-images-idx3-ubyte.gz",
        "train_labels": "train-labels-idx1-ubyte.gz",
        "test_images": "t10k-images-idx3-ubyte",
        "test_labels": "t10k-labels-idx1-ubyte",
    }
    assert find_idx_files(str(tiny_mnist)) == found
    # the dotted names some mirrors use are found too
    (tiny_mnist / "t10k-labels-idx1-ubyte").rename(tiny_mnist / "t10k-labels.idx1-ubyte")
    assert find_idx_files(tiny_mnist)["test_labels"].name == "t10k-labels.idx1-ubyte"
    assert len(load("mnist", data_dir=tiny_mnist).y_test) == 2


def test_find_idx_files_reports_missing_files(tmp_path):
    assert find_idx_files(tmp_path / "nowhere") == dict.fromkeys(
        ("train_images", "train_labels", "test_images", "test_labels")
    )
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"")
    found = find_idx_files(tmp_path)
    assert found["train_images"] == tmp_path / "train-images-idx3-ubyte" and not all(found.values())
    with pytest.raises(ParameterError, match="directory=None: expected a path"):
        find_idx_files(None)


def test_mnist_from_tiny_idx_files(tiny_mnist):
    ds = load("mnist", data_dir=tiny_mnist)
    assert (ds.n_features, len(ds.y_train), len(ds.y_test)) == (4, 3, 2)
    assert ds.y_train.tolist() == [0, 1, 2] and ds.y_test.tolist() == [2, 0]
    # global standardisation of the training pixels: 5 of 12 are 255 -> 1.0, so mean 5/12 and
    # std sqrt(5/12 * 7/12) = sqrt(35)/12
    x = np.array([[0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]], dtype=np.float64)
    np.testing.assert_allclose(ds.x_train.numpy(), (x - 5 / 12) * 12 / np.sqrt(35), atol=1e-6)
    np.testing.assert_allclose(ds.x_test.numpy()[1], [-5 / np.sqrt(35)] * 4, atol=1e-6)
    with pytest.raises(ParameterError, match="fixed 60000/10000"):
        load("mnist", data_dir=tiny_mnist, test_size=0.1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00\x07\x01", "bad magic number"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", "IDX data has 2 bytes, expected 5"),
        (b"\x00\x00\x08\x03\x00\x00", "header is truncated"),
    ],
)
def test_read_idx_rejects_damage(tmp_path, data, message):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(data)
    with pytest.raises(NetgraphError, match=message):
        read_idx(path)


def test_read_idx_big_endian_ints(tmp_path):
    path = tmp_path / "x-idx2-int"
    path.write_bytes(_idx_bytes(np.array([[1, -2], [300, 4]], dtype=">i4")))
    assert read_idx(path).tolist() == [[1, -2], [300, 4]]


@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason="real MNIST files not present")
def test_real_mnist_test_files():
    labels = read_idx(MNIST_DIR / "t10k-labels-idx1-ubyte.gz")
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    images = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8 and images.max() == 255


# --- Hardening (issue #8): bad inputs give one clear NetgraphError naming the file -------------

_FLOWS = "bytes,proto,label\n10,tcp,normal\n20,udp,attack\n30,tcp,normal\n40,icmp,attack\n"


def _csv(tmp_path, content, name="data.csv"):
    """Write ``content`` (str as UTF-8, or raw bytes) to ``tmp_path / name``; return the ``csv:`` name."""
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return f"csv:{path}"


def _case_id(value):
    """Short test ids: the expected message's words (inputs are too long to show)."""
    if isinstance(value, str) and not value.endswith("\n") and value:
        return re.sub(r"[^A-Za-z0-9.']+", "_", value.replace("data\\.csv: ", ""))[:60].strip("_")
    if isinstance(value, (str, bytes)):
        return "input"
    return getattr(value, "__name__", None)


def _check_error(call, error, message):
    """``call()`` raises exactly a NetgraphError of class ``error`` whose one-line message matches ``message``."""
    with pytest.raises(error, match=message) as info:
        call()
    assert isinstance(info.value, NetgraphError)
    assert "\n" not in str(info.value)
    return str(info.value)


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        # not UTF-8: Latin-1 text, and stray high bytes at the start; the message says where
        (
            "a,label\n1,x\n2,caf\xe9\n".encode("latin-1"),
            NetgraphError,
            r"data\.csv: is not UTF-8 text \(byte 0xe9 at line 3, byte offset 17\); save it as UTF-8",
        ),
        (
            b"\x80\x81\x82,label\n1,x\n",
            NetgraphError,
            r"data\.csv: is not UTF-8 text \(byte 0x80 at line 1, byte offset 0\)",
        ),
        # binary garbage (NUL bytes): not a CSV at all
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01",
            NetgraphError,
            r"data\.csv: is not a text/CSV file \(NUL byte at byte offset 8\)",
        ),
        (bytes(range(256)) * 4, NetgraphError, r"data\.csv: is not a text/CSV file \(NUL byte at byte offset 0\)"),
        ("a,label\n1,x\n2,y\n".encode("utf-16"), NetgraphError, r"data\.csv: is UTF-16 text; save it as UTF-8"),
        # empty or missing numeric cells: an error naming line and column, never a one-hot column
        (
            "a,b,label\n1,2,x\n3,,y\n5,6,x\n7,8,y\n",
            NetgraphError,
            r"data\.csv: line 3, column 'b': empty value; fill or drop the row",
        ),
        ("a,b,label\n1,2,x\n3,4,y\n5,  ,x\n7,8,y\n", NetgraphError, r"data\.csv: line 4, column 'b': empty value"),
        (
            "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,NA,y\n",
            NetgraphError,
            r"data\.csv: line 5, column 'b': missing value 'NA'; fill or drop the row",
        ),
        (
            "a,b,label\n1,?,x\n3,4,y\n5,6,x\n7,8,y\n",
            NetgraphError,
            r"data\.csv: line 2, column 'b': missing value '\?'",
        ),
        (
            "a,b,label\n1,2,x\n3,4,y\n5,1O,x\n7,8,y\n",
            NetgraphError,
            r"data\.csv: line 4, column 'b': '1O' is not a number, but 3 of the 4 values",
        ),
        ("a,b,label\n1,,x\n3,,y\n5,,x\n7,,y\n", NetgraphError, r"data\.csv: line 2, column 'b': empty value"),
        # empty cell in a categorical column
        (
            "a,proto,label\n1,tcp,x\n2,,y\n3,udp,x\n4,tcp,y\n",
            NetgraphError,
            r"data\.csv: line 3, column 'proto': empty value",
        ),
        # non-finite numbers
        (
            "a,b,label\n1,2,x\n3,nan,y\n5,6,x\n7,8,y\n",
            NetgraphError,
            r"data\.csv: line 3, column 'b': non-finite value 'nan'",
        ),
        (
            "a,b,label\n1,2,x\n3,4,y\n-inf,6,x\n7,8,y\n",
            NetgraphError,
            r"data\.csv: line 4, column 'a': non-finite value '-inf'",
        ),
        (
            "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,1e999,y\n",
            NetgraphError,
            r"data\.csv: line 5, column 'b': non-finite value '1e999'",
        ),
        # labels: one class, an empty label, a missing-value label
        (
            "a,label\n1,x\n2,x\n3,x\n",
            NetgraphError,
            r"data\.csv: column 'label' needs at least 2 classes, found 1 \('x'\)",
        ),
        ("a,label\n1,1\n2,1.0\n3, 1 \n", NetgraphError, r"needs at least 2 classes, found 1 \('1'\)"),
        (
            "a,label\n1,x\n2,\n3,y\n4,x\n",
            NetgraphError,
            r"data\.csv: line 3, column 'label': empty label; fill or drop the row",
        ),
        (
            "a,label\n1,1\n2,2\n3,nan\n4,1\n",
            NetgraphError,
            r"data\.csv: line 4, column 'label': label 'nan' is not a finite number",
        ),
        # header: duplicate names (a second label column would leak the answer), empty names
        (
            "a,label,label\n1,x,x\n2,y,y\n3,x,x\n4,y,y\n",
            NetgraphError,
            r"data\.csv: duplicate column names in the header: 'label' \(columns 2 and 3\)",
        ),
        ("a, a,label\n1,2,x\n3,4,y\n", NetgraphError, r"duplicate column names in the header: 'a' \(columns 1 and 2\)"),
        (
            "a,,label\n1,2,x\n3,4,y\n",
            NetgraphError,
            r"data\.csv: column 2 of the header has no name; name every column",
        ),
        ("a,b,label,\n1,2,x,\n3,4,y,\n", NetgraphError, r"data\.csv: column 4 of the header has no name"),
        # line numbers count every line of the file: blank lines and quoted line breaks included
        ("a,label\n1,x\n\n2,y,z\n", NetgraphError, r"data\.csv: line 4 has 3 fields, the header has 2"),
        (
            'note,a,label\n"two\nlines",1,x\nplain,,y\nmore,3,x\n',
            NetgraphError,
            r"data\.csv: line 4, column 'a': empty value",
        ),
        # an unclosed quote would swallow the rest of the file into one field
        (
            'a,label\n1,x\n2,y\n3,x\n4,"y\n5,x\n6,y\n',
            NetgraphError,
            r"data\.csv: line 5: a quoted field is not closed before the end of the file",
        ),
        ("", NetgraphError, r"data\.csv: needs a header row and at least one data row"),
        (b"\xef\xbb\xbf", NetgraphError, r"data\.csv: needs a header row and at least one data row"),
    ],
    ids=_case_id,
)
def test_csv_refuses_bad_content(tmp_path, content, error, message):
    _check_error(lambda: load(_csv(tmp_path, content), rng=0), error, message)


def test_csv_accepts_utf8_bom_and_non_ascii(tmp_path):
    # the BOM must not stick to the first column's name (here the label column)
    name = _csv(tmp_path, "\ufefflabel,size,city\nx,1,Köln\ny,2,Zürich\nx,3,Köln\ny,4,Zürich\n")
    ds = load(name, rng=0, test_size=0.5)
    assert ds.class_names == ("x", "y") and ds.n_features == 3  # size + 2 one-hot cities


def test_csv_lenient_quoting_still_parses(tmp_path):
    # a space after a closing quote, a quote inside an unquoted field: read as before
    ds = load(_csv(tmp_path, 'a,note,label\n1,"x" ,p\n2,ab"c,q\n3,"x" ,p\n4,ab"c,q\n'), rng=0, test_size=0.5)
    assert ds.n_features == 3 and ds.class_names == ("p", "q")


def test_csv_numeric_labels_are_normalised(tmp_path):
    # "1", "1.0", " 1 " and "1e0" are one class; its name is the canonical "1"
    name = _csv(tmp_path, "a,label\n1,1\n2,1.0\n3, 1 \n4,2\n5,2.00\n6,1e0\n7,0.50\n8,.5\n")
    ds = load(name, rng=0, test_size=0.25)
    assert ds.n_classes == 3 and ds.class_names == ("0.5", "1", "2")
    y = np.concatenate([ds.y_train.numpy(), ds.y_test.numpy()])
    assert np.bincount(y).tolist() == [2, 4, 2]
    x = np.concatenate([ds.x_train.numpy(), ds.x_test.numpy()])[:, 0]
    # the rows' classes follow their values: a=7,8 -> "0.5"; a=1,2,3,6 -> "1"; a=4,5 -> "2"
    order = np.argsort(x)
    assert y[order].tolist() == [1, 1, 1, 2, 2, 1, 0, 0]


def test_csv_labels_n_classes_for_1_and_1_0(tmp_path):
    ds = load(_csv(tmp_path, "a,label\n1,1\n2,1.0\n3,2\n4,2\n"), rng=0, test_size=0.5)
    assert ds.n_classes == 2 and ds.class_names == ("1", "2")


def test_csv_numeric_labels_sorted_by_value_string_labels_sorted(tmp_path):
    ds = load(_csv(tmp_path, "a,label\n1,10\n2,9\n3,2\n4,10\n5,9\n6,2\n", "n.csv"), rng=0, test_size=0.5)
    assert ds.class_names == ("2", "9", "10")
    ds = load(_csv(tmp_path, "a,label\n1,b\n2,a\n3,C\n4,b\n5,a\n6,C\n", "s.csv"), rng=0, test_size=0.5)
    assert ds.class_names == ("C", "a", "b")


def test_csv_text_columns_with_some_numbers_stay_categorical(tmp_path):
    # Zeek-style "-" and a numeric-looking code in a mostly-text column are categories, and a
    # column of nothing but "-" is one constant category, not missing numbers
    name = _csv(
        tmp_path, "size,service,tunnel,label\n1,http,-,x\n2,-,-,y\n3,dns,-,x\n4,http,-,y\n5,80,-,x\n6,dns,-,y\n"
    )
    ds = load(name, rng=0, test_size=0.5)
    assert ds.n_features == 1 + 4 + 1  # size + one-hot of -, 80, dns, http + one-hot of -


@pytest.mark.parametrize("kind", ["directory", "fifo", "device"])
def test_csv_refuses_non_regular_paths(tmp_path, kind):
    path = _non_regular(tmp_path, kind, "data.csv")
    _check_error(lambda: _call_unblocking(path, lambda: load(f"csv:{path}")), NetgraphError, _NON_REGULAR[kind])


_NON_REGULAR = {
    "directory": r"data\.csv: is a directory, not a regular file",
    "fifo": r"data\.csv: is a FIFO \(named pipe\), not a regular file",
    "device": r"null: is a character device, not a regular file",
}


def _non_regular(tmp_path, kind, name):
    if kind == "directory":
        (tmp_path / name).mkdir()
        return tmp_path / name
    if kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs on this platform")
        os.mkfifo(tmp_path / name)
        return tmp_path / name
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null")
    return Path("/dev/null")


def _call_unblocking(path, call):
    """Run ``call()``; if it opens the FIFO ``path`` for reading, a writer unblocks it (so a bug fails, not hangs)."""
    done = threading.Event()

    def unblock():
        while not done.wait(0.05):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # no reader yet (ENXIO), or not a FIFO
                continue
            os.close(fd)
            return

    thread = threading.Thread(target=unblock, daemon=True)
    thread.start()
    try:
        return call()
    finally:
        done.set()
        thread.join()


@pytest.mark.parametrize("kind", ["directory", "fifo", "device"])
def test_read_idx_refuses_non_regular_paths(tmp_path, kind):
    path = _non_regular(tmp_path, kind, "data.csv")
    _check_error(lambda: _call_unblocking(path, lambda: read_idx(path)), NetgraphError, _NON_REGULAR[kind])


def test_mnist_refuses_a_fifo_in_place_of_a_file(tiny_mnist):
    (tiny_mnist / "t10k-labels-idx1-ubyte").unlink()
    fifo = _non_regular(tiny_mnist, "fifo", "t10k-labels-idx1-ubyte")
    _check_error(
        lambda: _call_unblocking(fifo, lambda: load("mnist", data_dir=tiny_mnist)),
        NetgraphError,
        r"t10k-labels-idx1-ubyte: is a FIFO \(named pipe\), not a regular file",
    )


def _dims(*dims):
    return b"".join(int(d).to_bytes(4, "big") for d in dims)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        # dimensions whose product overflows int64 (2**64 wraps to 0): Python ints, no overflow
        (
            b"\x00\x00\x08\x04" + _dims(2**16, 2**16, 2**16, 2**16),
            r"IDX data has 0 bytes, expected 18446744073709551616 for shape \(65536, 65536, 65536, 65536\)",
        ),
        (
            b"\x00\x00\x08\x03" + _dims(2**31 - 1, 2**31 - 1, 2**31 - 1) + b"\x00" * 8,
            r"IDX data has 8 bytes, expected 9903520300447984150353281023 for shape",
        ),
        (
            b"\x00\x00\x0c\x02" + _dims(2**20, 2**20) + b"\x00" * 16,
            r"IDX data has 16 bytes, expected 4398046511104 for shape \(1048576, 1048576\)",
        ),
        # dimensions are signed int32 in IDX
        (b"\x00\x00\x08\x01" + _dims(2**32 - 1) + b"\x00", r"IDX dimension 1 is negative \(-1\)"),
        # no or absurdly many dimensions
        (b"\x00\x00\x08\x00\x07", r"IDX header declares 0 dimensions, expected 1 to 8"),
        (b"\x00\x00\x08\x64" + _dims(*[1] * 100) + b"\x07", r"IDX header declares 100 dimensions, expected 1 to 8"),
        (b"\x00\x00\x08\xff", r"IDX header declares 255 dimensions, expected 1 to 8"),
        (b"", r"not an IDX file \(bad magic number empty\)"),
    ],
    ids=_case_id,
)
def test_read_idx_refuses_bad_headers(tmp_path, data, message):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(data)
    _check_error(lambda: read_idx(path), NetgraphError, r"bad-idx1-ubyte: " + message)


def test_read_idx_refuses_corrupt_gzip(tmp_path):
    data = gzip.compress(_idx_bytes(np.arange(256, dtype=np.uint8).reshape(16, 16)))
    path = tmp_path / "x-idx2-ubyte.gz"
    path.write_bytes(data[:10] + b"\xff" * 8 + data[18:])  # damage the deflate stream (zlib.error)
    _check_error(lambda: read_idx(path), NetgraphError, r"x-idx2-ubyte\.gz: cannot be read as an IDX file")


def _replace_idx(directory, name, array):
    for old in directory.glob(name + "*"):
        old.unlink()
    (directory / name).write_bytes(_idx_bytes(array))


@pytest.mark.parametrize(
    ("name", "array", "message"),
    [
        (
            "train-labels-idx1-ubyte",
            np.array([0, 10, 2], dtype=np.uint8),
            r"train-labels-idx1-ubyte: 1 of 3 labels are outside the classes 0\.\.9 \(label 10 at index 1\)",
        ),
        (
            "t10k-labels-idx1-ubyte",
            np.array([255, 255], dtype=np.uint8),
            r"t10k-labels-idx1-ubyte: 2 of 2 labels are outside the classes 0\.\.9 \(label 255 at index 0\)",
        ),
        (
            "train-labels-idx1-ubyte",
            np.array([0, -1, 12], dtype=np.int8),
            r"train-labels-idx1-ubyte: 2 of 3 labels are outside the classes 0\.\.9 \(label -1 at index 1; values -1, 12\)",
        ),
        (
            "t10k-labels-idx1-ubyte",
            np.array([2.0, 0.0], dtype=">f4"),
            r"t10k-labels-idx1-ubyte: labels have type float32, expected integers \(IDX type 0x08\)",
        ),
        (
            "t10k-images-idx3-ubyte",
            np.zeros((2, 3, 3), dtype=np.uint8),
            r"t10k-images-idx3-ubyte: images are 3x3 pixels, the training images are 2x2",
        ),
        (
            "t10k-images-idx3-ubyte",
            np.full((2, 2, 2), np.nan, dtype=">f4"),
            r"t10k-images-idx3-ubyte: 8 pixel values are not finite",
        ),
        ("train-images-idx3-ubyte", np.zeros((0, 2, 2), dtype=np.uint8), r"train-images-idx3-ubyte: holds no images"),
        (
            "train-images-idx3-ubyte",
            np.zeros((3, 0, 2), dtype=np.uint8),
            r"train-images-idx3-ubyte: images have no pixels",
        ),
        (
            "t10k-labels-idx1-ubyte",
            np.array([2, 0, 1], dtype=np.uint8),
            r"t10k-images-idx3-ubyte: images \(2, 2, 2\) do not match labels \(3,\)",
        ),
    ],
)
def test_mnist_refuses_bad_idx_content(tiny_mnist, name, array, message):
    _replace_idx(tiny_mnist, name, array)
    _check_error(lambda: load("mnist", data_dir=tiny_mnist), NetgraphError, message)


def test_mnist_data_dir_that_is_a_file(tmp_path):
    path = tmp_path / "mnist.gz"
    path.write_bytes(b"")
    _check_error(lambda: load("mnist", data_dir=path), NetgraphError, r"mnist\.gz is not a directory")


# --------------------------------------------------------------------------- one function per source (issue 18)


def _same(a, b):
    assert a.to_dict() == b.to_dict()
    for part in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(getattr(a, part), getattr(b, part)), part


def test_each_source_function_is_what_its_name_loads(tmp_path, tiny_mnist):
    _same(load_digits(rng=3, test_size=0.25), load("digits", rng=3, test_size=0.25))
    _same(
        make_synthetic(n_samples=60, n_features=4, n_classes=3, rng=1),
        load("synthetic", n_samples=60, n_features=4, n_classes=3, rng=1),
    )
    name = _csv(tmp_path, "a,proto,label\n1,tcp,x\n2,udp,y\n3,tcp,x\n4,udp,y\n5,tcp,x\n6,udp,y\n")
    _same(load_csv(Path(name[4:]), rng=0, test_size=0.5), load(name, rng=0, test_size=0.5))
    _same(load_idx(tiny_mnist), load("mnist", data_dir=tiny_mnist))
    assert load_idx(tiny_mnist, name="fashion-mnist").name == "fashion-mnist"
    assert load_digits(standardize="feature").standardize == "feature"


@pytest.mark.parametrize(
    ("source", "kwargs", "message"),
    [
        (load_idx, {"test_size": 0.1}, "test_size=0.1: mnist has a fixed 60000/10000 train/test split"),
        (load_idx, {"name": "digits"}, "name='digits'"),
        (load_csv, {"path": 3}, "path=3: expected a path (str or Path)"),
        (load_digits, {"test_size": 2}, "test_size=2, must be a number > 0 and < 1"),
        (make_synthetic, {"n_classes": 1}, "n_classes=1, must be an int >= 2"),
        (load_digits, {"standardize": "pixel"}, "standardize"),
    ],
)
def test_a_source_refuses_an_option_out_of_range(tiny_mnist, source, kwargs, message):
    args = (tiny_mnist,) if source is load_idx else ()
    with pytest.raises(ParameterError, match=re.escape(message)):
        source(*args, **kwargs)
