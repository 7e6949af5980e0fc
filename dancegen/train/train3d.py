"""Training the sampling 3D generator (:class:`dancegen.model.seq2seq3d.Seq2Seq3D`).

A plain PyTorch loop (the fused-LSTM model needs nothing Lightning adds on one CPU), with atomic
checkpoints every ``ckpt_every`` steps and at every epoch, resumable after any interruption
(``last.pt`` holds only tensors, numbers and strings and is read with ``weights_only=True``).

Objective per window: the mixture density head's negative log-likelihood of every real next pose
(the paper's cross-entropy term) with *parallel scheduled sampling*: a no-grad teacher-forced pass
draws the model's own poses and a share ``p`` of the fed-back poses (``p`` ramping up to
``sampling_max``) is replaced by them in the pass that learns, plus the pose-consistency term: the mixture mean's bone-direction
vectors kept at unit length (the pose the mean describes is a body on the reference skeleton).
Inputs get Gaussian noise (``input_noise``, standardised units) so the decoder learns to recover
from imperfect poses instead of copying them.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..fileio import atomic_write
from ..skeleton import joint_speed


@dataclass
class Run3DConfig:
    """The settings every 3D trainer shares (data, windows, budget, checkpoints); each trainer's
    config adds its own (:class:`Train3DConfig`, :class:`dancegen.train.baselines3d.Baseline3DConfig`)."""

    model_kind: str = "seq2seq3d"
    data: str = ""                   # Dance with Melody folder (required)
    motion_only: str | None = None   # optional extra folder of motion-only takes
    out: str = ""                    # run folder (required)
    split: str = "train"
    feature_kind: str = "multi"
    window: int = 100
    stride: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    lr_final: float = 1e-4
    max_epochs: int = 400
    max_minutes: float = 60.0
    mirror: bool = True
    seed: int = 0
    ckpt_every: int = 100
    threads: int = 0
    max_steps: int = 0            # 0: no limit (tests and smoke runs set it)
    limit_takes: int = 0          # 0: every take of the split (tests use a few)
    stop_at_step: int = 0         # tests: stop like an interruption right after this step's checkpoint
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, path) -> "Run3DConfig":
        try:
            d = json.loads(Path(path).read_text())
        except OSError as e:
            raise ConfigError(f"{path}: cannot read the config file ({e.strerror})") from None
        except ValueError as e:
            raise ConfigError(f"{path}: cannot parse config ({e})") from None
        if not isinstance(d, dict):
            raise ConfigError(f"{path}: the config must be a JSON object of {cls.__name__} fields")
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"{path}: unknown keys {sorted(unknown)}")
        return cls(**d)

    def validate(self):
        from .run import _check_number

        if not self.out:
            raise ConfigError("no run folder: set out (dancegen train --out DIR)")
        _check_number("max_epochs", self.max_epochs, 1, integer=True)
        _check_number("max_minutes", self.max_minutes, 0, lo_open=True)
        _check_number("lr", self.lr, 0, 10, lo_open=True)
        _check_number("seed", self.seed, 0, 2 ** 32 - 1, integer=True)
        _check_number("batch_size", self.batch_size, 1, integer=True)
        if self.max_epochs < 1:
            raise ConfigError(f"max_epochs {self.max_epochs}: must be at least 1")
        if not self.max_minutes > 0:
            raise ConfigError(f"max_minutes {self.max_minutes}: must be positive")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ConfigError(f"lr {self.lr}: must be a positive number")
        if self.window < 8 or self.batch_size < 1:
            raise ConfigError("window must be >= 8 frames and batch_size >= 1")


@dataclass
class Train3DConfig(Run3DConfig):
    """The sampling generator's training settings."""

    attention: str = "additive"
    hgr_losses: bool = True
    n_mix: int = 8
    dec_hidden: int = 256
    enc_hidden: int = 128
    input_noise: float = 0.1
    sampling_max: float = 0.3
    sampling_ramp_epochs: int = 15
    log_every: int = 50           # steps between training-log records
    mirror_style: bool = False    # mirror images learn as their own genres (index + number of genres): a
    #                               mirrored ballroom hold raises the other hand; generation asks for the real one
    genre_balance: float = 0.0    # window sampling weight ~ (frames of its genre) ** -genre_balance; 0: uniform
    init_from: str | None = None  # start from this model file's weights (a fine-tune; scheduled sampling at full share)

    def validate(self):
        from .run import _check_number

        super().validate()
        _check_number("log_every", self.log_every, 1, integer=True)
        _check_number("genre_balance", self.genre_balance, 0, 1)


def build_dataset(cfg: Run3DConfig, progress=True, with_motion_only: bool = False, pose_stats=None):
    """Takes -> ``(clips, meta)``: the music-paired training clips (each take on the reference
    skeleton and, with ``cfg.mirror``, its mirror image: ``x`` pose vectors, ``xn`` standardised,
    ``fn`` standardised music features, ``genre`` index (with ``mirror_style``, a mirror image's is
    its genre's + the number of genres), ``mirrored``, ``name``, ``paired`` True) and the model
    metadata. ``with_motion_only``: the motion-only takes follow as clips without music (``x``,
    ``xn``, ``name``, ``paired`` False; mirrored too), e.g. for a motion codebook; the statistics
    are the paired clips' either way. ``pose_stats``: ``(mean, std)`` of the pose vectors to use
    instead of fitting them (a fine-tune keeps the statistics its weights were trained with)."""
    from .. import body3d as b3
    from ..audio.features import FeatureConfig, FeatureStats
    from ..data.motion3d_data import attach_features, load_takes
    from ..model import motion3d

    from ..data.dwm import DEFAULT_EXCLUDE, list_sequences

    names = [n for n in list_sequences(cfg.data, cfg.split) if n not in DEFAULT_EXCLUDE]
    if cfg.limit_takes:
        names = names[:cfg.limit_takes]
    takes = load_takes(cfg.data, names=names, progress=progress)
    extra = []
    if cfg.motion_only and Path(cfg.motion_only).is_dir() and not cfg.limit_takes:
        extra = load_takes(cfg.motion_only, split=None, retime=False, progress=progress)
    ref = b3.reference_lengths([t["joints"] for t in takes + extra])
    fcfg = FeatureConfig(fps=25.0, kind=cfg.feature_kind)
    attach_features(takes, fcfg, progress=progress)
    genres = sorted({t["genre"] for t in takes})
    clips = []
    style = bool(getattr(cfg, "mirror_style", False))
    on_ref = [b3.retarget(t["joints"], ref) for t in takes + extra]   # every take once on the reference skeleton
    for t, j in zip(takes, on_ref):
        versions = [j, b3.mirror3d(j)] if cfg.mirror else [j]
        for i, v in enumerate(versions):
            g = genres.index(t["genre"]) + (len(genres) if style and i == 1 else 0)
            clips.append({"x": motion3d.encode(v, 25.0), "feats": t["feats"], "genre": g, "name": t["name"],
                          "paired": True, "mirrored": i == 1})
    allx = np.concatenate([c["x"] for c in clips])
    mean, std = allx.mean(0), allx.std(0)
    std = np.maximum(std, 1e-3)
    if pose_stats is not None:
        mean, std = (np.asarray(a, np.float32) for a in pose_stats)
    fstats = FeatureStats.fit([t["feats"] for t in takes], names=fcfg.names())
    # seed pool: real poses from every take (motion-only ones included), standardised later
    rng = np.random.default_rng(0)
    seeds = []
    for j in on_ref:
        x = motion3d.encode(j, 25.0)
        seeds.append(x[rng.choice(len(x), size=min(8, len(x)), replace=False)])
    speed = np.concatenate([joint_speed(j, 25.0, difference="steps") for j in on_ref[:len(takes)]])
    body = body_speeds([t["genre"] for t in takes], on_ref[:len(takes)])
    meta = dict(ref_body_speed=float(np.concatenate(list(body.values())).mean()),
                genre_body_speed={g: float(v.mean()) for g, v in body.items()}, feature_config=fcfg.to_dict(), feature_stats=fstats.to_dict(), pose_mean=mean.tolist(),
                pose_std=std.tolist(), ref_lengths=ref.tolist(), genres=genres,
                seed_poses=np.concatenate(seeds).tolist(), ref_speed=float(speed.mean()),
                root_height=float(np.median(np.concatenate([t["joints"][:, 0, 1] for t in takes]))),
                train_takes=[t["name"] for t in takes], motion_only_takes=[t["name"] for t in extra])
    for c in clips:
        c["xn"] = ((c["x"] - mean) / std).astype(np.float32)
        c["fn"] = fstats.apply(c["feats"]).astype(np.float32)
    for t, j in zip(extra, on_ref[len(takes):]) if with_motion_only else ():
        for v in ([j, b3.mirror3d(j)] if cfg.mirror else [j]):
            x = motion3d.encode(v, 25.0)
            clips.append({"x": x, "xn": ((x - mean) / std).astype(np.float32), "name": t["name"], "paired": False})
    return clips, meta


def body_speeds(genres: list, joints: list, fps: float = 25.0) -> dict:
    """``{genre: per-frame body speed (m/s)}`` of takes ``joints`` (each ``(T, 17, 3)`` on the
    reference skeleton) of ``genres``: the mean speed of the joints relative to the root, step by
    step (as the governor measures it; a mirror image moves as fast). The model file keeps the mean
    of all and of each genre (``ref_body_speed``, ``genre_body_speed``)."""
    out = {}
    for g, j in zip(genres, joints):
        out.setdefault(g, []).append(joint_speed(j - j[:, :1], fps, difference="steps"))
    return {g: np.concatenate(v) for g, v in sorted(out.items())}


def _windows(clips, W, stride):
    idx = []
    for ci, c in enumerate(clips):
        T = len(c["xn"])
        for s in range(0, T - W - 1, stride):
            idx.append((ci, s))
    return idx


def window_weights(clips, wins, balance: float) -> np.ndarray | None:
    """Sampling probabilities of the training windows: each window's weight is the number of its
    genre's windows to the power ``-balance`` (0: uniform, returns None; 1: every genre equally
    often, whatever its share of the data)."""
    if not balance:
        return None
    g = np.array([clips[ci]["genre"] for ci, _ in wins])
    counts = np.bincount(g)
    w = counts[g].astype(np.float64) ** -float(balance)
    return w / w.sum()


def _batch(clips, items, W):
    import torch

    x = np.stack([clips[ci]["xn"][s:s + W + 1] for ci, s in items])
    f = np.stack([clips[ci]["fn"][s + 1:s + W + 1] for ci, s in items])
    g = np.array([clips[ci]["genre"] for ci, _ in items])
    return torch.from_numpy(x), torch.from_numpy(f), torch.from_numpy(g)


def lr_decay(cfg: Run3DConfig, frac: float) -> float:
    """The learning-rate factor after ``frac`` of the run: exponential from 1 to ``lr_final / lr``."""
    return (cfg.lr_final / cfg.lr) ** min(1.0, frac)


def load_checkpoint(path: Path, parts: dict, state: dict) -> dict:
    """Resume from ``path`` (``last.pt``) when it exists: every part (a module or an optimiser, by
    name) gets its saved state dict and the saved training state is returned; else ``state``. Read
    with ``weights_only=True``: a checkpoint is tensors, numbers and strings."""
    import torch

    if not path.exists():
        return state
    saved = torch.load(path, map_location="cpu", weights_only=True)
    for name, part in parts.items():
        part.load_state_dict(saved[name])
    return json.loads(saved["state"])


def save_checkpoint(path: Path, parts: dict, state: dict) -> None:
    """Write every part's state dict and ``state`` (as a JSON string) to ``path`` atomically."""
    import torch

    ckpt = {name: part.state_dict() for name, part in parts.items()}
    ckpt["state"] = json.dumps(state)
    atomic_write(path, lambda tmp: torch.save(ckpt, tmp))


def _init_weights(model, src, meta: dict, path) -> None:
    """Copy the weights of ``src`` (a saved 3D generator, read from ``path``) into ``model`` (a
    fine-tune). It must describe the same data: the same genres, reference skeleton and music
    feature statistics, and the same settings, or the weights mean something else. (The pose
    statistics are the source's: :func:`build_dataset` was given them.)"""
    import torch

    fs = meta["feature_stats"]
    same = (src.genres == meta["genres"] and np.allclose(src.ref_lengths, meta["ref_lengths"], atol=1e-5)
            and np.allclose(src.feature_stats["mean"], fs["mean"], rtol=1e-4, atol=1e-5))
    if not same:
        raise ConfigError(f"init_from {path}: trained on other data (genres, skeleton or music statistics "
                          "differ); start from a model trained on the same takes")
    if src.config.to_dict() != model.cfg.to_dict():
        raise ConfigError(f"init_from {path}: other model settings {src.config.to_dict()}; match them in the config")
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)).float() for k, v in src._arrays().items()})


def train(cfg: Train3DConfig, progress=True) -> Path:
    """Train (or resume from ``out/last.pt``) and export ``out/model.safetensors``."""
    import torch

    from ..model import motion3d
    from ..model.seq2seq3d import Model3DConfig, Seq2Seq3D, mdn_nll, mdn_sample

    cfg.validate()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)   # 1 on a shared 2-core machine: no OpenMP spin-waits
    torch.set_flush_denormal(True)
    torch.manual_seed(cfg.seed)
    t_start = time.time()
    src = None
    if cfg.init_from:
        from ..model.bundle3d import Model3DBundle

        src = Model3DBundle.from_pretrained(cfg.init_from)
    clips, meta = build_dataset(cfg, progress=progress,
                                pose_stats=None if src is None else (src.pose_mean, src.pose_std))
    print(f"[train3d] {len(clips)} clips, {sum(len(c['xn']) for c in clips)} frames, prep {time.time()-t_start:.1f}s",
          file=sys.stderr, flush=True)
    n_genres = len(meta["genres"]) * (2 if cfg.mirror and cfg.mirror_style else 1)   # (mirror styles after the genres)
    mcfg = Model3DConfig(n_features=clips[0]["fn"].shape[1], attention=cfg.attention, n_genres=n_genres,
                         n_mix=cfg.n_mix, dec_hidden=cfg.dec_hidden, enc_hidden=cfg.enc_hidden)
    model = Seq2Seq3D(mcfg)
    if src is not None:
        _init_weights(model, src, meta, cfg.init_from)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    wins = _windows(clips, cfg.window, cfg.stride)
    steps_per_epoch = len(wins) // cfg.batch_size
    p_win = window_weights(clips, wins, cfg.genre_balance)
    ck = out / "last.pt"
    parts = {"model": model, "opt": opt}
    state = load_checkpoint(ck, parts, {"epoch": 0, "step": 0, "elapsed_s": 0.0, "log": []})
    if state["step"]:
        print(f"[train3d] resumed at epoch {state['epoch']} step {state['step']}", file=sys.stderr, flush=True)
    dims_dirs = motion3d.SL_DIRS
    std_t = torch.tensor(meta["pose_std"], dtype=torch.float32)
    mean_t = torch.tensor(meta["pose_mean"], dtype=torch.float32)
    budget = cfg.max_minutes * 60.0
    seg_start = time.time()
    base_elapsed = state["elapsed_s"]

    def save():
        state["elapsed_s"] = base_elapsed + (time.time() - seg_start)
        save_checkpoint(ck, parts, state)

    done = bool(cfg.max_steps and state["step"] >= cfg.max_steps)   # a finished run started again: export only
    while state["epoch"] < cfg.max_epochs and not done:
        ep = state["epoch"]
        rng = np.random.default_rng(cfg.seed * 1000 + ep)
        order = rng.permutation(len(wins)) if p_win is None else rng.choice(len(wins), size=len(wins), p=p_win)
        ramp = 1.0 if cfg.init_from else min(1.0, ep / max(1, cfg.sampling_ramp_epochs))
        p_own = cfg.sampling_max * ramp
        model.train()
        t_ep = time.time()
        losses = []
        first = state["step"] - ep * steps_per_epoch  # resume inside an epoch
        for b in range(max(0, first), steps_per_epoch):
            gen = torch.Generator().manual_seed(cfg.seed * 7919 + state["step"])
            torch.manual_seed(cfg.seed * 104729 + state["step"])   # dropout: the same after a resume
            items = [wins[i] for i in order[b * cfg.batch_size:(b + 1) * cfg.batch_size]]
            x, f, g = _batch(clips, items, cfg.window)
            seed, target = x[:, 0], x[:, 1:]
            prev = x[:, :-1]
            noisy = prev + cfg.input_noise * torch.randn(prev.shape, generator=gen)
            # learning rate: exponential decay over the run, by time for a time budget (the recipe),
            # by step when max_steps is set (then a resumed run is bit-identical to one that ran through)
            frac = (state["step"] / cfg.max_steps if cfg.max_steps
                    else (base_elapsed + time.time() - seg_start) / budget)
            lr = cfg.lr * lr_decay(cfg, frac)
            for pg in opt.param_groups:
                pg["lr"] = lr
            if p_own > 0:
                # parallel scheduled sampling: a no-grad teacher-forced pass draws the model's own
                # poses; a share p_own of the fed-back poses is replaced by them for the pass that learns
                with torch.no_grad():
                    own = mdn_sample(*model(f, noisy, g, seed), 1.0, gen)
                use = (torch.rand(prev.shape[:2] + (1,), generator=gen) < p_own).float()
                use[:, 0] = 0.0
                own_prev = torch.cat([prev[:, :1], own[:, :-1]], 1)
                noisy = use * own_prev + (1 - use) * noisy
            logit, mu, ls = model(f, noisy, g, seed)
            loss1 = mdn_nll(logit, mu, ls, target)
            loss = loss1
            if cfg.hgr_losses:
                # pose consistency: the mixture mean's bone directions are unit vectors
                w = torch.softmax(logit, -1)[..., None]
                m = (w * mu).sum(-2) * std_t + mean_t
                dirs = m[..., dims_dirs].unflatten(-1, (-1, 3))
                loss = loss + 0.5 * ((dirs.norm(dim=-1) - 1.0) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            state["step"] += 1
            losses.append(float(loss1.detach()))
            elapsed = base_elapsed + time.time() - seg_start
            done = bool(elapsed > budget or (cfg.max_steps and state["step"] >= cfg.max_steps))
            if state["step"] % cfg.log_every == 0 or done:
                # the training log (kept in last.pt and in the model file's info): the mean NLL of
                # the steps since the last record
                n = state["step"] - (state["log"][-1]["step"] if state["log"] else 0)
                rec = {"epoch": ep, "step": state["step"], "nll": float(np.mean(losses[-n:])), "p_own": p_own,
                       "lr": lr, "elapsed_min": round(elapsed / 60, 2)}
                state["log"].append(rec)
                print(f"[train3d] step {rec['step']} epoch {ep} nll {rec['nll']:.4f} p_own {p_own:.2f} "
                      f"elapsed {rec['elapsed_min']:.1f} min", file=sys.stderr, flush=True)
            if state["step"] % cfg.ckpt_every == 0 or state["step"] == cfg.stop_at_step:
                save()
            if cfg.stop_at_step and state["step"] == cfg.stop_at_step:
                return None
            if done:
                break
        if not done:
            state["epoch"] += 1
        print(f"[train3d] epoch {ep} ended at step {state['step']}: {time.time() - t_ep:.0f}s", file=sys.stderr, flush=True)
        save()
    from ..model.bundle3d import Bundle3DMeta, Model3DBundle

    info = {"name": Path(cfg.out).name, "epochs": state["epoch"], "steps": state["step"],
            "train_minutes": round(state["elapsed_s"] / 60, 1), "config": asdict(cfg),
            "final_nll": state["log"][-1]["nll"] if state["log"] else None, "log": state["log"]}
    kw = Bundle3DMeta.meta_kwargs({**meta, "info": info}, out / "model.safetensors")   # every field, checked
    bundle = Model3DBundle(model=model.eval(), **kw)
    path = bundle.save_pretrained(out / "model.safetensors")
    print(f"[train3d] model written to {path}", file=sys.stderr, flush=True)
    return path


if __name__ == "__main__":  # python -m dancegen.train.train3d CONFIG.json
    c = Train3DConfig.from_json(sys.argv[1]) if len(sys.argv) > 1 else Train3DConfig()
    train(c)
