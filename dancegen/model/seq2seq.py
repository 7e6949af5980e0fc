"""The Seq2Seq dance generator of the paper: a Bi-LSTM music encoder, an attention layer and a
decoder of stacked LSTMs that produces the next pose from the previous one.

Shapes: features ``(B, T, F)`` (music features at the dance frame rate), poses ``(B, T, 36)`` in the
parameterisation of :mod:`dancegen.model.posecode`. These modules know nothing of training, files
or pixels.

Attention (``ModelConfig.attention``): at step t the previous decoder state ``s`` scores the encoder
states ``h_i`` of a local window ``i in [t-W, t+W]`` (Luong's local attention, centred on the music
frame being danced; the music and dance share one frame clock), ``alpha_{t,i} = softmax_i score(s,
h_i)``, ``c_t = sum_i alpha_{t,i} h_i``:

* ``additive`` (Bahdanau, default): ``score = v^T tanh(W_s s + W_h h_i)``;
* ``general`` (Luong): ``score = s^T W h_i``;
* ``dot`` (Luong): ``score = s^T h_i / sqrt(d)`` (needs ``dec_hidden == 2 * enc_hidden``);
* ``none`` (ablation "w/o attention"): one context vector for the whole sequence, the mean of the
  encoder states, as in a plain encoder-decoder.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from .posecode import POSE_DIM, clamp_bones


@dataclass
class ModelConfig:
    n_features: int
    enc_hidden: int = 128
    enc_layers: int = 2
    dec_hidden: int = 256
    dec_layers: int = 2
    attention: str = "additive"     # additive | general | dot | none
    attn_dim: int = 128
    window: int = 12                # attention half-window, frames
    n_genres: int = 5
    genre_dim: int = 8
    dropout: float = 0.1
    pose_dim: int = POSE_DIM

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


class MusicEncoder(nn.Module):
    """Bi-LSTM over music features: ``(B, T, F) -> (B, T, 2 * enc_hidden)``."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.inp = nn.Sequential(nn.Linear(cfg.n_features, cfg.enc_hidden), nn.GELU(), nn.Dropout(cfg.dropout))
        self.lstm = nn.LSTM(cfg.enc_hidden, cfg.enc_hidden, num_layers=cfg.enc_layers, batch_first=True,
                            bidirectional=True, dropout=cfg.dropout if cfg.enc_layers > 1 else 0.0)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.inp(feats))
        return out


class LocalAttention(nn.Module):
    """score(s_t, h_i) over a window of encoder states; see module doc for the score functions."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.kind = cfg.attention
        enc_dim = 2 * cfg.enc_hidden
        if self.kind == "additive":
            self.w_h = nn.Linear(enc_dim, cfg.attn_dim, bias=False)
            self.w_s = nn.Linear(cfg.dec_hidden, cfg.attn_dim, bias=True)
            self.v = nn.Linear(cfg.attn_dim, 1, bias=False)
        elif self.kind == "general":
            self.w_h = nn.Linear(enc_dim, cfg.dec_hidden, bias=False)
        elif self.kind == "dot":
            if cfg.dec_hidden != enc_dim:
                raise ValueError("dot attention needs dec_hidden == 2 * enc_hidden")
        elif self.kind != "none":
            raise ValueError(f"unknown attention {self.kind!r}: use additive, general, dot or none")

    def keys(self, enc: torch.Tensor) -> torch.Tensor:
        """Precompute the per-position part of the score: ``(B, T, E) -> (B, T, K)``."""
        if self.kind in ("additive", "general"):
            return self.w_h(enc)
        return enc

    def forward(self, s: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor):
        """``s (B, D)``, ``keys (B, N, K)``, ``values (B, N, E)``, ``mask (B, N)`` bool (True = valid)
        -> ``(context (B, E), alpha (B, N))``."""
        if self.kind == "additive":
            e = self.v(torch.tanh(keys + self.w_s(s)[:, None, :])).squeeze(-1)
        else:
            e = torch.einsum("bd,bnd->bn", s, keys) / math.sqrt(keys.shape[-1])
        e = e.masked_fill(~mask, -1e9)
        alpha = torch.softmax(e, dim=-1)
        return torch.einsum("bn,bne->be", alpha, values), alpha


class Seq2SeqDance(nn.Module):
    """Encoder + attention + stacked-LSTM decoder. ``forward`` runs the decoder over a window with
    scheduled sampling; :meth:`start` / :meth:`step` run it one frame at a time for generation."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = MusicEncoder(cfg)
        self.attn = LocalAttention(cfg)
        enc_dim = 2 * cfg.enc_hidden
        self.genre = nn.Embedding(cfg.n_genres, cfg.genre_dim)
        self.global_ctx = nn.Linear(enc_dim, enc_dim) if cfg.attention == "none" else None
        in_dim = cfg.pose_dim + enc_dim + cfg.genre_dim
        self.cells = nn.ModuleList(
            [nn.LSTMCell(in_dim if i == 0 else cfg.dec_hidden, cfg.dec_hidden) for i in range(cfg.dec_layers)]
        )
        self.drop = nn.Dropout(cfg.dropout)
        self.out = nn.Sequential(
            nn.Linear(cfg.dec_hidden + enc_dim, cfg.dec_hidden), nn.GELU(), nn.Linear(cfg.dec_hidden, cfg.pose_dim)
        )
        self.init_h = nn.Linear(enc_dim + cfg.pose_dim, cfg.dec_hidden * cfg.dec_layers * 2)

    # ------------------------------------------------------------------ encoder side
    def encode(self, feats: torch.Tensor) -> dict:
        """Encode music ``(B, T, F)``; returns a memory dict used by :meth:`step`."""
        enc = self.encoder(feats)
        W = self.cfg.window
        B, T, E = enc.shape
        mem = {"T": T}
        if self.cfg.attention == "none":
            mem["global"] = torch.tanh(self.global_ctx(enc.mean(dim=1)))
        else:
            keys = self.attn.keys(enc)
            mem["keys"] = nn.functional.pad(keys, (0, 0, W, W))
            mem["values"] = nn.functional.pad(enc, (0, 0, W, W))
            valid = torch.zeros(B, T + 2 * W, dtype=torch.bool, device=enc.device)
            valid[:, W:W + T] = True
            mem["valid"] = valid
        mem["summary"] = enc.mean(dim=1)
        return mem

    def context(self, mem: dict, t: int, s: torch.Tensor):
        if self.cfg.attention == "none":
            return mem["global"], None
        n = 2 * self.cfg.window + 1
        return self.attn(s, mem["keys"][:, t:t + n], mem["values"][:, t:t + n], mem["valid"][:, t:t + n])

    # ------------------------------------------------------------------ decoder side
    def start(self, mem: dict, seed_pose: torch.Tensor, genre: torch.Tensor):
        """Initial decoder state from the music summary and the seed pose ``(B, 36)``."""
        B = seed_pose.shape[0]
        L, D = self.cfg.dec_layers, self.cfg.dec_hidden
        hc = torch.tanh(self.init_h(torch.cat([mem["summary"], seed_pose], -1))).view(B, L, 2, D)
        state = [(hc[:, i, 0].contiguous(), hc[:, i, 1].contiguous()) for i in range(L)]
        return state, self.genre(genre)

    def step(self, mem: dict, t: int, prev_pose: torch.Tensor, state, genre_e: torch.Tensor):
        """One frame: returns ``(pose (B, 36), new_state, alpha)``."""
        c, alpha = self.context(mem, t, state[-1][0])
        x = torch.cat([prev_pose, c, genre_e], dim=-1)
        new_state = []
        for i, cell in enumerate(self.cells):
            h, cc = cell(x, state[i])
            new_state.append((h, cc))
            x = self.drop(h) if i < len(self.cells) - 1 else h
        raw = self.out(torch.cat([x, c], dim=-1))
        return clamp_bones(raw), new_state, alpha

    def forward(self, feats: torch.Tensor, poses: torch.Tensor, genre: torch.Tensor, sampling_p: float = 0.0,
                seed_frames: int = 1, free_p: float = 0.0):
        """Teacher-forced / scheduled-sampling decoding over a window.

        ``feats (B, T, F)``, ``poses (B, T, 36)`` ground truth, ``genre (B,)``. The first
        ``seed_frames`` poses are given; the model predicts frames ``seed_frames .. T-1``, feeding
        back its own previous output (detached) with probability ``sampling_p`` per sample and step;
        with probability ``free_p`` a sample runs free for the whole window (its own outputs only,
        as in generation). Returns predictions ``(B, T - seed_frames, 36)``.
        """
        mem = self.encode(feats)
        state, ge = self.start(mem, poses[:, seed_frames - 1], genre)
        for t in range(1, seed_frames):  # warm up on the seed motion
            _, state, _ = self.step(mem, t, poses[:, t - 1], state, ge)
        prev = poses[:, seed_frames - 1]
        outs = []
        T = poses.shape[1]
        free = (torch.rand(poses.shape[0], 1, device=poses.device) < free_p).to(poses.dtype) if free_p > 0 else None
        for t in range(seed_frames, T):
            pred, state, _ = self.step(mem, t, prev, state, ge)
            outs.append(pred)
            if t + 1 < T:
                gt = poses[:, t]
                if sampling_p > 0 or free is not None:
                    use_own = (torch.rand(gt.shape[0], 1, device=gt.device) < sampling_p).to(gt.dtype)
                    if free is not None:
                        use_own = torch.maximum(use_own, free)
                    prev = use_own * pred.detach() + (1 - use_own) * gt
                else:
                    prev = gt
        return torch.stack(outs, dim=1)
