"""Sparse layers that cost their connections: the present weights are the only parameters.

A :class:`SparseLinear` keeps the values of its present connections as one parameter (``nnz``
numbers, in row-major order of the out x in matrix) and the index structure of a compressed
sparse row (CSR) matrix as buffers. Its forward pass and both gradients run on
``torch.sparse`` kernels, so their cost grows with the number of connections, not with
``n_out * n_in``:

- forward: ``y = x W^T + b`` with ``W`` in CSR (:func:`torch.sparse.mm`);
- gradient with respect to the input: ``W^T`` in CSR as well (the transposed structure is
  kept beside the forward one, with the permutation that reorders the values);
- gradient with respect to the values: ``(dL/dy)^T x`` sampled at the present connections only
  (:func:`torch.sparse.sampled_addmm`), never the dense gradient.

It computes what :class:`netgraph.nn.model.MaskedLinear` computes (``x (W * M)^T + b``) up to
float rounding. The structure is fixed for the life of a layer: topology changes rebuild it
(:meth:`SparseLinear.from_dense`), which the trainer does once per epoch.

Values in "CSR order" are the present weights read row by row (target unit ``j`` of the layer
after, then source unit ``i``), the order of ``weight[mask]`` for a dense ``weight`` and boolean
``mask``. :meth:`SparseLinear.gather` and :meth:`SparseLinear.scatter` convert per-weight
tensors (weights, gradients, optimizer moments) between that order and the dense layout.

Examples
--------
>>> import torch
>>> mask = torch.tensor([[True, False, True], [False, True, False]])
>>> weight = torch.tensor([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]])
>>> layer = SparseLinear.from_dense(weight, mask, bias=torch.tensor([0.5, -0.5]))
>>> layer.values.tolist(), layer.n_connections()
([1.0, 2.0, 3.0], 3)
>>> layer(torch.tensor([[1.0, 1.0, 1.0]])).tolist()
[[3.5, 2.5]]
"""

import warnings

import torch
from torch import nn

from ..errors import ParameterError

__all__ = ["SparseLinear", "csr_structure"]

_STRUCTURE = ("crow", "col", "t_crow", "t_col", "t_perm")


def csr_structure(mask):
    """The CSR index structure of a boolean mask (out x in) and of its transpose.

    Parameters
    ----------
    mask : torch.Tensor of bool, shape (n_out, n_in)

    Returns
    -------
    dict of torch.LongTensor
        ``crow`` (``n_out + 1``) and ``col`` (``nnz``): CSR of the mask, entries in row-major
        order; ``t_crow`` (``n_in + 1``) and ``t_col`` (``nnz``): CSR of the transpose;
        ``t_perm`` (``nnz``): position in CSR order of each entry of the transpose, so that
        ``values[t_perm]`` are the values of the transpose.

    Examples
    --------
    >>> s = csr_structure(torch.tensor([[True, False, True], [False, True, False]]))
    >>> s["crow"].tolist(), s["col"].tolist(), s["t_crow"].tolist(), s["t_col"].tolist(), s["t_perm"].tolist()
    ([0, 2, 3], [0, 2, 1], [0, 1, 2, 3], [0, 1, 0], [0, 2, 1])
    """
    mask = torch.as_tensor(mask, dtype=torch.bool)
    if mask.dim() != 2:
        raise ParameterError(f"mask has {mask.dim()} dimensions, expected 2 (out x in)")
    n_out, n_in = mask.shape
    rows, cols = mask.nonzero(as_tuple=True)  # row-major
    device = mask.device
    crow = torch.zeros(n_out + 1, dtype=torch.int64, device=device)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=n_out), 0)
    t_perm = torch.argsort(cols * n_out + rows)  # the entries ordered column by column
    t_crow = torch.zeros(n_in + 1, dtype=torch.int64, device=device)
    t_crow[1:] = torch.cumsum(torch.bincount(cols, minlength=n_in), 0)
    return {"crow": crow, "col": cols.clone(), "t_crow": t_crow, "t_col": rows[t_perm], "t_perm": t_perm}


_BETA_WARNED = False


def _csr(crow, col, values, size):
    """A sparse CSR tensor; torch's one-time "beta" warning is not ours to show."""
    global _BETA_WARNED
    if _BETA_WARNED:
        return torch.sparse_csr_tensor(crow, col, values, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = torch.sparse_csr_tensor(crow, col, values, size)
    _BETA_WARNED = True
    return out


class _CSRMatmul(torch.autograd.Function):
    """``x W^T`` for ``W`` given by CSR structure and values; gradients only where ``W`` has entries."""

    @staticmethod
    def forward(ctx, x, values, crow, col, t_crow, t_col, t_perm, n_in):
        n_out = crow.numel() - 1
        w = _csr(crow, col, values, (n_out, n_in))
        ctx.save_for_backward(x, values, crow, col, t_crow, t_col, t_perm)
        ctx.n_in = n_in
        return torch.sparse.mm(w, x.t()).t()

    @staticmethod
    def backward(ctx, grad_y):
        x, values, crow, col, t_crow, t_col, t_perm = ctx.saved_tensors
        n_out, n_in = crow.numel() - 1, ctx.n_in
        grad_x = grad_values = None
        if ctx.needs_input_grad[0]:
            w_t = _csr(t_crow, t_col, values[t_perm], (n_in, n_out))
            grad_x = torch.sparse.mm(w_t, grad_y.t()).t()
        if ctx.needs_input_grad[1]:
            pattern = _csr(crow, col, torch.zeros_like(values), (n_out, n_in))
            grad_values = torch.sparse.sampled_addmm(pattern, grad_y.t().contiguous(), x, beta=0.0).values()
        return grad_x, grad_values, None, None, None, None, None, None


class SparseLinear(nn.Module):
    """A linear layer whose parameters are the values of its present connections only.

    Parameters
    ----------
    in_features, out_features : int
        Layer widths.
    bias : bool, optional
        Whether the layer has a bias.
    mask : torch.Tensor of bool, shape (out_features, in_features), optional
        Which connections exist. Default: all of them.

    Attributes
    ----------
    values : nn.Parameter, shape (nnz,)
        The weights of the present connections in CSR (row-major) order. Initialised as
        ``nn.Linear`` initialises its weight (the dense draw, read at the mask).
    bias : nn.Parameter or None, shape (out_features,)
    crow, col, t_crow, t_col, t_perm : torch.LongTensor
        Buffers: the index structure (see :func:`csr_structure`).

    Examples
    --------
    >>> layer = SparseLinear(4, 3, mask=torch.eye(3, 4, dtype=torch.bool))
    >>> layer.n_connections(), tuple(layer(torch.zeros(2, 4)).shape)
    (3, (2, 3))
    """

    def __init__(self, in_features, out_features, bias=True, mask=None):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        if mask is None:
            mask = torch.ones(out_features, in_features, dtype=torch.bool)
        mask = self._check_mask(mask)
        dense = nn.Linear(in_features, out_features, bias=bias)  # nn.Linear's initial draw, read at the mask
        for name, tensor in csr_structure(mask).items():
            self.register_buffer(name, tensor)
        self.values = nn.Parameter(dense.weight.detach()[mask].clone())
        self.bias = nn.Parameter(dense.bias.detach().clone()) if bias else None

    @classmethod
    def from_dense(cls, weight, mask, bias=None):
        """A layer with the connections of ``mask`` and their weights read from ``weight``.

        Parameters
        ----------
        weight : torch.Tensor, shape (out, in)
            Entries outside the mask are ignored.
        mask : torch.Tensor of bool, shape (out, in)
        bias : torch.Tensor, shape (out,), optional
            None: a layer without bias.

        Returns
        -------
        SparseLinear
            On the device and in the dtype of ``weight``.
        """
        weight = torch.as_tensor(weight).detach()
        if weight.dim() != 2:
            raise ParameterError(f"weight has {weight.dim()} dimensions, expected 2 (out x in)")
        n_out, n_in = weight.shape
        layer = cls.__new__(cls)
        nn.Module.__init__(layer)
        layer.in_features, layer.out_features = int(n_in), int(n_out)
        mask = layer._check_mask(mask).to(weight.device)
        for name, tensor in csr_structure(mask).items():
            layer.register_buffer(name, tensor)
        layer.values = nn.Parameter(weight[mask].clone())
        if bias is None:
            layer.bias = None
        else:
            bias = torch.as_tensor(bias).detach().to(weight.device, weight.dtype)
            if tuple(bias.shape) != (n_out,):
                raise ParameterError(f"bias has shape {tuple(bias.shape)}, expected ({n_out},)")
            layer.bias = nn.Parameter(bias.clone())
        return layer

    def _check_mask(self, mask):
        mask = torch.as_tensor(mask)
        expected = (self.out_features, self.in_features)
        if tuple(mask.shape) != expected:
            raise ParameterError(f"mask has shape {tuple(mask.shape)}, expected {expected} (out x in)")
        return mask.to(torch.bool)

    def forward(self, x):
        y = _CSRMatmul.apply(
            x, self.values, self.crow, self.col, self.t_crow, self.t_col, self.t_perm, self.in_features
        )
        return y if self.bias is None else y + self.bias

    def n_connections(self):
        """Number of present connections (``nnz``)."""
        return int(self.values.numel())

    @property
    def weight_param(self):
        """nn.Parameter: the parameter that holds the weights (here ``values``)."""
        return self.values

    def to_values(self, tensor):
        """A per-weight tensor of this layer's layout in CSR order: here it already is."""
        return tensor

    def from_values(self, values):
        """Per-weight values in CSR order laid out as this layer keeps them: as they are."""
        return values

    @property
    def mask(self):
        """torch.Tensor of bool, shape (out, in): the present connections (a new dense tensor)."""
        return self.scatter(torch.ones_like(self.values, dtype=torch.bool))

    def dense_weight(self):
        """The weight matrix (out x in) with zeros where no connection is (a new dense tensor)."""
        return self.scatter(self.values.detach())

    def scatter(self, values):
        """A per-weight tensor in CSR order (``nnz``) laid out densely (out x in), zeros elsewhere.

        Examples
        --------
        >>> layer = SparseLinear.from_dense(torch.ones(2, 2), torch.tensor([[False, True], [True, False]]))
        >>> layer.scatter(torch.tensor([5.0, 7.0])).tolist()
        [[0.0, 5.0], [7.0, 0.0]]
        """
        values = torch.as_tensor(values)
        out = torch.zeros(self.out_features, self.in_features, dtype=values.dtype, device=values.device)
        rows = torch.repeat_interleave(torch.arange(self.out_features, device=values.device), torch.diff(self.crow))
        out[rows, self.col] = values
        return out

    def gather(self, dense):
        """A dense per-weight tensor (out x in) read at the present connections, in CSR order.

        Examples
        --------
        >>> layer = SparseLinear.from_dense(torch.ones(2, 2), torch.tensor([[False, True], [True, False]]))
        >>> layer.gather(torch.tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
        [2.0, 3.0]
        """
        dense = torch.as_tensor(dense)
        rows = torch.repeat_interleave(torch.arange(self.out_features, device=dense.device), torch.diff(self.crow))
        return dense[rows, self.col]

    def extra_repr(self):
        n = self.n_connections()
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}, "
            f"connections={n}/{self.in_features * self.out_features}"
        )
