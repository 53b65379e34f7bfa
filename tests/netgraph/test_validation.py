import random

import numpy as np
import pytest

from netgraph.errors import NetgraphError, ParameterError
from netgraph.validation import check_amount, check_choice, check_rng


@pytest.mark.parametrize(
    ("amount", "total", "expected"), [(0, 10, 0), (10, 10, 10), (0.0, 7, 0), (1.0, 7, 7), (0.3, 10, 3), (0.25, 3, 1)]
)
def test_amount(amount, total, expected):
    assert check_amount(amount, total) == expected


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (-1, r"amount=-1, must be a count in \[0, 10\]"),
        (11, r"amount=11, must be a count"),
        (1.5, r"amount=1.5, must be a fraction"),
        (-0.1, "must be a fraction"),
        ("3", "expected an int"),
        (True, "expected an int"),
        (None, "expected an int"),
    ],
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
    assert check_rng(g) is g
    assert check_rng(3).integers(1000) == np.random.default_rng(3).integers(1000)


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


# --------------------------------------------------------------------------- one signature, constraints, rng


def test_every_check_has_one_signature():
    import inspect

    from netgraph import validation

    checks = [getattr(validation, n) for n in validation.__all__ if n.startswith("check_") and n != "check_params"]
    assert len(checks) >= 7
    for check in checks:
        params = list(inspect.signature(check).parameters.values())
        assert params[0].kind is params[0].POSITIONAL_OR_KEYWORD, check.__name__  # the value first
        assert params[-1].name == "name" and params[-1].kind is params[-1].KEYWORD_ONLY, check.__name__


@pytest.mark.parametrize("rng", [None, 0, 7, np.int64(3), np.random.SeedSequence(1), np.random.default_rng(2)])
def test_accepted_random_states(rng):
    assert isinstance(check_rng(rng), np.random.Generator)


@pytest.mark.parametrize(
    "rng",
    ["0", 1.5, -1, True, random.Random(0), np.random.RandomState(0), [1, 2]],
    ids=["str", "float", "negative", "bool", "random.Random", "RandomState", "list"],
)
def test_a_bad_random_state_is_a_parameter_error_naming_it(rng):
    with pytest.raises(
        ParameterError, match=r"^seed=.*, expected None, a non-negative int, a numpy.random.SeedSequence"
    ):
        check_rng(rng, name="seed")
    with pytest.raises(ParameterError, match=r"^rng="):
        check_rng(rng)


@pytest.mark.parametrize(
    ("constraint", "value", "expected"),
    [
        (("Integral", 1, None, "both"), 3, 3),
        (("Integral", 1, None, "both"), np.int64(3), 3),
        (("Real", 0, 1, "left"), 0, 0.0),
        (("Real", 0, 1, "right"), 1, 1.0),
        (("Real", 0, None, "neither"), 1e9, 1e9),
    ],
)
def test_interval_returns_the_cleaned_value(constraint, value, expected):
    import numbers

    from netgraph.validation import Interval

    kind, low, high, closed = constraint
    out = Interval(getattr(numbers, kind), low, high, closed=closed)(value, name="x")
    assert out == expected and type(out) is type(expected)


@pytest.mark.parametrize(
    ("constraint", "value", "message"),
    [
        (("Integral", 1, None, "both"), 0, "x=0, must be an int >= 1"),
        (("Integral", 1, None, "both"), 2.0, "x=2.0, must be an int >= 1"),
        (("Integral", 1, None, "both"), True, "x=True, must be an int >= 1"),
        (("Real", 0, 1, "left"), 1.5, "x=1.5, must be a number >= 0 and < 1"),
        (("Real", 0, 1, "right"), 0.0, "x=0.0, must be a number > 0 and <= 1"),
        (("Real", 0, None, "neither"), float("nan"), "x=nan, must be a finite number"),
        (("Real", 0, None, "both"), "1", "x='1', must be a number >= 0"),
        (("Real", None, None, "both"), None, "x=None, must be a number"),
    ],
)
def test_interval_messages(constraint, value, message):
    import numbers

    from netgraph.validation import Interval

    kind, low, high, closed = constraint
    with pytest.raises(ParameterError) as info:
        Interval(getattr(numbers, kind), low, high, closed=closed)(value, name="x")
    assert str(info.value) == message


def test_an_excluded_bound_can_say_why():
    import numbers

    from netgraph.validation import Interval

    zeta = Interval(numbers.Real, 0, 1, closed="left", at_bound="removes everything")
    with pytest.raises(ParameterError) as info:
        zeta(1, name="zeta")
    assert str(info.value) == "zeta=1.0 removes everything; must be < 1"
    with pytest.raises(ParameterError, match=r"^zeta=1.5, must be a number >= 0 and < 1$"):
        zeta(1.5, name="zeta")


def test_options_none_or_and_check_params():
    import numbers

    from netgraph.validation import Interval, NoneOr, Options, Pattern, String, check_params

    table = {
        "kind": Options({"a": 1, "b": 2}),  # a registry: its keys
        "size": NoneOr(Interval(numbers.Integral, 1)),
        "dev": Pattern("cpu|gpu", "'cpu' or 'gpu'"),
    }
    assert check_params({"kind": "a", "size": None, "dev": "gpu", "extra": 1}, table) == {
        "kind": "a",
        "size": None,
        "dev": "gpu",
    }
    assert check_params({"kind": "b", "size": np.int64(4), "dev": "cpu"}, table)["size"] == 4
    with pytest.raises(ParameterError, match=r"^kind=\['a'\] is not valid; expected one of 'a', 'b'$"):
        check_params({"kind": ["a"], "size": 1, "dev": "cpu"}, table)  # unhashable: refused, not a TypeError
    with pytest.raises(ParameterError, match=r"^size=0, must be an int >= 1$"):
        check_params({"kind": "a", "size": 0, "dev": "cpu"}, table)
    with pytest.raises(ParameterError, match=r"^dev='tpu' is not valid; expected 'cpu' or 'gpu'$"):
        check_params({"kind": "a", "size": 1, "dev": "tpu"}, table)
    with pytest.raises(ParameterError, match=r"^name=3, expected a non-empty string$"):
        String()(3, name="name")


@pytest.mark.parametrize(
    ("seeds", "message"),
    [
        ([], r"^seeds=\[\], expected a non-empty list of non-negative ints$"),
        (3, r"^seeds=3, expected a non-empty list"),
        ("0-4", r"^seeds='0-4', expected a non-empty list"),
        ([0, -2], r"^seeds\[1\]=-2, must be an int >= 0$"),
        ([0, True], r"^seeds\[1\]=True, must be an int >= 0$"),
        ([1, 2, 1, 2], r"^seeds=\[1, 2, 1, 2\], must be distinct \(1, 2 repeat\)$"),
    ],
)
def test_check_seeds_refuses(seeds, message):
    from netgraph.validation import check_seeds

    with pytest.raises(ParameterError, match=message):
        check_seeds(seeds)


def test_check_seeds_returns_ints_in_order():
    from netgraph.validation import check_seed, check_seeds

    assert check_seeds((np.int64(5), 0, 3)) == [5, 0, 3] and type(check_seeds([np.int64(5)])[0]) is int
    assert check_seed(np.uint8(7)) == 7
