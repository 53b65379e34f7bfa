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
:func:`netgraph.training._optimizer.state_values`), so a run may be resumed with the other backend (the result
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
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from .._lock import run_lock
from .._version import __version__
from ..errors import CheckpointError, NetgraphError, ParameterError
from ..fileio import atomic_write, jsonable
from ..io import load_checkpoint, save_checkpoint
from ..io.cnn import CNNCheckpoint, is_cnn_checkpoint, load_cnn_checkpoint, save_cnn_checkpoint
from ..io.runs import RunFolder
from ..network import Checkpoint
from ..nn.conv import SparseCNN
from ..nn.model import WEIGHT_INITS, SparseMLP
from ..topology.evolution import reset_optimizer_state
from ..validation import check_choice, check_seed
from . import _optimizer
from ._state import TrainState, damaged_state
from .config import KEEP_CHOICES, TrainConfig, default_batch_size, epoch_lr, method_label

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
    return _init_model(config, torch_gen, np_gen, data)


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
    fresh = _init_model(config, torch_gen, np_gen, data)
    _check_prune_target(config, fresh)
    created = not run_dir.path.exists()
    run_dir.path.mkdir(parents=True, exist_ok=True)
    locked = False
    try:
        with run_lock(run_dir.path):
            locked = True
            run = _Run(
                config,
                seed,
                run_dir,
                data,
                device,
                torch_gen,
                np_gen,
                keep=keep,
                where=where,
                progress=progress,
                t_start=t_start,
            )
            return run.execute(fresh, resume=resume)
    except BaseException:
        if created and locked:  # leave no empty folder behind (a non-empty one stays)
            with contextlib.suppress(OSError):
                run_dir.path.rmdir()
        raise


class _Run:
    """One training run while it holds its folder's lock: everything it carries from epoch to epoch.

    Made by :func:`train_run` from the checked arguments; :meth:`execute` starts the network fresh
    or resumes it from the folder's last complete epoch checkpoint, trains the remaining epochs
    (each: a pass over the data, a checkpoint, the topology change), and writes the final network.
    """

    def __init__(self, config, seed, folder, data, device, torch_gen, np_gen, *, keep, where, progress, t_start):
        self.config, self.seed, self.folder, self.data, self.device = config, seed, folder, data, device
        self.torch_gen, self.np_gen = torch_gen, np_gen
        self.keep, self.where, self.progress, self.t_start = keep, where, progress, t_start
        self.x_train, self.y_train = data.x_train.to(device), data.y_train.to(device)
        self.x_test, self.y_test = data.x_test.to(device), data.y_test.to(device)
        self.model = self.optimizer = self.initial_density = self.initial_topology = None
        self.rows, self.start, self.resumed_from = [], 0, None

    def execute(self, fresh, *, resume):
        """Train into the folder and return the :class:`RunResult`."""
        if not resume:
            self.folder.check_no_run()  # again: another run may have finished in it meanwhile
        _remove_temp_files(self.folder)
        self.initial_topology = _initial_topology(fresh)  # before training touches fresh's masks
        found = _last_checkpoint(self.folder) if resume else None
        if found is None:
            self.model = _on_backend(fresh.to(self.device), self.config.backend)
            self.optimizer = _optimizer.make(self.config, self.model)
            self.initial_density = _layer_densities(self.model)
        else:
            self._resume(*found)
        _write_json(self.folder.params, _params(self.config, self.seed, self.data, self.model, self.keep, self.where))
        n_batches = math.ceil(len(self.y_train) / self.config.batch_size)
        bar = _progress_bar(self.progress, self.seed, self.config.epochs, n_batches, self.start)
        try:
            for epoch in range(self.start + 1, self.config.epochs + 1):
                self._epoch(epoch, bar)
        finally:
            if bar is not None:
                bar.close()
        return self._finish()

    def _resume(self, ckpt, start):
        config = self.config
        _check_resume(ckpt, config, self.folder)
        self.initial_topology = ckpt.meta.get("initial_topology", self.initial_topology)  # kept through resume
        masked = ckpt.to_model().to(self.device)
        ts = ckpt.train_state
        try:
            saved = _optimizer.saved_state(ts["optimizer"], config, masked, ckpt.source)
            self.model = _on_backend(masked, config.backend)
            self.optimizer = _optimizer.make(config, self.model)
            _optimizer.load_state_values(self.optimizer, self.model, saved)
        except CheckpointError as exc:
            raise CheckpointError(damaged_state(ckpt.source, str(exc).removeprefix(f"{ckpt.source}: "))) from None
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(damaged_state(ckpt.source, f"its optimizer state does not load ({exc})")) from None
        state = TrainState.restore(ts, ckpt.source, start, len(self.model.layers), self.np_gen, self.torch_gen)
        self.rows, self.initial_density = state.rows, state.initial_density
        self.start = self.resumed_from = start
        if start < config.epochs:  # redo the topology change that followed the checkpoint
            self._evolve(start)

    def _epoch(self, epoch, bar):
        """Train ``epoch``, checkpoint it, change the topology (but after the last epoch)."""
        config, model = self.config, self.model
        t0 = time.perf_counter()
        if config.lr_schedule != "constant":  # set each epoch from the epoch: a resumed run trains alike
            for group in self.optimizer.param_groups:
                group["lr"] = epoch_lr(config, epoch)
        loss, train_acc = _train_epoch(
            model, self.optimizer, self.x_train, self.y_train, config.batch_size, self.torch_gen, bar
        )
        if not math.isfinite(loss):
            raise NetgraphError(
                f"seed {self.seed}, epoch {epoch}: the training loss is {loss}; the run diverged. "
                f"Lower lr (now {config.lr}) or init_scale (now {config.init_scale})"
            )
        test_acc = _accuracy(model, self.x_test, self.y_test)
        connections = [model.n_connections(layer=l) for l in range(len(model.layers))]
        row = {
            "epoch": epoch,
            "loss": loss,
            "train_accuracy": train_acc,
            "test_accuracy": test_acc,
            "connections": connections,
            "total_connections": sum(connections),
            "density": model.density(),
            **({"lr": epoch_lr(config, epoch)} if config.lr_schedule != "constant" else {}),
        }
        snapshot = _snapshot(model)
        optimizer_state = _optimizer.state_values(self.optimizer, model)
        numpy_rng, torch_rng = self.np_gen.bit_generator.state, self.torch_gen.get_state().clone()
        removed = added = [0] * len(connections)
        t_evolve = time.perf_counter()
        if epoch < config.epochs:
            removed, added = self._evolve(epoch)
        now = time.perf_counter()
        row.update(removed=removed, added=added, seconds=now - t0, evolution_seconds=now - t_evolve)
        self.rows.append(row)
        state = TrainState(epoch, optimizer_state, numpy_rng, torch_rng, self.initial_density, list(self.rows))
        _save(
            snapshot,
            self.folder.epoch(epoch),
            meta=_meta(config, self.seed, row, self.initial_topology),
            train_state=state.to_checkpoint(),
        )
        _write_metrics(self.folder, self.seed, config, self.rows)
        if self.keep == "last":
            _remove_epoch_files(self.folder, but=epoch)
        if bar is not None:
            bar.set_postfix(loss=f"{loss:.3f}", test=f"{test_acc:.4f}")

    def _evolve(self, epoch):
        """The topology change after ``epoch``, on a network of either backend; removed, added per layer.

        A masked network is changed in place (:meth:`_change_topology`). A sparse one cannot change
        its index structure in place: the change runs on a masked copy, with a masked optimizer
        holding the same state, and the result is converted back, with a new optimizer over its
        new parameters that holds the state of the surviving connections (zeros for new ones, as
        :func:`~netgraph.topology.evolution.reset_optimizer_state` leaves them).
        """
        if self.model.backend == "masked":
            return self._change_topology(self.model, self.optimizer, epoch)
        backend, config = self.model.backend, self.config
        masked = self.model.to_backend("masked")
        masked_optimizer = _optimizer.moved(config, self.optimizer, self.model, masked)
        removed, added = self._change_topology(masked, masked_optimizer, epoch)
        self.model = masked.to_backend(backend)
        self.optimizer = _optimizer.moved(config, masked_optimizer, masked, self.model)
        return removed, added

    def _change_topology(self, model, optimizer, epoch):
        """The topology change after ``epoch`` of a masked network, in place: evolution, then the
        pruning schedule, then the reset of the optimizer state. Returns removed, added."""
        config = self.config
        n_layers = len(model.layers)
        removed, added, added_index = [0] * n_layers, [0] * n_layers, [None] * n_layers
        if config.growth != "none" and config.zeta > 0:
            from ..topology.evolution import evolve_

            grads = None
            if config.growth == "gradient":
                from ..topology.growth import dense_gradients

                x, y = self.x_train, self.y_train
                idx = torch.randperm(len(y), generator=self.torch_gen)[: config.batch_size].to(x.device)
                grads = dense_gradients(model, x[idx], y[idx])
            stats = evolve_(
                model,
                zeta=config.zeta,
                criterion=config.criterion,
                growth=config.growth,
                rng=self.np_gen,
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
                initial_density=self.initial_density["overall"],
                target_density=config.target_density,
            )
            density = _scheduled_densities(config, density, self.initial_density)
            pruned = prune_to_density_(model, density, criterion=config.prune_criterion)
            removed = [r + int(p) for r, p in zip(removed, pruned)]
        reset_optimizer_state(optimizer, model, added_index)
        return removed, added

    def _finish(self):
        """Write ``final.pt`` (dead neurons removed if asked) and the last metrics; the result."""
        config, rows = self.config, self.rows
        model = self.model
        final_meta = _meta(config, self.seed, rows[-1], self.initial_topology)
        if config.remove_dead:
            from ..topology.pruning import remove_dead_

            masked = model if model.backend == "masked" else model.to_backend("masked")
            counts = remove_dead_(masked)
            model = _on_backend(masked, model.backend)
            final_meta["remove_dead"] = jsonable(counts)
        _save(model, self.folder.final, meta=final_meta)
        _write_metrics(self.folder, self.seed, config, rows, extra={"remove_dead": final_meta.get("remove_dead")})
        if self.keep == "last":  # e.g. a resumed run that had nothing left to train
            _remove_epoch_files(self.folder, but=rows[-1]["epoch"])
        return RunResult(
            seed=self.seed,
            method=config.method,
            out_dir=str(self.folder.path),
            layer_sizes=tuple(getattr(model, "layer_sizes", ())),
            epochs=tuple(rows),
            final_test_accuracy=_accuracy(model, self.x_test, self.y_test),
            final_connections=tuple(model.n_connections(layer=l) for l in range(len(model.layers))),
            final_density=model.density(),
            params=config.to_dict(),
            resumed_from=self.resumed_from,
            seconds=time.perf_counter() - self.t_start,
        )


def _check_run_args(config, seed):
    """The seed as an int, after checking it and that ``config`` is a TrainConfig."""
    seed = check_seed(seed)
    if not isinstance(config, TrainConfig):
        raise ParameterError(f"config is a {type(config).__name__}, expected a TrainConfig")
    return seed


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


_FIELD_DEFAULTS = {f.name: f.default for f in dataclasses.fields(TrainConfig) if f.default is not dataclasses.MISSING}


def _check_resume(ckpt, config, run_dir):
    saved = ckpt.meta.get("params") or {}
    now = config.to_dict()
    keys = (set(saved) | set(now)) - set(_RESUMABLE_CHANGES)
    # a field added after the run was recorded has its default there (arch: "mlp", ...)
    saved = {**{k: _FIELD_DEFAULTS[k] for k in keys - set(saved) if k in _FIELD_DEFAULTS}, **saved}
    differ = sorted(k for k in keys if saved.get(k) != now.get(k))
    if differ:
        detail = ", ".join(f"{k}: {saved.get(k)!r} -> {now.get(k)!r}" for k in differ[:6])
        raise ParameterError(
            f"cannot resume {run_dir.path}: the configuration differs from the checkpoint's ({detail})"
        )


def _last_checkpoint(run_dir):
    """The newest epoch checkpoint that loads completely, with its epoch; None if there is none."""
    for epoch, path in reversed(run_dir.epoch_files()):
        try:
            ckpt = load_cnn_checkpoint(path) if is_cnn_checkpoint(path) else load_checkpoint(path)
        except CheckpointError:
            continue
        if ckpt.meta.get("epoch") == epoch and TrainState.is_complete(ckpt.train_state):
            return ckpt, epoch
    return None


# --------------------------------------------------------------------------- model and loop


def _generators(seed):
    torch_seq, numpy_seq = np.random.SeedSequence(seed).spawn(2)
    torch_gen = torch.Generator().manual_seed(int(torch_seq.generate_state(1, np.uint64)[0] >> np.uint64(1)))
    return torch_gen, np.random.default_rng(numpy_seq)


def _snapshot(model):
    """A copy of the network as it is now, to be saved (the training goes on changing it)."""
    return CNNCheckpoint.from_model(model) if isinstance(model, SparseCNN) else Checkpoint.from_model(model)


def _save(network, path, *, meta, train_state=None):
    """Save a network (or its snapshot) in its kind's checkpoint format."""
    if isinstance(network, SparseCNN | CNNCheckpoint):
        return save_cnn_checkpoint(network, path, meta=meta, train_state=train_state)
    return save_checkpoint(network, path, meta=meta, train_state=train_state)


def _init_cnn(config, torch_gen, np_gen, data):
    """A convolutional network of ``config.arch`` for ``data``'s images: ERK or uniform masks, then weights."""
    from ..nn.conv import ARCHITECTURES
    from ..topology.initial import erk_densities, random_masks, uniform_densities

    model = ARCHITECTURES[config.arch](data.image_shape, data.n_classes)
    shapes = model.weight_shapes
    density = 1.0 if config.density is None else config.density
    spread = erk_densities if config.sparse_init == "erk" else uniform_densities
    densities = spread(shapes, density, dense=[0] if config.dense_first else ())
    model.set_masks(random_masks(shapes, densities, rng=np_gen))
    for l, layer in enumerate(model.layers):
        if not bool(layer.mask.any()):
            raise ParameterError(
                f"layer {l} ({model.layer_names[l]}, weight {list(shapes[l])}) draws no weight at density "
                f"{densities[l]:.3g} ({config.sparse_init}); use a larger density"
            )
    return _init_weights(model, config, torch_gen)


def _init_weights(model, config, torch_gen):
    """Draw every layer's initial weights by ``config.weight_init`` from the run's torch stream; zero the absent ones."""
    init = WEIGHT_INITS[config.weight_init]
    last = len(model.layers) - 1
    with torch.no_grad():
        for l, layer in enumerate(model.layers):
            init(layer, output=l == last, generator=torch_gen)
    return model.apply_masks_()


def _init_model(config, torch_gen, np_gen, data=None):
    from ..topology.initial import init_masks

    if config.arch != "mlp":
        return _init_cnn(config, torch_gen, np_gen, data if data is not None else config.load_data())

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
    return _init_weights(model, config, torch_gen)


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
        n_out, n_in = layer.weight.shape[:2]
        if round(d * layer.weight.numel()) == 0:  # as prune_to_density_ rounds
            raise ParameterError(
                f"target_density={config.target_density:g} prunes layer {l} ({n_in} -> {n_out}) to no connection "
                f"(density {d:.3g} of {layer.weight.numel()}); use a larger target_density"
            )


def _on_backend(model, backend):
    """``model`` with layers of ``backend``: itself if it has them, else a converted copy."""
    return model if model.backend == backend else model.to_backend(backend)


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
    if isinstance(model, SparseCNN):  # its architecture and weight shapes in place of the layer sizes
        digest = hashlib.sha256(b"netgraph-initial-topology-cnn-1")
        digest.update(model.arch.encode())
        for shape in model.weight_shapes:
            digest.update(np.asarray(shape, dtype="<i8").tobytes())
    else:
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
        "layer_sizes": list(getattr(model, "layer_sizes", ())),
        **({"weight_shapes": [list(s) for s in model.weight_shapes]} if isinstance(model, SparseCNN) else {}),
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
