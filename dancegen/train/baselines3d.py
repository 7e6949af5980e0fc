"""Training the 3D comparison models (:mod:`dancegen.model.baselines.models3d`) on the data of the
3D generator (:func:`dancegen.train.train3d.build_dataset`: the same takes, retiming, reference
skeleton, mirror images, music features and pose statistics; the VQ-VAE's codebook also learns from
the motion-only takes).

A plain PyTorch loop like :mod:`dancegen.train.train3d`: threads as configured (1 on a shared
machine), a step budget (``max_steps``, required) with the learning rate decayed exponentially by
step (so a budget means the same on a busy machine), atomic checkpoints (``last.pt``: tensors and a
JSON string, read with ``weights_only=True``) every ``ckpt_every`` steps, resume, a progress line on
stderr every ``log_every`` steps. Step ``s`` draws its windows and noise from generators seeded with
``(seed, s)``, so a resumed run ends bit-identical to one that ran through.

* ``gan-stgcn3d``: per step one discriminator step (hinge loss; real pairs against generated poses
  and, weighted ``w_mismatch``, against real poses with another window's music) and one generator
  step (hinge adversarial term + ``w_rec`` x :func:`recon_losses3d`); a share ``p_context`` of the
  windows gets its first ``context`` frames as context (generation conditions each window on the
  end of the previous one). Two Adams: ``lr`` (generator), ``lr_d`` (discriminator), ``betas``.
* ``vqvae-transformer3d``: steps ``< stage1_steps`` (0: half the budget) train the VQ-VAE on the pose
  windows of every clip, motion-only takes included (:func:`recon_losses3d` + ``beta`` x the
  commitment loss, EMA codebook); the rest train the transformer on the frozen VQ-VAE's codes of the
  music-paired windows (cross entropy). One Adam with two parameter groups (``lr``, ``lr_gpt``);
  each stage's learning rate decays over its own steps.

Like the 2D comparison models (:mod:`dancegen.train.baselines`), neither uses the HGR losses.
"""
from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..model.baselines.models3d import GAN3D, KINDS3D, VQ3D
from .train3d import Run3DConfig, _batch, _windows, build_dataset, load_checkpoint, lr_decay, save_checkpoint


@dataclass
class Baseline3DConfig(Run3DConfig):
    """Settings of a 3D comparison model's training run (``dancegen train --config``)."""

    model_kind: str = GAN3D
    lr: float = 2e-4                 # the generator's (GAN) / the VQ-VAE's (VQ)
    lr_final: float = 5e-5           # lr at the end of the budget (each rate decays by the same factor)
    max_minutes: float = 600.0       # a safety limit only: the budget is max_steps
    # GAN-ST-GCN
    lr_d: float = 2e-4
    betas: list = field(default_factory=lambda: [0.5, 0.999])
    w_adv: float = 1.0
    w_rec: float = 1.0
    w_mismatch: float = 0.5
    p_context: float = 0.5
    # reconstruction terms (recon_losses3d): both models
    w_vel: float = 2.0
    w_acc: float = 1.0
    w_energy: float = 1.0
    # Transformer-VQ-VAE
    stage1_steps: int = 0            # 0: half of max_steps
    lr_gpt: float = 3e-4
    model: dict = field(default_factory=dict)   # overrides of GanConfig / VQConfig fields
    log_every: int = 25

    def validate(self):
        from .run import _check_number

        super().validate()
        if self.model_kind not in KINDS3D:
            raise ConfigError(f"model_kind {self.model_kind!r}: this trainer takes {', '.join(KINDS3D)}")
        if not self.max_steps:
            raise ConfigError("max_steps: the 3D comparison models train for a step budget; set max_steps")
        _check_number("max_steps", self.max_steps, 1, integer=True)
        _check_number("stage1_steps", self.stage1_steps, 0, self.max_steps - 1, integer=True)
        for name in ("lr_final", "lr_d", "lr_gpt"):
            _check_number(name, getattr(self, name), 0, 10, lo_open=True)
        _check_number("p_context", self.p_context, 0, 1)

    @property
    def stage1(self) -> int:
        """The VQ model's VQ-VAE steps."""
        return int(self.stage1_steps or self.max_steps // 2)


def model_config3d(cfg: Baseline3DConfig, n_features: int, n_genres: int) -> dict:
    """The model settings of ``cfg.model_kind`` for a dataset: the defaults of its config class, the
    generation window (GAN) / code window (VQ) from ``cfg.window``, ``cfg.model``'s overrides."""
    from ..model import motion3d
    from ..model.baselines.stgcn_gan import GanConfig
    from ..model.baselines.vqvae_transformer import VQConfig

    cls = GanConfig if cfg.model_kind == GAN3D else VQConfig
    unknown = set(cfg.model) - set(cls.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"unknown {cfg.model_kind} model settings {sorted(unknown)}; valid: "
                          f"{sorted(cls.__dataclass_fields__)}")
    d = {"window": cfg.window} if cls is GanConfig else {"max_codes": max(1, cfg.window // int(cfg.model.get("down", 4)))}
    d.update(cfg.model, n_features=n_features, n_genres=n_genres, pose_dim=motion3d.DIM)
    return cls.from_dict(d).to_dict()


def recon_losses3d(pred, target, cfg: Baseline3DConfig) -> dict:
    """Reconstruction of standardised pose vectors ``(B, T, 54)``: the motion terms of
    :func:`dancegen.train.losses.motion_terms` on their graph view (per joint: the bone direction,
    MidHip: the root's numbers); ``loss`` = ``pos + w_vel vel + w_acc acc + w_energy energy``."""
    from ..model.baselines.models3d import to_graph
    from .losses import motion_terms

    out = motion_terms(to_graph(pred), to_graph(target))
    out["loss"] = out["pos"] + cfg.w_vel * out["vel"] + cfg.w_acc * out["acc"] + cfg.w_energy * out["energy"]
    return out


class _GanSteps:
    """One training step of the GAN (see the module doc)."""

    def __init__(self, model, cfg: Baseline3DConfig):
        import torch

        self.model, self.cfg = model, cfg
        self.opt_g = torch.optim.Adam(model.generator.parameters(), lr=cfg.lr, betas=tuple(cfg.betas))
        self.opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=cfg.lr_d, betas=tuple(cfg.betas))
        self.parts = {"model": model, "opt_g": self.opt_g, "opt_d": self.opt_d}

    def __call__(self, step: int, batch, gen) -> dict:
        import torch

        from .losses import hinge_d_loss, hinge_g_loss

        m, cfg = self.model, self.cfg
        x, f, g = batch
        x = x[:, 1:]                                      # the window's poses, aligned with its music
        factor = lr_decay(cfg, step / cfg.max_steps)
        for opt, lr in ((self.opt_g, cfg.lr), (self.opt_d, cfg.lr_d)):
            for pg in opt.param_groups:
                pg["lr"] = lr * factor
        B, T = x.shape[:2]
        n = min(m.cfg.context, T)
        ctx = m.make_context(x, n, T) * (torch.rand(B, generator=gen) < cfg.p_context).float()[:, None, None, None]
        z = torch.randn(B, m.cfg.noise_dim, generator=gen)
        fake = m.generate_window(f, z, g, ctx if n else None)
        # discriminator
        d_real = m.discriminate(x, f, g)
        fakes, weights = [m.discriminate(fake.detach(), f, g)], [1.0]
        if cfg.w_mismatch > 0 and B > 1:
            fakes.append(m.discriminate(x, f.roll(1, 0), g.roll(1, 0)))
            weights.append(cfg.w_mismatch)
        loss_d = hinge_d_loss(d_real, fakes, weights)
        self.opt_d.zero_grad()
        loss_d.backward()
        torch.nn.utils.clip_grad_norm_(m.discriminator.parameters(), 1.0)
        self.opt_d.step()
        # generator (the discriminator's weights get no gradients from this pass)
        m.discriminator.requires_grad_(False)
        adv = hinge_g_loss(m.discriminate(fake, f, g))
        rec = recon_losses3d(fake, x, cfg)
        loss_g = cfg.w_adv * adv + cfg.w_rec * rec["loss"]
        self.opt_g.zero_grad()
        loss_g.backward()
        m.discriminator.requires_grad_(True)
        torch.nn.utils.clip_grad_norm_(m.generator.parameters(), 1.0)
        self.opt_g.step()
        return {"d": loss_d.item(), "adv": adv.item(), "rec": rec["loss"].item(), "pos": rec["pos"].item()}


class _VQSteps:
    """One training step of the VQ model: stage 1 (VQ-VAE) or stage 2 (transformer)."""

    def __init__(self, model, cfg: Baseline3DConfig):
        import torch

        self.model, self.cfg = model, cfg
        self.opt = torch.optim.Adam([{"params": list(model.vqvae.parameters()), "lr": cfg.lr},
                                     {"params": list(model.gpt.parameters()), "lr": cfg.lr_gpt}])
        self.parts = {"model": model, "opt": self.opt}

    def stage(self, step: int) -> int:
        return 1 if step < self.cfg.stage1 else 2

    def __call__(self, step: int, batch, gen) -> dict:
        import torch

        m, cfg = self.model, self.cfg
        x, f, g = batch
        d = m.cfg.down
        T = (x.shape[1] - 1) // d * d
        x = x[:, 1:T + 1]
        s1 = cfg.stage1
        stage = self.stage(step)
        frac = step / s1 if stage == 1 else (step - s1) / max(1, cfg.max_steps - s1)
        factor = lr_decay(cfg, frac)
        self.opt.param_groups[0]["lr"] = cfg.lr * factor
        self.opt.param_groups[1]["lr"] = cfg.lr_gpt * factor
        if stage == 1:
            m.vqvae.train()
            recon, codes, commit = m.vqvae(x)
            rec = recon_losses3d(recon, x, cfg)
            loss = rec["loss"] + m.cfg.beta * commit
            info = {"rec": rec["loss"].item(), "pos": rec["pos"].item(), "commit": commit.item(),
                    "codes": int(codes.unique().numel())}
        else:
            m.vqvae.eval()
            loss, acc = m.gpt.loss(f[:, :T], m.vqvae.encode(x), g)
            info = {"ce": loss.item(), "acc": acc.item()}
        self.opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        self.opt.step()
        return {"stage": stage, **info}


def _pose_batch(clips, items, W):
    """Pose windows of clips with or without music: ``(x (B, W + 1, D), None, None)``."""
    import torch

    return torch.from_numpy(np.stack([clips[ci]["xn"][s:s + W + 1] for ci, s in items])), None, None


def train(cfg: Baseline3DConfig, progress=True) -> Path | None:
    """Train (or resume from ``out/last.pt``) and export ``out/model.safetensors``; returns its path
    (None when ``stop_at_step`` stopped the run, as an interruption would)."""
    import torch

    from ..model.baselines.bundle3d import Baseline3DBundle, Meta3D, check_every_key_has_a_field
    from ..model.baselines.models3d import build_model3d

    cfg.validate()
    kind = cfg.model_kind
    tag = f"[{kind}]"
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(cfg.seed)
    t_start = time.time()
    clips, meta = build_dataset(cfg, progress=progress, with_motion_only=kind == VQ3D)
    check_every_key_has_a_field(meta, "build_dataset")
    Meta3D.meta_kwargs(meta, "build_dataset")
    paired = [c for c in clips if c["paired"]]
    print(f"{tag} {len(paired)} music clips + {len(clips) - len(paired)} motion-only clips, "
          f"{sum(len(c['xn']) for c in clips)} frames, prep {time.time() - t_start:.1f}s", file=sys.stderr, flush=True)
    model = build_model3d(kind, model_config3d(cfg, paired[0]["fn"].shape[1], len(meta["genres"])))
    steps = _GanSteps(model, cfg) if kind == GAN3D else _VQSteps(model, cfg)
    wins = _windows(paired, cfg.window, cfg.stride)
    pose_wins = _windows(clips, cfg.window, cfg.stride)
    ck = out / "last.pt"
    state = load_checkpoint(ck, steps.parts, {"step": 0, "elapsed_s": 0.0, "log": []})
    if state["step"]:
        print(f"{tag} resumed at step {state['step']}", file=sys.stderr, flush=True)
    seg_start, base_elapsed = time.time(), state["elapsed_s"]
    t_log, n_log = time.time(), 0

    def save():
        state["elapsed_s"] = base_elapsed + (time.time() - seg_start)
        save_checkpoint(ck, steps.parts, state)

    model.train()
    while state["step"] < cfg.max_steps:
        step = state["step"]
        gen = torch.Generator().manual_seed(cfg.seed * 7919 + step)
        torch.manual_seed(cfg.seed * 104729 + step)           # dropout, codebook resets: the same after a resume
        rng = np.random.default_rng([cfg.seed, step])
        pose_only = kind == VQ3D and steps.stage(step) == 1
        pool = pose_wins if pose_only else wins
        items = [pool[i] for i in rng.choice(len(pool), size=min(cfg.batch_size, len(pool)), replace=False)]
        batch = _pose_batch(clips, items, cfg.window) if pose_only else _batch(paired, items, cfg.window)
        rec = steps(step, batch, gen)
        state["step"] = step + 1
        n_log += 1
        if state["step"] % cfg.log_every == 0 or state["step"] == cfg.max_steps:
            elapsed = base_elapsed + time.time() - seg_start
            rec = {"step": state["step"], **rec, "s_per_step": round((time.time() - t_log) / n_log, 3),
                   "elapsed_min": round(elapsed / 60, 2)}
            state["log"].append(rec)
            print(f"{tag} " + " ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in rec.items()),
                  file=sys.stderr, flush=True)
            t_log, n_log = time.time(), 0
        if state["step"] % cfg.ckpt_every == 0 or state["step"] == cfg.stop_at_step:
            save()
        if cfg.stop_at_step and state["step"] == cfg.stop_at_step:
            return None
        if base_elapsed + time.time() - seg_start > cfg.max_minutes * 60:
            print(f"{tag} max_minutes reached at step {state['step']}", file=sys.stderr, flush=True)
            break
    save()
    info = {"name": out.name, "kind": kind, "steps": state["step"], "train_minutes": round(state["elapsed_s"] / 60, 1),
            "config": asdict(cfg), "final": state["log"][-1] if state["log"] else None,
            "log": state["log"]}
    bundle = Baseline3DBundle(model=model.eval(), **Meta3D.meta_kwargs({**meta, "info": info}))
    path = bundle.save_pretrained(out / "model.safetensors")
    print(f"{tag} model written to {path}", file=sys.stderr, flush=True)
    return path


__all__ = ["Baseline3DConfig", "model_config3d", "recon_losses3d", "train"]
