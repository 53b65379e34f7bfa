"""Sparse multilayer perceptrons: ``nn.Linear`` layers with boolean connection masks.

A :class:`SparseMLP` is the network every other part of netgraph works on. Layer ``l``
maps ``layer_sizes[l]`` units to ``layer_sizes[l + 1]`` units with the weight
``W_l * M_l``, where ``W_l`` is the ``nn.Linear`` weight (shape out x in) and ``M_l`` a
boolean mask of the same shape kept as a buffer. ``M_l[j, i]`` says whether the
connection from unit ``i`` of layer ``l`` to unit ``j`` of layer ``l + 1`` exists; a
present connection may have weight exactly zero (a freshly grown edge, say).

Hidden layers apply the activation; the output layer returns raw scores (logits).

Two backends compute the same network: ``"masked"`` layers (:class:`MaskedLinear`) keep the
dense weight and mask and multiply them in every step; ``"sparse"`` layers
(:class:`netgraph.nn.sparse.SparseLinear`) keep only the present weights and run sparse kernels,
so their cost follows the number of connections. Both answer one small protocol --
``n_connections()``, ``mask``, ``dense_weight()``, ``weight_param`` and the per-weight layout
conversions ``to_values``/``from_values`` (dense or CSR order) -- through which checkpoints,
graphs and the trainer see either. :meth:`SparseMLP.to_backend` converts a network.

Two registries name what a network is built with: :data:`ACTIVATIONS` (the function between
layers) and :data:`WEIGHT_INITS` (how :func:`netgraph.training.run.train_run` draws a layer's initial
weights). Adding a function to either under a new name makes it usable everywhere a name is
taken -- ``SparseMLP(activation=...)``, ``TrainConfig(activation=..., weight_init=...)``,
``netgraph train --activation/--weight-init`` -- with no other edit.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import ParameterError
from ..validation import check_choice, check_layer_sizes

__all__ = [
    "SparseMLP",
    "MaskedWeight",
    "MaskedLinear",
    "ACTIVATIONS",
    "BACKENDS",
    "WEIGHT_INITS",
    "init_he_",
    "init_torch_",
]

#: Activations a :class:`SparseMLP` can use between layers, by name.
ACTIVATIONS = {
    "relu": F.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": F.gelu,
    "silu": F.silu,
    "leaky_relu": F.leaky_relu,
    "identity": lambda x: x,
}


def init_he_(layer, *, output, generator):
    """He-style uniform initialisation of a sparse layer, in place: U(±sqrt(6/f)) weights (U(±sqrt(3/f)) on the output layer), zero biases.

    ``f`` is the layer's mean number of incoming connections (at least 1), so a sparse layer
    gets the variance of a dense layer with its fan-in. The biases are drawn too (and scaled
    by 0), so that both initialisations use the same amount of ``generator``.

    Parameters
    ----------
    layer : MaskedLinear or netgraph.nn.conv.MaskedConv2d
        Its mask must be set; ``weight`` and ``bias`` are overwritten (absent connections
        included: :meth:`SparseMLP.apply_masks_` zeroes them). For a convolution ``f`` counts
        kernel elements.
    output : bool
        Whether ``layer`` is the output layer (no activation follows it).
    generator : torch.Generator

    Examples
    --------
    >>> layer = MaskedLinear(4, 2, mask=torch.tensor([[1, 1, 0, 0], [1, 1, 0, 0]]))
    >>> init_he_(layer, output=False, generator=torch.Generator().manual_seed(0))
    >>> bool(layer.weight.abs().max() <= math.sqrt(6 / 2)), layer.bias.tolist()
    (True, [0.0, 0.0])
    """
    n_out = layer.weight.shape[0]
    fan_in = max(1.0, float(layer.mask.sum()) / n_out)
    bound = math.sqrt((3.0 if output else 6.0) / fan_in)
    _uniform_(layer, bound, 0.0, generator)


def init_torch_(layer, *, output, generator):
    """``nn.Linear``'s default initialisation, in place: U(±1/sqrt(n_in)) for weights and biases.

    Parameters are those of :func:`init_he_` (``output`` is not used).

    Examples
    --------
    >>> layer = MaskedLinear(4, 2)
    >>> init_torch_(layer, output=True, generator=torch.Generator().manual_seed(0))
    >>> bool(layer.weight.abs().max() <= 0.5), bool(layer.bias.abs().max() <= 0.5)
    (True, True)
    """
    n_in = math.prod(layer.weight.shape[1:])  # a convolution's fan-in: channels x kernel
    bound = 1.0 / math.sqrt(n_in)
    _uniform_(layer, bound, bound, generator)


@torch.no_grad()
def _uniform_(layer, bound, bias_bound, generator):
    layer.weight.copy_((torch.rand(layer.weight.shape, generator=generator) * 2 - 1) * bound)
    if layer.bias is not None:  # convolutions before a BatchNorm have none
        layer.bias.copy_((torch.rand(layer.weight.shape[0], generator=generator) * 2 - 1) * bias_bound)


#: Initial weights by name, as ``TrainConfig.weight_init`` takes them; each is
#: ``fn(layer, *, output, generator)``, filling a :class:`MaskedLinear`'s ``weight`` and ``bias``
#: in place from the ``torch.Generator`` (the trainer calls it under ``torch.no_grad()``);
#: ``output`` says whether the layer is the last one.
WEIGHT_INITS = {"he": init_he_, "torch": init_torch_}


class MaskedWeight:
    """The mask protocol of a layer whose ``weight`` is multiplied by a boolean ``mask`` buffer of its shape.

    Mixed into :class:`MaskedLinear` and :class:`netgraph.nn.conv.MaskedConv2d`: what
    checkpoints, graphs, the topology code and the trainer ask of a masked layer.
    """

    #: How the weight's layout is named in messages.
    LAYOUT = "the weight's"

    def set_mask(self, mask):
        """Replace the mask (copied into the existing buffer) and zero the weights it removes."""
        mask = torch.as_tensor(mask)
        if tuple(mask.shape) != tuple(self.mask.shape):
            raise ParameterError(
                f"mask has shape {tuple(mask.shape)}, expected {tuple(self.mask.shape)} ({self.LAYOUT})"
            )
        with torch.no_grad():
            self.mask.copy_(mask.to(torch.bool))
            self.weight.mul_(self.mask)

    def n_connections(self):
        """Number of present connections (for a convolution: kernel elements)."""
        return int(self.mask.sum())

    @property
    def weight_param(self):
        """nn.Parameter: the parameter that holds the weights (here the dense ``weight``)."""
        return self.weight

    def dense_weight(self):
        """The weight with zeros where no connection is (a new tensor)."""
        return (self.weight * self.mask).detach().clone()

    def to_values(self, tensor):
        """A per-weight tensor of this layer's layout (dense) in mask order (CSR order for out x in): ``tensor[mask]``."""
        return tensor[self.mask]

    def from_values(self, values):
        """Per-weight values in mask order laid out as this layer keeps them (dense, zeros elsewhere)."""
        out = torch.zeros(self.mask.shape, dtype=values.dtype, device=values.device)
        out[self.mask] = values
        return out


class MaskedLinear(MaskedWeight, nn.Linear):
    """An ``nn.Linear`` whose forward pass uses ``weight * mask``.

    Parameters
    ----------
    in_features, out_features : int
        Layer widths.
    bias : bool, optional
        Whether the layer has a bias.
    mask : torch.Tensor of bool, shape (out_features, in_features), optional
        Which connections exist. Default: all of them (a dense layer).
    """

    LAYOUT = "out x in"

    def __init__(self, in_features, out_features, bias=True, mask=None):
        super().__init__(in_features, out_features, bias=bias)
        if mask is None:
            mask = torch.ones(out_features, in_features, dtype=torch.bool)
        self.register_buffer("mask", torch.zeros(out_features, in_features, dtype=torch.bool))
        self.set_mask(mask)

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)

    def extra_repr(self):
        n = int(self.mask.sum())
        return f"{super().extra_repr()}, connections={n}/{self.mask.numel()}"


def _sparse_linear():
    from .sparse import SparseLinear

    return SparseLinear


#: Layer classes by backend name: ``"masked"`` (dense weight times mask) or ``"sparse"``
#: (present weights only, torch sparse CSR kernels). Values are factories of the class.
BACKENDS = {"masked": lambda: MaskedLinear, "sparse": _sparse_linear}


class SparseMLP(nn.Module):
    """A feedforward network of masked ``nn.Linear`` layers.

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths from inputs to outputs, e.g. ``(784, 300, 100, 10)``.
    activation : str, optional
        Name of the activation between layers, one of :data:`ACTIVATIONS`.
    bias : bool, optional
        Whether the layers have biases.
    masks : sequence of bool tensors or arrays, optional
        One mask per layer, shape ``(layer_sizes[l + 1], layer_sizes[l])``. Default: dense.
    backend : {"masked", "sparse"}, optional
        The layer kind (see the module docstring); the network computes the same either way.

    Attributes
    ----------
    layers : nn.ModuleList of MaskedLinear or SparseLinear
        The layers; ``layers[l].dense_weight()[j, i]`` is the weight of edge
        ``(l, i) -> (l+1, j)`` (for masked layers also ``layers[l].weight[j, i]``).

    Raises
    ------
    ParameterError
        If ``layer_sizes`` is not a sequence of at least two positive ints, the activation is
        unknown, or a mask has the wrong number or shape.

    Examples
    --------
    >>> import torch
    >>> net = SparseMLP([2, 3, 1], masks=[torch.tensor([[1, 0], [0, 1], [1, 1]]), torch.ones(1, 3)])
    >>> net.n_connections(), net.n_connections(layer=0), net.density()
    (7, 4, 0.7777777777777778)
    >>> net(torch.zeros(5, 2)).shape
    torch.Size([5, 1])
    """

    def __init__(self, layer_sizes, *, activation="relu", bias=True, masks=None, backend="masked"):
        super().__init__()
        sizes = check_layer_sizes(layer_sizes)
        check_choice(activation, ACTIVATIONS, name="activation")
        check_choice(backend, BACKENDS, name="backend")
        n_layers = len(sizes) - 1
        if masks is not None and len(masks) != n_layers:
            raise ParameterError(
                f"masks has {len(masks)} entries, expected {n_layers} (one per layer of {list(sizes)})"
            )
        self.activation = activation
        layer_cls = BACKENDS[backend]()
        self.layers = nn.ModuleList(
            layer_cls(sizes[l], sizes[l + 1], bias=bias, mask=None if masks is None else masks[l])
            for l in range(n_layers)
        )

    @property
    def backend(self):
        """str: ``"masked"`` or ``"sparse"``, the kind of the layers."""
        return "masked" if isinstance(self.layers[0], MaskedLinear) else "sparse"

    @torch.no_grad()
    def to_backend(self, backend):
        """The same network with layers of ``backend`` (a new network; ``self`` is unchanged).

        Weights, biases and connections are copied exactly; the result is on the same device.

        Parameters
        ----------
        backend : {"masked", "sparse"}

        Returns
        -------
        SparseMLP

        Examples
        --------
        >>> net = SparseMLP([3, 2], masks=[torch.tensor([[True, False, True], [False, True, False]])])
        >>> sparse = net.to_backend("sparse")
        >>> sparse.backend, sparse.n_connections(), bool(torch.allclose(sparse(torch.ones(1, 3)), net(torch.ones(1, 3))))
        ('sparse', 3, True)
        """
        check_choice(backend, BACKENDS, name="backend")
        out = SparseMLP.__new__(SparseMLP)
        nn.Module.__init__(out)
        out.activation = self.activation
        layers = []
        for layer in self.layers:
            weight, mask = layer.dense_weight(), layer.mask
            bias = None if layer.bias is None else layer.bias.detach().clone()
            if backend == "sparse":
                layers.append(BACKENDS["sparse"]().from_dense(weight, mask, bias=bias))
            else:
                new = MaskedLinear(layer.in_features, layer.out_features, bias=bias is not None, mask=mask).to(
                    weight.device
                )
                new.weight.copy_(weight)
                if bias is not None:
                    new.bias.copy_(bias)
                layers.append(new)
        out.layers = nn.ModuleList(layers)
        return out

    @property
    def layer_sizes(self):
        """tuple of int: widths from inputs to outputs."""
        return (self.layers[0].in_features,) + tuple(layer.out_features for layer in self.layers)

    @property
    def masks(self):
        """list of torch.Tensor: the boolean mask of each layer (the buffers themselves for masked
        layers, new tensors for sparse ones)."""
        return [layer.mask for layer in self.layers]

    @property
    def has_bias(self):
        """bool: whether the layers carry biases."""
        return self.layers[0].bias is not None

    def forward(self, x):
        act = ACTIVATIONS[self.activation]
        x = x.reshape(x.shape[0], -1)
        last = len(self.layers) - 1
        for l, layer in enumerate(self.layers):
            x = layer(x)
            if l < last:
                x = act(x)
        return x

    def n_connections(self, *, layer=None):
        """Number of present connections: in total, or of one layer.

        Parameters
        ----------
        layer : int, optional
            Layer index ``l`` (connections from layer ``l`` to ``l + 1``). Default: all layers.

        Returns
        -------
        int
        """
        if layer is None:
            return sum(layer.n_connections() for layer in self.layers)
        return self.layers[self._check_layer(layer)].n_connections()

    def density(self, *, layer=None):
        """Fraction of possible connections that are present, in total or of one layer.

        Returns
        -------
        float
        """
        if layer is None:
            return self.n_connections() / sum(layer.in_features * layer.out_features for layer in self.layers)
        lay = self.layers[self._check_layer(layer)]
        return self.n_connections(layer=layer) / (lay.in_features * lay.out_features)

    @torch.no_grad()
    def apply_masks_(self):
        """Zero every weight whose connection is absent (in place). Returns ``self``.

        Sparse layers hold no absent weights: nothing to do.
        """
        for layer in self.layers:
            if isinstance(layer, MaskedLinear):
                layer.weight.mul_(layer.mask)
        return self

    def require_masked(self, what):
        """Raise ParameterError unless the layers are masked ones (for in-place edits of masks)."""
        if self.backend != "masked":
            raise ParameterError(
                f"{what} edits the dense weights and masks in place, which a {self.backend!r} network "
                "does not keep; run it on model.to_backend('masked') (and convert back)"
            )

    def _check_layer(self, layer):
        n = len(self.layers)
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < n:
            raise ParameterError(f"layer={layer!r}, expected an int in [0, {n - 1}]")
        return layer
