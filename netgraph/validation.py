"""Shared input checks (torch-free, used by netgraph and analysis).

Every check has one signature, ``check_x(value, ..., *, name=...)``: it returns the cleaned
value, or raises :class:`~netgraph.errors.ParameterError` (a ``ValueError``) whose message names
the parameter, the value and what was expected, e.g. ``epochs=0, must be an int >= 1`` or
``growth='x' is not valid; expected one of 'random', 'none'``.

The constraint classes (:class:`Interval`, :class:`Options`, :class:`NoneOr`, :class:`String`,
:class:`Pattern`) are checks of that signature built from data, so that a table of them,
``{parameter name: check}``, declares how a set of parameters is validated (as scikit-learn's
``_parameter_constraints``); :func:`check_params` checks values against such a table, and the
messages come from the table. :data:`netgraph.training.config.PARAMETER_CONSTRAINTS` is the table of
:class:`~netgraph.training.config.TrainConfig`.

Random state
------------
Every function of netgraph and analysis that takes ``rng`` accepts what
:func:`check_rng` accepts, and says so by referring to it:

- ``None``: fresh, unpredictable entropy from the operating system;
- a non-negative int: a seed (the same seed gives the same stream);
- a :class:`numpy.random.SeedSequence`: a seed, e.g. one child of ``SeedSequence(s).spawn(n)``;
- a :class:`numpy.random.Generator`: used as is, so one stream passes down through a
  computation and every draw advances it.

Anything else (a str, a float, a :class:`random.Random`, a legacy
:class:`numpy.random.RandomState`, a negative int) raises :class:`~netgraph.errors.ParameterError`.

Examples
--------
>>> check_params({"epochs": 3, "zeta": 0}, {"epochs": Interval(numbers.Integral, 1), "zeta": Interval(numbers.Real, 0, 1)})
{'epochs': 3, 'zeta': 0.0}
>>> Interval(numbers.Real, 0, 1, closed="left")(1.5, name="zeta")
Traceback (most recent call last):
...
netgraph.errors.ParameterError: zeta=1.5, must be a number >= 0 and < 1
"""

import importlib
import math
import numbers
import re

from .errors import ParameterError

__all__ = [
    "check_amount",
    "check_bool",
    "check_choice",
    "check_json_dict",
    "check_layer_sizes",
    "check_params",
    "check_positive_int",
    "check_rng",
    "check_seed",
    "check_seeds",
    "Interval",
    "NoneOr",
    "Options",
    "Pattern",
    "String",
    "RegistryNames",
]

_CLOSED = ("both", "left", "right", "neither")


def _brief(value, limit=80):
    """``repr(value)``, cut to ``limit`` characters: an error message names the value, never thousands of lines of it.

    Examples
    --------
    >>> _brief([(0, i) for i in range(1000)])
    '[(0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 6), (0, ... (1000 items)'
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    try:
        more = f" ({len(value)} items)"
    except TypeError:
        more = ""
    return text[: limit - 6 - len(more)].rstrip(", ") + ", ..." + more


# --------------------------------------------------------------------------- constraints


class Interval:
    """An int or a finite number within bounds; called as a check, returns it as int or float.

    Parameters
    ----------
    kind : numbers.Integral or numbers.Real
        ``Integral`` accepts ints (numpy's too) and returns an int; ``Real`` accepts ints and
        floats and returns a float. Bools are refused by both.
    low, high : number, optional
        Bounds; None means unbounded on that side.
    closed : {"both", "left", "right", "neither"}, optional
        Which bounds belong to the interval.
    at_bound : str, optional
        Why an excluded bound is excluded. A value equal to it is refused with this reason
        (``zeta=1.0 removes every connection each epoch, ...; must be < 1``) instead of the
        generic message.

    Examples
    --------
    >>> Interval(numbers.Integral, 1)(3, name="epochs")
    3
    >>> str(Interval(numbers.Real, 0, 1, closed="right"))
    'a number > 0 and <= 1'
    >>> Interval(numbers.Real, 0)(float("inf"), name="lr")
    Traceback (most recent call last):
    ...
    netgraph.errors.ParameterError: lr=inf, must be a finite number
    """

    def __init__(self, kind, low=None, high=None, *, closed="both", at_bound=None):
        if kind not in (numbers.Integral, numbers.Real):
            raise ValueError(f"kind={kind!r}, expected numbers.Integral or numbers.Real")
        if closed not in _CLOSED:
            raise ValueError(f"closed={closed!r}, expected one of {_CLOSED}")
        self.kind, self.low, self.high, self.closed, self.at_bound = kind, low, high, closed, at_bound

    @property
    def integral(self):
        """bool: whether the interval holds ints."""
        return self.kind is numbers.Integral

    def _low_text(self):
        if self.low is None:
            return ""
        return f">= {self.low}" if self.closed in ("both", "left") else f"> {self.low}"

    def _high_text(self):
        if self.high is None:
            return ""
        return f"<= {self.high}" if self.closed in ("both", "right") else f"< {self.high}"

    def __str__(self):
        bounds = " and ".join(t for t in (self._low_text(), self._high_text()) if t)
        return f"{'an int' if self.integral else 'a number'} {bounds}".rstrip()

    def __repr__(self):
        return f"Interval({self.kind.__name__}, {self.low!r}, {self.high!r}, closed={self.closed!r})"

    def __call__(self, value, *, name):
        if not isinstance(value, bool) and isinstance(value, self.kind):
            if not math.isfinite(value):
                raise ParameterError(f"{name}={_brief(value)}, must be a finite number")
            clean = int(value) if self.integral else float(value)
            low_ok = self.low is None or (clean >= self.low if self.closed in ("both", "left") else clean > self.low)
            high_ok = self.high is None or (
                clean <= self.high if self.closed in ("both", "right") else clean < self.high
            )
            if low_ok and high_ok:
                return clean
            if self.at_bound and clean in (self.low, self.high):
                bound = self._low_text() if clean == self.low else self._high_text()
                raise ParameterError(f"{name}={_brief(clean)} {self.at_bound}; must be {bound}")
        raise ParameterError(f"{name}={_brief(value)}, must be {self}")


class Options:
    """One of a set of values; called as a check, returns the value.

    Parameters
    ----------
    choices : container
        Any container that can be iterated and asked ``in`` -- a tuple, the keys of a registry,
        or :class:`RegistryNames`, which reads a registry only when asked (so
        that a name registered later is accepted).

    Examples
    --------
    >>> Options(("sgd", "adam"))("sgd", name="optimizer")
    'sgd'
    >>> str(Options(("sgd", "adam")))
    "one of 'sgd', 'adam'"
    """

    def __init__(self, choices):
        self.choices = choices

    def __str__(self):
        return "one of " + ", ".join(repr(c) for c in self.choices)

    def __repr__(self):
        return f"Options({self.choices!r})"

    def __call__(self, value, *, name):
        return check_choice(value, self.choices, name=name)


class NoneOr:
    """None, or a value that passes ``check``; called as a check, returns None or ``check``'s result.

    Examples
    --------
    >>> NoneOr(Interval(numbers.Real, 0))(None, name="lr") is None, NoneOr(Interval(numbers.Real, 0))(1, name="lr")
    (True, 1.0)
    """

    def __init__(self, check):
        self.check = check

    def __repr__(self):
        return f"NoneOr({self.check!r})"

    def __call__(self, value, *, name):
        return None if value is None else self.check(value, name=name)


class String:
    """A non-empty str; called as a check, returns it.

    Parameters
    ----------
    expected : str, optional
        What the message says was expected.

    Examples
    --------
    >>> String("a dataset name such as 'digits'")("", name="dataset")
    Traceback (most recent call last):
    ...
    netgraph.errors.ParameterError: dataset='', expected a dataset name such as 'digits'
    """

    def __init__(self, expected="a non-empty string"):
        self.expected = expected

    def __repr__(self):
        return f"String({self.expected!r})"

    def __call__(self, value, *, name):
        if not isinstance(value, str) or not value:
            raise ParameterError(f"{name}={_brief(value)}, expected {self.expected}")
        return value


class Pattern:
    """A str that matches a regular expression in full; called as a check, returns it.

    Examples
    --------
    >>> Pattern(r"cpu|cuda(:\\d+)?", "'cpu' or 'cuda' (or 'cuda:N')")("cuda:1", name="device")
    'cuda:1'
    """

    def __init__(self, pattern, expected):
        self.pattern, self.expected = re.compile(pattern), expected

    def __repr__(self):
        return f"Pattern({self.pattern.pattern!r}, {self.expected!r})"

    def __call__(self, value, *, name):
        if not isinstance(value, str) or not self.pattern.fullmatch(value):
            raise ParameterError(f"{name}={_brief(value)} is not valid; expected {self.expected}")
        return value


def check_params(params, constraints):
    """Check every parameter of ``params`` with its check in ``constraints``; return the cleaned values.

    Parameters
    ----------
    params : dict
        Parameter name -> value.
    constraints : dict
        Parameter name -> check, a callable ``check(value, *, name)`` that returns the cleaned
        value or raises :class:`~netgraph.errors.ParameterError` (a constraint object above, or
        a ``check_*`` function of this module). Every name of ``constraints`` must be in
        ``params``; names in ``params`` alone are left out of the result.

    Returns
    -------
    dict
        Name -> cleaned value, in the order of ``constraints`` (the first failing check raises).
    """
    return {name: check(params[name], name=name) for name, check in constraints.items()}


# --------------------------------------------------------------------------- checks


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
        raise ParameterError(f"{name}={_brief(amount)}: expected an int (count) or a float in [0, 1] (fraction)")
    if isinstance(amount, numbers.Integral):
        amount = int(amount)
        if amount < 0 or amount > total:
            raise ParameterError(f"{name}={amount}, must be a count in [0, {total}]")
        return amount
    amount = float(amount)
    if not 0.0 <= amount <= 1.0:
        raise ParameterError(f"{name}={_brief(amount)}, must be a fraction in [0, 1] (or an int count)")
    return int(round(amount * total))


def check_choice(value, choices, *, name):
    """Return ``value`` if it is one of ``choices``; else raise ``ParameterError`` (a ``ValueError``) listing them.

    ``choices`` is any container: a tuple, a registry (a dict: its keys), or a
    :class:`RegistryNames`.

    Examples
    --------
    >>> check_choice("in", ("in", "out"), name="direction")
    'in'
    >>> check_choice("up", {"in": 1, "out": 2}, name="direction")
    Traceback (most recent call last):
    ...
    netgraph.errors.ParameterError: direction='up' is not valid; expected one of 'in', 'out'
    """
    try:
        ok = value in choices
    except TypeError:  # an unhashable value asked of a dict
        ok = False
    if not ok:
        valid = ", ".join(repr(c) for c in choices)
        raise ParameterError(f"{name}={_brief(value)} is not valid; expected one of {valid}")
    return value


def check_bool(value, *, name):
    """Return ``value`` if it is True or False; else raise ``ParameterError``.

    Examples
    --------
    >>> check_bool(True, name="nesterov")
    True
    >>> check_bool(1, name="nesterov")
    Traceback (most recent call last):
    ...
    netgraph.errors.ParameterError: nesterov=1, expected True or False
    """
    if isinstance(value, bool):
        return value
    raise ParameterError(f"{name}={_brief(value)}, expected True or False")


def check_positive_int(value, *, name):
    """Return ``value`` as an int if it is an int >= 1 (bools refused); else raise ``ParameterError``.

    Examples
    --------
    >>> check_positive_int(3, name="n_samples")
    3
    """
    return _POSITIVE_INT(value, name=name)


_POSITIVE_INT = Interval(numbers.Integral, 1)


_SEED = Interval(numbers.Integral, 0)


def check_seed(seed, *, name="seed"):
    """Return ``seed`` as an int if it is a non-negative int (bools refused); else raise ``ParameterError``.

    Examples
    --------
    >>> check_seed(4)
    4
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    netgraph.errors.ParameterError: seed=-1, must be an int >= 0
    """
    return _SEED(seed, name=name)


def check_seeds(seeds, *, name="seeds"):
    """Return ``seeds`` as a list of ints: a non-empty list or tuple of distinct non-negative ints.

    Examples
    --------
    >>> check_seeds((0, 2, 1))
    [0, 2, 1]
    >>> check_seeds([3, 1, 3])
    Traceback (most recent call last):
    ...
    netgraph.errors.ParameterError: seeds=[3, 1, 3], must be distinct (3 repeats)
    """
    if isinstance(seeds, int | str) or not isinstance(seeds, list | tuple) or not seeds:
        raise ParameterError(f"{name}={_brief(seeds)}, expected a non-empty list of non-negative ints")
    clean = [_SEED(s, name=f"{name}[{k}]") for k, s in enumerate(seeds)]
    repeated = sorted({s for s in clean if clean.count(s) > 1})
    if repeated:
        raise ParameterError(
            f"{name}={_brief(list(seeds))}, must be distinct ({', '.join(map(str, repeated))} repeat"
            f"{'s' if len(repeated) == 1 else ''})"
        )
    return clean


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
        raise ParameterError(f"{name}={_brief(layer_sizes)}: expected a sequence of positive ints") from None
    if len(sizes) < 2:
        raise ParameterError(f"{name}={_brief(layer_sizes)}: expected at least two layers (inputs and outputs)")
    out = []
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1:
            raise ParameterError(
                f"{name}={_brief(list(layer_sizes))}: every size must be a positive int, got {_brief(s)}"
            )
        out.append(int(s))
    return tuple(out)


def check_json_dict(value, *, name):
    """Return a copy of ``value`` if it is a dict that ``json.dumps`` can write; else raise ``ParameterError``.

    Examples
    --------
    >>> check_json_dict({"start_fraction": 0.2}, name="growth_options")
    {'start_fraction': 0.2}
    """
    import json

    if not isinstance(value, dict):
        raise ParameterError(f"{name}={_brief(value)}, expected a dict")
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}={_brief(value)}: values must be JSON-safe") from None
    return dict(value)


def check_rng(rng, *, name="rng"):
    """Turn ``rng`` into a :class:`numpy.random.Generator`.

    The one place that says what an ``rng`` argument may be (see the module docstring):
    None, a non-negative int, a :class:`numpy.random.SeedSequence`, or a
    :class:`numpy.random.Generator`, which is returned as is, so that one stream is passed
    down through a computation.

    Raises
    ------
    ParameterError
        For anything else: a str, a float, a bool, a negative int, a :class:`random.Random`,
        a legacy :class:`numpy.random.RandomState`, ...

    Examples
    --------
    >>> g = check_rng(0)
    >>> check_rng(g) is g
    True
    >>> check_rng("0")
    Traceback (most recent call last):
    ...
    netgraph.errors.ParameterError: rng='0', expected None, a non-negative int, a numpy.random.SeedSequence or a numpy.random.Generator
    """
    import numpy as np  # here, so that the command line can build its options without numpy

    if isinstance(rng, np.random.Generator):
        return rng
    seed = isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0
    if rng is None or seed or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    raise ParameterError(
        f"{name}={_brief(rng)}, expected None, a non-negative int, a numpy.random.SeedSequence or a numpy.random.Generator"
    )


class RegistryNames:
    """The names of a registry that lives in a torch module, read only when they are asked for.

    A container -- ``name in names``, ``iter(names)``, ``len(names)`` -- over the keys of the
    dict ``module.attribute``. The module is imported at the first question, and the dict is
    read again at each one, so a name registered at any time is seen. As the ``choices`` of an
    argparse option it lets ``netgraph train`` list and check the registered names without
    importing torch to build its parser.

    Parameters
    ----------
    module : str
        Absolute module name, e.g. ``"netgraph.topology.growth"``.
    attribute : str
        The registry, a dict name -> function.

    Examples
    --------
    >>> names = RegistryNames("netgraph.topology.pruning", "PRUNING_CRITERIA")
    >>> list(names), "set" in names, "colour" in names
    (['set', 'magnitude'], True, False)
    """

    def __init__(self, module, attribute):
        self.module, self.attribute = module, attribute

    def registry(self):
        """The registry itself (imports its module)."""
        return getattr(importlib.import_module(self.module), self.attribute)

    def __contains__(self, name):
        try:
            return name in self.registry()
        except TypeError:  # unhashable
            return False

    def __iter__(self):
        return iter(list(self.registry()))

    def __len__(self):
        return len(self.registry())

    def __repr__(self):
        return f"RegistryNames({self.module!r}, {self.attribute!r})"
