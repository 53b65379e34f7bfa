"""Training sparse MLPs whose topology evolves while they learn.

:func:`train_run` trains one :class:`~netgraph.SparseMLP` with one seed, as configured by a
:class:`TrainConfig`:

1. the data is loaded (:func:`netgraph.data.load`, split seeded by ``data_seed`` so every
   seed of an experiment sees the same split);
2. the masks start Erdős–Rényi (SET's ``epsilon`` or an explicit ``density``) or dense, and
   the weights are drawn uniformly with He's variance on each layer's mean fan-in;
3. each epoch is a pass of minibatch SGD with momentum (or Adam) over the shuffled
   training set, followed by an evaluation on the test set and a checkpoint;
4. after every epoch but the last, the topology evolves: each layer loses the fraction
   ``zeta`` of its connections (``criterion``) and regrows as many (``growth``), see
   :func:`netgraph.evolution.evolve_`; optimizer state (momentum) is zeroed at absent and at
   regrown positions, so a new edge starts from rest. A pruning schedule (gradual magnitude
   pruning, Zhu & Gupta 2017) may remove edges on top, without regrowth;
5. optionally, dead neurons are removed at the end (:func:`netgraph.pruning.remove_dead_`).

Run layout: ``OUT/seed-S/params.json`` (everything needed to repeat the run),
``metrics.json`` (one row per epoch), ``epoch-XXX.pt`` (1-based, taken after the epoch's
training and before its topology evolution, with the trainer state needed to resume; with
``keep="last"`` only the newest is kept) and ``final.pt``. Every file is written atomically,
so an interrupted run (Ctrl-C) leaves only complete files, and ``resume=True`` continues from
the last complete epoch checkpoint to the same bit-identical result as an uninterrupted run.
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
import copy
import dataclasses
import json
import math
import numbers
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from .fileio import atomic_write, jsonable
from ._lock import run_lock
from .validation import check_choice, check_layer_sizes
from ._version import __version__
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .data import load
from .evolution import reset_optimizer_state
from .errors import CheckpointError, NetgraphError, ParameterError
from .growth import DEFAULT_INIT_SCALE
from .model import ACTIVATIONS, SparseMLP

__all__ = [
    "TrainConfig",
    "RunResult",
    "train_run",
    "parse_seeds",
    "method_label",
    "default_batch_size",
    "GROWTH_NAMES",
    "KEEP_CHOICES",
]

#: Growth strategies the trainer accepts ("none" keeps the topology fixed between epochs).
GROWTH_NAMES = ("random", "strategic", "gradient", "none")
#: What :func:`train_run` keeps of its epoch checkpoints: ``"all"`` of them, or only the ``"last"``.
KEEP_CHOICES = ("all", "last")
_CRITERIA = ("set", "magnitude")
_OPTIMIZERS = ("sgd", "adam")
_PRUNE_SCOPES = ("proportional", "uniform")
_WEIGHT_INITS = ("he", "torch")
_DEFAULT_LR = {"sgd": 0.05, "adam": 0.001}
# default minibatch size: about _STEPS_PER_EPOCH steps per epoch, within these bounds
_STEPS_PER_EPOCH = 60
_MIN_DEFAULT_BATCH = 16
_MAX_DEFAULT_BATCH = 128
_EPOCH_FILE = re.compile(r"^epoch-(\d{3,})\.pt$")
# temporary files of netgraph.fileio.atomic_write (".{name}.{random}.tmp") for the files of a run
_TEMP_FILE = re.compile(r"^\.(?:params\.json|metrics\.json|final\.pt|epoch-\d{3,}\.pt)\.[A-Za-z0-9_]+\.tmp$")
_EVAL_CHUNK = 8192


@dataclass(frozen=True)
class TrainConfig:
    """Every knob of a training run (seeds apart). Validated on construction.

    Attributes
    ----------
    dataset : str
        A :func:`netgraph.data.load` name: ``"digits"``, ``"mnist"``, ``"fashion-mnist"``,
        ``"synthetic"`` or ``"csv:PATH"``.
    data_dir : str or None
        Directory of the MNIST-style IDX files.
    label_column : str
        Class column of a CSV dataset.
    test_size : float or None
        Held-out fraction (default 0.2; MNIST-style datasets use their own split).
    data_seed : int
        Seed of the train/test split, the same for every run seed.
    layers : tuple of int or None
        Layer widths, inputs to outputs; the first must equal the dataset's feature count and
        the last its class count. None means ``(n_features, 256, 256, n_classes)``.
    activation : str
        Hidden-layer activation (see :data:`netgraph.model.ACTIVATIONS`).
    epsilon, density : float or None
        Initial topology: SET's ε, or one connection probability for every layer. Neither
        (or ``density=1``) means dense layers. Every layer must draw at least one connection
        (checked by :func:`train_run`).
    growth : str or None
        ``"random"`` (SET), ``"strategic"``, ``"gradient"`` (RigL-like) or ``"none"`` (fixed
        topology). None means ``"random"`` for a sparse start and ``"none"`` for a dense one.
        A dense start refuses any growth but ``"none"``: with every connection present there
        is nothing to grow, and the evolution could only re-initialise the weights it removes.
        Where ``epsilon`` leaves some layers dense (e.g. a small output layer), growth is fine;
        where it leaves every layer dense (p clipped to 1), it is refused as for a dense start.
    zeta : float
        Fraction of each layer's connections removed and regrown after each epoch but the
        last, in ``[0, 1)``: 1 would remove every connection each epoch, so nothing learned
        would survive.
    criterion : str
        Which connections the evolution removes: ``"set"`` or ``"magnitude"``.
    grow_init : str or None
        Weights of regrown connections: ``"normal"`` (N(0, (init_scale * sigma_W)^2), sigma_W
        the std of the layer's surviving weights, or of its weights before the removal where
        none survives or they do not differ; see :func:`netgraph.evolution.evolve_`) or
        ``"zero"``. None: the strategy's default (``"zero"`` for gradient growth, ``"normal"``
        otherwise).
    init_scale : float
        See ``grow_init``. The default 0.3 keeps the weight distribution from inflating:
        SET's pruning removes the smallest weights, so drawing their replacements with the
        full sigma_W widens the distribution every epoch (with 1.0 a 64-256-256-10 net on
        digits diverged to NaN within 40 epochs).
    growth_options : dict
        Further options of the growth strategy, e.g. ``{"start_fraction": 0.2}`` for
        ``"strategic"``.
    pruning : str or None
        ``"gmp"`` (gradual magnitude pruning) or None. Setting ``target_density`` implies
        ``"gmp"``.
    target_density : float or None
        Overall density the schedule prunes down to, in ``(0, 1]``; it must leave every layer
        at least one connection (checked by :func:`train_run`).
    prune_scope : str
        ``"proportional"`` (default): every layer keeps the same fraction of its initial
        connections, so the overall density follows the schedule and a dense output layer (SET's
        ε leaves small layers dense) is thinned as much as the sparse ones, not cut to their
        density. ``"uniform"``: every layer is brought to the scheduled density itself.
    prune_start, prune_end : int or None
        Epochs (1-based) after which the schedule prunes, cubic in between (Zhu & Gupta 2017).
        Default: from epoch 1 to ``epochs - 1``, so the last epoch trains the pruned network.
    prune_criterion : str
        ``"magnitude"`` or ``"set"``.
    remove_dead : bool
        Drop neurons that cannot influence the output after the last epoch.
    optimizer : str
        ``"sgd"`` (with ``momentum``) or ``"adam"``.
    lr : float or None
        Learning rate; default 0.05 for SGD (momentum 0.9), 0.001 for Adam.
    momentum : float
        SGD momentum.
    nesterov : bool
        Nesterov momentum (SGD).
    weight_decay : float
        L2 penalty.
    batch_size : int or None
        Minibatch size. None (the default) resolves from the training-set size with
        :func:`default_batch_size`: about 60 SGD steps per epoch, between 16 and 128 (24 on
        digits, 128 on MNIST).
    epochs : int
    weight_init : str
        ``"he"``: U(±sqrt(6/f)) on hidden layers and U(±sqrt(3/f)) on the output layer, f the
        layer's mean number of incoming connections, zero biases; ``"torch"``: ``nn.Linear``'s
        default U(±1/sqrt(n_in)) for weights and biases.
    device : str
        ``"cpu"`` or ``"cuda"``.
    label : str or None
        Method label written to the checkpoints; default from :func:`method_label`.
    """

    dataset: str = "digits"
    data_dir: str | None = None
    label_column: str = "label"
    test_size: float | None = None
    data_seed: int = 0
    layers: tuple | None = None
    activation: str = "relu"
    epsilon: float | None = None
    density: float | None = None
    growth: str | None = None
    zeta: float = 0.3
    criterion: str = "set"
    grow_init: str | None = None
    init_scale: float = DEFAULT_INIT_SCALE
    growth_options: dict = field(default_factory=dict)
    pruning: str | None = None
    target_density: float | None = None
    prune_start: int = 1
    prune_end: int | None = None
    prune_criterion: str = "magnitude"
    prune_scope: str = "proportional"
    remove_dead: bool = False
    optimizer: str = "sgd"
    lr: float | None = None
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0002
    batch_size: int | None = None
    epochs: int = 10
    weight_init: str = "he"
    device: str = "cpu"
    label: str | None = None

    def __post_init__(self):
        for name, value in _check_config(self).items():
            object.__setattr__(self, name, value)

    @property
    def sparse(self):
        """bool: whether the initial topology is sparse."""
        return self.epsilon is not None or (self.density is not None and self.density < 1.0)

    @property
    def method(self):
        """str: the method label (see :func:`method_label`)."""
        return self.label or method_label(self)

    def load_data(self):
        """Load this configuration's dataset and split (:func:`netgraph.data.load`).

        Returns
        -------
        netgraph.data.Dataset
        """
        return load(
            self.dataset,
            data_dir=self.data_dir,
            rng=self.data_seed,
            test_size=self.test_size,
            label_column=self.label_column,
        )

    def to_dict(self):
        """JSON-safe dict of every field (tuples as lists)."""
        out = dataclasses.asdict(self)
        out["layers"] = None if self.layers is None else list(self.layers)
        return out

    @classmethod
    def from_dict(cls, d):
        """Rebuild a config from :meth:`to_dict` output (unknown keys raise ParameterError)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ParameterError(f"unknown TrainConfig keys {unknown}; valid keys: {', '.join(sorted(names))}")
        return cls(**d)


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

    def to_dict(self):
        """JSON-safe dict of every field."""
        out = dataclasses.asdict(self)
        out["layer_sizes"] = list(self.layer_sizes)
        out["final_connections"] = list(self.final_connections)
        out["epochs"] = [dict(row) for row in self.epochs]
        return out


def method_label(config):
    """The label of a configuration: growth name, ``"static"`` or ``"dense"``, plus ``"+prune"``.

    Examples
    --------
    >>> method_label(TrainConfig(epsilon=10, growth="strategic", target_density=0.05, epochs=5))
    'strategic+prune'
    >>> method_label(TrainConfig()), method_label(TrainConfig(density=0.1, growth="none"))
    ('dense', 'static')
    """
    if config.growth != "none":
        base = config.growth
    else:
        base = "static" if config.sparse else "dense"
    return base + ("+prune" if config.pruning else "")


def parse_seeds(text):
    """Parse a seed list such as ``"0-4"``, ``"0,2,5"`` or ``"0-2,7"`` (duplicates dropped).

    Raises
    ------
    ParameterError
        If a part is not a non-negative int or a range ``a-b`` with ``a <= b``.

    Examples
    --------
    >>> parse_seeds("0-2,7"), parse_seeds("5")
    ([0, 1, 2, 7], [5])
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


def train_run(config, out_dir, *, seed, resume=False, progress=True, data=None, keep="all"):
    """Train one network with one seed and write its run directory ``out_dir/seed-S``.

    Parameters
    ----------
    config : TrainConfig
    out_dir : str or Path
        The experiment directory; the run goes into its ``seed-S`` subdirectory.
    seed : int
        Seeds the weights, masks, shuffling and topology evolution.
    resume : bool, optional
        Continue from the last complete ``epoch-XXX.pt`` of an earlier, interrupted run with
        the same configuration. Without a checkpoint the run starts from scratch.
    progress : bool, optional
        Show a tqdm progress bar on stderr (only when stderr is a terminal).
    data : netgraph.data.Dataset, optional
        An already loaded dataset (to share between seeds); default: loaded from ``config``.
    keep : {"all", "last"}, optional
        Which epoch checkpoints stay on disk: ``"all"`` (default; the per-epoch topologies)
        or ``"last"``: only the newest ``epoch-XXX.pt`` (what ``resume`` needs) besides
        ``final.pt``; the previous one is deleted once the new one is completely written.
        Not part of the configuration: a run may be resumed with another ``keep``. Recorded
        in ``params.json``.

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
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ParameterError(f"seed={seed!r}, must be a non-negative int")
    if not isinstance(config, TrainConfig):
        raise ParameterError(f"config is a {type(config).__name__}, expected a TrainConfig")
    keep = _check_keep(keep)
    seed = int(seed)
    if data is None:
        data = config.load_data()
    config = _resolve_for_data(config, data)
    device = _check_device(config.device)
    run_dir = Path(out_dir) / f"seed-{seed}"
    if not resume:
        _check_no_run(run_dir)
    torch_gen, np_gen = _generators(seed)
    # drawn before anything is written, so that a layer without connections fails cleanly
    # (a resumed run replaces it, and the generators' states, from its checkpoint)
    fresh = _init_model(config, torch_gen, np_gen)
    _check_prune_target(config, fresh)
    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    locked = False
    try:
        with run_lock(run_dir):
            locked = True
            return _train_locked(
                config, run_dir, seed, data, device, fresh, torch_gen, np_gen,
                resume=resume, progress=progress, keep=keep, t_start=t_start,
            )
    except BaseException:
        if created and locked:  # leave no empty folder behind (a non-empty one stays)
            with contextlib.suppress(OSError):
                run_dir.rmdir()
        raise


def _train_locked(config, run_dir, seed, data, device, fresh, torch_gen, np_gen, *, resume, progress, keep, t_start):
    """The body of :func:`train_run`, run while holding the lock of ``run_dir``."""
    if not resume:
        _check_no_run(run_dir)  # again: another run may have finished in it meanwhile
    _remove_temp_files(run_dir)
    found = _last_checkpoint(run_dir) if resume else None
    x_train, y_train = data.x_train.to(device), data.y_train.to(device)
    x_test, y_test = data.x_test.to(device), data.y_test.to(device)
    if found is None:
        model = fresh.to(device)
        optimizer = _make_optimizer(config, model)
        rows, start, resumed_from = [], 0, None
        initial_density = _layer_densities(model)
    else:
        ckpt, start = found
        _check_resume(ckpt, config, run_dir)
        model = ckpt.to_model().to(device)
        optimizer = _make_optimizer(config, model)
        ts = ckpt.train_state
        optimizer.load_state_dict(ts["optimizer"])
        np_gen.bit_generator.state = json.loads(ts["numpy_rng"])
        torch_gen.set_state(ts["torch_rng"])
        rows = json.loads(ts["rows_json"])
        initial_density = json.loads(ts["initial_density"])
        resumed_from = start
        if start < config.epochs:  # redo the topology evolution that followed the checkpoint
            _evolve_topology(model, optimizer, config, start, np_gen, torch_gen, x_train, y_train, initial_density)
    _write_json(run_dir / "params.json", _params(config, seed, data, model, keep))

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
                "optimizer": copy.deepcopy(optimizer.state_dict()),
                "numpy_rng": json.dumps(np_gen.bit_generator.state),
                "torch_rng": torch_gen.get_state().clone(),
                "initial_density": json.dumps(initial_density),
            }
            removed = added = [0] * len(connections)
            if epoch < config.epochs:
                removed, added = _evolve_topology(
                    model, optimizer, config, epoch, np_gen, torch_gen, x_train, y_train, initial_density
                )
            row.update(removed=removed, added=added, seconds=time.perf_counter() - t0)
            rows.append(row)
            state["rows_json"] = json.dumps(rows)
            save_checkpoint(
                snapshot, run_dir / f"epoch-{epoch:03d}.pt", meta=_meta(config, seed, row), train_state=state
            )
            _write_metrics(run_dir, seed, config, rows)
            if keep == "last":
                _remove_epoch_files(run_dir, but=epoch)
            if bar is not None:
                bar.set_postfix(loss=f"{loss:.3f}", test=f"{test_acc:.4f}", refresh=False)
    finally:
        if bar is not None:
            bar.close()

    final_meta = _meta(config, seed, rows[-1])
    if config.remove_dead:
        from .pruning import remove_dead_

        counts = remove_dead_(model)
        final_meta["remove_dead"] = jsonable(counts)
    save_checkpoint(model, run_dir / "final.pt", meta=final_meta)
    _write_metrics(run_dir, seed, config, rows, extra={"remove_dead": final_meta.get("remove_dead")})
    if keep == "last":  # e.g. a resumed run that had nothing left to train
        _remove_epoch_files(run_dir, but=rows[-1]["epoch"])
    return RunResult(
        seed=seed,
        method=config.method,
        out_dir=str(run_dir),
        layer_sizes=tuple(model.layer_sizes),
        epochs=tuple(rows),
        final_test_accuracy=_accuracy(model, x_test, y_test),
        final_connections=tuple(model.n_connections(layer=l) for l in range(len(model.layers))),
        final_density=model.density(),
        params=config.to_dict(),
        resumed_from=resumed_from,
        seconds=time.perf_counter() - t_start,
    )


# --------------------------------------------------------------------------- validation


def _check_config(cfg):
    """Validate every field; return the normalised values to set."""
    out = {}

    def number(name, low=None, high=None, *, integer=False, open_low=False, open_high=False, optional=False, value=None):
        value = getattr(cfg, name) if value is None else value
        if value is None and optional:
            return None
        kind = numbers.Integral if integer else numbers.Real
        ok = not isinstance(value, bool) and isinstance(value, kind)
        if ok and not math.isfinite(value):
            raise ParameterError(f"{name}={value!r}, must be a finite number")
        if ok and low is not None:
            ok = value > low if open_low else value >= low
        if ok and high is not None:
            ok = value < high if open_high else value <= high
        if not ok:
            lo = "" if low is None else (f"> {low}" if open_low else f">= {low}")
            hi = "" if high is None else (f"< {high}" if open_high else f"<= {high}")
            what = "an int" if integer else "a number"
            raise ParameterError(f"{name}={value!r}, must be {what} {' and '.join(p for p in (lo, hi) if p)}".rstrip())
        out[name] = int(value) if integer else float(value)
        return out[name]

    if not isinstance(cfg.dataset, str) or not cfg.dataset:
        raise ParameterError(f"dataset={cfg.dataset!r}, expected a dataset name such as 'digits'")
    if cfg.layers is not None:
        out["layers"] = check_layer_sizes(cfg.layers, name="layers")
    check_choice(cfg.activation, tuple(ACTIVATIONS), name="activation")
    number("test_size", 0, 1, open_low=True, optional=True)
    number("data_seed", 0, integer=True)
    if cfg.epsilon is not None and cfg.density is not None:
        raise ParameterError(f"epsilon={cfg.epsilon!r}, density={cfg.density!r}: give at most one of them")
    number("epsilon", 0, open_low=True, optional=True)
    number("density", 0, 1, open_low=True, optional=True)
    growth = cfg.growth
    if growth is None:
        growth = "random" if (cfg.epsilon is not None or (cfg.density is not None and cfg.density < 1)) else "none"
    out["growth"] = check_choice(growth, GROWTH_NAMES, name="growth")
    sparse = cfg.epsilon is not None or (cfg.density is not None and cfg.density < 1)
    if growth != "none" and not sparse:
        raise ParameterError(
            f"growth={growth!r} with a dense start (neither epsilon nor a density < 1): every connection is "
            "present, so there is nothing to grow and the evolution could only re-initialise the weights it "
            "removes; give epsilon or density < 1 for a sparse start, or growth='none'"
        )
    if growth != "none" and cfg.epsilon is not None and "layers" in out:
        from .topology import set_density

        sizes = out["layers"]
        if all(set_density(a, b, cfg.epsilon) >= 1.0 for a, b in zip(sizes[:-1], sizes[1:])):
            raise ParameterError(
                f"growth={growth!r} with epsilon={cfg.epsilon:g} leaves every layer dense (p = 1 for layers "
                f"{list(sizes)}), so there is nothing to grow and the evolution could only re-initialise the "
                "weights it removes; use a smaller epsilon, or growth='none'"
            )
    zeta = cfg.zeta
    if not isinstance(zeta, bool) and isinstance(zeta, numbers.Real) and zeta == 1:
        raise ParameterError(
            f"zeta={float(zeta)!r} removes every connection each epoch, so nothing learned survives; must be < 1"
        )
    number("zeta", 0, 1, open_high=True)
    check_choice(cfg.criterion, _CRITERIA, name="criterion")
    if not isinstance(cfg.growth_options, dict):
        raise ParameterError(f"growth_options={cfg.growth_options!r}, expected a dict")
    try:
        json.dumps(cfg.growth_options)
    except (TypeError, ValueError):
        raise ParameterError(f"growth_options={cfg.growth_options!r}: values must be JSON-safe") from None
    out["growth_options"] = dict(cfg.growth_options)
    for key in ("init", "init_scale"):
        if key in cfg.growth_options:
            raise ParameterError(f"growth_options has {key!r}; set TrainConfig.{'grow_init' if key == 'init' else key} instead")
    if cfg.grow_init is not None:
        check_choice(cfg.grow_init, ("normal", "zero"), name="grow_init")
    number("init_scale", 0)
    epochs = number("epochs", 1, integer=True)
    pruning = cfg.pruning
    if pruning is None and cfg.target_density is not None:
        pruning = "gmp"
    if pruning is not None:
        check_choice(pruning, ("gmp",), name="pruning")
        if cfg.target_density is None:
            raise ParameterError("pruning='gmp' needs target_density (a fraction in (0, 1])")
        number("target_density", 0, 1, open_low=True)
        if epochs < 2:
            raise ParameterError(f"epochs={epochs}: a pruning schedule needs at least 2 epochs")
        start = number("prune_start", 1, epochs - 1, integer=True)
        end = cfg.prune_end if cfg.prune_end is not None else epochs - 1
        number("prune_end", start, epochs - 1, integer=True, value=end)
    out["pruning"] = pruning
    check_choice(cfg.prune_criterion, _CRITERIA, name="prune_criterion")
    check_choice(cfg.prune_scope, _PRUNE_SCOPES, name="prune_scope")
    check_choice(cfg.optimizer, _OPTIMIZERS, name="optimizer")
    if cfg.lr is None:
        out["lr"] = _DEFAULT_LR[cfg.optimizer]
    else:
        number("lr", 0, open_low=True)
    number("momentum", 0, 1)
    number("weight_decay", 0)
    number("batch_size", 1, integer=True, optional=True)
    check_choice(cfg.weight_init, _WEIGHT_INITS, name="weight_init")
    if not isinstance(cfg.device, str) or not re.fullmatch(r"cpu|cuda(:\d+)?", cfg.device):
        raise ParameterError(f"device={cfg.device!r} is not valid; expected 'cpu' or 'cuda' (or 'cuda:N')")
    for name in ("remove_dead", "nesterov"):
        if not isinstance(getattr(cfg, name), bool):
            raise ParameterError(f"{name}={getattr(cfg, name)!r}, expected True or False")
    if cfg.nesterov and (cfg.optimizer != "sgd" or cfg.momentum == 0):
        raise ParameterError("nesterov=True needs optimizer='sgd' with momentum > 0")
    if cfg.label is not None and (not isinstance(cfg.label, str) or not cfg.label):
        raise ParameterError(f"label={cfg.label!r}, expected a non-empty string")
    return out


def default_batch_size(n_train):
    """The minibatch size a run uses when none is given: about 60 SGD steps per epoch.

    ``min(128, max(16, ceil(n_train / 60)))``. Small datasets get small batches, so that a run
    of a few dozen epochs takes enough steps: on digits (1438 training samples) 24 instead of
    128 lifts sparse networks at 10% density from 0.948 (random growth) and 0.941 (strategic)
    to 0.958 and 0.956 test accuracy after 30 epochs (seeds 0-2; docs/RESULTS.md). From 7621
    samples on (MNIST: 60000) it is 128. The floor of 16 keeps strategic growth stable (batch
    8 scattered it between seeds).

    Examples
    --------
    >>> default_batch_size(1438), default_batch_size(60000), default_batch_size(200)
    (24, 128, 16)
    """
    return min(_MAX_DEFAULT_BATCH, max(_MIN_DEFAULT_BATCH, math.ceil(n_train / _STEPS_PER_EPOCH)))


def _resolve_for_data(config, data):
    layers = config.layers or (data.n_features, 256, 256, data.n_classes)
    if layers[0] != data.n_features or layers[-1] != data.n_classes:
        raise ParameterError(
            f"layers={list(layers)}: {data.name} has {data.n_features} features and {data.n_classes} classes, "
            f"so the first size must be {data.n_features} and the last {data.n_classes}"
        )
    batch = config.batch_size or default_batch_size(len(data.y_train))
    return dataclasses.replace(config, layers=tuple(layers), batch_size=batch)


def _check_keep(keep):
    return check_choice(keep, KEEP_CHOICES, name="keep")


def _check_no_run(run_dir):
    if run_dir.is_dir() and (any(run_dir.glob("epoch-*.pt")) or (run_dir / "final.pt").exists()):
        raise ParameterError(
            f"out_dir: {run_dir} already holds a run; resume it (resume=True, --resume) or choose another directory"
        )


def _check_device(name):
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ParameterError(f"device={name!r}, but torch.cuda.is_available() is False; use device='cpu'")
    return torch.device(name)


def _check_resume(ckpt, config, run_dir):
    saved = ckpt.meta.get("params") or {}
    now = config.to_dict()
    differ = sorted(k for k in set(saved) | set(now) if saved.get(k) != now.get(k))
    if differ:
        detail = ", ".join(f"{k}: {saved.get(k)!r} -> {now.get(k)!r}" for k in differ[:6])
        raise ParameterError(f"cannot resume {run_dir}: the configuration differs from the checkpoint's ({detail})")


def _last_checkpoint(run_dir):
    """The newest epoch checkpoint that loads completely, with its epoch; None if there is none."""
    if not run_dir.is_dir():
        return None
    epochs = sorted(
        (int(m.group(1)), p) for p in run_dir.iterdir() if (m := _EPOCH_FILE.match(p.name)) and p.is_file()
    )
    for epoch, path in reversed(epochs):
        try:
            ckpt = load_checkpoint(path)
        except CheckpointError:
            continue
        ts = ckpt.train_state
        if ts and ckpt.meta.get("epoch") == epoch and all(
            k in ts for k in ("optimizer", "numpy_rng", "torch_rng", "rows_json", "initial_density")
        ):
            return ckpt, epoch
    return None


# --------------------------------------------------------------------------- model and loop


def _generators(seed):
    torch_seq, numpy_seq = np.random.SeedSequence(seed).spawn(2)
    torch_gen = torch.Generator().manual_seed(int(torch_seq.generate_state(1, np.uint64)[0] >> np.uint64(1)))
    return torch_gen, np.random.default_rng(numpy_seq)


def _init_model(config, torch_gen, np_gen):
    from .topology import init_masks

    masks = init_masks(config.layers, epsilon=config.epsilon, density=config.density, rng=np_gen)
    for l, mask in enumerate(masks):
        if not bool(mask.any()):
            n_out, n_in = mask.shape
            if config.epsilon is not None:
                from .topology import set_density

                drawn = f"epsilon {config.epsilon:g} (p = {set_density(n_in, n_out, config.epsilon):.3g})"
            else:
                drawn = f"density {config.density:g}"
            raise ParameterError(
                f"layer {l} ({n_in} -> {n_out}) drew no connection at {drawn}; use a larger density or epsilon"
            )
    model = SparseMLP(config.layers, activation=config.activation, masks=masks)
    last = len(model.layers) - 1
    with torch.no_grad():
        for l, layer in enumerate(model.layers):
            n_out, n_in = layer.weight.shape
            if config.weight_init == "he":
                fan_in = max(1.0, float(layer.mask.sum()) / n_out)
                bound = math.sqrt((3.0 if l == last else 6.0) / fan_in)
                bias_bound = 0.0
            else:
                bound = bias_bound = 1.0 / math.sqrt(n_in)
            layer.weight.copy_((torch.rand(n_out, n_in, generator=torch_gen) * 2 - 1) * bound)
            layer.bias.copy_((torch.rand(n_out, generator=torch_gen) * 2 - 1) * bias_bound)
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


def _evolve_topology(model, optimizer, config, epoch, np_gen, torch_gen, x, y, initial_density):
    """The topology change after ``epoch``: evolution, then the pruning schedule. Returns removed, added."""
    n_layers = len(model.layers)
    removed, added, added_index = [0] * n_layers, [0] * n_layers, [None] * n_layers
    if config.growth != "none" and config.zeta > 0:
        from .evolution import evolve_

        grads = None
        if config.growth == "gradient":
            from .growth import dense_gradients

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
        from .pruning import gmp_density, prune_to_density_

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


# --------------------------------------------------------------------------- files


def _meta(config, seed, row):
    return {
        "seed": seed,
        "dataset": config.dataset,
        "method": config.method,
        "growth": config.growth,
        "pruning": config.pruning,
        "epoch": row["epoch"],
        "metrics": row,
        "params": config.to_dict(),
    }


def _params(config, seed, data, model, keep):
    return {
        "seed": seed,
        "method": config.method,
        "config": config.to_dict(),
        "keep": keep,
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
    _write_json(run_dir / "metrics.json", doc)


def _remove_epoch_files(run_dir, *, but):
    """Delete every epoch checkpoint except epoch ``but`` (``keep="last"``)."""
    for path in run_dir.iterdir():
        m = _EPOCH_FILE.match(path.name)
        if m and int(m.group(1)) != but and path.is_file():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _remove_temp_files(run_dir):
    """Delete the temporary files an interrupted atomic write of a run file left behind."""
    for path in run_dir.iterdir():
        if _TEMP_FILE.match(path.name) and not path.is_symlink() and path.is_file():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _write_json(path, doc):
    with atomic_write(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def _progress_bar(progress, seed, epochs, n_batches, start):
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(
        total=epochs * n_batches,
        initial=start * n_batches,
        desc=f"seed {seed}",
        unit="batch",
        file=sys.stderr,
        disable=None,  # off when stderr is not a terminal
        leave=True,
        dynamic_ncols=True,
    )
