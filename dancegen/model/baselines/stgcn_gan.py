"""GAN-ST-GCN comparison model: a spatio-temporal graph-convolution generator over the OpenPose-18
skeleton graph, trained adversarially against an ST-GCN discriminator that judges (poses, music)
pairs (in the spirit of Ferreira et al., "Learning to dance: a graph convolutional adversarial
network to generate realistic dance motions from audio", 2021; written from the papers' formulas).

Shapes: music features ``(B, T, F)`` standardised, at the dance frame rate; poses ``(B, T, 36)`` in
the parameterisation of :mod:`dancegen.model.posecode`; graph tensors ``(B, C, T, V)`` with
``V = 18`` joints in OpenPose-18 order.

Generator (non-autoregressive: a whole window at once)::

    music (B,T,F) -conv1d x2-> (B,M,T) --broadcast to joints--> (B,M,T,V)
    noise z (B,Z), genre embedding, learned joint embedding      --broadcast--> (B,*,T,V)
    context joints (B,3,T,V): x, y (body units) and a mask; the last frames of the previous window
    -> ST-GCN block (C1) -> block (C2, temporal stride 2) -> block (C2) -> upsample to T
    -> block (C1, with the skip from the first block) -> per-joint linear head (2 outputs per joint)

The head turns joint features into our 36-d parameters: the neck joint's two outputs are the neck
position, and each other joint's two outputs are the raw vector of the bone that ends at it (every
one of the 17 bones has a distinct child joint). :func:`~dancegen.model.posecode.clamp_bones` then
maps them to valid parameters, so no generated bone is longer than its reference length.

Discriminator: decoded joints and their velocities (B,4,T,V) + the music embedding, genre and joint
embeddings -> three spectrally normalised ST-GCN blocks (temporal strides 1, 2, 2) -> mean over
joints -> one score per time patch ``(B, ceil(T/4))`` (a temporal PatchGAN).

Spatial graph convolution (ST-GCN's "spatial configuration" partition): the adjacency with self
loops ``A + I`` of the 17 bones is split into K = 3 parts: the joint itself, its neighbour closer to
the neck (parent) and its neighbours farther from it (children); each part is normalised
symmetrically with the degrees of ``A + I``: ``A_k <- D^-1/2 A_k D^-1/2``. ``sum_k A_k`` is the
usual normalised adjacency ``D^-1/2 (A + I) D^-1/2``. A learned edge-importance mask (initialised
to ones, ST-GCN's) scales each part.

The players are written for any skeleton graph and pose code (:class:`GraphGan`: the graph, the
number of channels per joint, how poses map onto the joints); :class:`GanSTGCN` is the 2D model,
:class:`dancegen.model.baselines.models3d.GanSTGCN3D` the same networks on the 3D pose vector.

Long songs: :meth:`GraphGan.generate` runs the generator window by window; each window after the
first gets the last ``overlap`` frames of the previous one as context (the generator is trained
with such context half of the time) and the overlap is cross-faded linearly, so any ``T`` works.
"""
from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as Fn

from ...skeleton import BONES, J
from ..posecode import N_BONES, POSE_DIM, clamp_bones, decode_torch

# child joint of every bone, in BONES order; the neck (joint 1) is the root
BONE_CHILD = tuple(c for _, c in BONES)
NECK = 1


@dataclass
class GanConfig:
    n_features: int
    n_genres: int = 5
    genre_dim: int = 8
    music_dim: int = 32
    noise_dim: int = 16
    joint_dim: int = 8
    g_channels: tuple = (48, 64)
    d_channels: tuple = (32, 48, 64)
    t_kernel: int = 9
    dropout: float = 0.0
    context: int = 16               # frames of previous-window context (generation overlap)
    window: int = 120               # generation window, frames
    pose_dim: int = POSE_DIM

    def to_dict(self) -> dict:
        d = asdict(self)
        d["g_channels"], d["d_channels"] = list(self.g_channels), list(self.d_channels)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "GanConfig":
        d = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        for k in ("g_channels", "d_channels"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)


# ------------------------------------------------------------------------------------------ graph
def skeleton_adjacency(self_loops: bool = True, normalize: bool = True, bones=BONES, n_joints: int = J) -> np.ndarray:
    """Adjacency of a skeleton graph, ``(n_joints, n_joints)`` float32; by default OpenPose-18's.

    Edges are the ``bones`` (``(parent, child)`` pairs, undirected; default the 17
    :data:`dancegen.skeleton.BONES`). With ``self_loops`` the identity is added; with ``normalize``
    the result is ``D^-1/2 A D^-1/2`` (``D`` its degree matrix), which is symmetric with spectral
    radius 1.
    """
    A = np.zeros((n_joints, n_joints), np.float32)
    for p, c in bones:
        A[p, c] = A[c, p] = 1.0
    if self_loops:
        A += np.eye(n_joints, dtype=np.float32)
    if normalize:
        d = A.sum(1)
        inv = np.where(d > 0, 1.0 / np.sqrt(np.maximum(d, 1e-12)), 0.0).astype(np.float32)
        A = inv[:, None] * A * inv[None, :]
    return A.astype(np.float32)


def partitioned_adjacency(bones=BONES, n_joints: int = J) -> np.ndarray:
    """ST-GCN spatial-configuration partition, ``(3, V, V)`` float32 (default OpenPose-18, V = 18):
    ``[0]`` self loops, ``[1]`` edges to the parent (toward the root: the neck in 2D, the mid-hip
    in 3D), ``[2]`` edges to the children; each normalised with the degrees of ``A + I`` so that
    the three parts sum to :func:`skeleton_adjacency`. Entry ``[k, v, w]`` is the weight with which
    joint ``v`` feeds joint ``w``."""
    full = skeleton_adjacency(normalize=False, bones=bones, n_joints=n_joints)
    inv = 1.0 / np.sqrt(full.sum(1))
    parts = np.zeros((3, n_joints, n_joints), np.float32)
    parts[0] = np.eye(n_joints)
    for p, c in bones:
        parts[1, p, c] = 1.0   # the parent feeds the child: the child's "closer to root" neighbour
        parts[2, c, p] = 1.0   # the child feeds the parent: the parent's "farther" neighbours
    return (inv[None, :, None] * parts * inv[None, None, :]).astype(np.float32)


class GraphConv(nn.Module):
    """Spatial graph convolution ``(B, Cin, T, V) -> (B, Cout, T, V)``: a 1x1 convolution to
    ``K * Cout`` channels, then ``sum_k x_k @ (A_k * M_k)`` with the learned edge mask ``M``."""

    def __init__(self, c_in: int, c_out: int, A: torch.Tensor, sn: bool = False):
        super().__init__()
        self.K = A.shape[0]
        conv = nn.Conv2d(c_in, c_out * self.K, 1)
        self.conv = nn.utils.parametrizations.spectral_norm(conv) if sn else conv
        self.register_buffer("A", A.clone())
        self.importance = nn.Parameter(torch.ones_like(A))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, _, T, V = x.shape
        y = self.conv(x).view(B, self.K, -1, T, V)
        return torch.einsum("bkctv,kvw->bctw", y, self.A * self.importance)


class STGCNBlock(nn.Module):
    """Graph conv -> norm -> activation -> temporal conv (kernel ``k``, stride ``s``) -> norm, with a
    residual connection, then the activation. ``(B, Cin, T, V) -> (B, Cout, ceil(T / s), V)``.
    ``sn=True`` (discriminator): spectral normalisation, no batch norm, LeakyReLU(0.2)."""

    def __init__(self, c_in: int, c_out: int, A: torch.Tensor, k: int = 9, stride: int = 1, sn: bool = False,
                 dropout: float = 0.0):
        super().__init__()
        wrap = nn.utils.parametrizations.spectral_norm if sn else (lambda m: m)
        self.gcn = GraphConv(c_in, c_out, A, sn=sn)
        self.n1 = nn.Identity() if sn else nn.BatchNorm2d(c_out)
        self.tcn = wrap(nn.Conv2d(c_out, c_out, (k, 1), (stride, 1), ((k - 1) // 2, 0)))
        self.n2 = nn.Identity() if sn else nn.BatchNorm2d(c_out)
        self.act = nn.LeakyReLU(0.2) if sn else nn.ReLU()
        self.drop = nn.Dropout(dropout) if dropout else nn.Identity()
        if c_in == c_out and stride == 1:
            self.res = nn.Identity()
        else:
            self.res = wrap(nn.Conv2d(c_in, c_out, 1, (stride, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self.n1(self.gcn(x)))
        y = self.n2(self.tcn(self.drop(y)))
        return self.act(y + self.res(x))


def _broadcast(x: torch.Tensor, T: int, V: int) -> torch.Tensor:
    """``(B, C)`` -> ``(B, C, T, V)``; ``(B, C, T)`` -> ``(B, C, T, V)``."""
    if x.dim() == 2:
        x = x[:, :, None]
    return x[..., None].expand(x.shape[0], x.shape[1], T, V)


class MusicEmbed(nn.Module):
    """Per-frame music embedding ``(B, T, F) -> (B, M, T)``: two 1D convolutions (kernel 5)."""

    def __init__(self, n_features: int, dim: int, sn: bool = False):
        super().__init__()
        wrap = nn.utils.parametrizations.spectral_norm if sn else (lambda m: m)
        self.net = nn.Sequential(wrap(nn.Conv1d(n_features, dim, 5, padding=2)), nn.LeakyReLU(0.2),
                                 wrap(nn.Conv1d(dim, dim, 5, padding=2)), nn.LeakyReLU(0.2))

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.net(feats.transpose(1, 2))


class STGCNGenerator(nn.Module):
    """Music (+ noise, genre, optional context) -> a window of per-joint outputs ``(B, T, V,
    out_dim)`` on the graph ``A (K, V, V)``; the context has ``ctx_dim`` channels per joint (the
    graph view of the poses and a mask). 2D: V = 18, 2 outputs and x, y, mask of context per joint."""

    def __init__(self, cfg: GanConfig, A: torch.Tensor, out_dim: int = 2, ctx_dim: int = 3):
        super().__init__()
        self.cfg = cfg
        V = A.shape[-1]
        self.ctx_dim = ctx_dim
        c1, c2 = cfg.g_channels
        self.music = MusicEmbed(cfg.n_features, cfg.music_dim)
        self.genre = nn.Embedding(cfg.n_genres, cfg.genre_dim)
        self.joint = nn.Parameter(torch.randn(cfg.joint_dim, V) * 0.5)
        c_in = cfg.music_dim + cfg.noise_dim + cfg.genre_dim + cfg.joint_dim + ctx_dim
        k = cfg.t_kernel
        self.b1 = STGCNBlock(c_in, c1, A, k, dropout=cfg.dropout)
        self.b2 = STGCNBlock(c1, c2, A, k, stride=2, dropout=cfg.dropout)
        self.b3 = STGCNBlock(c2, c2, A, k, dropout=cfg.dropout)
        self.b4 = STGCNBlock(c2 + c1, c1, A, k, dropout=cfg.dropout)
        # per-joint linear head: (V, C, out_dim) weights
        self.head_w = nn.Parameter(torch.randn(V, c1, out_dim) * (0.1 / math.sqrt(c1)))
        self.head_b = nn.Parameter(torch.zeros(V, out_dim))

    def forward(self, feats: torch.Tensor, z: torch.Tensor, genre: torch.Tensor,
                context: torch.Tensor | None = None) -> torch.Tensor:
        """``feats (B, T, F)``, ``z (B, Z)``, ``genre (B,)`` long, ``context (B, T, V, ctx_dim)`` (2D:
        x, y in body units and a mask in {0, 1}; None = no context) -> per-joint outputs ``(B, T, V,
        out_dim)``."""
        B, T, _ = feats.shape
        V = self.joint.shape[1]
        if context is None:
            context = feats.new_zeros(B, T, V, self.ctx_dim)
        x = torch.cat([
            _broadcast(self.music(feats), T, V), _broadcast(z, T, V), _broadcast(self.genre(genre), T, V),
            self.joint[None, :, None, :].expand(B, -1, T, -1), context.permute(0, 3, 1, 2),
        ], dim=1)
        h1 = self.b1(x)
        h = self.b3(self.b2(h1))
        h = Fn.interpolate(h, size=(T, V), mode="nearest")
        h = self.b4(torch.cat([h, h1], dim=1))                        # (B, C1, T, V)
        return torch.einsum("bctv,vco->btvo", h, self.head_w) + self.head_b   # (B, T, V, out_dim)


class STGCNDiscriminator(nn.Module):
    """(poses, music, genre) -> patch scores ``(B, ceil(T / 4))`` (higher = more real); the poses come
    as their graph view, ``in_dim`` channels per joint of ``A``'s graph (2D: x, y)."""

    def __init__(self, cfg: GanConfig, A: torch.Tensor, in_dim: int = 2):
        super().__init__()
        d1, d2, d3 = cfg.d_channels
        self.music = MusicEmbed(cfg.n_features, cfg.music_dim, sn=True)
        self.genre = nn.Embedding(cfg.n_genres, cfg.genre_dim)
        self.joint = nn.Parameter(torch.randn(cfg.joint_dim, A.shape[-1]) * 0.5)
        c_in = 2 * in_dim + cfg.music_dim + cfg.genre_dim + cfg.joint_dim
        k = cfg.t_kernel
        self.blocks = nn.Sequential(STGCNBlock(c_in, d1, A, k, 1, sn=True), STGCNBlock(d1, d2, A, k, 2, sn=True),
                                    STGCNBlock(d2, d3, A, k, 2, sn=True))
        self.out = nn.utils.parametrizations.spectral_norm(nn.Conv1d(d3, 1, 1))

    def forward(self, joints: torch.Tensor, feats: torch.Tensor, genre: torch.Tensor) -> torch.Tensor:
        """``joints (B, T, V, in_dim)`` (2D: joints in body units), ``feats (B, T, F)``, ``genre (B,)``;
        the frame-to-frame differences (x5) join the input."""
        B, T, V = joints.shape[:3]
        vel = torch.cat([torch.zeros_like(joints[:, :1]), joints[:, 1:] - joints[:, :-1]], dim=1) * 5.0
        x = torch.cat([torch.cat([joints, vel], -1).permute(0, 3, 1, 2), _broadcast(self.music(feats), T, V),
                       _broadcast(self.genre(genre), T, V), self.joint[None, :, None, :].expand(B, -1, T, -1)], 1)
        h = self.blocks(x).mean(dim=-1)                                 # (B, C, T')
        return self.out(h).squeeze(1)


class GraphGan(nn.Module):
    """Generator + discriminator on a skeleton graph ``A (K, V, V)``, for any pose code: a subclass
    says how poses look on the graph (:meth:`graph_view`, ``in_dim`` channels per joint: what the
    discriminator judges and the generator's context) and how the generator's ``out_dim`` outputs
    per joint become poses (:meth:`poses`)."""

    def __init__(self, cfg: GanConfig, A: torch.Tensor, out_dim: int, in_dim: int):
        super().__init__()
        self.cfg = cfg
        self.generator = STGCNGenerator(cfg, A, out_dim=out_dim, ctx_dim=in_dim + 1)
        self.discriminator = STGCNDiscriminator(cfg, A, in_dim=in_dim)

    def graph_view(self, params: torch.Tensor) -> torch.Tensor:
        """Poses ``(..., pose_dim)`` -> per-joint channels ``(..., V, in_dim)``."""
        raise NotImplementedError

    def poses(self, out: torch.Tensor) -> torch.Tensor:
        """The generator's per-joint outputs ``(B, T, V, out_dim)`` -> poses ``(B, T, pose_dim)``."""
        raise NotImplementedError

    def make_context(self, params: torch.Tensor, n: int, T: int) -> torch.Tensor:
        """Context tensor ``(B, T, V, in_dim + 1)`` holding the first ``n`` frames of ``params (B, >=n,
        pose_dim)`` in their graph view with mask 1 (the rest zeros)."""
        B = params.shape[0]
        V, C = self.generator.joint.shape[1], self.generator.ctx_dim - 1
        ctx = params.new_zeros(B, T, V, C + 1)
        if n > 0:
            ctx[:, :n, :, :C] = self.graph_view(params[:, :n])
            ctx[:, :n, :, C] = 1.0
        return ctx

    def generate_window(self, feats: torch.Tensor, z: torch.Tensor, genre: torch.Tensor,
                        context: torch.Tensor | None = None) -> torch.Tensor:
        """Poses ``(B, T, pose_dim)`` for one window."""
        return self.poses(self.generator(feats, z, genre, context))

    def discriminate(self, params: torch.Tensor, feats: torch.Tensor, genre: torch.Tensor) -> torch.Tensor:
        return self.discriminator(self.graph_view(params), feats, genre)

    @torch.no_grad()
    def generate(self, feats_std: np.ndarray, genre_idx: int, seed: int = 0, window: int | None = None,
                 overlap: int | None = None, progress: bool = False, temperature: float = 1.0) -> np.ndarray:
        """Poses for a whole song: ``feats_std (T, F)`` standardised features -> params ``(T, pose_dim)``
        float32. Windows of ``window`` frames overlap by ``overlap`` frames; each window after the
        first is conditioned on the previous window's last ``overlap`` frames and cross-faded over
        them. The noise comes from a generator seeded with ``seed``: same seed, same dance;
        ``temperature`` scales its variance (0: z = 0, the generator's central dance)."""
        was_training = self.training
        self.eval()
        W = int(window or self.cfg.window)
        ov = int(self.cfg.context if overlap is None else overlap)
        if not 0 <= ov < W:
            raise ValueError(f"overlap {ov} must be in [0, window={W})")
        f = torch.from_numpy(np.ascontiguousarray(feats_std, np.float32))[None]
        T = f.shape[1]
        g = torch.Generator().manual_seed(int(seed))
        genre = torch.tensor([int(genre_idx)])
        out = torch.zeros(T, self.cfg.pose_dim)
        starts = list(range(0, max(1, T - ov), W - ov)) if T > W else [0]
        it = starts
        if progress and len(starts) > 4:
            from tqdm import tqdm

            it = tqdm(starts, desc="generating (gan-stgcn)", unit="window", file=sys.stderr, mininterval=0.5)
        for i, s in enumerate(it):
            e = min(s + W, T)
            z = torch.randn(1, self.cfg.noise_dim, generator=g) * math.sqrt(temperature)
            n_ctx = min(ov, e - s) if i > 0 else 0
            ctx = self.make_context(out[None, s:s + n_ctx], n_ctx, e - s) if n_ctx else None
            y = self.generate_window(f[:, s:e], z, genre, ctx)[0]
            if n_ctx:
                w = torch.linspace(0.0, 1.0, n_ctx + 2)[1:-1, None]     # 0 < w < 1 over the overlap
                y = y.clone()
                y[:n_ctx] = (1 - w) * out[s:s + n_ctx] + w * y[:n_ctx]
            out[s:e] = y
            if e >= T:
                break
        self.train(was_training)
        return out.numpy().astype(np.float32)


class GanSTGCN(GraphGan):
    """The 2D model: the OpenPose-18 graph, the reference bone lengths (a buffer) the joints are
    decoded with, two outputs per joint.

    ``ref`` ``(17,)``: reference bone lengths in body units (``ModelBundle.ref_lengths``)."""

    def __init__(self, cfg: GanConfig, ref):
        super().__init__(cfg, torch.from_numpy(partitioned_adjacency()), out_dim=2, in_dim=2)
        self.register_buffer("ref", torch.as_tensor(np.asarray(ref, np.float32)).clone())

    def joints(self, params: torch.Tensor) -> torch.Tensor:
        """``(..., 36)`` params -> ``(..., 18, 2)`` joints in body units."""
        return decode_torch(params, self.ref)

    def graph_view(self, params: torch.Tensor) -> torch.Tensor:
        """The decoded joints ``(..., 18, 2)``."""
        return self.joints(params)

    def poses(self, out: torch.Tensor) -> torch.Tensor:
        """``(B, T, 18, 2)`` -> valid parameters ``(B, T, 36)``: the neck joint's outputs are the neck,
        every other joint's the raw vector of the bone ending at it, then the bones are clamped."""
        return clamp_bones(torch.cat([out[:, :, NECK]] + [out[:, :, c] for c in BONE_CHILD], dim=-1))


def n_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


__all__ = ["GanConfig", "GraphGan", "GanSTGCN", "STGCNGenerator", "STGCNDiscriminator", "STGCNBlock", "GraphConv",
           "skeleton_adjacency", "partitioned_adjacency", "n_parameters", "N_BONES"]
