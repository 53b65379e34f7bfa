"""Training sparse MLPs whose topology evolves while they learn.

:func:`train_run` trains one :class:`~netgraph.SparseMLP` with one seed, as configured by a
:class:`TrainConfig` (defined in :mod:`netgraph.training.config`, re-exported here), resolved with the
data (:meth:`TrainConfig.resolved`): the resolved configuration is what the run trains with
and what it records.

1. the data is loaded (:func:`netgraph.training.data.load`, split seeded by ``data_seed`` so every
   seed of an experiment sees the same split);
2. the masks start Erdős–Rényi (SET's ``epsilon`` or an explicit ``density``) or dense, and
   the weights are drawn by ``weight_init`` (:data:`netgraph.nn.model.WEIGHT_INITS`; by default
   uniformly with He's variance on each layer's mean fan-in);
3. each epoch is a pass of minibatch SGD with momentum (or Adam) over the shuffled
   training set, followed by an evaluation on the test set and a checkpoint;
4. after every epoch but the last, the topology evolves: each layer loses the fraction
   ``zeta`` of its connections (``criterion``) and regrows as many (``growth``), see
   :func:`netgraph.topology.evolution.evolve_`; optimizer state (momentum) is zeroed at absent and at
   regrown positions, so a new edge starts from rest. A pruning schedule (gradual magnitude
   pruning, Zhu & Gupta 2017) may remove edges on top, without regrowth;
5. optionally, dead neurons are removed at the end (:func:`netgraph.topology.pruning.remove_dead_`).

Backends: the network is built and initialised as a masked network (the same random draws
whatever the backend) and converted when ``config.backend`` resolves to ``"sparse"``
(:meth:`~netgraph.SparseMLP.to_backend`), so both backends start from identical weights and
follow the same trajectory up to float rounding. The sparse backend keeps its index structure
for a whole epoch: the topology change after it runs on a masked copy (the very same
evolution, pruning schedule and optimizer-state reset as the masked backend, with gradient
growth's dense gradient taken there once), and the network is converted back, with a new
optimizer that carries the state of the surviving connections over (zeros for new ones).

Run layout: ``OUT/seed-S/params.json`` (everything needed to repeat the run),
``metrics.json`` (one row per epoch), ``epoch-XXX.pt`` (1-based, taken after the epoch's
training and before its topology evolution, with the trainer state needed to resume; with
``keep="last"`` only the newest is kept) and ``final.pt``. Every file is written atomically,
so an interrupted run (Ctrl-C) leaves only complete files, and ``resume=True`` continues from
the last complete epoch checkpoint to the same bit-identical result as an uninterrupted run.
The optimizer state in the epoch checkpoints does not depend on the backend (per-weight state
such as momentum and Adam's moments as values at the present connections, see
:func:`_optimizer_state_values`), so a run may be resumed with the other backend (the result
then equals the uninterrupted run up to float rounding).
While a run writes its folder it holds the folder's lock (``OUT/seed-S/.lock``, see
:func:`netgraph._lock.run_lock`): a second run into the same folder fails at once.

Randomness: the run's ``seed`` is split with :class:`numpy.random.SeedSequence` into a
``torch.Generator`` (weight initialisation, shuffling, the batch of gradient growth) and a
``numpy.random.Generator`` (masks and topology evolution). Nothing global is seeded.

Examples
--------
>>> import tempfile
>>> cfg = TrainConfig(dataset="synthetic", layers=(20, 16, 4), density=0.5, epochs=2)
>>> result = train_run(cfg, tempfile.mkdtemp(), seed=0, progress=False)
>>> result.method, len(result.epochs), result.epochs[0]["connections"] == list(result.final_connections)
('random', 2, True)
"""

import contextlib
import dataclasses
import hashlib
import json
import math
import numbers
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from .._lock import run_lock
from .._version import __version__
from ..errors import CheckpointError, NetgraphError, ParameterError
from ..fileio import atomic_write, error_reason, jsonable, load_json
from ..io import load_checkpoint, save_checkpoint
from ..io.runs import RunFolder
from ..network import Checkpoint
from ..nn.model import WEIGHT_INITS, SparseMLP
from ..topology.evolution import reset_optimizer_state
from ..validation import check_choice
from .config import KEEP_CHOICES, TrainConfig, default_batch_size, method_label

__all__ = [
    "TrainConfig",
    "RunResult",
    "train_run",
    "initial_network",
    "method_label",
    "default_batch_size",
    "KEEP_CHOICES",
]

_EVAL_CHUNK = 8192


@dataclass(frozen=True)
class RunResult:
    """The outcome of one training run.

    Attributes
    ----------
    seed : int
    method : str
        Method label, as in the checkpoints' ``meta["method"]``.
    out_dir : str
        The run's seed directory (``OUT/seed-S``).
    layer_sizes : tuple of int
        Widths of the final network.
    epochs : tuple of dict
        The rows of ``metrics.json``.
    final_test_accuracy : float
    final_connections : tuple of int
        Connections per layer of ``final.pt``.
    final_density : float
    params : dict
        The :class:`TrainConfig` as a dict.
    resumed_from : int or None
        The epoch checkpoint the run resumed from.
    seconds : float
        Wall time of this call.
    netgraph_version : str
    """

    seed: int
    method: str
    out_dir: str
    layer_sizes: tuple
    epochs: tuple
    final_test_accuracy: float
    final_connections: tuple
    final_density: float
    params: dict
    resumed_from: int | None = None
    seconds: float = 0.0
    netgraph_version: str = __version__

    @property
    def folder(self):
        """The run's :class:`~netgraph.io.runs.RunFolder` (its files: ``final``, ``metrics``, ...)."""
        return RunFolder(self.out_dir)

    def to_dict(self):
        """JSON-safe dict of every field."""
        out = dataclasses.asdict(self)
        out["layer_sizes"] = list(self.layer_sizes)
        out["final_connections"] = list(self.final_connections)
        out["epochs"] = [dict(row) for row in self.epochs]
        return out


def initial_network(config, seed, *, data=None):
    """The network a run of ``config`` with ``seed`` starts from, before its first epoch.

    The same random draws as :func:`train_run`: the initial topology depends only on the seed
    and the topology parameters (``layers``, ``epsilon`` / ``density``), not on growth,
    pruning or optimiser, so runs of different methods with one seed start from one network.

    Parameters
    ----------
    config : TrainConfig
    seed : int
        The run's seed.
    data : netgraph.training.data.Dataset, optional
        The run's data (to resolve the default ``layers``); default: loaded from ``config``.

    Returns
    -------
    SparseMLP
        Masked, on the CPU, with its initial weights.

    Raises
    ------
    ParameterError
        If the seed or configuration is invalid, or a layer draws no connection.

    Examples
    --------
    >>> a = initial_network(TrainConfig(layers=(4, 8, 2), density=0.5, growth="random"), 0)
    >>> b = initial_network(TrainConfig(layers=(4, 8, 2), density=0.5, growth="strategic"), 0)
    >>> all(bool((x.mask == y.mask).all()) for x, y in zip(a.layers, b.layers)), a.n_connections()
    (True, 19)
    """
    seed = _check_run_args(config, seed)
    if config.layers is None or data is not None:
        data = config.load_data() if data is None else data
    config = config.resolved(data)
    torch_gen, np_gen = _generators(seed)
    return _init_model(config, torch_gen, np_gen)


def train_run(config, out_dir, *, seed, resume=False, progress=True, data=None, keep="all", where=None):
    """Train one network with one seed and write its run directory ``out_dir/seed-S``.

    Parameters
    ----------
    config : TrainConfig
        Resolved with the data (:meth:`TrainConfig.resolved`) before anything else; the
        resolved configuration is what the run records (``params.json``, checkpoints).
    out_dir : str or Path
        The experiment directory; the run goes into its ``seed-S`` subdirectory.
    seed : int
        Seeds the weights, masks, shuffling and topology evolution.
    resume : bool, optional
        Continue from the last complete ``epoch-XXX.pt`` of an earlier, interrupted run with
        the same configuration (``backend`` aside: a run may continue with the other backend,
        which gives the uninterrupted run's result up to float rounding, and a run recorded
        before backends existed resumes with either). Without a checkpoint the run starts
        from scratch.
    progress : bool, optional
        Show the run's progress on stderr: a bar on a terminal, elsewhere (a log) a plain line
        every few seconds and one at the end.
    data : netgraph.training.data.Dataset, optional
        An already loaded dataset (to share between seeds); default: loaded from ``config``.
    keep : {"all", "last"}, optional
        Which epoch checkpoints stay on disk: ``"all"`` (default; the per-epoch topologies)
        or ``"last"``: only the newest ``epoch-XXX.pt`` (what ``resume`` needs) besides
        ``final.pt``; the previous one is deleted once the new one is completely written.
        Not part of the configuration: a run may be resumed with another ``keep``. Recorded
        in ``params.json``.
    where : dict, optional
        Where the run executes, recorded in ``params.json`` as ``"where"``: the Dask worker's
        name and address, the host and the process (:func:`netgraph.training.cluster.where`, which is
        the default).

    Returns
    -------
    RunResult

    Raises
    ------
    ParameterError
        If the layer sizes do not fit the data, a layer draws no connection (or the pruning
        target would leave it none), the seed or ``keep`` is invalid, the run directory already holds a run and ``resume`` is False,
        or a resumed run's configuration differs. Nothing is written then.
    RunLockedError
        If another process is writing the run directory (a :class:`NetgraphError`).

    Notes
    -----
    The run directory is locked for the whole run (``.lock``, removed at the end). Leftover
    temporary files of the atomic writes of an interrupted run (``.metrics.json.*.tmp``,
    ``.epoch-XXX.pt.*.tmp``, ...) are removed once the lock is taken.
    """
    t_start = time.perf_counter()
    seed = _check_run_args(config, seed)
    keep = _check_keep(keep)
    if data is None:
        data = config.load_data()
    config = config.resolved(data)  # what the run trains with, and records
    device = _check_device(config.device)
    run_dir = RunFolder.of(out_dir, seed)
    if not resume:
        run_dir.check_no_run()
    torch_gen, np_gen = _generators(seed)
    # drawn before anything is written, so that a layer without connections fails cleanly
    # (a resumed run replaces it, and the generators' states, from its checkpoint)
    fresh = _init_model(config, torch_gen, np_gen)
    _check_prune_target(config, fresh)
    created = not run_dir.path.exists()
    run_dir.path.mkdir(parents=True, exist_ok=True)
    locked = False
    try:
        with run_lock(run_dir.path):
            locked = True
            return _train_locked(
                config,
                run_dir,
                seed,
                data,
                device,
                fresh,
                torch_gen,
                np_gen,
                resume=resume,
                progress=progress,
                keep=keep,
                t_start=t_start,
                where=where,
            )
    except BaseException:
        if created and locked:  # leave no empty folder behind (a non-empty one stays)
            with contextlib.suppress(OSError):
                run_dir.path.rmdir()
        raise


def _train_locked(
    config, run_dir, seed, data, device, fresh, torch_gen, np_gen, *, resume, progress, keep, t_start, where
):
    """The body of :func:`train_run`, run while holding the lock of ``run_dir``."""
    if not resume:
        run_dir.check_no_run()  # again: another run may have finished in it meanwhile
    _remove_temp_files(run_dir)
    initial_topology = _initial_topology(fresh)  # before training touches fresh's masks
    found = _last_checkpoint(run_dir) if resume else None
    x_train, y_train = data.x_train.to(device), data.y_train.to(device)
    x_test, y_test = data.x_test.to(device), data.y_test.to(device)
    if found is None:
        model = _on_backend(fresh.to(device), config.backend)
        optimizer = _make_optimizer(config, model)
        rows, start, resumed_from = [], 0, None
        initial_density = _layer_densities(model)
    else:
        ckpt, start = found
        _check_resume(ckpt, config, run_dir)
        initial_topology = ckpt.meta.get("initial_topology", initial_topology)  # kept through resume
        masked = ckpt.to_model().to(device)
        ts = ckpt.train_state
        try:
            saved_state = _saved_optimizer_state(ts["optimizer"], config, masked, ckpt.source)
            model = _on_backend(masked, config.backend)
            optimizer = _make_optimizer(config, model)
            _load_optimizer_state_values(optimizer, model, saved_state)
        except CheckpointError as exc:
            raise CheckpointError(_damaged_state(ckpt.source, str(exc).removeprefix(f"{ckpt.source}: "))) from None
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(_damaged_state(ckpt.source, f"its optimizer state does not load ({exc})")) from None
        rows, initial_density = _restore_train_state(ts, ckpt.source, start, len(model.layers), np_gen, torch_gen)
        resumed_from = start
        if start < config.epochs:  # redo the topology evolution that followed the checkpoint
            model, optimizer, _, _ = _evolve(
                model, optimizer, config, start, np_gen, torch_gen, x_train, y_train, initial_density
            )
    _write_json(run_dir.params, _params(config, seed, data, model, keep, where))

    n_batches = math.ceil(len(y_train) / config.batch_size)
    bar = _progress_bar(progress, seed, config.epochs, n_batches, start)
    try:
        for epoch in range(start + 1, config.epochs + 1):
            t0 = time.perf_counter()
            loss, train_acc = _train_epoch(model, optimizer, x_train, y_train, config.batch_size, torch_gen, bar)
            if not math.isfinite(loss):
                raise NetgraphError(
                    f"seed {seed}, epoch {epoch}: the training loss is {loss}; the run diverged. "
                    f"Lower lr (now {config.lr}) or init_scale (now {config.init_scale})"
                )
            test_acc = _accuracy(model, x_test, y_test)
            connections = [model.n_connections(layer=l) for l in range(len(model.layers))]
            row = {
                "epoch": epoch,
                "loss": loss,
                "train_accuracy": train_acc,
                "test_accuracy": test_acc,
                "connections": connections,
                "total_connections": sum(connections),
                "density": model.density(),
            }
            snapshot = Checkpoint.from_model(model)
            state = {
                "epoch": epoch,
                "optimizer": _optimizer_state_values(optimizer, model),
                "numpy_rng": json.dumps(np_gen.bit_generator.state),
                "torch_rng": torch_gen.get_state().clone(),
                "initial_density": json.dumps(initial_density),
            }
            removed = added = [0] * len(connections)
            t_evolve = time.perf_counter()
            if epoch < config.epochs:
                model, optimizer, removed, added = _evolve(
                    model, optimizer, config, epoch, np_gen, torch_gen, x_train, y_train, initial_density
                )
            now = time.perf_counter()
            row.update(removed=removed, added=added, seconds=now - t0, evolution_seconds=now - t_evolve)
            rows.append(row)
            state["rows_json"] = json.dumps(rows)
            save_checkpoint(
                snapshot,
                run_dir.epoch(epoch),
                meta=_meta(config, seed, row, initial_topology),
                train_state=state,
            )
            _write_metrics(run_dir, seed, config, rows)
            if keep == "last":
                _remove_epoch_files(run_dir, but=epoch)
            if bar is not None:
                bar.set_postfix(loss=f"{loss:.3f}", test=f"{test_acc:.4f}")
    finally:
        if bar is not None:
            bar.close()

    final_meta = _meta(config, seed, rows[-1], initial_topology)
    if config.remove_dead:
        from ..topology.pruning import remove_dead_

        masked = model if model.backend == "masked" else model.to_backend("masked")
        counts = remove_dead_(masked)
        model = _on_backend(masked, model.backend)
        final_meta["remove_dead"] = jsonable(counts)
    save_checkpoint(model, run_dir.final, meta=final_meta)
    _write_metrics(run_dir, seed, config, rows, extra={"remove_dead": final_meta.get("remove_dead")})
    if keep == "last":  # e.g. a resumed run that had nothing left to train
        _remove_epoch_files(run_dir, but=rows[-1]["epoch"])
    return RunResult(
        seed=seed,
        method=config.method,
        out_dir=str(run_dir.path),
        layer_sizes=tuple(model.layer_sizes),
        epochs=tuple(rows),
        final_test_accuracy=_accuracy(model, x_test, y_test),
        final_connections=tuple(model.n_connections(layer=l) for l in range(len(model.layers))),
        final_density=model.density(),
        params=config.to_dict(),
        resumed_from=resumed_from,
        seconds=time.perf_counter() - t_start,
    )


def _check_run_args(config, seed):
    """The seed as an int, after checking it and that ``config`` is a TrainConfig."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ParameterError(f"seed={seed!r}, must be a non-negative int")
    if not isinstance(config, TrainConfig):
        raise ParameterError(f"config is a {type(config).__name__}, expected a TrainConfig")
    return int(seed)


def _check_keep(keep):
    return check_choice(keep, KEEP_CHOICES, name="keep")


def _check_device(name):
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ParameterError(f"device={name!r}, but torch.cuda.is_available() is False; use device='cpu'")
    return torch.device(name)


#: Configuration fields a run may be resumed with changed: they change how the run computes, not
#: what (the backends agree up to float rounding, and the checkpoints' optimizer state fits both).
#: Runs recorded before a field existed lack it, which is fine for these.
_RESUMABLE_CHANGES = ("backend",)


def _check_resume(ckpt, config, run_dir):
    saved = ckpt.meta.get("params") or {}
    now = config.to_dict()
    keys = (set(saved) | set(now)) - set(_RESUMABLE_CHANGES)
    differ = sorted(k for k in keys if saved.get(k) != now.get(k))
    if differ:
        detail = ", ".join(f"{k}: {saved.get(k)!r} -> {now.get(k)!r}" for k in differ[:6])
        raise ParameterError(
            f"cannot resume {run_dir.path}: the configuration differs from the checkpoint's ({detail})"
        )


def _damaged_state(source, what):
    return f"{source}: cannot resume from this checkpoint: {what}; remove it to resume from the one before"


def _restore_train_state(ts, source, epoch, n_layers, np_gen, torch_gen):
    """Set the generators from a checkpoint's train_state and return its metric rows and initial density.

    Every field is checked first: a damaged one is a CheckpointError naming the file, never a
    run that continues from a wrong state.
    """
    if ts.get("epoch", epoch) != epoch:
        raise CheckpointError(
            _damaged_state(source, f"its train_state is of epoch {ts.get('epoch')!r}, the file of {epoch}")
        )
    values = {}
    for key in ("numpy_rng", "rows_json", "initial_density"):
        if not isinstance(ts[key], str):
            raise CheckpointError(
                _damaged_state(source, f"train_state {key!r} is a {type(ts[key]).__name__}, expected JSON text")
            )
        try:
            values[key] = load_json(ts[key], "", field=f"train_state {key!r}")
        except CheckpointError as exc:
            raise CheckpointError(_damaged_state(source, str(exc).removeprefix(": "))) from None
    rows, density = values["rows_json"], values["initial_density"]
    if (
        not isinstance(rows, list)
        or len(rows) != epoch
        or not all(isinstance(r, dict) and r.get("epoch") == e for e, r in enumerate(rows, start=1))
    ):
        raise CheckpointError(
            _damaged_state(source, f"train_state 'rows_json' is not the metrics of epochs 1 to {epoch}")
        )

    def fraction(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 1

    if (
        not isinstance(density, dict)
        or not fraction(density.get("overall"))
        or not isinstance(density.get("layers"), list)
        or len(density["layers"]) != n_layers
        or not all(fraction(x) for x in density["layers"])
    ):
        raise CheckpointError(
            _damaged_state(
                source,
                f"train_state 'initial_density' is {ts['initial_density']!r:.80}, expected "
                f'{{"overall": d, "layers": [d_0, ..., d_{n_layers - 1}]}} with each d in [0, 1]',
            )
        )
    numpy_state = values["numpy_rng"]
    try:
        np_gen.bit_generator.state = numpy_state
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(
            _damaged_state(source, f"train_state 'numpy_rng' is no state of the run's generator ({exc})")
        ) from None
    state = ts["torch_rng"]
    if not isinstance(state, torch.Tensor) or state.dtype != torch.uint8:
        what = f"a {state.dtype} tensor" if isinstance(state, torch.Tensor) else f"a {type(state).__name__}"
        raise CheckpointError(
            _damaged_state(source, f"train_state 'torch_rng' is {what}, expected a torch.uint8 tensor")
        )
    try:
        torch_gen.set_state(state)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise CheckpointError(
            _damaged_state(source, f"train_state 'torch_rng' is no state of the run's generator ({error_reason(exc)})")
        ) from None
    return rows, density


def _last_checkpoint(run_dir):
    """The newest epoch checkpoint that loads completely, with its epoch; None if there is none."""
    for epoch, path in reversed(run_dir.epoch_files()):
        try:
            ckpt = load_checkpoint(path)
        except CheckpointError:
            continue
        ts = ckpt.train_state
        if (
            ts
            and ckpt.meta.get("epoch") == epoch
            and all(k in ts for k in ("optimizer", "numpy_rng", "torch_rng", "rows_json", "initial_density"))
            and _is_optimizer_state(ts["optimizer"])
        ):
            return ckpt, epoch
    return None


# --------------------------------------------------------------------------- model and loop


def _generators(seed):
    torch_seq, numpy_seq = np.random.SeedSequence(seed).spawn(2)
    torch_gen = torch.Generator().manual_seed(int(torch_seq.generate_state(1, np.uint64)[0] >> np.uint64(1)))
    return torch_gen, np.random.default_rng(numpy_seq)


def _init_model(config, torch_gen, np_gen):
    from ..topology.initial import init_masks

    masks = init_masks(config.layers, epsilon=config.epsilon, density=config.density, rng=np_gen)
    for l, mask in enumerate(masks):
        if not bool(mask.any()):
            n_out, n_in = mask.shape
            if config.epsilon is not None:
                from ..topology.initial import epsilon_probability

                drawn = f"epsilon {config.epsilon:g} (p = {epsilon_probability(n_in, n_out, config.epsilon):.3g})"
            else:
                drawn = f"density {config.density:g}"
            raise ParameterError(
                f"layer {l} ({n_in} -> {n_out}) drew no connection at {drawn}; use a larger density or epsilon"
            )
    model = SparseMLP(config.layers, activation=config.activation, masks=masks)
    init = WEIGHT_INITS[config.weight_init]
    last = len(model.layers) - 1
    with torch.no_grad():
        for l, layer in enumerate(model.layers):
            init(layer, output=l == last, generator=torch_gen)
    return model.apply_masks_()


def _layer_densities(model):
    return {"overall": model.density(), "layers": [model.density(layer=l) for l in range(len(model.layers))]}


def _scheduled_densities(config, density, initial_density):
    """Per-layer densities the pruning schedule prunes to when the overall schedule is at ``density``."""
    if config.prune_scope == "proportional":  # each layer keeps the same share of its initial connections
        d0 = initial_density["overall"]
        return [min(1.0, dl * density / d0) if d0 else density for dl in initial_density["layers"]]
    return density


def _check_prune_target(config, model):
    """Refuse a pruning target that leaves a layer without connections (a dead network)."""
    if config.pruning != "gmp":
        return
    densities = _scheduled_densities(config, config.target_density, _layer_densities(model))
    if not isinstance(densities, list):
        densities = [densities] * len(model.layers)
    for l, (layer, d) in enumerate(zip(model.layers, densities)):
        n_out, n_in = layer.weight.shape
        if round(d * (n_out * n_in)) == 0:  # as prune_to_density_ rounds
            raise ParameterError(
                f"target_density={config.target_density:g} prunes layer {l} ({n_in} -> {n_out}) to no connection "
                f"(density {d:.3g} of {n_out * n_in}); use a larger target_density"
            )


def _on_backend(model, backend):
    """``model`` with layers of ``backend``: itself if it has them, else a converted copy."""
    return model if model.backend == backend else model.to_backend(backend)


def _make_optimizer(config, model):
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(
        model.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay,
    )


def _train_epoch(model, optimizer, x, y, batch_size, torch_gen, bar):
    model.train()
    n = len(y)
    perm = torch.randperm(n, generator=torch_gen).to(x.device)
    total = torch.zeros((), dtype=torch.float64, device=x.device)
    correct = torch.zeros((), dtype=torch.int64, device=x.device)
    for start in range(0, n, batch_size):
        idx = perm[start : start + batch_size]
        xb, yb = x[idx], y[idx]
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            total += loss.detach().double() * len(idx)
            correct += (out.argmax(dim=1) == yb).sum()
        if bar is not None:
            bar.update(1)
    return float(total) / n, int(correct) / n


@torch.no_grad()
def _accuracy(model, x, y):
    model.eval()
    correct = 0
    for start in range(0, len(y), _EVAL_CHUNK):
        out = model(x[start : start + _EVAL_CHUNK])
        correct += int((out.argmax(dim=1) == y[start : start + _EVAL_CHUNK]).sum())
    return correct / len(y)


def _evolve(model, optimizer, config, epoch, np_gen, torch_gen, x, y, initial_density):
    """The topology change after ``epoch`` on a network of either backend.

    A masked network is changed in place (:func:`_evolve_topology`). A sparse one cannot change
    its index structure in place: the change runs on a masked copy, with a masked optimizer
    holding the same state, and the result is converted back, with a new optimizer over its new
    parameters that holds the state of the surviving connections (zeros for new ones, as
    :func:`~netgraph.topology.evolution.reset_optimizer_state` leaves them).

    Returns
    -------
    model, optimizer, removed, added
        The network and its optimizer after the change (the same objects for a masked network),
        and the connections removed and added per layer.
    """
    if model.backend == "masked":
        removed, added = _evolve_topology(model, optimizer, config, epoch, np_gen, torch_gen, x, y, initial_density)
        return model, optimizer, removed, added
    backend = model.backend
    masked = model.to_backend("masked")
    masked_optimizer = _make_optimizer(config, masked)
    _load_optimizer_state_values(masked_optimizer, masked, _optimizer_state_values(optimizer, model))
    removed, added = _evolve_topology(masked, masked_optimizer, config, epoch, np_gen, torch_gen, x, y, initial_density)
    model = masked.to_backend(backend)
    optimizer = _make_optimizer(config, model)
    _load_optimizer_state_values(optimizer, model, _optimizer_state_values(masked_optimizer, masked))
    return model, optimizer, removed, added


def _evolve_topology(model, optimizer, config, epoch, np_gen, torch_gen, x, y, initial_density):
    """The topology change after ``epoch`` of a masked network, in place: evolution, then the
    pruning schedule, then the reset of the optimizer state. Returns removed, added."""
    n_layers = len(model.layers)
    removed, added, added_index = [0] * n_layers, [0] * n_layers, [None] * n_layers
    if config.growth != "none" and config.zeta > 0:
        from ..topology.evolution import evolve_

        grads = None
        if config.growth == "gradient":
            from ..topology.growth import dense_gradients

            idx = torch.randperm(len(y), generator=torch_gen)[: config.batch_size].to(x.device)
            grads = dense_gradients(model, x[idx], y[idx])
        stats = evolve_(
            model,
            zeta=config.zeta,
            criterion=config.criterion,
            growth=config.growth,
            rng=np_gen,
            grads=grads,
            init_scale=config.init_scale,
            **({"init": config.grow_init} if config.grow_init else {}),
            **config.growth_options,
        )
        removed = [int(s["removed"]) for s in stats]
        added = [int(s["added"]) for s in stats]
        added_index = [s.get("added_index") for s in stats]
    if config.pruning == "gmp" and config.prune_start <= epoch <= config.prune_end:
        from ..topology.pruning import gmp_density, prune_to_density_

        density = gmp_density(
            epoch,
            start_epoch=config.prune_start,
            end_epoch=config.prune_end,
            initial_density=initial_density["overall"],
            target_density=config.target_density,
        )
        density = _scheduled_densities(config, density, initial_density)
        pruned = prune_to_density_(model, density, criterion=config.prune_criterion)
        removed = [r + int(p) for r, p in zip(removed, pruned)]
    reset_optimizer_state(optimizer, model, added_index)
    return removed, added


# --------------------------------------------------------------------------- optimizer state

#: The format marker of the optimizer state in the epoch checkpoints' ``train_state["optimizer"]``
#: (see :func:`_optimizer_state_values`); checkpoints without it hold a plain ``state_dict()``
#: of the optimizer over a masked network (netgraph before the sparse backend).
OPTIMIZER_STATE_FORMAT = "netgraph-optimizer-values"
OPTIMIZER_STATE_VERSION = 1
_STATE_KEYS = ("values", "weight", "bias")  # of each layer's entry


def _optimizer_state_values(optimizer, model):
    """The optimizer's state in a form that does not depend on the backend (copies of its tensors).

    Per layer: ``"values"``, the per-weight states of the weight parameter (SGD's
    ``momentum_buffer``, Adam's ``exp_avg`` and ``exp_avg_sq``: the tensors of the parameter's
    shape) as values at the present connections in CSR order (``layer.to_values``), which is
    lossless because the trainer keeps them zero at absent connections; ``"weight"``, the weight
    parameter's other states as they are (Adam's ``step``); ``"bias"``, the bias's states as
    they are. Beside them the optimizer's ``param_groups`` (hyperparameters) and the format
    marker. Its size follows the number of connections, and
    :func:`_load_optimizer_state_values` loads it into an optimizer over a network of either
    backend with these connections.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        Over ``model.parameters()``.
    model : SparseMLP

    Returns
    -------
    dict
        ``{"format", "version", "param_groups", "layers": [{"values", "weight", "bias"}, ...]}``.

    Examples
    --------
    >>> net = SparseMLP([3, 2], masks=[torch.tensor([[True, False, True], [False, True, False]])])
    >>> opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    >>> net(torch.ones(1, 3)).sum().backward(); opt.step()
    >>> state = _optimizer_state_values(opt, net)
    >>> state["layers"][0]["values"]["momentum_buffer"].tolist()  # 3 connections, not 6 weights
    [1.0, 1.0, 1.0]
    >>> sparse = net.to_backend("sparse")
    >>> opt = torch.optim.SGD(sparse.parameters(), lr=0.1, momentum=0.9)
    >>> _load_optimizer_state_values(opt, sparse, state)
    >>> opt.state[sparse.layers[0].values]["momentum_buffer"].tolist()
    [1.0, 1.0, 1.0]
    """
    saved = optimizer.state_dict()
    index = _parameter_index(optimizer)
    layers = []
    for layer in model.layers:
        weight = layer.weight_param
        entry = {key: {} for key in _STATE_KEYS}
        for name, value in saved["state"].get(index[id(weight)], {}).items():
            if isinstance(value, torch.Tensor) and value.shape == weight.shape:
                entry["values"][name] = layer.to_values(value.detach()).clone()
            else:
                entry["weight"][name] = _copy_state(value)
        if layer.bias is not None:
            entry["bias"] = {k: _copy_state(v) for k, v in saved["state"].get(index[id(layer.bias)], {}).items()}
        layers.append(entry)
    return {
        "format": OPTIMIZER_STATE_FORMAT,
        "version": OPTIMIZER_STATE_VERSION,
        "param_groups": [_copy_state(group) for group in saved["param_groups"]],
        "layers": layers,
    }


def _load_optimizer_state_values(optimizer, model, state):
    """Load the state of :func:`_optimizer_state_values` into ``optimizer`` (over ``model``'s parameters).

    Per-weight states are laid out as ``model``'s layers keep them (``layer.from_values``:
    dense with zeros at absent connections for masked layers, as they are for sparse ones).

    Raises
    ------
    CheckpointError
        If the state does not fit ``model`` (number of layers, or of connections of a layer).
    """
    layers = state["layers"]
    if len(layers) != len(model.layers):
        raise CheckpointError(
            f"the optimizer state has {len(layers)} layers, expected {len(model.layers)} (the network's)"
        )
    index = _parameter_index(optimizer)
    loaded = {}
    for l, (layer, entry) in enumerate(zip(model.layers, layers)):
        weight = layer.weight_param
        per_weight = {}
        for name, values in entry["values"].items():
            if tuple(values.shape) != (layer.n_connections(),):
                raise CheckpointError(
                    f"the optimizer state {name!r} of layer {l} has shape {tuple(values.shape)}, expected "
                    f"({layer.n_connections()},) (one value per connection of the layer)"
                )
            per_weight[name] = layer.from_values(values.to(weight.device, weight.dtype).clone())
        if per_weight or entry["weight"]:
            loaded[index[id(weight)]] = {**per_weight, **{k: _copy_state(v) for k, v in entry["weight"].items()}}
        if layer.bias is not None and entry["bias"]:
            loaded[index[id(layer.bias)]] = {k: _copy_state(v) for k, v in entry["bias"].items()}
    groups = optimizer.state_dict()["param_groups"]
    if len(groups) != len(state["param_groups"]):
        raise CheckpointError(
            f"the optimizer state has {len(state['param_groups'])} parameter groups, expected {len(groups)}"
        )
    # the saved hyperparameters, with this optimizer's numbering of its parameters
    groups = [{**_copy_state(saved), "params": group["params"]} for saved, group in zip(state["param_groups"], groups)]
    optimizer.load_state_dict({"state": loaded, "param_groups": groups})


def _parameter_index(optimizer):
    """id(parameter) -> its number in ``optimizer.state_dict()``."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    return {id(p): i for i, p in enumerate(params)}


def _copy_state(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _copy_state(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_copy_state(v) for v in value)
    return value


def _is_optimizer_state(saved):
    """Whether a checkpoint's ``train_state["optimizer"]`` looks like one (either format)."""
    if not isinstance(saved, dict):
        return False
    if saved.get("format") == OPTIMIZER_STATE_FORMAT:
        layers, groups = saved.get("layers"), saved.get("param_groups")
        return (
            isinstance(layers, list)
            and isinstance(groups, list)
            and all(isinstance(e, dict) and all(isinstance(e.get(k), dict) for k in _STATE_KEYS) for e in layers)
        )
    return isinstance(saved.get("state"), dict) and isinstance(saved.get("param_groups"), list)


def _saved_optimizer_state(saved, config, masked, source):
    """A checkpoint's optimizer state in the form of :func:`_optimizer_state_values`.

    ``masked`` is the checkpoint's network (masked layers); a plain ``optimizer.state_dict()``
    (checkpoints written before the format marker, always over a masked network) is read
    through an optimizer over it.
    """
    if saved.get("format") == OPTIMIZER_STATE_FORMAT:
        if saved.get("version", 0) > OPTIMIZER_STATE_VERSION:
            raise CheckpointError(
                f"{source}: optimizer state format version {saved['version']} is newer than this netgraph "
                f"understands ({OPTIMIZER_STATE_VERSION}); upgrade netgraph"
            )
        return saved
    legacy = _make_optimizer(config, masked)
    legacy.load_state_dict(saved)
    return _optimizer_state_values(legacy, masked)


# --------------------------------------------------------------------------- files


def _initial_topology(model):
    """The fingerprint of a run's initial topology, recorded as ``meta["initial_topology"]``.

    The first 16 hex digits of a sha256 over ``b"netgraph-initial-topology-1"``, the layer sizes
    (little-endian int64) and each layer's mask (out x in, row-major) packed 8 to a byte
    (:func:`numpy.packbits`). The initial masks depend only on the seed and the topology
    parameters (``layers``, ``epsilon`` / ``density``), not on growth, pruning or optimiser, so
    runs of different methods with one seed share it; a report
    (:func:`analysis.build_report`) pairs networks by it.
    """
    digest = hashlib.sha256(b"netgraph-initial-topology-1")
    digest.update(np.asarray(model.layer_sizes, dtype="<i8").tobytes())
    for layer in model.layers:
        digest.update(np.packbits(layer.mask.detach().cpu().numpy().astype(bool), axis=None).tobytes())
    return digest.hexdigest()[:16]


def _meta(config, seed, row, initial_topology):
    return {
        "seed": seed,
        "initial_topology": initial_topology,
        "dataset": config.dataset,
        "method": config.method,
        "growth": config.growth,
        "pruning": config.pruning,
        "epoch": row["epoch"],
        "metrics": row,
        "params": config.to_dict(),
    }


def _params(config, seed, data, model, keep, where):
    from .cluster import where as here

    return {
        "seed": seed,
        "method": config.method,
        "config": config.to_dict(),
        "keep": keep,
        "where": dict(where) if where is not None else here(),
        "layer_sizes": list(model.layer_sizes),
        "dataset": data.to_dict(),
        "random_streams": "numpy.random.SeedSequence(seed).spawn(2) -> [torch.Generator: weight init, "
        "shuffling, gradient-growth batch; numpy Generator: masks, topology evolution]",
        "netgraph_version": __version__,
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
    }


def _write_metrics(run_dir, seed, config, rows, extra=None):
    doc = {"seed": seed, "method": config.method, "epochs": rows}
    if extra and any(v is not None for v in extra.values()):
        doc.update({k: v for k, v in extra.items() if v is not None})
    _write_json(run_dir.metrics, doc)


def _remove_epoch_files(run_dir, *, but):
    """Delete every epoch checkpoint except epoch ``but`` (``keep="last"``)."""
    for epoch, path in run_dir.epoch_files():
        if epoch != but:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _remove_temp_files(run_dir):
    """Delete the temporary files an interrupted atomic write of a run file left behind."""
    for path in run_dir.temp_files():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _write_json(path, doc):
    with atomic_write(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def _progress_bar(progress, seed, epochs, n_batches, start):
    """The batches of a run on stderr: a bar on a terminal, a plain line every few seconds elsewhere (a log)."""
    if not progress:
        return None
    from .._progress import Progress

    return Progress(f"seed {seed} batches", unit="batch", total=epochs * n_batches, initial=start * n_batches)


def __getattr__(name):
    if name == "parse_seeds":  # a command-line parser: moved to netgraph.cli.args (issue 18)
        from ..cli.args import parse_seeds

        return parse_seeds
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
