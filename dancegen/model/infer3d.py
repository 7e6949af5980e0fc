"""NumPy inference of the sampling 3D generator: the weights of :class:`~dancegen.model.seq2seq3d.Seq2Seq3D`,
run without torch (generation does not import it: about 1 s of the command's start-up, and a frame
costs less without torch's per-call overhead at batch 1).

The same computation as the torch modules in evaluation mode (dropout off), in float32:
:meth:`Engine3D.encode` is :class:`~dancegen.model.seq2seq.MusicEncoder` (Linear, exact GELU, a
bidirectional LSTM of ``enc_layers`` layers; torch's gate order i, f, g, o) in overlapping chunks
like :func:`dancegen.model.generate.encode_chunked`; :meth:`Engine3D.memory`, :meth:`Engine3D.start`
and :meth:`Engine3D.step` are those of the torch model, and :func:`mdn_sample` is
:func:`dancegen.model.seq2seq3d.mdn_sample`. tests/test_infer3d.py checks each against torch
(within 1e-5). Two matrix products are folded for speed (the input layer into the first LSTM's
input weights; each LSTM's input and recurrent weights into one matrix), which changes rounding only.

:class:`Model3DConfig` (the model's settings) lives here so that reading a model file needs no torch.
"""
from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import ModelError
from .motion3d import DIM


@dataclass
class Model3DConfig:
    n_features: int
    pose_dim: int = DIM
    enc_hidden: int = 128
    enc_layers: int = 2
    dec_hidden: int = 256
    attention: str = "additive"     # additive | general | none
    attn_dim: int = 128
    window: int = 12
    n_genres: int = 4
    genre_dim: int = 8
    n_mix: int = 8
    dropout: float = 0.1
    min_log_std: float = -4.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Model3DConfig":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def expected_shapes(cfg: Model3DConfig) -> dict:
    """Every weight of the model and its shape (the names of the torch state dict)."""
    E, H, D, K, A = 2 * cfg.enc_hidden, cfg.dec_hidden, cfg.pose_dim, cfg.n_mix, cfg.attn_dim
    h = cfg.enc_hidden
    s = {"encoder.inp.0.weight": (h, cfg.n_features), "encoder.inp.0.bias": (h,)}
    for layer in range(cfg.enc_layers):
        for suf in ("", "_reverse"):
            s[f"encoder.lstm.weight_ih_l{layer}{suf}"] = (4 * h, h if layer == 0 else 2 * h)
            s[f"encoder.lstm.weight_hh_l{layer}{suf}"] = (4 * h, h)
            s[f"encoder.lstm.bias_ih_l{layer}{suf}"] = (4 * h,)
            s[f"encoder.lstm.bias_hh_l{layer}{suf}"] = (4 * h,)
    if cfg.attention == "additive":
        s.update({"attn.w_h.weight": (A, E), "attn.w_s.weight": (A, H), "attn.w_s.bias": (A,), "attn.v.weight": (1, A)})
    elif cfg.attention == "general":
        s["attn.w_h.weight"] = (H, E)
    elif cfg.attention == "none":
        s.update({"global_ctx.weight": (E, E), "global_ctx.bias": (E,)})
    else:
        raise ModelError(f"attention {cfg.attention!r}: this engine runs additive, general or none")
    s.update({"genre.weight": (cfg.n_genres, cfg.genre_dim),
              "inp.weight": (H, D + cfg.genre_dim), "inp.bias": (H,),
              "fuse.0.weight": (H, H + E), "fuse.0.bias": (H,),
              "head.weight": (K * (2 * D + 1), H), "head.bias": (K * (2 * D + 1),),
              "init_h.weight": (4 * H, E + D), "init_h.bias": (4 * H,)})
    for name, n_in in (("lstm1", H), ("lstm2", H + E)):
        s.update({f"{name}.weight_ih_l0": (4 * H, n_in), f"{name}.weight_hh_l0": (4 * H, H),
                  f"{name}.bias_ih_l0": (4 * H,), f"{name}.bias_hh_l0": (4 * H,)})
    return s


def check_weights(sd: dict, cfg: Model3DConfig, path="<model>") -> dict:
    """The weights as float32 arrays, checked against :func:`expected_shapes` (a one-line
    ModelError naming the first missing, unexpected or misshapen weight)."""
    want = expected_shapes(cfg)
    missing = sorted(set(want) - set(sd))
    extra = sorted(set(sd) - set(want))
    if missing or extra:
        what = f"missing {missing[0]}" if missing else f"unexpected {extra[0]}"
        raise ModelError(f"{path}: the weights do not fit the model settings ({what}); the file is corrupt "
                         "or was written by another version")
    out = {}
    for k, shape in want.items():
        a = np.asarray(sd[k], dtype=np.float32)
        if a.shape != shape:
            raise ModelError(f"{path}: weight {k} has shape {a.shape}, the model settings say {shape}; "
                             "the file is corrupt")
        if not np.isfinite(a).all():
            raise ModelError(f"{path}: weight {k} holds NaN or inf; the file is corrupt")
        out[k] = a
    return out


# ------------------------------------------------------------------------------------ pieces
_ERF = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429, 0.3275911)


def erf(x: np.ndarray) -> np.ndarray:
    """Error function, Abramowitz and Stegun 7.1.26 (absolute error under 1.5e-7: float32 level)."""
    a1, a2, a3, a4, a5, p = _ERF
    s = np.sign(x)
    z = np.abs(x).astype(np.float64)   # (float32 would cancel near 0: 1 - poly * exp)
    t = 1.0 / (1.0 + p * z)
    y = 1.0 - ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t * np.exp(-z * z)
    return (s * y).astype(x.dtype, copy=False)


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU, ``x * Phi(x)`` (torch's default)."""
    return x * (0.5 * (1.0 + erf(x * np.float32(1 / math.sqrt(2)))))


@functools.lru_cache(maxsize=None)
def _gate_affine(H: int):
    """``(scale, bias)`` ``(4H,)`` float32 for the gates (i, f, g, o): the sigmoid gates as
    ``0.5 * (1 + tanh(0.5 x))`` = ``0.5 tanh(0.5 x) + 0.5``, the cell gate as ``tanh(x)``."""
    s = np.full(4 * H, 0.5, np.float32)
    s[2 * H:3 * H] = 1.0
    b = np.full(4 * H, 0.5, np.float32)
    b[2 * H:3 * H] = 0.0
    return s, b


def _lstm_gates(g: np.ndarray, c: np.ndarray):
    """One LSTM cell update from the gate pre-activations ``g (4H,)`` (i, f, g, o) and the cell
    ``c (H,)``. The four gates go through one ``tanh`` (scaling by 0.5 is exact in floating point,
    so this is the sigmoid ``1 / (1 + exp(-x))`` on i, f, o, without overflow, and ``tanh`` on g): at batch 1 each
    NumPy call costs more than its arithmetic."""
    H = c.shape[-1]
    s, b = _gate_affine(H)
    a = np.tanh(g * s)
    a *= s
    a += b
    c = a[H:2 * H] * c + a[:H] * a[2 * H:3 * H]
    return a[3 * H:] * np.tanh(c), c


def _lstm_seq(x: np.ndarray, w_ih, w_hh, b, reverse: bool) -> np.ndarray:
    """One LSTM direction over ``x (T, I)`` from zero state -> ``(T, H)``."""
    T, H = len(x), w_hh.shape[1]
    pre = x @ w_ih.T + b
    w_hh_t = np.ascontiguousarray(w_hh.T)
    h = np.zeros(H, np.float32)
    c = np.zeros(H, np.float32)
    out = np.empty((T, H), np.float32)
    order = range(T - 1, -1, -1) if reverse else range(T)
    for t in order:
        h, c = _lstm_gates(pre[t] + h @ w_hh_t, c)
        out[t] = h
    return out


# ------------------------------------------------------------------------------------ the engine
class Engine3D:
    """The 3D generator's forward pass in NumPy (batch 1). Build with :meth:`from_weights`."""

    def __init__(self, w: dict, cfg: Model3DConfig):
        self.cfg, self.w = cfg, w
        H = cfg.dec_hidden
        # layer 1 of the decoder: the input layer folded into the LSTM's input weights, the genre
        # part added per genre (see :meth:`genre`), and the recurrent weights stacked under them
        w_in, b_in = w["inp.weight"], w["inp.bias"]
        wi1 = w["lstm1.weight_ih_l0"]
        D = cfg.pose_dim
        self._w1_pose = np.ascontiguousarray((wi1 @ w_in[:, :D]).T)                  # (D, 4H)
        self._w1_genre = wi1 @ w_in[:, D:]                                            # (4H, G)
        self._b1 = wi1 @ b_in + w["lstm1.bias_ih_l0"] + w["lstm1.bias_hh_l0"]
        self._w1_h = np.ascontiguousarray(w["lstm1.weight_hh_l0"].T)                  # (H, 4H)
        self._w2 = np.ascontiguousarray(np.concatenate([w["lstm2.weight_ih_l0"], w["lstm2.weight_hh_l0"]], 1).T)
        self._b2 = w["lstm2.bias_ih_l0"] + w["lstm2.bias_hh_l0"]
        self._fuse = np.ascontiguousarray(w["fuse.0.weight"].T)
        self._head = np.ascontiguousarray(w["head.weight"].T)
        if cfg.attention == "additive":
            self._ws = np.ascontiguousarray(w["attn.w_s.weight"].T)
            self._v = w["attn.v.weight"][0]
        self.H = H

    @classmethod
    def from_weights(cls, sd: dict, cfg: Model3DConfig, path="<model>") -> "Engine3D":
        return cls(check_weights(sd, cfg, path), cfg)

    # -------------------------------------------------------------- encoder
    def encoder(self, feats: np.ndarray) -> np.ndarray:
        """``(T, F)`` standardised features -> encoder states ``(T, 2 * enc_hidden)``."""
        w, cfg = self.w, self.cfg
        x = gelu(np.asarray(feats, np.float32) @ w["encoder.inp.0.weight"].T + w["encoder.inp.0.bias"])
        for layer in range(cfg.enc_layers):
            outs = []
            for suf, rev in (("", False), ("_reverse", True)):
                outs.append(_lstm_seq(x, w[f"encoder.lstm.weight_ih_l{layer}{suf}"], w[f"encoder.lstm.weight_hh_l{layer}{suf}"],
                                      w[f"encoder.lstm.bias_ih_l{layer}{suf}"] + w[f"encoder.lstm.bias_hh_l{layer}{suf}"], rev))
            x = np.concatenate(outs, 1)
        return x

    def encode(self, feats: np.ndarray, chunk: int = 480, margin: int = 60) -> np.ndarray:
        """:meth:`encoder` over a long sequence in chunks of ``chunk`` frames with ``margin`` frames
        of context on each side (as :func:`dancegen.model.generate.encode_chunked`)."""
        T = len(feats)
        if T <= chunk + 2 * margin:
            return self.encoder(feats)
        outs = []
        for s in range(0, T, chunk):
            a, b = max(0, s - margin), min(T, s + chunk + margin)
            outs.append(self.encoder(feats[a:b])[s - a: s - a + min(chunk, T - s)])
        return np.concatenate(outs, 0)

    # -------------------------------------------------------------- decoder
    def memory(self, enc: np.ndarray) -> dict:
        """Attention memory of ``enc (T, E)``: keys and values padded by ``window`` on each side, and
        which rows are real."""
        cfg, w = self.cfg, self.w
        W, T = cfg.window, len(enc)
        mem = {"T": T, "summary": enc.mean(0)}
        if cfg.attention == "none":
            mem["global"] = np.tanh(w["global_ctx.weight"] @ mem["summary"] + w["global_ctx.bias"])
            return mem
        keys = enc @ w["attn.w_h.weight"].T
        pad = lambda a: np.concatenate([np.zeros((W, a.shape[1]), np.float32), a, np.zeros((W, a.shape[1]), np.float32)])
        mem["keys"], mem["values"] = pad(keys), pad(enc)
        valid = np.zeros(T + 2 * W, bool)
        valid[W:W + T] = True
        mem["valid"] = valid
        return mem

    def start(self, summary: np.ndarray, seed: np.ndarray):
        """Decoder state ``(h1, c1, h2, c2)`` from a music summary ``(E,)`` and the seed pose ``(D,)``."""
        w = self.w
        z = np.tanh(w["init_h.weight"] @ np.concatenate([summary, seed]).astype(np.float32) + w["init_h.bias"])
        H = self.H
        return z[:H], z[H:2 * H], z[2 * H:3 * H], z[3 * H:]

    def genre(self, idx: int) -> np.ndarray:
        """The genre's constant part of the first LSTM's gates."""
        return (self._w1_genre @ self.w["genre.weight"][int(idx)] + self._b1).astype(np.float32)

    def _context(self, mem: dict, t: int, s: np.ndarray) -> np.ndarray:
        cfg = self.cfg
        if cfg.attention == "none":
            return mem["global"]
        n = 2 * cfg.window + 1
        keys, vals, valid = mem["keys"][t:t + n], mem["values"][t:t + n], mem["valid"][t:t + n]
        if cfg.attention == "additive":
            e = np.tanh(keys + (s @ self._ws + self.w["attn.w_s.bias"])) @ self._v
        else:
            e = keys @ s / np.float32(math.sqrt(keys.shape[-1]))
        e = np.where(valid, e, np.float32(-1e9))
        a = np.exp(e - e.max())
        return (a / a.sum()) @ vals

    def step(self, mem: dict, t: int, prev: np.ndarray, state, genre_gates: np.ndarray):
        """One frame: ``prev (D,)`` standardised pose -> ``(logit (K,), mu (K, D), log_std (K, D)),
        new state``."""
        cfg = self.cfg
        h1, c1, h2, c2 = state
        h1, c1 = _lstm_gates(prev.astype(np.float32) @ self._w1_pose + h1 @ self._w1_h + genre_gates, c1)
        c = self._context(mem, t, h1)
        h2, c2 = _lstm_gates(np.concatenate([h1, c, h2]) @ self._w2 + self._b2, c2)
        y = gelu(np.concatenate([h2, c]) @ self._fuse + self.w["fuse.0.bias"])
        out = y @ self._head + self.w["head.bias"]
        K, D = cfg.n_mix, cfg.pose_dim
        logit = out[:K]
        mu = out[K:K + K * D].reshape(K, D)
        log_std = np.clip(out[K + K * D:].reshape(K, D), cfg.min_log_std, 2.0)
        return (logit, mu, log_std), (h1, c1, h2, c2)


def mdn_sample(logit: np.ndarray, mu: np.ndarray, log_std: np.ndarray, temperature: float, noise: float,
               eps: np.ndarray, u: float | None, rng: np.random.Generator | None = None) -> np.ndarray:
    """One draw ``(D,)`` from the mixture (as :func:`dancegen.model.seq2seq3d.mdn_sample`): the
    component picked by the inverse of the weights' CDF at ``u`` (uniform in (0, 1); None: a fresh
    draw from ``rng``), its mean plus ``std * sqrt(temperature) * noise * eps``; temperature 0 gives the
    most likely component's mean."""
    if temperature <= 0:
        return mu[int(np.argmax(logit))].copy()
    z = logit.astype(np.float64) / temperature
    p = np.exp(z - z.max())
    p /= p.sum()
    if u is None:
        u = float(rng.random())
    k = min(int((np.cumsum(p) < u).sum()), len(p) - 1)
    return mu[k] + np.exp(log_std[k]) * np.float32(math.sqrt(temperature) * noise) * eps.astype(np.float32)
