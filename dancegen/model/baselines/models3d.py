"""The two comparison models on the 3D pose vector of the sampling generator
(:mod:`dancegen.model.motion3d`, 54 numbers per frame, standardised with the training set's
``pose_mean`` / ``pose_std`` as :mod:`dancegen.model.seq2seq3d` is), built from the blocks of the 2D
ones:

* ``gan-stgcn3d`` (:class:`GanSTGCN3D`): the ST-GCN generator and discriminator of
  :mod:`.stgcn_gan` over the 17-joint body graph of :mod:`dancegen.body3d` (the bone tree rooted at
  MidHip, ST-GCN's partition: self, parent, children). On the graph each bone's direction (3
  numbers) sits on its child joint and the root's height, floor displacement (2), turn and the two
  foot contacts sit on MidHip: :data:`C3` = 6 channels per joint, the bone joints' last three
  zero (:func:`to_graph`, :func:`from_graph`). The generator has 6 outputs per joint; MidHip's six
  and every other joint's first three make the next pose vectors.
* ``vqvae-transformer3d`` (:class:`VQVAETransformer3D`): the motion VQ-VAE and the music-to-code
  transformer of :mod:`.vqvae_transformer` over the 54 numbers (``pose_dim`` 54), the decoder's
  output taken as it is.

Both output standardised pose vectors; decoding (heading and floor position integrated, every bone
at its reference length by forward kinematics) and the 3D HGR loop are the 3D generator's
(:func:`dancegen.model.generate3d.decode3d`). These modules know nothing of training or files.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ... import body3d as b3
from .. import motion3d
from .stgcn_gan import GanConfig, GraphGan, partitioned_adjacency
from .vqvae_transformer import MotionVQVAE, VQConfig, VQVAETransformer

GAN3D = "gan-stgcn3d"
VQ3D = "vqvae-transformer3d"
KINDS3D = (GAN3D, VQ3D)
#: channels per joint of the graph view of a pose vector
C3 = 6


def _graph_index() -> np.ndarray:
    """``(J3, C3)``: the pose-vector column at each joint's channel; ``motion3d.DIM`` = a zero."""
    idx = np.full((b3.J3, C3), motion3d.DIM)
    vel = range(motion3d.SL_VEL.start, motion3d.SL_VEL.stop)
    contact = range(motion3d.SL_CONTACT.start, motion3d.SL_CONTACT.stop)
    idx[0] = [motion3d.SL_ROOT_Y, *vel, motion3d.SL_DYAW, *contact]
    for b, (_, child) in enumerate(b3.BONES3D):
        first = motion3d.SL_DIRS.start + 3 * b
        idx[child, :3] = range(first, first + 3)
    return idx


GRAPH_INDEX = _graph_index()
_TO_GRAPH = torch.from_numpy(GRAPH_INDEX.reshape(-1))
_FROM_GRAPH = torch.from_numpy(np.array([int(np.flatnonzero(GRAPH_INDEX.reshape(-1) == k)[0])
                                         for k in range(motion3d.DIM)]))


def to_graph(x: torch.Tensor) -> torch.Tensor:
    """Pose vectors ``(..., 54)`` -> their graph view ``(..., 17, 6)`` (see the module doc).

    >>> to_graph(torch.arange(54.0))[[0, 1, 16]].tolist()
    [[0.0, 1.0, 2.0, 3.0, 52.0, 53.0], [4.0, 5.0, 6.0, 0.0, 0.0, 0.0], [49.0, 50.0, 51.0, 0.0, 0.0, 0.0]]
    """
    padded = torch.cat([x, x.new_zeros(x.shape[:-1] + (1,))], dim=-1)
    return padded[..., _TO_GRAPH].unflatten(-1, (b3.J3, C3))


def from_graph(g: torch.Tensor) -> torch.Tensor:
    """Per-joint values ``(..., 17, 6)`` -> pose vectors ``(..., 54)``; the inverse of
    :func:`to_graph` (the padding channels are not read)."""
    return g.flatten(-2)[..., _FROM_GRAPH]


class GanSTGCN3D(GraphGan):
    """GAN-ST-GCN on the 3D body graph and the standardised 3D pose vector (``cfg.pose_dim`` 54)."""

    def __init__(self, cfg: GanConfig):
        super().__init__(cfg, torch.from_numpy(partitioned_adjacency(b3.BONES3D, b3.J3)), out_dim=C3, in_dim=C3)

    def graph_view(self, params: torch.Tensor) -> torch.Tensor:
        return to_graph(params)

    def poses(self, out: torch.Tensor) -> torch.Tensor:
        return from_graph(out)


class MotionVQVAE3D(MotionVQVAE):
    """The motion VQ-VAE on standardised 3D pose vectors: the decoder's output is the pose."""

    def poses(self, raw: torch.Tensor) -> torch.Tensor:
        return raw


class VQVAETransformer3D(VQVAETransformer):
    """Transformer-VQ-VAE on the standardised 3D pose vector (``cfg.pose_dim`` 54)."""

    vqvae_class = MotionVQVAE3D


def build_model3d(kind: str, model_config: dict) -> nn.Module:
    """A fresh (untrained) 3D comparison model of ``kind`` (:data:`KINDS3D`) from its config dict."""
    if kind == GAN3D:
        return GanSTGCN3D(GanConfig.from_dict(model_config))
    if kind == VQ3D:
        return VQVAETransformer3D(VQConfig.from_dict(model_config))
    raise ValueError(f"model kind {kind!r}: not a 3D comparison model ({', '.join(KINDS3D)})")


def kind3d_of(model: nn.Module) -> str:
    for cls, kind in ((GanSTGCN3D, GAN3D), (VQVAETransformer3D, VQ3D)):
        if isinstance(model, cls):
            return kind
    raise TypeError(f"not a 3D comparison model: {type(model).__name__}")


__all__ = ["GAN3D", "VQ3D", "KINDS3D", "C3", "GRAPH_INDEX", "to_graph", "from_graph", "GanSTGCN3D",
           "MotionVQVAE3D", "VQVAETransformer3D", "build_model3d", "kind3d_of"]
