"""The configuration of a training run: :class:`TrainConfig`, its checks and its defaults.

:class:`TrainConfig` holds every knob of :func:`netgraph.training.run.train_run` but the seed. The
constructor checks the values and changes nothing, so what you construct is what you get:

- :data:`PARAMETER_CONSTRAINTS` is the one table of the checks, field -> check (types,
  intervals, finiteness, choices, None), checked by :func:`netgraph.validation.check_params`
  with messages generated from the table (``zeta=1.5, must be a number >= 0 and < 1``);
- :data:`RULES` are the few checks between fields, small named functions run after the table
  (at most one of ``epsilon``/``density``, growth needs a sparse start, the pruning window
  ``1 <= prune_start <= prune_end <= epochs - 1``, ...);
- :meth:`TrainConfig.resolved` returns the configuration a run trains with: the defaults that
  depend on other fields (``growth`` by sparsity, ``lr`` by optimizer, ``pruning`` implied by
  ``target_density``, ``prune_end``, ``backend="auto"`` by device and initial density, see
  :data:`SPARSE_MAX_DENSITY`) and, given the data, on the data (``layers``, ``batch_size``)
  filled in, every value cleaned (ints as int, numbers as float, ``layers`` a tuple). Its
  :meth:`~TrainConfig.to_dict` is what a run records (``params.json`` ``"config"``, checkpoint
  ``meta["params"]``).

Choices that name functions -- growth strategies, pruning criteria, weight initialisations,
activations -- are the keys of their registries (:data:`netgraph.topology.growth.GROWTH_STRATEGIES`,
:data:`netgraph.topology.pruning.PRUNING_CRITERIA`, :data:`netgraph.topology.growth.GROW_INITS`,
:data:`netgraph.nn.model.WEIGHT_INITS`, :data:`netgraph.nn.model.ACTIVATIONS`), read through
:class:`RegistryNames` each time a value is checked: a function registered there is accepted
here, and by ``netgraph train``, with no other edit. This module imports neither torch nor
numpy (the registries are imported when first asked), so the command line builds its options
from :func:`dataclasses.fields` of :class:`TrainConfig` and this table without them.

Examples
--------
>>> cfg = TrainConfig(epsilon=20, optimizer="adam", target_density=0.05)
>>> cfg.growth, cfg.lr, cfg.pruning, cfg.prune_end, cfg.epsilon  # what you constructed
(None, None, None, None, 20)
>>> run = cfg.resolved()
>>> run.growth, run.lr, run.pruning, run.prune_end, run.epsilon  # what a run trains with
('random', 0.001, 'gmp', 9, 20.0)
>>> TrainConfig(zeta=1.5)
Traceback (most recent call last):
...
netgraph.errors.ParameterError: zeta=1.5, must be a number >= 0 and < 1
"""

import dataclasses
import math
from dataclasses import dataclass, field
from numbers import Integral, Real

from ..errors import ParameterError
from ..topology.defaults import DEFAULT_INIT_SCALE
from ..validation import (
    Interval,
    NoneOr,
    Options,
    Pattern,
    RegistryNames,
    String,
    check_bool,
    check_json_dict,
    check_layer_sizes,
    check_params,
)

__all__ = [
    "TrainConfig",
    "RegistryNames",
    "PARAMETER_CONSTRAINTS",
    "RULES",
    "EXCLUSIVE",
    "method_label",
    "default_batch_size",
    "DEFAULT_INIT_SCALE",
    "DEFAULT_LR",
    "KEEP_CHOICES",
    "BACKEND_CHOICES",
    "SPARSE_MAX_DENSITY",
    "ARCH_CHOICES",
    "SPARSE_INITS",
    "LR_SCHEDULES",
    "epoch_lr",
]


#: The optimizers :func:`netgraph.training.run.train_run` builds, with their default learning rates.
DEFAULT_LR = {"sgd": 0.05, "adam": 0.001}
#: What :func:`netgraph.training.run.train_run` keeps of its epoch checkpoints: ``"all"`` of them, or only the ``"last"``.
KEEP_CHOICES = ("all", "last")
#: ``TrainConfig.backend`` values: ``"auto"`` or a layer kind of :data:`netgraph.nn.model.BACKENDS`.
BACKEND_CHOICES = ("auto", "sparse", "masked")
#: ``backend="auto"`` trains with the sparse backend on CPU when the network's expected initial
#: overall density (:func:`netgraph.topology.expected_density`, the same for every seed) is below
#: this, else with the masked one. The density sweep of ``python scripts/bench_sparse.py``
#: (docs/BENCHMARKS.md: a 1000 x 1000 layer, batch 128, one full step: forward, gradients with
#: respect to input and weights; 2-core machine, torch 2.13 CPU) has the sparse step faster below
#: about 26% density with one thread and with two (masked / sparse = 10.5x at 1%, 2.3x at 10%,
#: 1.2x at 20%, 0.84x at 30%); 0.2 keeps a margin. On CUDA "auto" is always masked, until
#: measured there.
SPARSE_MAX_DENSITY = 0.2
#: ``TrainConfig.arch``: ``"mlp"`` (a :class:`~netgraph.SparseMLP` of ``layers``) or a convolutional
#: network of :data:`netgraph.nn.conv.ARCHITECTURES` (named here so that this module stays torch-free).
ARCH_CHOICES = ("mlp", "lenet5", "resnet8")
#: ``TrainConfig.sparse_init`` of a convolutional network: RigL's Erdős–Rényi-Kernel densities or one
#: density for every layer (:func:`netgraph.topology.initial.erk_densities`, ``uniform_densities``).
SPARSE_INITS = ("erk", "uniform")
#: ``TrainConfig.lr_schedule`` values: the learning rate of every epoch, or a cosine decay over the run.
LR_SCHEDULES = ("constant", "cosine")
#: Fields of which at most one may be given (the command line makes their options exclusive).
EXCLUSIVE = ("epsilon", "density")
_PRUNING_SCHEDULES = ("gmp",)
_PRUNE_SCOPES = ("proportional", "uniform")
_DEFAULT_HIDDEN = (256, 256)
# default minibatch size: about _STEPS_PER_EPOCH steps per epoch, within these bounds
_STEPS_PER_EPOCH = 60
_MIN_DEFAULT_BATCH = 16
_MAX_DEFAULT_BATCH = 128

_GROWTH = RegistryNames("netgraph.topology.growth", "GROWTH_STRATEGIES")
_PRUNING = RegistryNames("netgraph.topology.pruning", "PRUNING_CRITERIA")


def _option(default=dataclasses.MISSING, *, group, help):
    """A field with a ``netgraph train`` option ``--NAME`` in the help group ``group``."""
    return field(default=default, metadata={"group": group, "help": help})


@dataclass(frozen=True)
class TrainConfig:
    """Every knob of a training run (seeds apart). Checked on construction, never changed.

    A field left at None keeps None; :meth:`resolved` gives the values a run trains with.

    Attributes
    ----------
    dataset : str
        A :func:`netgraph.training.data.load` name: ``"digits"``, ``"mnist"``, ``"fashion-mnist"``,
        ``"synthetic"`` or ``"csv:PATH"``.
    data_dir : str or None
        Directory of the MNIST-style IDX files.
    label_column : str
        Class column of a CSV dataset.
    test_size : float or None
        Held-out fraction (default 0.2; MNIST-style datasets use their own split).
    data_seed : int
        Seed of the train/test split, the same for every run seed.
    arch : str
        ``"mlp"`` (default): a :class:`~netgraph.SparseMLP` of ``layers``; ``"lenet5"`` or
        ``"resnet8"``: a convolutional network (:mod:`netgraph.nn.conv`) for the dataset's images
        (digits 8x8, MNIST-style 28x28), its kernel elements masked; ``density`` is then the
        overall density, spread over the layers by ``sparse_init``.
    sparse_init : str
        A convolutional network's initial densities: ``"erk"`` (RigL's Erdős–Rényi-Kernel) or
        ``"uniform"`` (see :data:`SPARSE_INITS`); the masks hold exactly those counts.
    dense_first : bool
        Keep a convolutional network's first layer dense (as RigL does), the others sparser
        so that the overall density is ``density``.
    layers : sequence of int or None
        Layer widths, inputs to outputs; the first must equal the dataset's feature count and
        the last its class count. None resolves to ``(n_features, 256, 256, n_classes)``.
    activation : str
        Hidden-layer activation, a name in :data:`netgraph.nn.model.ACTIVATIONS`.
    epsilon, density : float or None
        Initial topology: SET's ε, or one connection probability for every layer. Neither
        (or ``density=1``) means dense layers. Every layer must draw at least one connection
        (checked by :func:`~netgraph.training.run.train_run`).
    growth : str or None
        A name in :data:`netgraph.topology.growth.GROWTH_STRATEGIES`: ``"random"`` (SET),
        ``"strategic"``, ``"gradient"`` (RigL-like) or ``"none"`` (fixed topology). None
        resolves to ``"random"`` for a sparse start and ``"none"`` for a dense one.
        A dense start refuses any growth but ``"none"``: with every connection present there
        is nothing to grow, and the evolution could only re-initialise the weights it removes.
        Where ``epsilon`` leaves some layers dense (e.g. a small output layer), growth is fine
        and evolves the sparse layers only: a dense layer is left as it is
        (:func:`netgraph.topology.evolution.evolve_`); where it leaves every layer dense (p clipped to
        1), it is refused as for a dense start.
    zeta : float
        Fraction of each layer's connections removed and regrown after each epoch but the
        last, in ``[0, 1)``: 1 would remove every connection each epoch, so nothing learned
        would survive.
    criterion : str
        Which connections the evolution removes: a name in
        :data:`netgraph.topology.pruning.PRUNING_CRITERIA` (``"set"`` or ``"magnitude"``).
    grow_init : str or None
        Weights of regrown connections, a name in :data:`netgraph.topology.growth.GROW_INITS`:
        ``"normal"`` (N(0, (init_scale * sigma_W)^2), sigma_W the std of the layer's surviving
        weights, or of its weights before the removal where none survives or they do not
        differ; see :func:`netgraph.topology.evolution.evolve_`) or ``"zero"``. None: the strategy's
        default (:data:`netgraph.topology.growth.DEFAULT_INIT`: ``"zero"`` for gradient growth,
        ``"normal"`` otherwise).
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
        at least one connection (checked by :func:`~netgraph.training.run.train_run`).
    prune_start, prune_end : int or None
        Epochs (1-based) after which the schedule prunes, cubic in between (Zhu & Gupta 2017).
        Default: from epoch 1 to ``epochs - 1`` (``prune_end`` None resolves to it when
        pruning), so the last epoch trains the pruned network.
    prune_scope : str
        ``"proportional"`` (default): every layer keeps the same fraction of its initial
        connections, so the overall density follows the schedule and a dense output layer (SET's
        ε leaves small layers dense) is thinned as much as the sparse ones, not cut to their
        density. ``"uniform"``: every layer is brought to the scheduled density itself.
    prune_criterion : str
        A name in :data:`netgraph.topology.pruning.PRUNING_CRITERIA` (``"magnitude"`` or ``"set"``).
    remove_dead : bool
        Drop neurons that cannot influence the output after the last epoch.
    optimizer : str
        ``"sgd"`` (with ``momentum``) or ``"adam"`` (:data:`DEFAULT_LR`).
    lr : float or None
        Learning rate; None resolves to 0.05 for SGD (momentum 0.9), 0.001 for Adam.
    lr_schedule : str
        ``"constant"`` (default) or ``"cosine"``: epoch ``e`` of ``E`` trains at
        ``lr * (1 + cos(pi * (e - 1) / E)) / 2`` (see :data:`LR_SCHEDULES`).
    momentum : float
        SGD momentum.
    nesterov : bool
        Nesterov momentum (SGD).
    weight_decay : float
        L2 penalty.
    batch_size : int or None
        Minibatch size. None resolves from the training-set size with
        :func:`default_batch_size`: about 60 SGD steps per epoch, between 16 and 128 (24 on
        digits, 128 on MNIST).
    epochs : int
    weight_init : str
        A name in :data:`netgraph.nn.model.WEIGHT_INITS`. ``"he"``: U(±sqrt(6/f)) on hidden
        layers and U(±sqrt(3/f)) on the output layer, f the layer's mean number of incoming
        connections, zero biases; ``"torch"``: ``nn.Linear``'s default U(±1/sqrt(n_in)) for
        weights and biases.
    device : str
        ``"cpu"`` or ``"cuda"`` (or ``"cuda:N"``).
    backend : str
        How the layers compute (:data:`netgraph.nn.model.BACKENDS`; both compute the same network,
        up to float rounding): ``"sparse"`` keeps only the present weights and runs torch's
        sparse kernels, at a cost that follows the number of connections; ``"masked"`` keeps
        the dense weight matrix and its mask. ``"auto"`` (default) resolves to ``"sparse"`` on
        CPU when the expected initial density (:func:`netgraph.topology.expected_density`, the
        same for every seed) is below :data:`SPARSE_MAX_DENSITY` (0.2), else to ``"masked"``,
        and to ``"masked"`` on CUDA. A run may be resumed with the other backend (see
        :func:`netgraph.training.run.train_run`).
    label : str or None
        Method label written to the checkpoints; default from :func:`method_label`.

    Raises
    ------
    ParameterError
        If a value breaks its entry of :data:`PARAMETER_CONSTRAINTS` or one of :data:`RULES`.
    """

    dataset: str = _option("digits", group="data", help="digits (default), mnist, fashion-mnist, synthetic or csv:PATH")
    data_dir: str | None = _option(
        None, group="data", help="directory of the MNIST / Fashion-MNIST IDX files (default ./data/NAME)"
    )
    label_column: str = _option("label", group="data", help="class column of a CSV dataset (default: label)")
    test_size: float | None = _option(
        None, group="data", help="held-out fraction (default 0.2; MNIST has its own split)"
    )
    data_seed: int = _option(0, group="data", help="seed of the train/test split, shared by all seeds (default 0)")
    arch: str = _option(
        "mlp", group="network", help="mlp (default), or a convolutional network: lenet5, resnet8 (image datasets)"
    )
    sparse_init: str = _option(
        "erk", group="network", help="convolutional networks: erk (default, RigL's) or uniform layer densities"
    )
    dense_first: bool = _option(False, group="network", help="convolutional networks: keep the first layer dense")
    layers: tuple | None = _option(
        None, group="network", help="layer widths, e.g. 64,256,256,10 (default: FEATURES,256,256,CLASSES)"
    )
    activation: str = _option("relu", group="network", help="hidden activation (default relu)")
    epsilon: float | None = _option(
        None, group="network", help="SET's epsilon: p = eps(n_in+n_out)/(n_in n_out) per layer"
    )
    density: float | None = _option(None, group="network", help="initial connection probability of every layer")
    growth: str | None = _option(
        None,
        group="network",
        help="regrowth after each epoch but the last (default: random if sparse, none if dense)",
    )
    zeta: float = _option(
        0.3, group="network", help="fraction of each layer's connections rewired per epoch (default 0.3)"
    )
    criterion: str = _option("set", group="network", help="which connections to remove (default set)")
    grow_init: str | None = _option(
        None, group="network", help="weights of regrown connections (default: zero for gradient, else normal)"
    )
    init_scale: float = _option(
        DEFAULT_INIT_SCALE, group="network", help="std of regrown weights / std of present weights (default 0.3)"
    )
    growth_options: dict = field(default_factory=dict)  # the command line sets start_fraction
    pruning: str | None = None  # implied by --target-density
    target_density: float | None = _option(None, group="pruning", help="gradual magnitude pruning down to this density")
    prune_start: int = _option(1, group="pruning", help="first epoch after which to prune (default 1)")
    prune_end: int | None = _option(
        None, group="pruning", help="epoch after which the target is reached (default EPOCHS-1)"
    )
    prune_criterion: str = _option("magnitude", group="pruning", help="pruning criterion (default magnitude)")
    prune_scope: str = _option(
        "proportional",
        group="pruning",
        help="proportional: each layer keeps the same share of its initial connections (default); "
        "uniform: every layer to the scheduled density",
    )
    remove_dead: bool = _option(False, group="pruning", help="remove neurons without effect at the end")
    optimizer: str = _option("sgd", group="optimisation", help="sgd with momentum (default) or adam")
    lr: float | None = _option(None, group="optimisation", help="learning rate (default 0.05 sgd, 0.001 adam)")
    lr_schedule: str = _option(
        "constant", group="optimisation", help="constant (default) or cosine: lr (1 + cos(pi (e-1)/E)) / 2 in epoch e"
    )
    momentum: float = _option(0.9, group="optimisation", help="SGD momentum (default 0.9)")
    nesterov: bool = _option(False, group="optimisation", help="Nesterov momentum")
    weight_decay: float = _option(0.0002, group="optimisation", help="L2 penalty (default 0.0002)")
    batch_size: int | None = _option(
        None,
        group="optimisation",
        help="minibatch size (default: about 60 steps per epoch, between 16 and 128: 24 on digits, 128 on MNIST)",
    )
    epochs: int = _option(10, group="optimisation", help="number of epochs (default 10)")
    weight_init: str = _option("he", group="network", help="initial weights (default he)")
    device: str = _option("cpu", group="optimisation", help="cpu (default) or cuda")
    backend: str = _option(
        "auto",
        group="optimisation",
        help="how the layers compute: sparse (present weights only, sparse kernels) or masked (dense "
        f"weights times mask); auto (default): sparse on CPU below initial density {SPARSE_MAX_DENSITY:g}, "
        "else masked (always on CUDA). Both compute the same network up to float rounding; a run may be "
        "resumed with the other backend",
    )
    label: str | None = _option(
        None, group="runs", help="method label stored in the checkpoints (default from the options)"
    )

    def __post_init__(self):
        _checked_values(self)

    @property
    def sparse(self):
        """bool: whether the initial topology is sparse."""
        return _is_sparse(self.epsilon, self.density)

    @property
    def method(self):
        """str: the method label (see :func:`method_label`)."""
        return self.label or method_label(self)

    def resolved(self, data=None):
        """The configuration a run trains with: defaults filled in, every value cleaned.

        Parameters
        ----------
        data : netgraph.training.data.Dataset, optional
            The run's data. With it, ``layers`` (default ``(n_features, 256, 256, n_classes)``)
            is checked against the data and ``batch_size`` (default
            :func:`default_batch_size` of the training-set size) is filled in; without it they
            stay as they are.

        Returns
        -------
        TrainConfig
            A new configuration (this one is not changed): ``growth``, ``pruning``, ``lr`` and,
            when pruning, ``prune_end`` resolved from the other fields, and ``backend="auto"``
            from the device and the expected initial density (it stays ``"auto"`` only for an
            ``epsilon`` start whose layers are not known yet); numbers as float, counts as int,
            ``layers`` a tuple, ``growth_options`` a copy. Resolving it again gives an equal
            configuration.

        Raises
        ------
        ParameterError
            If ``layers`` does not fit the data, or, once the layers are known, ``epsilon``
            leaves every layer dense while ``growth`` needs an absent connection.

        Examples
        --------
        >>> TrainConfig().resolved().growth, TrainConfig(density=0.1).resolved().growth
        ('none', 'random')
        >>> TrainConfig(epsilon=10, layers=[64, 32, 10]).resolved().layers
        (64, 32, 10)
        >>> TrainConfig(density=0.05).resolved().backend, TrainConfig(density=0.05, device="cuda").resolved().backend
        ('sparse', 'masked')
        """
        values = _checked_values(self)
        if data is not None and values["arch"] != "mlp":
            _check_images(values["arch"], data)
        elif data is not None:
            values["layers"] = _layers_for_data(values["layers"], data)
        if data is not None:
            if values["batch_size"] is None:
                values["batch_size"] = default_batch_size(len(data.y_train))
        values["backend"] = _resolved_backend(values)
        return dataclasses.replace(self, **values)  # checked again: the rules that need the layers

    def load_data(self):
        """Load this configuration's dataset and split (:func:`netgraph.training.data.load`).

        Returns
        -------
        netgraph.training.data.Dataset
        """
        from .data import load

        return load(
            self.dataset,
            data_dir=self.data_dir,
            rng=self.data_seed,
            test_size=self.test_size,
            label_column=self.label_column,
        )

    def to_dict(self):
        """JSON-safe dict of every field (``layers`` as a list)."""
        out = dataclasses.asdict(self)
        out["layers"] = None if self.layers is None else list(self.layers)
        return out

    @classmethod
    def from_dict(cls, d):
        """Rebuild a config from :meth:`to_dict` output (``layers`` back to a tuple; unknown keys raise ParameterError)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ParameterError(f"unknown TrainConfig keys {unknown}; valid keys: {', '.join(sorted(names))}")
        d = dict(d)
        if isinstance(d.get("layers"), list):
            d["layers"] = tuple(d["layers"])
        return cls(**d)


#: How each field of :class:`TrainConfig` is checked: field -> check ``check(value, *, name)``
#: returning the cleaned value (see :mod:`netgraph.validation`). :data:`RULES` follow.
PARAMETER_CONSTRAINTS = {
    "dataset": String("a dataset name such as 'digits'"),
    "data_dir": NoneOr(String("a directory path")),
    "label_column": String("a column name"),
    "test_size": NoneOr(Interval(Real, 0, 1, closed="right")),
    "data_seed": Interval(Integral, 0),
    "arch": Options(ARCH_CHOICES),
    "sparse_init": Options(SPARSE_INITS),
    "dense_first": check_bool,
    "layers": NoneOr(check_layer_sizes),
    "activation": Options(RegistryNames("netgraph.nn.model", "ACTIVATIONS")),
    "epsilon": NoneOr(Interval(Real, 0, closed="neither")),
    "density": NoneOr(Interval(Real, 0, 1, closed="right")),
    "growth": NoneOr(Options(_GROWTH)),
    "zeta": Interval(
        Real, 0, 1, closed="left", at_bound="removes every connection each epoch, so nothing learned survives"
    ),
    "criterion": Options(_PRUNING),
    "grow_init": NoneOr(Options(RegistryNames("netgraph.topology.growth", "GROW_INITS"))),
    "init_scale": Interval(Real, 0),
    "growth_options": check_json_dict,
    "pruning": NoneOr(Options(_PRUNING_SCHEDULES)),
    "target_density": NoneOr(Interval(Real, 0, 1, closed="right")),
    "prune_start": Interval(Integral, 1),
    "prune_end": NoneOr(Interval(Integral, 1)),
    "prune_criterion": Options(_PRUNING),
    "prune_scope": Options(_PRUNE_SCOPES),
    "remove_dead": check_bool,
    "optimizer": Options(tuple(DEFAULT_LR)),
    "lr": NoneOr(Interval(Real, 0, closed="neither")),
    "lr_schedule": Options(LR_SCHEDULES),
    "momentum": Interval(Real, 0, 1),
    "nesterov": check_bool,
    "weight_decay": Interval(Real, 0),
    "batch_size": NoneOr(Interval(Integral, 1)),
    "epochs": Interval(Integral, 1),
    "weight_init": Options(RegistryNames("netgraph.nn.model", "WEIGHT_INITS")),
    "device": Pattern(r"cpu|cuda(:\d+)?", "'cpu' or 'cuda' (or 'cuda:N')"),
    "backend": Options(BACKEND_CHOICES),
    "label": NoneOr(String()),
}


# --------------------------------------------------------------------------- rules between fields
# Each rule takes the checked values with the defaults filled in (a dict) and raises ParameterError.


def _at_most_one_initial_topology(v):
    given = [name for name in EXCLUSIVE if v[name] is not None]
    if len(given) > 1:
        raise ParameterError(", ".join(f"{name}={v[name]!r}" for name in given) + ": give at most one of them")


def _growth_needs_a_sparse_start(v):
    if v["growth"] != "none" and not _is_sparse(v["epsilon"], v["density"]):
        raise ParameterError(
            f"growth={v['growth']!r} with a dense start (neither epsilon nor a density < 1): every connection is "
            "present, so there is nothing to grow and the evolution could only re-initialise the weights it "
            "removes; give epsilon or density < 1 for a sparse start, or growth='none'"
        )


def _growth_needs_a_sparse_layer(v):
    """An epsilon that leaves every layer dense (p clipped to 1) is a dense start too, once the layers are known."""
    if v["growth"] == "none" or v["epsilon"] is None or v["layers"] is None:
        return
    from ..topology.initial import epsilon_probability

    sizes = v["layers"]
    if all(epsilon_probability(a, b, v["epsilon"]) >= 1.0 for a, b in zip(sizes[:-1], sizes[1:])):
        raise ParameterError(
            f"growth={v['growth']!r} with epsilon={v['epsilon']:g} leaves every layer dense (p = 1 for layers "
            f"{list(sizes)}), so there is nothing to grow and the evolution could only re-initialise the "
            "weights it removes; use a smaller epsilon, or growth='none'"
        )


def _weight_options_are_fields(v):
    for key, name in (("init", "grow_init"), ("init_scale", "init_scale")):
        if key in v["growth_options"]:
            raise ParameterError(f"growth_options has {key!r}; set TrainConfig.{name} instead")


def _pruning_needs_a_target(v):
    if v["pruning"] is not None and v["target_density"] is None:
        raise ParameterError(f"pruning={v['pruning']!r} needs target_density (a fraction in (0, 1])")


def _pruning_needs_two_epochs(v):
    if v["pruning"] is not None and v["epochs"] < 2:
        raise ParameterError(f"epochs={v['epochs']}: a pruning schedule needs at least 2 epochs")


def _pruning_window(v):
    """``1 <= prune_start <= prune_end <= epochs - 1`` when pruning."""
    if v["pruning"] is not None:
        Interval(Integral, 1, v["epochs"] - 1)(v["prune_start"], name="prune_start")
        Interval(Integral, v["prune_start"], v["epochs"] - 1)(v["prune_end"], name="prune_end")


def _nesterov_needs_sgd_momentum(v):
    if v["nesterov"] and (v["optimizer"] != "sgd" or v["momentum"] == 0):
        raise ParameterError("nesterov=True needs optimizer='sgd' with momentum > 0")


def _convolutional_networks_take_their_own_shape(v):
    """A convolutional ``arch`` builds its own layers, with ReLU, masked layers and no dead-unit removal."""
    if v["arch"] == "mlp":
        for name, default in (("sparse_init", "erk"), ("dense_first", False)):
            if v[name] != default:
                raise ParameterError(
                    f"{name}={v[name]!r} applies to convolutional networks (arch='lenet5' or 'resnet8'), not to "
                    "arch='mlp', whose layers draw epsilon or density each"
                )
        return
    for name, allowed in (("layers", None), ("epsilon", None), ("activation", "relu"), ("remove_dead", False)):
        if v[name] != allowed:
            raise ParameterError(
                f"{name}={v[name]!r}, must be {allowed!r} with arch={v['arch']!r} (a convolutional network has its "
                "own layers and ReLU; its density is density=, spread by sparse_init)"
            )
    if v["backend"] == "sparse":
        raise ParameterError(f"backend='sparse', must be 'masked' or 'auto' with arch={v['arch']!r}")


#: The checks between fields of :class:`TrainConfig`, in order, after :data:`PARAMETER_CONSTRAINTS`.
RULES = (
    _convolutional_networks_take_their_own_shape,
    _at_most_one_initial_topology,
    _growth_needs_a_sparse_start,
    _growth_needs_a_sparse_layer,
    _weight_options_are_fields,
    _pruning_needs_a_target,
    _pruning_needs_two_epochs,
    _pruning_window,
    _nesterov_needs_sgd_momentum,
)


def _checked_values(config):
    """Check ``config``; return its values cleaned, with the defaults that depend on other fields."""
    v = check_params({f.name: getattr(config, f.name) for f in dataclasses.fields(config)}, PARAMETER_CONSTRAINTS)
    if v["growth"] is None:
        v["growth"] = "random" if _is_sparse(v["epsilon"], v["density"]) else "none"
    if v["pruning"] is None and v["target_density"] is not None:
        v["pruning"] = "gmp"
    if v["lr"] is None:
        v["lr"] = DEFAULT_LR[v["optimizer"]]
    if v["pruning"] is not None and v["prune_end"] is None:
        v["prune_end"] = v["epochs"] - 1
    for rule in RULES:
        rule(v)
    return v


def _resolved_backend(v):
    """The backend ``"auto"`` stands for, from the checked values (see :data:`SPARSE_MAX_DENSITY`)."""
    if v["backend"] != "auto":
        return v["backend"]
    if (
        v["arch"] != "mlp" or v["device"] != "cpu"
    ):  # conv layers are masked; CUDA: sparse kernels not measured  # CUDA: the sparse kernels are not measured there yet
        return "masked"
    if v["epsilon"] is not None:
        if v["layers"] is None:  # an epsilon start before the layers are known: decided with the data
            return "auto"
        from ..topology.initial import expected_density

        density = expected_density(v["layers"], epsilon=v["epsilon"])
    else:
        density = 1.0 if v["density"] is None else v["density"]
    return "sparse" if density < SPARSE_MAX_DENSITY else "masked"


def _is_sparse(epsilon, density):
    return epsilon is not None or (density is not None and density < 1.0)


def _check_images(arch, data):
    if getattr(data, "image_shape", None) is None:
        raise ParameterError(
            f"arch={arch!r} needs images: {data.name} has {data.n_features} features of no image shape "
            "(digits, mnist and fashion-mnist have one)"
        )


def _layers_for_data(layers, data):
    layers = check_layer_sizes(layers or (data.n_features, *_DEFAULT_HIDDEN, data.n_classes), name="layers")
    if layers[0] != data.n_features or layers[-1] != data.n_classes:
        raise ParameterError(
            f"layers={list(layers)}: {data.name} has {data.n_features} features and {data.n_classes} classes, "
            f"so the first size must be {data.n_features} and the last {data.n_classes}"
        )
    return layers


def method_label(config):
    """The label of a configuration: growth name, ``"static"`` or ``"dense"``, plus ``"+prune"``.

    Computed from the resolved configuration (:meth:`TrainConfig.resolved`), so a config that
    leaves ``growth`` to its default gets the label of the growth it trains with.

    Examples
    --------
    >>> method_label(TrainConfig(epsilon=10, growth="strategic", target_density=0.05, epochs=5))
    'strategic+prune'
    >>> method_label(TrainConfig()), method_label(TrainConfig(density=0.1, growth="none"))
    ('dense', 'static')
    """
    config = config.resolved()
    if config.growth != "none":
        base = config.growth
    else:
        base = "static" if config.sparse else "dense"
    return base + ("+prune" if config.pruning else "")


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


def epoch_lr(config, epoch):
    """The learning rate epoch ``epoch`` (1-based) of a resolved configuration trains at.

    Examples
    --------
    >>> cfg = TrainConfig(lr=0.1, epochs=4, lr_schedule="cosine")
    >>> [round(epoch_lr(cfg, e), 4) for e in range(1, 5)]
    [0.1, 0.0854, 0.05, 0.0146]
    >>> epoch_lr(TrainConfig(lr=0.1), 3)
    0.1
    """
    lr = config.lr if config.lr is not None else DEFAULT_LR[config.optimizer]
    if config.lr_schedule == "cosine":
        return lr * (1.0 + math.cos(math.pi * (epoch - 1) / config.epochs)) / 2.0
    return lr
