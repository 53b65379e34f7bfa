"""Command-line argument values that netgraph's commands and the scripts share.

Examples
--------
>>> from netgraph.cli.args import parse_seeds
>>> parse_seeds("0-2,7")
[0, 1, 2, 7]
"""

import re

from ..errors import ParameterError

__all__ = ["parse_seeds"]


def parse_seeds(text):
    """Parse a seed list such as ``"0-4"``, ``"0,2,5"`` or ``"0-2,7"`` (duplicates dropped).

    Parameters
    ----------
    text : str
        Comma-separated seeds and ranges ``a-b`` (both ends included).

    Returns
    -------
    list of int
        The seeds, in the order given.

    Raises
    ------
    ParameterError
        If a part is not a non-negative int or a range ``a-b`` with ``a <= b``.

    Examples
    --------
    >>> parse_seeds("0-2,7"), parse_seeds("5"), parse_seeds("3,1-3")
    ([0, 1, 2, 7], [5], [3, 1, 2])
    """
    seeds = []
    for part in str(text).split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m or (m.group(2) is not None and int(m.group(2)) < int(m.group(1))):
            raise ParameterError(f"seeds={text!r}: {part!r} is not a seed or a range like 0-4 (low <= high)")
        low = int(m.group(1))
        high = int(m.group(2)) if m.group(2) is not None else low
        seeds.extend(s for s in range(low, high + 1) if s not in seeds)
    return seeds
