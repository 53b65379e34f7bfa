import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from netgraph import NetgraphError, ParameterError
from netgraph.data import load, read_idx

MNIST_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"


def _idx_bytes(array):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C}
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
        ("digits", {"test_size": 1.5}, ParameterError, r"test_size == 1.5, must be a fraction in \(0, 1\)"),
        ("digits", {"standardize": "minmax"}, ParameterError, "standardize='minmax' is not valid"),
        ("csv:", {}, ParameterError, "names no file"),
        ("csv:/nonexistent/x.csv", {}, NetgraphError, "no such CSV file"),
        ("synthetic", {"n_classes": 1}, ParameterError, "n_classes == 1, must be an int >= 2"),
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
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        assert name in msg
    assert "never downloads" in msg and str(tmp_path) in msg and "--data-dir" in msg


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
