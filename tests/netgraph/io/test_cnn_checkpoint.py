"""Checkpoints of convolutional networks (netgraph.io.cnn): written, read back, refused when damaged."""

import pytest
import torch

from netgraph import CheckpointError, load_checkpoint
from netgraph.io.cnn import FORMAT, is_cnn_checkpoint, load_cnn_checkpoint, save_cnn_checkpoint
from netgraph.nn.conv import ResNet8


@pytest.fixture
def net():
    torch.manual_seed(0)
    model = ResNet8((1, 8, 8), 3, widths=(2, 4, 4))
    model.stem_bn.running_mean.fill_(0.5)  # a buffer that is not a weight comes back too
    return model


def test_a_network_comes_back_whole(net, tmp_path):
    path = save_cnn_checkpoint(net, tmp_path / "net.pt", meta={"seed": 3})
    assert is_cnn_checkpoint(path) and not is_cnn_checkpoint(tmp_path / "missing.pt")
    ckpt = load_cnn_checkpoint(path)
    assert (ckpt.arch, ckpt.arch_options, ckpt.image_shape, ckpt.n_classes) == (
        "resnet8",
        {"widths": [2, 4, 4]},
        (1, 8, 8),
        3,
    )
    back = ckpt.to_model()
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), back.state_dict().values()))
    assert ckpt.meta == {"seed": 3} and float(back.stem_bn.running_mean[0]) == 0.5


def _rewrite(path, **changes):
    doc = torch.load(path, weights_only=True)
    doc.update(changes)
    torch.save(doc, path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version": 9}, "is version 9 of netgraph-cnn-checkpoint; this netgraph reads 1"),
        ({"image_shape": [8, 8]}, r"image_shape is \[8, 8\], expected \[channels, height, width\]"),
        ({"arch": "vgg"}, "names the architecture 'vgg'"),
        ({"n_classes": 4}, "its state does not fit a resnet8"),
    ],
)
def test_a_damaged_checkpoint_is_refused_naming_the_file(net, tmp_path, changes, message):
    path = save_cnn_checkpoint(net, tmp_path / "net.pt")
    _rewrite(path, **changes)
    with pytest.raises(CheckpointError, match=f"{tmp_path / 'net.pt'}: {message}"):
        load_cnn_checkpoint(path).to_model()


def test_the_mlp_reader_points_to_the_channel_graph(net, tmp_path):
    path = save_cnn_checkpoint(net, tmp_path / "net.pt")
    with pytest.raises(CheckpointError, match="is the checkpoint of a convolutional network, not a chain.*to_graph"):
        load_checkpoint(path)
    torch.save({"conv.weight": torch.zeros(2, 1, 3, 3)}, tmp_path / "plain.pt")
    assert not is_cnn_checkpoint(tmp_path / "plain.pt")
    assert FORMAT == "netgraph-cnn-checkpoint"
