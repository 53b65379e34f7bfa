"""Shared input checks (torch-free, used by netgraph and analysis)."""

import numbers

import numpy as np

from .errors import ParameterError

__all__ = ["check_amount", "check_choice", "check_layer_sizes", "check_positive_int", "check_random_state"]


def check_amount(amount, total, *, name="amount"):
    """Turn ``amount`` into a count out of ``total``.

    Parameters
    ----------
    amount : int or float
        An int is an absolute count (``0 <= amount <= total``); a float in ``[0, 1]`` is a
        fraction of ``total``, rounded to the nearest integer.
    total : int
        How many items there are to choose from.
    name : str, optional
        Parameter name used in error messages.

    Returns
    -------
    int
        The number of items.

    Raises
    ------
    ParameterError
        If ``amount`` is negative, a float outside ``[0, 1]``, an int larger than ``total``,
        or not a number at all.

    Examples
    --------
    >>> check_amount(0.25, 10), check_amount(3, 10)
    (2, 3)
    """
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise ParameterError(f"{name}={amount!r}: expected an int (count) or a float in [0, 1] (fraction)")
    if isinstance(amount, numbers.Integral):
        amount = int(amount)
        if amount < 0 or amount > total:
            raise ParameterError(f"{name} == {amount}, must be a count in [0, {total}]")
        return amount
    amount = float(amount)
    if not 0.0 <= amount <= 1.0:
        raise ParameterError(f"{name} == {amount!r}, must be a fraction in [0, 1] (or an int count)")
    return int(round(amount * total))


def check_choice(value, choices, *, name):
    """Return ``value`` if it is one of ``choices``; else raise ``ParameterError`` (a ``ValueError``) listing them.

    Examples
    --------
    >>> check_choice("in", ("in", "out"), name="direction")
    'in'
    """
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ParameterError(f"{name}={value!r} is not valid; expected one of {valid}")
    return value


def check_positive_int(value, *, name):
    """Return ``value`` as an int if it is an int >= 1 (bools refused); else raise ``ParameterError``.

    Examples
    --------
    >>> check_positive_int(3, name="n_samples")
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ParameterError(f"{name}={value!r}, must be an int >= 1")
    return int(value)


def check_layer_sizes(layer_sizes, *, name="layer_sizes"):
    """Validate a sequence of at least two positive ints and return it as a tuple.

    Examples
    --------
    >>> check_layer_sizes([2, 3, 1])
    (2, 3, 1)
    """
    try:
        sizes = tuple(layer_sizes)
    except TypeError:
        raise ParameterError(f"{name}={layer_sizes!r}: expected a sequence of positive ints") from None
    if len(sizes) < 2:
        raise ParameterError(f"{name}={layer_sizes!r}: expected at least two layers (inputs and outputs)")
    out = []
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1:
            raise ParameterError(f"{name}={list(layer_sizes)!r}: every size must be a positive int, got {s!r}")
        out.append(int(s))
    return tuple(out)


def check_random_state(rng):
    """Turn ``rng`` (None, an int, a SeedSequence or a Generator) into a ``numpy.random.Generator``.

    A Generator is returned as is, so that one stream is passed down through a computation.

    Examples
    --------
    >>> g = check_random_state(0)
    >>> check_random_state(g) is g
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)
