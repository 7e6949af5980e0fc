"""The sampling 3D Seq2Seq generator: the paper's structure with a distribution at the output.

Music features ``(B, T, F)`` -> Bi-LSTM encoder (:class:`dancegen.model.seq2seq.MusicEncoder`) ->
local attention over the encoder states -> stacked LSTM decoder whose output is fused with the
context vector -> a **mixture density head**: ``K`` diagonal Gaussians over the next pose vector
(:mod:`dancegen.model.motion3d`, standardised). Training minimises the mixture's negative
log-likelihood of the real next pose (the cross-entropy of the paper's loss); generation samples
from it (``temperature`` scales the variances and sharpens the mixture weights).

Decoder: layer 1 is an LSTM over ``[previous pose, genre embedding]``; its state ``s_t`` is the
attention query, ``alpha_{t,i} = softmax_i v^T tanh(W_s s_t + W_h h_i)`` over ``i in [t-W, t+W]``,
``c_t = sum_i alpha_{t,i} h_i``; layer 2 is an LSTM over ``[s_t, c_t]``; the head reads
``[layer-2 output, c_t]``. Because the query comes from layer 1, a teacher-forced window runs each
LSTM as one fused call over time (fast training on a CPU) and generation runs the same weights one
frame at a time (:meth:`Seq2Seq3D.step`); ``attention="none"`` (ablation) gives one context vector
for the whole sequence. These modules know nothing of training, files or pixels.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .infer3d import Model3DConfig  # noqa: F401  (the settings live where reading a file needs no torch)
from .seq2seq import LocalAttention, MusicEncoder


class Seq2Seq3D(nn.Module):
    def __init__(self, cfg: Model3DConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = MusicEncoder(cfg)
        self.attn = LocalAttention(cfg) if cfg.attention != "none" else None
        E, H, D, K = 2 * cfg.enc_hidden, cfg.dec_hidden, cfg.pose_dim, cfg.n_mix
        self.global_ctx = nn.Linear(E, E) if cfg.attention == "none" else None
        self.genre = nn.Embedding(cfg.n_genres, cfg.genre_dim)
        self.inp = nn.Linear(D + cfg.genre_dim, H)
        self.lstm1 = nn.LSTM(H, H, batch_first=True)
        self.lstm2 = nn.LSTM(H + E, H, batch_first=True)
        self.drop = nn.Dropout(cfg.dropout)
        self.fuse = nn.Sequential(nn.Linear(H + E, H), nn.GELU())
        self.head = nn.Linear(H, K * (2 * D + 1))
        self.init_h = nn.Linear(E + D, 4 * H)

    # ------------------------------------------------------------------ pieces
    def memory(self, enc: torch.Tensor) -> dict:
        """Attention memory of encoder states ``(B, T, E)``: padded keys/values and a validity mask."""
        W = self.cfg.window
        B, T, _ = enc.shape
        mem = {"T": T, "summary": enc.mean(dim=1)}
        if self.attn is None:
            mem["global"] = torch.tanh(self.global_ctx(mem["summary"]))
        else:
            mem["keys"] = nn.functional.pad(self.attn.keys(enc), (0, 0, W, W))
            mem["values"] = nn.functional.pad(enc, (0, 0, W, W))
            valid = torch.zeros(B, T + 2 * W, dtype=torch.bool, device=enc.device)
            valid[:, W:W + T] = True
            mem["valid"] = valid
        return mem

    def start(self, mem: dict, seed: torch.Tensor):
        """Initial decoder states from the music summary and the seed pose ``(B, D)``."""
        B, H = seed.shape[0], self.cfg.dec_hidden
        z = torch.tanh(self.init_h(torch.cat([mem["summary"], seed], -1))).view(B, 4, H)
        return ((z[:, 0][None].contiguous(), z[:, 1][None].contiguous()),
                (z[:, 2][None].contiguous(), z[:, 3][None].contiguous()))

    def _context_all(self, mem: dict, s: torch.Tensor) -> torch.Tensor:
        """Contexts for every step of a window: queries ``s (B, T, H)`` -> ``(B, T, E)``."""
        if self.attn is None:
            return mem["global"][:, None].expand(-1, s.shape[1], -1)
        n = 2 * self.cfg.window + 1
        T = s.shape[1]
        keys = mem["keys"].unfold(1, n, 1)[:, :T].transpose(2, 3)       # (B, T, n, K)
        vals = mem["values"].unfold(1, n, 1)[:, :T].transpose(2, 3)     # (B, T, n, E)
        valid = mem["valid"].unfold(1, n, 1)[:, :T]                     # (B, T, n)
        if self.attn.kind == "additive":
            e = self.attn.v(torch.tanh(keys + self.attn.w_s(s)[:, :, None, :])).squeeze(-1)
        else:
            e = torch.einsum("btd,btnd->btn", s, keys) / math.sqrt(keys.shape[-1])
        alpha = torch.softmax(e.masked_fill(~valid, -1e9), dim=-1)
        return torch.einsum("btn,btne->bte", alpha, vals)

    def _head(self, y2: torch.Tensor, c: torch.Tensor):
        K, D = self.cfg.n_mix, self.cfg.pose_dim
        out = self.head(self.fuse(torch.cat([y2, c], -1)))
        logit = out[..., :K]
        mu = out[..., K:K + K * D].unflatten(-1, (K, D))
        log_std = out[..., K + K * D:].unflatten(-1, (K, D)).clamp(self.cfg.min_log_std, 2.0)
        return logit, mu, log_std

    # ------------------------------------------------------------------ windows (training)
    def forward(self, feats: torch.Tensor, prev: torch.Tensor, genre: torch.Tensor, seed: torch.Tensor):
        """``feats (B, T, F)``, ``prev (B, T, D)`` the pose fed at each step (the previous frame),
        ``genre (B,)``, ``seed (B, D)`` -> mixture ``(logit (B,T,K), mu (B,T,K,D), log_std (B,T,K,D))``."""
        mem = self.memory(self.encoder(feats))
        st1, st2 = self.start(mem, seed)
        g = self.genre(genre)[:, None].expand(-1, prev.shape[1], -1)
        s, _ = self.lstm1(self.inp(torch.cat([prev, g], -1)), st1)
        c = self._context_all(mem, s)
        y2, _ = self.lstm2(torch.cat([self.drop(s), c], -1), st2)
        return self._head(self.drop(y2), c)

    # ------------------------------------------------------------------ one frame (generation)
    def step(self, mem: dict, t: int, prev: torch.Tensor, state, genre_e: torch.Tensor):
        """One frame: ``prev (B, D)`` -> ``(logit (B,K), mu (B,K,D), log_std (B,K,D)), new state``.
        The LSTMs run as cells on their own weights (a one-step ``nn.LSTM`` call costs several
        times more); ``state`` is in the ``(1, B, H)`` layout of :meth:`start`."""
        (h1, c1), (h2, c2) = state
        l1, l2 = self.lstm1, self.lstm2
        h1, c1 = torch.lstm_cell(self.inp(torch.cat([prev, genre_e], -1)), (h1[0], c1[0]),
                                 l1.weight_ih_l0, l1.weight_hh_l0, l1.bias_ih_l0, l1.bias_hh_l0)
        if self.attn is None:
            c = mem["global"]
        else:
            n = 2 * self.cfg.window + 1
            c, _ = self.attn(h1, mem["keys"][:, t:t + n], mem["values"][:, t:t + n], mem["valid"][:, t:t + n])
        h2, c2 = torch.lstm_cell(torch.cat([h1, c], -1), (h2[0], c2[0]),
                                 l2.weight_ih_l0, l2.weight_hh_l0, l2.bias_ih_l0, l2.bias_hh_l0)
        return self._head(h2, c), ((h1[None], c1[None]), (h2[None], c2[None]))


def mdn_nll(logit: torch.Tensor, mu: torch.Tensor, log_std: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood per frame and dimension of ``x (..., D)`` under the mixture
    ``logit (..., K)``, ``mu``/``log_std (..., K, D)`` (nats per dimension)."""
    D = x.shape[-1]
    z = (x[..., None, :] - mu) * torch.exp(-log_std)
    comp = -0.5 * (z * z).sum(-1) - log_std.sum(-1) - 0.5 * D * math.log(2 * math.pi)
    ll = torch.logsumexp(torch.log_softmax(logit, -1) + comp, dim=-1)
    return -(ll.mean()) / D


def mdn_sample(logit: torch.Tensor, mu: torch.Tensor, log_std: torch.Tensor, temperature: float = 1.0,
               generator: torch.Generator | None = None, noise: float = 1.0,
               eps: torch.Tensor | None = None, u: torch.Tensor | None = None) -> torch.Tensor:
    """Draw ``(..., D)`` from the mixture; ``temperature`` T sharpens the weights (logits / T) and
    scales the standard deviations by sqrt(T); T = 0 gives the most likely component's mean.
    ``noise`` scales the within-component spread further (1: as trained; 0: the drawn component's mean);
    ``eps`` (standard normal, the shape of the draw) replaces the fresh normal draw (generation passes
    time-correlated noise); ``u`` (uniform in (0, 1), the shape of the batch) picks the component by
    the inverse of the weights' cumulative distribution instead of a fresh draw (generation passes a
    time-correlated ``u``, so the component stays the same from frame to frame unless the weights move)."""
    if temperature <= 0:
        k = logit.argmax(-1)
        return torch.gather(mu, -2, k[..., None, None].expand(*k.shape, 1, mu.shape[-1])).squeeze(-2)
    p = torch.softmax(logit / temperature, -1)
    if u is None:
        k = torch.multinomial(p.reshape(-1, p.shape[-1]), 1, generator=generator).reshape(p.shape[:-1])
    else:
        cdf = p.cumsum(-1)
        k = (cdf < u.to(p.dtype)[..., None]).sum(-1).clamp(max=p.shape[-1] - 1)
    idx = k[..., None, None].expand(*k.shape, 1, mu.shape[-1])
    m = torch.gather(mu, -2, idx).squeeze(-2)
    s = torch.gather(log_std, -2, idx).squeeze(-2).exp() * (math.sqrt(temperature) * noise)
    if eps is None:
        eps = torch.randn(m.shape, generator=generator, dtype=m.dtype)
    return m + s * eps
