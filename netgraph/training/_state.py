"""What a run needs to resume from an epoch checkpoint, as typed fields (private).

An epoch checkpoint's ``train_state`` holds it. The file keeps the layout it has always had (the
generator state, the metric rows and the initial density as JSON text, so that a checkpoint
written by any netgraph since resume existed loads, and a new one loads in those); in memory it
is a :class:`TrainState`, checked field by field when it is read back.
"""

import json
from dataclasses import dataclass

import torch

from ..errors import CheckpointError
from ..fileio import error_reason, load_json
from . import _optimizer

__all__ = ["TrainState", "damaged_state"]

# the keys of train_state besides "epoch", in the order they are written
_KEYS = ("optimizer", "numpy_rng", "torch_rng", "initial_density", "rows_json")


def damaged_state(source, what):
    """The message of a checkpoint a run cannot resume from."""
    return f"{source}: cannot resume from this checkpoint: {what}; remove it to resume from the one before"


def _fraction(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 1


@dataclass(frozen=True)
class TrainState:
    """The state of a run after ``epoch``: enough to continue it bit-identically.

    Attributes
    ----------
    epoch : int
        The epoch the checkpoint was taken after (before the topology change that follows it).
    optimizer : dict
        The optimizer's state (:func:`netgraph.training._optimizer.state_values`).
    numpy_rng : dict
        The numpy generator's ``bit_generator.state``.
    torch_rng : torch.Tensor
        The torch generator's state.
    initial_density : dict
        ``{"overall": d, "layers": [d_0, ...]}`` of the initial network (the pruning schedule's start).
    rows : list of dict
        The metric rows of epochs 1 to ``epoch``.
    """

    epoch: int
    optimizer: dict
    numpy_rng: dict
    torch_rng: torch.Tensor
    initial_density: dict
    rows: list

    def to_checkpoint(self):
        """The ``train_state`` of an epoch checkpoint (its JSON fields as text, as they always were)."""
        return {
            "epoch": self.epoch,
            "optimizer": self.optimizer,
            "numpy_rng": json.dumps(self.numpy_rng),
            "torch_rng": self.torch_rng,
            "initial_density": json.dumps(self.initial_density),
            "rows_json": json.dumps(self.rows),
        }

    @staticmethod
    def is_complete(ts):
        """Whether a checkpoint's ``train_state`` has every field a resume reads (unchecked)."""
        return bool(ts) and all(k in ts for k in _KEYS) and _optimizer.is_state(ts["optimizer"])

    @classmethod
    def restore(cls, ts, source, epoch, n_layers, np_gen, torch_gen):
        """Read a checkpoint's ``train_state`` and set the run's generators from it.

        Every field is checked first: a damaged one is a CheckpointError naming the file, never a
        run that continues from a wrong state.

        Raises
        ------
        CheckpointError
            If a field is not what the run wrote (of another epoch, not JSON, not the metrics of
            epochs 1 to ``epoch``, not a density per layer, not a state of the generators).
        """
        if ts.get("epoch", epoch) != epoch:
            raise CheckpointError(
                damaged_state(source, f"its train_state is of epoch {ts.get('epoch')!r}, the file of {epoch}")
            )
        values = {}
        for key in ("numpy_rng", "rows_json", "initial_density"):
            if not isinstance(ts[key], str):
                raise CheckpointError(
                    damaged_state(source, f"train_state {key!r} is a {type(ts[key]).__name__}, expected JSON text")
                )
            try:
                values[key] = load_json(ts[key], "", field=f"train_state {key!r}")
            except CheckpointError as exc:
                raise CheckpointError(damaged_state(source, str(exc).removeprefix(": "))) from None
        rows, density = values["rows_json"], values["initial_density"]
        _check_rows(rows, source, epoch)
        _check_density(density, ts["initial_density"], source, n_layers)
        try:
            np_gen.bit_generator.state = values["numpy_rng"]
        except (TypeError, ValueError, KeyError) as exc:
            raise CheckpointError(
                damaged_state(source, f"train_state 'numpy_rng' is no state of the run's generator ({exc})")
            ) from None
        state = ts["torch_rng"]
        if not isinstance(state, torch.Tensor) or state.dtype != torch.uint8:
            what = f"a {state.dtype} tensor" if isinstance(state, torch.Tensor) else f"a {type(state).__name__}"
            raise CheckpointError(
                damaged_state(source, f"train_state 'torch_rng' is {what}, expected a torch.uint8 tensor")
            )
        try:
            torch_gen.set_state(state)
        except (RuntimeError, TypeError, ValueError) as exc:
            raise CheckpointError(
                damaged_state(
                    source, f"train_state 'torch_rng' is no state of the run's generator ({error_reason(exc)})"
                )
            ) from None
        return cls(epoch, ts["optimizer"], values["numpy_rng"], state, density, rows)


def _check_rows(rows, source, epoch):
    if (
        not isinstance(rows, list)
        or len(rows) != epoch
        or not all(isinstance(r, dict) and r.get("epoch") == e for e, r in enumerate(rows, start=1))
    ):
        raise CheckpointError(
            damaged_state(source, f"train_state 'rows_json' is not the metrics of epochs 1 to {epoch}")
        )


def _check_density(density, text, source, n_layers):
    if (
        not isinstance(density, dict)
        or not _fraction(density.get("overall"))
        or not isinstance(density.get("layers"), list)
        or len(density["layers"]) != n_layers
        or not all(_fraction(x) for x in density["layers"])
    ):
        raise CheckpointError(
            damaged_state(
                source,
                f"train_state 'initial_density' is {text!r:.80}, expected "
                f'{{"overall": d, "layers": [d_0, ..., d_{n_layers - 1}]}} with each d in [0, 1]',
            )
        )
