"""Transformer-VQ-VAE comparison model (Bailando-like: a motion VQ-VAE plus a music-conditioned
GPT over its codes; after Siyao et al., "Bailando", CVPR 2022, written from the paper's formulas,
for our 2D pose parameterisation and with one codebook for the whole body).

Shapes: poses ``(B, T, 36)`` in the parameterisation of :mod:`dancegen.model.posecode`, music
features ``(B, T, F)`` standardised at the dance frame rate, codes ``(B, T / d)`` long with
``d = down`` (4 by default: one code per 160 ms at 25 fps).

Stage 1, VQ-VAE::

    poses (B,T,36) -> Conv1d(36,W,3) -> [Conv1d(W,W,4,stride 2) + dilated residual block] x log2(d)
                   -> Conv1d(W,D,3) = z_e (B,T/d,D)
    quantise: k_i = argmin_k |z_e,i - e_k|^2 over a codebook of K vectors e_k (D-dim)
              z_q = z_e + sg(e_k - z_e)             (straight-through estimator)
              commitment loss beta * |z_e - sg(e_k)|^2
              codebook: exponential moving averages of the assigned counts and sums (decay
              ``ema``), Laplace-smoothed; a code unused for a while (EMA count < ``dead_threshold``)
              is reset to a random encoder output of the batch
    z_q -> Conv1d(D,W,3) -> [residual block, x2 nearest upsampling, Conv1d(W,W,3)] x log2(d)
        -> Conv1d(W,36,3) -> clamp_bones -> poses (bones never longer than their reference)

Stage 2, music-to-code transformer (a causal decoder)::

    music (B,T,F) -> Conv1d(F,M,3) -> Conv1d(M,M,d,stride d) -> (B,T/d,M) at the code rate
                  -> + positions -> TransformerEncoder (bidirectional over the window) = memory
    input token i = embed(code_{i-1}) (embed(BOS) at i = 0) + position i + genre + memory_i
    -> TransformerDecoder (causal self-attention, cross-attention to the memory) -> logits over K

Generation samples code i from the top-k of the softmax at ``temperature`` with a seeded
``torch.Generator``; beyond ``max_codes`` the window slides one code at a time (the predicted code
is always the last position of a training-length window, as in training), so a song of any length
gets ceil(T / d) codes, which the convolutional decoder turns into poses in one pass.
"""
from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as Fn

from ..posecode import POSE_DIM, clamp_bones


@dataclass
class VQConfig:
    n_features: int
    n_genres: int = 5
    pose_dim: int = POSE_DIM
    down: int = 4                   # temporal downsampling (a power of two)
    width: int = 128                # VQ-VAE conv channels
    code_dim: int = 64
    n_codes: int = 512
    beta: float = 0.25              # commitment weight
    ema: float = 0.99               # codebook EMA decay
    dead_threshold: float = 0.5     # EMA count (vectors per batch) below which a code is reset
    d_model: int = 128              # transformer
    n_heads: int = 4
    n_layers: int = 3
    enc_layers: int = 1             # music memory encoder layers
    ff: int = 256
    dropout: float = 0.1
    max_codes: int = 30             # training window in codes (120 frames / 4)
    genre_dim: int = 0              # unused (genre embeds at d_model); kept for symmetry with others
    top_k: int = 8
    temperature: float = 1.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "VQConfig":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    @property
    def n_down(self) -> int:
        n = int(round(math.log2(self.down)))
        if 2 ** n != self.down or n < 0:
            raise ValueError(f"down={self.down}: must be a power of two")
        return n


class ResBlock1d(nn.Module):
    """``x + Conv1d(ReLU(Conv1d(ReLU(x), k=3, dilation)), k=1)``, shape-preserving ``(B, C, T)``."""

    def __init__(self, c: int, dilation: int = 1):
        super().__init__()
        self.net = nn.Sequential(nn.ReLU(), nn.Conv1d(c, c, 3, padding=dilation, dilation=dilation), nn.ReLU(),
                                 nn.Conv1d(c, c, 1))

    def forward(self, x):
        return x + self.net(x)


class MotionEncoder(nn.Module):
    """``(B, T, 36) -> (B, T/d, D)``; T must be a multiple of ``d``."""

    def __init__(self, cfg: VQConfig):
        super().__init__()
        W = cfg.width
        layers = [nn.Conv1d(cfg.pose_dim, W, 3, padding=1)]
        for i in range(cfg.n_down):
            layers += [nn.ReLU(), nn.Conv1d(W, W, 4, stride=2, padding=1), ResBlock1d(W, 1), ResBlock1d(W, 3)]
        layers += [nn.ReLU(), nn.Conv1d(W, cfg.code_dim, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, poses):
        return self.net(poses.transpose(1, 2)).transpose(1, 2)


class MotionDecoder(nn.Module):
    """``(B, N, D) -> raw (B, N*d, 36)`` (unclamped)."""

    def __init__(self, cfg: VQConfig):
        super().__init__()
        W = cfg.width
        layers = [nn.Conv1d(cfg.code_dim, W, 3, padding=1)]
        for i in range(cfg.n_down):
            layers += [ResBlock1d(W, 3), ResBlock1d(W, 1), nn.Upsample(scale_factor=2, mode="nearest"),
                       nn.Conv1d(W, W, 3, padding=1)]
        layers += [nn.ReLU(), nn.Conv1d(W, W, 3, padding=1), nn.ReLU(), nn.Conv1d(W, cfg.pose_dim, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, zq):
        return self.net(zq.transpose(1, 2)).transpose(1, 2)


class EMAQuantizer(nn.Module):
    """Vector quantiser with an EMA codebook and dead-code reset.

    ``forward(z (B, N, D)) -> (z_q (B, N, D) straight-through, codes (B, N) long, commit loss)``.
    Codebook updates happen only in training mode (and are all-reduced under DDP)."""

    def __init__(self, n_codes: int, dim: int, decay: float = 0.99, dead_threshold: float = 0.5, eps: float = 1e-5):
        super().__init__()
        self.K, self.D, self.decay, self.dead, self.eps = n_codes, dim, decay, dead_threshold, eps
        embed = torch.randn(n_codes, dim) * 0.1
        self.register_buffer("embed", embed)
        self.register_buffer("count", torch.ones(n_codes))
        self.register_buffer("embed_sum", embed.clone())
        self.register_buffer("initialised", torch.zeros((), dtype=torch.bool))

    def codes(self, z: torch.Tensor) -> torch.Tensor:
        """Nearest code of each vector: ``(..., D) -> (...)`` long."""
        flat = z.reshape(-1, self.D)
        d = (flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.embed.t() + self.embed.pow(2).sum(1)[None])
        return d.argmin(1).view(z.shape[:-1])

    def lookup(self, codes: torch.Tensor) -> torch.Tensor:
        return Fn.embedding(codes, self.embed)

    @staticmethod
    def _all_reduce(t: torch.Tensor) -> torch.Tensor:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(t)
        return t

    @staticmethod
    def _broadcast(t: torch.Tensor) -> torch.Tensor:
        """Rank 0's tensor on every rank (no-op without DDP)."""
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.broadcast(t, 0)
        return t

    @torch.no_grad()
    def _update(self, flat: torch.Tensor, codes: torch.Tensor):
        if not bool(self.initialised):
            # data-dependent init: codebook = random encoder outputs (avoids an all-dead start)
            idx = torch.randint(0, flat.shape[0], (self.K,), device=flat.device)
            init = self._broadcast(flat[idx].clone())
            self.embed.copy_(init)
            self.embed_sum.copy_(init)
            self.count.fill_(1.0)
            self.initialised.fill_(True)
            return
        onehot = Fn.one_hot(codes, self.K).type(flat.dtype)      # (N, K)
        n = self._all_reduce(onehot.sum(0))
        s = self._all_reduce(onehot.t() @ flat)
        self.count.mul_(self.decay).add_(n, alpha=1 - self.decay)
        self.embed_sum.mul_(self.decay).add_(s, alpha=1 - self.decay)
        total = self.count.sum()
        smoothed = (self.count + self.eps) / (total + self.K * self.eps) * total
        self.embed.copy_(self.embed_sum / smoothed[:, None])
        dead = self.count < self.dead
        n_dead = int(dead.sum())
        if n_dead:
            idx = torch.randint(0, flat.shape[0], (n_dead,), device=flat.device)
            new = self._broadcast(flat[idx].clone())
            self.embed[dead] = new
            self.embed_sum[dead] = new
            self.count[dead] = 1.0

    def forward(self, z: torch.Tensor):
        flat = z.reshape(-1, self.D)
        if self.training:
            codes = self.codes(z)
            self._update(flat.detach(), codes.reshape(-1))
        codes = self.codes(z)
        zq = self.lookup(codes)
        commit = Fn.mse_loss(z, zq.detach())
        zq = z + (zq - z).detach()
        return zq, codes, commit


class MotionVQVAE(nn.Module):
    def __init__(self, cfg: VQConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = MotionEncoder(cfg)
        self.quantizer = EMAQuantizer(cfg.n_codes, cfg.code_dim, cfg.ema, cfg.dead_threshold)
        self.decoder = MotionDecoder(cfg)

    def poses(self, raw: torch.Tensor) -> torch.Tensor:
        """The decoder's raw output -> poses (2D: valid parameters, bones clamped)."""
        return clamp_bones(raw)

    def forward(self, poses: torch.Tensor):
        """``poses (B, T, 36)`` (T a multiple of ``down``) -> ``(recon params (B, T, 36), codes
        (B, T/d), commit loss)``."""
        zq, codes, commit = self.quantizer(self.encoder(poses))
        return self.poses(self.decoder(zq)), codes, commit

    @torch.no_grad()
    def encode(self, poses: torch.Tensor) -> torch.Tensor:
        return self.quantizer.codes(self.encoder(poses))

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """``codes (B, N)`` -> params ``(B, N*d, 36)``."""
        return self.poses(self.decoder(self.quantizer.lookup(codes)))


class MusicToCode(nn.Module):
    """Causal transformer decoder over codes with music cross-attention memory (see module doc)."""

    def __init__(self, cfg: VQConfig):
        super().__init__()
        self.cfg = cfg
        M, d = cfg.d_model, cfg.down
        self.music = nn.Sequential(nn.Conv1d(cfg.n_features, M, 3, padding=1), nn.GELU(), nn.Conv1d(M, M, d, stride=d))
        self.pos = nn.Parameter(torch.randn(cfg.max_codes, M) * 0.02)
        self.mem_pos = nn.Parameter(torch.randn(cfg.max_codes, M) * 0.02)
        mk = dict(d_model=M, nhead=cfg.n_heads, dim_feedforward=cfg.ff, dropout=cfg.dropout, batch_first=True,
                  norm_first=True, activation="gelu")
        self.mem_enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(**mk), cfg.enc_layers, enable_nested_tensor=False)
        self.dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(**mk), cfg.n_layers)
        self.tok = nn.Embedding(cfg.n_codes + 1, M)      # index n_codes = BOS
        self.genre = nn.Embedding(cfg.n_genres, M)
        self.norm = nn.LayerNorm(M)
        self.head = nn.Linear(M, cfg.n_codes)

    @property
    def bos(self) -> int:
        return self.cfg.n_codes

    def music_rate(self, feats: torch.Tensor) -> torch.Tensor:
        """``(B, T, F)`` (T a multiple of ``down``) -> ``(B, T/d, M)`` at the code rate (local convs)."""
        return self.music(feats.transpose(1, 2)).transpose(1, 2)

    def logits(self, music_codes: torch.Tensor, prev: torch.Tensor, genre: torch.Tensor) -> torch.Tensor:
        """``music_codes (B, N, M)`` (from :meth:`music_rate`), ``prev (B, N)`` input tokens (BOS then
        the codes shifted by one), ``genre (B,)`` -> logits ``(B, N, K)``; N <= ``max_codes``."""
        B, N, _ = music_codes.shape
        if N > self.cfg.max_codes:
            raise ValueError(f"{N} codes > max_codes={self.cfg.max_codes}; generate in windows")
        mem = self.mem_enc(music_codes + self.mem_pos[:N])
        x = self.tok(prev) + self.pos[:N] + self.genre(genre)[:, None] + mem
        mask = torch.triu(torch.full((N, N), float("-inf"), device=x.device), diagonal=1)
        h = self.dec(x, mem, tgt_mask=mask, tgt_is_causal=True)
        return self.head(self.norm(h))

    def loss(self, feats: torch.Tensor, codes: torch.Tensor, genre: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced cross entropy of ``codes (B, N)`` given ``feats (B, N*d, F)``; returns
        ``(loss, accuracy)``."""
        B, N = codes.shape
        prev = torch.cat([codes.new_full((B, 1), self.bos), codes[:, :-1]], 1)
        lg = self.logits(self.music_rate(feats), prev, genre)
        loss = Fn.cross_entropy(lg.reshape(B * N, -1), codes.reshape(-1))
        acc = (lg.argmax(-1) == codes).float().mean()
        return loss, acc


class VQVAETransformer(nn.Module):
    """The two-stage model: :class:`MotionVQVAE` (or the :attr:`vqvae_class` of a subclass) +
    :class:`MusicToCode`."""

    vqvae_class = MotionVQVAE

    def __init__(self, cfg: VQConfig):
        super().__init__()
        self.cfg = cfg
        self.vqvae = self.vqvae_class(cfg)
        self.gpt = MusicToCode(cfg)

    @torch.no_grad()
    def sample_codes(self, feats_std: np.ndarray | torch.Tensor, genre_idx: int, seed: int = 0,
                     top_k: int | None = None, temperature: float | None = None, progress: bool = False) -> torch.Tensor:
        """Codes ``(N,)`` long for music ``(T, F)`` with ``N = ceil(T / down)`` (features padded by
        repeating the last frame). ``top_k=1`` is greedy decoding."""
        cfg = self.cfg
        k = int(top_k or cfg.top_k)
        temp = float(cfg.temperature if temperature is None else temperature)
        if temp <= 0:
            raise ValueError(f"temperature {temp}: must be > 0")
        f = torch.as_tensor(np.asarray(feats_std, np.float32))[None]
        T = f.shape[1]
        N = -(-T // cfg.down)
        if N * cfg.down > T:
            f = torch.cat([f, f[:, -1:].expand(1, N * cfg.down - T, -1)], 1)
        mus = self.gpt.music_rate(f)                                 # (1, N, M)
        g = torch.Generator().manual_seed(int(seed))
        genre = torch.tensor([int(genre_idx)])
        L = cfg.max_codes
        codes = torch.empty(N, dtype=torch.long)
        it = range(N)
        if progress and N > 100:
            from tqdm import tqdm

            it = tqdm(it, desc="generating (vqvae-transformer)", unit="code", file=sys.stderr, mininterval=0.5)
        for i in it:
            s = max(0, i - L + 1)
            e = min(N, s + L)
            # the window [s, e) as in training: BOS, then the known codes; positions after i are
            # placeholders that the causal mask hides from position i
            prev = torch.full((1, e - s), self.gpt.bos, dtype=torch.long)
            prev[0, 1:i - s + 1] = codes[s:i]
            lg = self.gpt.logits(mus[:, s:e], prev, genre)[0, i - s]
            lg = lg / temp
            if k < lg.numel():
                kth = torch.topk(lg, k).values[-1]
                lg = lg.masked_fill(lg < kth, float("-inf"))
            codes[i] = torch.multinomial(torch.softmax(lg, -1), 1, generator=g)[0]
        return codes

    @torch.no_grad()
    def generate(self, feats_std: np.ndarray, genre_idx: int, seed: int = 0, top_k: int | None = None,
                 temperature: float | None = None, progress: bool = False) -> np.ndarray:
        """Poses for a whole song: ``feats_std (T, F)`` -> params ``(T, pose_dim)`` float32."""
        was = self.training
        self.eval()
        T = int(np.asarray(feats_std).shape[0])
        codes = self.sample_codes(feats_std, genre_idx, seed, top_k, temperature, progress)
        out = self.vqvae.decode(codes[None])[0, :T]
        self.train(was)
        return out.numpy().astype(np.float32)


__all__ = ["VQConfig", "VQVAETransformer", "MotionVQVAE", "MusicToCode", "EMAQuantizer"]
