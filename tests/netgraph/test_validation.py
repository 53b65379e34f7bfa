import numpy as np
import pytest

from netgraph.validation import check_amount, check_choice, check_random_state
from netgraph.errors import NetgraphError, ParameterError


@pytest.mark.parametrize(("amount", "total", "expected"), [(0, 10, 0), (10, 10, 10), (0.0, 7, 0), (1.0, 7, 7), (0.3, 10, 3), (0.25, 3, 1)])
def test_amount(amount, total, expected):
    assert check_amount(amount, total) == expected


@pytest.mark.parametrize(
    ("amount", "message"),
    [(-1, r"amount == -1, must be a count in \[0, 10\]"), (11, r"amount == 11, must be a count"), (1.5, r"amount == 1.5, must be a fraction"),
     (-0.1, "must be a fraction"), ("3", "expected an int"), (True, "expected an int"), (None, "expected an int")],
)
def test_bad_amount(amount, message):
    with pytest.raises(ParameterError, match=message):
        check_amount(amount, 10)


def test_errors_share_one_base():
    with pytest.raises(NetgraphError):
        check_choice("x", ("a", "b"), name="kind")
    with pytest.raises(ValueError, match="kind='x' is not valid; expected one of 'a', 'b'"):
        check_choice("x", ("a", "b"), name="kind")


def test_random_state_passes_generators_through():
    g = np.random.default_rng(1)
    assert check_random_state(g) is g
    assert check_random_state(3).integers(1000) == np.random.default_rng(3).integers(1000)


def test_atomic_write_keeps_old_file_on_error_and_uses_normal_permissions(tmp_path):
    import os

    from netgraph.fileio import atomic_write

    target = tmp_path / "f.txt"
    with atomic_write(target, "w") as f:
        f.write("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target, "w") as f:
            f.write("new, half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(target).st_mode & 0o777 == 0o666 & ~mask
