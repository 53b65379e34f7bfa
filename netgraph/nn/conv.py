"""Sparse convolutional networks: ``nn.Conv2d`` and ``nn.Linear`` layers with kernel-element masks.

:class:`MaskedConv2d` is to ``nn.Conv2d`` what :class:`~netgraph.nn.model.MaskedLinear` is to
``nn.Linear``: its forward pass uses ``weight * mask``, the mask a boolean buffer of the
weight's shape ``(n_out, n_in / groups, k_h, k_w)``, one entry per kernel element. A
:class:`SparseCNN` is a network of such layers whose ``layers`` lists every masked weight layer
(convolutions and Linear layers, in forward order), so that the topology code that works on a
:class:`~netgraph.SparseMLP` layer by layer -- :func:`netgraph.topology.evolution.evolve_`,
:func:`netgraph.topology.pruning.prune_to_density_`, the growth strategies -- works on it too,
with flat indices over the whole weight tensor (row-major: ``((j * n_in + i) * k_h + y) * k_w + x``).

:data:`ARCHITECTURES` names the networks ``netgraph train --arch`` builds:

- ``"lenet5"`` -- :class:`LeNet5`: two convolutions (6 and 16 channels) with max pooling, then
  Linear layers of 120, 84 and the classes; 5x5 kernels for 28x28 images (the first padded
  to keep 28x28), 3x3 kernels padded for smaller ones (8x8 digits);
- ``"resnet8"`` -- :class:`ResNet8`: a 3x3 stem convolution, three stages of one basic block
  each (two 3x3 convolutions with BatchNorm, a residual add; 16, 32 and 64 channels, the last
  two stages downsampling by 2 with a 1x1 convolution on the shortcut), global average
  pooling and a Linear classifier: 8 weight layers on the main path.

Examples
--------
>>> import torch
>>> net = LeNet5((1, 8, 8), 10)
>>> [type(layer).__name__ for layer in net.layers]
['MaskedConv2d', 'MaskedConv2d', 'MaskedLinear', 'MaskedLinear', 'MaskedLinear']
>>> net(torch.zeros(2, 64)).shape  # flat images are reshaped to their image shape
torch.Size([2, 10])
"""

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import ParameterError
from .model import MaskedLinear, MaskedWeight

__all__ = ["MaskedConv2d", "SparseCNN", "LeNet5", "ResNet8", "ARCHITECTURES"]


class MaskedConv2d(MaskedWeight, nn.Conv2d):
    """An ``nn.Conv2d`` whose forward pass uses ``weight * mask``.

    Parameters
    ----------
    in_channels, out_channels, kernel_size, stride, padding, groups, bias
        As for ``nn.Conv2d``.
    mask : torch.Tensor of bool, optional
        Of the weight's shape ``(out_channels, in_channels // groups, k_h, k_w)``. Default: all
        True (a dense layer).

    Examples
    --------
    >>> conv = MaskedConv2d(1, 2, 3, padding=1)
    >>> conv.n_connections(), tuple(conv.mask.shape)
    (18, (2, 1, 3, 3))
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, groups=1, bias=True, mask=None):
        super().__init__(
            in_channels, out_channels, kernel_size, stride=stride, padding=padding, groups=groups, bias=bias
        )
        self.register_buffer("mask", torch.ones(self.weight.shape, dtype=torch.bool))
        if mask is not None:
            self.set_mask(mask)

    def forward(self, x):
        return self._conv_forward(x, self.weight * self.mask, self.bias)

    def extra_repr(self):
        return f"{super().extra_repr()}, connections={int(self.mask.sum())}/{self.mask.numel()}"


class SparseCNN(nn.Module):
    """Base of the sparse convolutional networks: the masked weight layers and what the topology code asks of them.

    A subclass builds its modules, then calls :meth:`_set_layers` with its masked weight
    layers in forward order. Images come as ``(N, C, H, W)`` or flattened ``(N, C * H * W)``
    (what netgraph's data loaders give), reshaped to ``image_shape``.

    Attributes
    ----------
    image_shape : tuple of int
        ``(C, H, W)`` of one input.
    n_classes : int
    arch : str
        The name of the class in :data:`ARCHITECTURES`.
    arch_options : dict
        The constructor's further arguments (what a checkpoint records to rebuild it).
    """

    arch = None

    def __init__(self, image_shape, n_classes):
        super().__init__()
        self.image_shape = _check_image_shape(image_shape)
        if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
            raise ParameterError(f"n_classes={n_classes!r}, must be an int >= 2")
        self.n_classes = n_classes
        self.arch_options = {}
        self._layer_names = ()

    def _set_layers(self, names):
        self._layer_names = tuple(names)

    @property
    def layers(self):
        """list of MaskedConv2d and MaskedLinear: the masked weight layers, in forward order."""
        return [self.get_submodule(name) for name in self._layer_names]

    @property
    def layer_names(self):
        """tuple of str: the module path of each of :attr:`layers`."""
        return self._layer_names

    @property
    def backend(self):
        """str: ``"masked"``: convolutional networks keep dense weights and masks."""
        return "masked"

    @property
    def masks(self):
        """list of torch.Tensor: each layer's mask buffer."""
        return [layer.mask for layer in self.layers]

    @property
    def weight_shapes(self):
        """list of tuple of int: each layer's weight shape."""
        return [tuple(layer.weight.shape) for layer in self.layers]

    def n_connections(self, *, layer=None):
        """Present weights (kernel elements and Linear connections): in total, or of one layer."""
        if layer is None:
            return sum(m.n_connections() for m in self.layers)
        return self.layers[self._check_layer(layer)].n_connections()

    def density(self, *, layer=None):
        """Share of possible weights that are present, in total or of one layer."""
        layers = self.layers if layer is None else [self.layers[self._check_layer(layer)]]
        return sum(m.n_connections() for m in layers) / sum(m.mask.numel() for m in layers)

    @torch.no_grad()
    def apply_masks_(self):
        """Zero every weight whose element is absent (in place). Returns ``self``."""
        for layer in self.layers:
            layer.weight.mul_(layer.mask)
        return self

    def require_masked(self, what):
        """Nothing to check: the layers are masked ones."""

    def set_masks(self, masks):
        """Replace every layer's mask (one per layer, of its weight's shape)."""
        masks = list(masks)
        if len(masks) != len(self._layer_names):
            raise ParameterError(f"masks has {len(masks)} entries, expected {len(self._layer_names)} (one per layer)")
        for layer, mask in zip(self.layers, masks):
            layer.set_mask(mask)
        return self

    def _images(self, x):
        return x.reshape(x.shape[0], *self.image_shape)

    def _check_layer(self, layer):
        n = len(self._layer_names)
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < n:
            raise ParameterError(f"layer={layer!r}, expected an int in [0, {n - 1}]")
        return layer


def _check_image_shape(shape):
    try:
        shape = tuple(shape)
    except TypeError:
        shape = (shape,)
    if len(shape) != 3 or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape):
        raise ParameterError(f"image_shape={shape!r}, must be (channels, height, width) of positive ints")
    return shape


class LeNet5(SparseCNN):
    """LeNet-5-like: conv(6) - pool - conv(16) - pool - Linear(120) - Linear(84) - Linear(classes), ReLU.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)``; images of at least 28 pixels a side get 5x5 kernels (the first padded by
        2, as LeNet-5 on 28x28 MNIST), smaller ones 3x3 kernels padded by 1.
    n_classes : int

    Examples
    --------
    >>> net = LeNet5((1, 28, 28), 10)
    >>> net.weight_shapes
    [(6, 1, 5, 5), (16, 6, 5, 5), (120, 400), (84, 120), (10, 84)]
    """

    arch = "lenet5"

    def __init__(self, image_shape, n_classes):
        super().__init__(image_shape, n_classes)
        c, h, w = self.image_shape
        k, pad1, pad2 = (5, 2, 0) if min(h, w) >= 28 else (3, 1, 1)
        self.conv1 = MaskedConv2d(c, 6, k, padding=pad1)
        self.conv2 = MaskedConv2d(6, 16, k, padding=pad2)
        h2, w2 = (_pooled(_conv_out(_pooled(_conv_out(n, k, pad1)), k, pad2)) for n in (h, w))
        if h2 < 1 or w2 < 1:
            raise ParameterError(f"image_shape={self.image_shape!r}: too small for LeNet-5's two pooled convolutions")
        self.fc1 = MaskedLinear(16 * h2 * w2, 120)
        self.fc2 = MaskedLinear(120, 84)
        self.fc3 = MaskedLinear(84, n_classes)
        self._set_layers(["conv1", "conv2", "fc1", "fc2", "fc3"])

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(self._images(x))), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def _conv_out(n, k, pad):
    return n + 2 * pad - k + 1


def _pooled(n):
    return n // 2


class _BasicBlock(nn.Module):
    """Two 3x3 masked convolutions with BatchNorm and a residual add (a 1x1 masked convolution on a downsampling shortcut)."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = MaskedConv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = MaskedConv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = None
        if stride != 1 or c_in != c_out:
            self.shortcut = MaskedConv2d(c_in, c_out, 1, stride=stride, bias=False)
            self.shortcut_bn = nn.BatchNorm2d(c_out)

    def weight_layers(self, prefix):
        names = [f"{prefix}.conv1", f"{prefix}.conv2"]
        return names + ([f"{prefix}.shortcut"] if self.shortcut is not None else [])

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        skip = x if self.shortcut is None else self.shortcut_bn(self.shortcut(x))
        return F.relu(h + skip)


class ResNet8(SparseCNN):
    """A small ResNet: 3x3 stem, three stages of one basic block (16, 32, 64 channels), pooling, Linear.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)``.
    n_classes : int
    widths : tuple of int, optional
        Channels of the stem and the three stages (the stem has the first).

    Examples
    --------
    >>> net = ResNet8((1, 28, 28), 10)
    >>> len(net.layers), net.layer_names[:3]
    (10, ('stem', 'stage1.conv1', 'stage1.conv2'))
    """

    arch = "resnet8"

    def __init__(self, image_shape, n_classes, widths=(16, 32, 64)):
        super().__init__(image_shape, n_classes)
        widths = tuple(widths)
        if len(widths) != 3 or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in widths):
            raise ParameterError(f"widths={widths!r}, must be three positive ints")
        self.arch_options = {"widths": list(widths)}
        c = self.image_shape[0]
        self.stem = MaskedConv2d(c, widths[0], 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(widths[0])
        self.stage1 = _BasicBlock(widths[0], widths[0], 1)
        self.stage2 = _BasicBlock(widths[0], widths[1], 2)
        self.stage3 = _BasicBlock(widths[1], widths[2], 2)
        self.fc = MaskedLinear(widths[2], n_classes)
        names = ["stem"]
        for stage in ("stage1", "stage2", "stage3"):
            names += getattr(self, stage).weight_layers(stage)
        self._set_layers(names + ["fc"])

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(self._images(x))))
        x = self.stage3(self.stage2(self.stage1(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


#: Convolutional architectures by name: ``fn(image_shape, n_classes) -> SparseCNN``.
ARCHITECTURES = {"lenet5": LeNet5, "resnet8": ResNet8}
