"""Training systems of the two comparison models (see :mod:`dancegen.model.baselines`), on the same
datasets (:func:`dancegen.train.run.prepare_data`), features and Trainer set-up as our Seq2Seq model.

* :class:`GanSystem`: manual optimisation with two Adam optimisers; per batch one discriminator step
  (hinge loss; real pairs vs generated poses and vs real poses with another sample's music) and one
  generator step (hinge adversarial term + ``w_rec`` x the reconstruction loss of
  :func:`recon_losses`, which keeps the GAN stable and tied to the music).
* :class:`VQSystem`: two stages in one run: epochs ``< stage1_epochs`` train the VQ-VAE
  (reconstruction + commitment, EMA codebook), later epochs train the transformer on the codes of
  the frozen VQ-VAE (cross entropy). One Adam with two parameter groups; parameters without
  gradients in a stage are skipped by Adam, so each stage only moves its own part.

:func:`train_baseline` mirrors :func:`dancegen.train.run.train` (resume from ``OUT/last.ckpt``,
atomic checkpoints, TensorBoard logs, ``--devices``/``--strategy``) and exports a
:class:`~dancegen.model.baselines.BaselineBundle` to ``OUT/model.safetensors``. Baseline hyperparameters
(:class:`BaselineHParams`) come from ``TrainConfig.extra["baseline"]``.
"""
from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import lightning as L
import numpy as np
import torch

from ..model import posecode
from ..model.baselines import build_model, check_kind
from .config import TrainConfig
from .losses import hinge_d_loss, hinge_g_loss


@dataclass
class BaselineHParams:
    # GAN-ST-GCN
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple = (0.5, 0.999)
    w_adv: float = 1.0
    w_rec: float = 5.0
    w_mismatch: float = 0.5         # weight of (real poses, wrong music) among the discriminator's fakes
    p_context: float = 0.5          # probability that a training window gets its first frames as context
    # VQ-VAE + transformer
    stage1_epochs: int = 0          # 0: half of max_epochs
    lr_vq: float = 3e-4
    lr_gpt: float = 3e-4
    model: dict = field(default_factory=dict)   # overrides of GanConfig / VQConfig fields
    threads: int = 0                # CPU threads for torch; 0: as dancegen.train.run.train (min(cores, 4))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict | None) -> "BaselineHParams":
        from ..errors import ConfigError

        d = dict(d or {})
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown baseline settings {sorted(unknown)} in extra.baseline; "
                              f"valid: {sorted(cls.__dataclass_fields__)}")
        if "betas" in d:
            d["betas"] = tuple(d["betas"])
        return cls(**d)


def recon_losses(pred: torch.Tensor, target: torch.Tensor, ref: torch.Tensor, w_pos: float = 1.0,
                 w_vel: float = 2.0, w_acc: float = 1.0, w_energy: float = 0.0, w_extent: float = 0.0) -> dict:
    """The motion terms of our model's objective (:func:`dancegen.train.system.motion_losses`: joint
    position, velocity and acceleration L1, motion energy and pose extent), without its HGR terms: the
    comparison models are trained on the same terms but without HGR. ``pred``, ``target`` ``(B, T,
    36)`` params; ``ref (17,)``. Returns ``{"pos", "vel", "acc", "energy", "extent", "loss"}``."""
    from .system import motion_losses

    return motion_losses(pred, target, ref, w_pos, w_vel, w_acc, w_energy, w_extent)[0]


def _tc(train_config: dict) -> TrainConfig:
    return TrainConfig(**{k: v for k, v in train_config.items() if k in TrainConfig.__dataclass_fields__})


class GanSystem(L.LightningModule):
    """Adversarial training of :class:`~dancegen.model.baselines.stgcn_gan.GanSTGCN`."""

    def __init__(self, model_config: dict, train_config: dict, ref_lengths, hparams: dict | None = None):
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.tc = _tc(train_config)
        self.hp = BaselineHParams.from_dict(hparams)
        self.model = build_model("gan-stgcn", model_config, ref_lengths)
        self.register_buffer("ref", torch.as_tensor(np.asarray(ref_lengths, np.float32)))

    def configure_optimizers(self):
        hp = self.hp
        og = torch.optim.Adam(self.model.generator.parameters(), lr=hp.lr_g, betas=tuple(hp.betas),
                              weight_decay=self.tc.weight_decay)
        od = torch.optim.Adam(self.model.discriminator.parameters(), lr=hp.lr_d, betas=tuple(hp.betas))
        return [og, od]

    def _context(self, poses: torch.Tensor) -> torch.Tensor | None:
        """Per sample, with probability ``p_context``, the first ``cfg.context`` frames as context."""
        n = self.model.cfg.context
        if n <= 0 or self.hp.p_context <= 0:
            return None
        B, T = poses.shape[:2]
        ctx = self.model.make_context(poses, min(n, T), T)
        keep = (torch.rand(B, device=poses.device) < self.hp.p_context).to(poses.dtype)
        return ctx * keep[:, None, None, None]

    def _fake(self, batch, z=None):
        feats, poses, genre = batch["features"], batch["poses"], batch["genre"]
        if z is None:
            z = torch.randn(poses.shape[0], self.model.cfg.noise_dim, device=poses.device)
        return self.model.generate_window(feats, z, genre, self._context(poses))

    def training_step(self, batch, batch_idx):
        og, od = self.optimizers()
        feats, poses, genre = batch["features"], batch["poses"], batch["genre"]
        bs = poses.shape[0]
        fake = self._fake(batch)
        # ---- discriminator
        self.toggle_optimizer(od)
        d_real = self.model.discriminate(poses, feats, genre)
        d_fake = self.model.discriminate(fake.detach(), feats, genre)
        fakes, weights = [d_fake], [1.0]
        if self.hp.w_mismatch > 0 and bs > 1:
            fakes.append(self.model.discriminate(poses, feats.roll(1, 0), genre.roll(1, 0)))
            weights.append(self.hp.w_mismatch)
        loss_d = hinge_d_loss(d_real, fakes, weights)
        od.zero_grad()
        self.manual_backward(loss_d)
        self.clip_gradients(od, gradient_clip_val=1.0, gradient_clip_algorithm="norm")
        od.step()
        self.untoggle_optimizer(od)
        # ---- generator
        self.toggle_optimizer(og)
        adv = hinge_g_loss(self.model.discriminate(fake, feats, genre))
        rec = recon_losses(fake, poses, self.ref, self.tc.w_pos, self.tc.w_vel, self.tc.w_acc, self.tc.w_energy,
                           self.tc.w_extent)
        loss_g = self.hp.w_adv * adv + self.hp.w_rec * rec["loss"]
        og.zero_grad()
        self.manual_backward(loss_g)
        self.clip_gradients(og, gradient_clip_val=1.0, gradient_clip_algorithm="norm")
        og.step()
        self.untoggle_optimizer(og)
        self.log_dict({"train/d_loss": loss_d.detach(), "train/g_adv": adv.detach(), "train/pos": rec["pos"].detach(),
                       "train/rec": rec["loss"].detach(), "train/d_real": d_real.mean().detach(),
                       "train/d_fake": d_fake.mean().detach()}, batch_size=bs)
        self.log("loss", loss_g.detach(), prog_bar=True, batch_size=bs)
        self.log("d", loss_d.detach(), prog_bar=True, batch_size=bs)

    def validation_step(self, batch, batch_idx):
        poses = batch["poses"]
        bs = poses.shape[0]
        g = torch.Generator(device="cpu").manual_seed(1000 + batch_idx)
        z = torch.randn(bs, self.model.cfg.noise_dim, generator=g).to(poses.device)
        fake = self.model.generate_window(batch["features"], z, batch["genre"], None)
        rec = recon_losses(fake, poses, self.ref, self.tc.w_pos, self.tc.w_vel, self.tc.w_acc, self.tc.w_energy,
                           self.tc.w_extent)
        d_real = self.model.discriminate(poses, batch["features"], batch["genre"]).mean()
        d_fake = self.model.discriminate(fake, batch["features"], batch["genre"]).mean()
        jp, jt = self.model.joints(fake), self.model.joints(poses)
        sp = (jp[:, 1:] - jp[:, :-1]).norm(dim=-1).mean()
        st = (jt[:, 1:] - jt[:, :-1]).norm(dim=-1).mean()
        self.log("val/loss", rec["loss"], prog_bar=True, batch_size=bs, sync_dist=True)
        self.log("val/pos", rec["pos"], batch_size=bs, sync_dist=True)
        self.log("val/d_gap", d_real - d_fake, batch_size=bs, sync_dist=True)
        self.log("val/free_speed_ratio", sp / st.clamp_min(1e-6), batch_size=bs, sync_dist=True)


class VQSystem(L.LightningModule):
    """Two-stage training of :class:`~dancegen.model.baselines.vqvae_transformer.VQVAETransformer`."""

    def __init__(self, model_config: dict, train_config: dict, ref_lengths, hparams: dict | None = None):
        super().__init__()
        self.save_hyperparameters()
        self.tc = _tc(train_config)
        self.hp = BaselineHParams.from_dict(hparams)
        self.model = build_model("vqvae-transformer", model_config)
        self.register_buffer("ref", torch.as_tensor(np.asarray(ref_lengths, np.float32)))
        self.stage1_epochs = int(self.hp.stage1_epochs or max(1, self.tc.max_epochs // 2))

    @property
    def stage(self) -> int:
        return 1 if self.current_epoch < self.stage1_epochs else 2

    def _crop(self, batch):
        d = self.model.cfg.down
        T = batch["poses"].shape[1] // d * d
        if T == 0:
            raise ValueError(f"window of {batch['poses'].shape[1]} frames is shorter than the code length {d}")
        return batch["features"][:, :T], batch["poses"][:, :T], batch["genre"]

    def stage1_losses(self, poses: torch.Tensor) -> dict:
        recon, codes, commit = self.model.vqvae(poses)
        out = recon_losses(recon, poses, self.ref, self.tc.w_pos, self.tc.w_vel, self.tc.w_acc, self.tc.w_energy,
                           self.tc.w_extent)
        out["commit"] = commit
        out["loss"] = out["loss"] + self.model.cfg.beta * commit
        out["codes_used"] = torch.tensor(float(codes.unique().numel()))
        return out

    def training_step(self, batch, batch_idx):
        feats, poses, genre = self._crop(batch)
        bs = poses.shape[0]
        if self.stage == 1:
            self.model.vqvae.train()
            ls = self.stage1_losses(poses)
            self.log_dict({"train/pos": ls["pos"], "train/commit": ls["commit"], "train/codes_used": ls["codes_used"]},
                          batch_size=bs)
            loss = ls["loss"]
        else:
            self.model.vqvae.eval()
            codes = self.model.vqvae.encode(poses)
            loss, acc = self.model.gpt.loss(feats, codes, genre)
            self.log("train/acc", acc, prog_bar=True, batch_size=bs)
            self.log("train/ce", loss, batch_size=bs)
        self.log("loss", loss, prog_bar=True, batch_size=bs)
        self.log("stage", float(self.stage), prog_bar=True, batch_size=bs)
        return loss

    def validation_step(self, batch, batch_idx):
        feats, poses, genre = self._crop(batch)
        bs = poses.shape[0]
        ls = self.stage1_losses(poses)
        self.log("val/pos", ls["pos"], batch_size=bs, sync_dist=True)
        self.log("val/codes_used", ls["codes_used"], batch_size=bs, sync_dist=True)
        codes = self.model.vqvae.encode(poses)
        ce, acc = self.model.gpt.loss(feats, codes, genre)
        self.log("val/ce", ce, batch_size=bs, sync_dist=True)
        self.log("val/acc", acc, batch_size=bs, sync_dist=True)
        self.log("val/loss", ls["loss"] if self.stage == 1 else ce, prog_bar=True, batch_size=bs, sync_dist=True)

    def configure_optimizers(self):
        return torch.optim.Adam([
            {"params": list(self.model.vqvae.parameters()), "lr": self.hp.lr_vq},
            {"params": list(self.model.gpt.parameters()), "lr": self.hp.lr_gpt},
        ], weight_decay=self.tc.weight_decay)


SYSTEMS = {"gan-stgcn": GanSystem, "vqvae-transformer": VQSystem}


def model_config_for(kind: str, n_features: int, n_genres: int, cfg: TrainConfig, overrides: dict | None = None) -> dict:
    """The model config dict of a baseline for a dataset (``n_features``, ``n_genres``) and a
    training config (its ``window`` sets the generation window / the transformer's code window)."""
    check_kind(kind)
    overrides = dict(overrides or {})
    if kind == "gan-stgcn":
        from ..model.baselines.stgcn_gan import GanConfig

        c = GanConfig(n_features=n_features, n_genres=n_genres, window=cfg.window)
        base, cls = c.to_dict(), GanConfig
    else:
        from ..model.baselines.vqvae_transformer import VQConfig

        down = int(overrides.get("down", 4))
        base, cls = VQConfig(n_features=n_features, n_genres=n_genres, max_codes=max(1, cfg.window // down)).to_dict(), VQConfig
    from ..errors import ConfigError

    unknown = set(overrides) - set(cls.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"unknown {kind} model settings {sorted(unknown)}; valid: {sorted(cls.__dataclass_fields__)}")
    base.update(overrides)
    base["n_features"], base["n_genres"] = n_features, n_genres
    return cls.from_dict(base).to_dict()


def build_system(kind: str, meta: dict, cfg: TrainConfig) -> L.LightningModule:
    """A fresh training system for ``kind`` from ``prepare_data``'s ``meta`` and a config."""
    hp = BaselineHParams.from_dict((cfg.extra or {}).get("baseline"))
    mc = model_config_for(kind, int(meta["n_features"]), len(meta["genres"]), cfg, hp.model)
    return SYSTEMS[kind](mc, cfg.to_dict(), meta["ref_lengths"], hp.to_dict())


def export_baseline(system: L.LightningModule, meta: dict, path: Path, info: dict) -> Path:
    """Write ``system.model`` with every metadata field of ``meta`` (from ``prepare_data``) as a
    baseline model file."""
    from ..model.baselines import BaselineBundle
    from ..model.bundle import BundleMeta

    b = BaselineBundle(model=system.model.cpu().eval(), **{**BundleMeta.meta_kwargs(meta), "info": info})
    return b.save(path)


def make_trainer(kind: str, cfg: TrainConfig, out: Path, progress: bool = True, **overrides) -> L.Trainer:
    """The Trainer of :func:`dancegen.train.run.train`, adapted: no automatic gradient clipping for
    the GAN (manual optimisation clips itself), DDP finds unused parameters (each VQ stage and each
    GAN step leaves part of the model without gradients), ``deterministic="warn"`` off the CPU."""
    from lightning.pytorch.callbacks import TQDMProgressBar
    from lightning.pytorch.loggers import TensorBoardLogger

    from .run import _atomic_checkpoint_callback
    from .system import EpochAugmentation

    devices = int(cfg.devices) if str(cfg.devices).isdigit() else cfg.devices
    strategy = cfg.strategy
    if strategy == "ddp":
        strategy = "ddp_find_unused_parameters_true"
    kw = dict(
        default_root_dir=str(out), max_epochs=cfg.max_epochs,
        max_time={"minutes": cfg.max_minutes} if cfg.max_minutes else None,
        accelerator=cfg.accelerator, devices=devices, strategy=strategy,
        logger=TensorBoardLogger(str(out), name="tb", version=0),
        callbacks=[_atomic_checkpoint_callback(out / "last.ckpt", cfg.ckpt_every_steps), EpochAugmentation()]
        + ([TQDMProgressBar(refresh_rate=5)] if progress else []),
        enable_checkpointing=False, enable_progress_bar=progress, enable_model_summary=False,
        check_val_every_n_epoch=cfg.val_every, log_every_n_steps=5,
        gradient_clip_val=None if kind == "gan-stgcn" else 1.0,
        deterministic=True if cfg.accelerator == "cpu" else "warn", num_sanity_val_steps=0,
    )
    kw.update(overrides)
    return L.Trainer(**kw)


def train_baseline(kind: str, cfg: TrainConfig, progress: bool = True) -> Path:
    """Train (or resume) a comparison model on ``cfg``'s data; returns the exported ``model.safetensors``.

    ``kind``: ``"gan-stgcn"`` or ``"vqvae-transformer"``. Same data, features, windows, batch size,
    epochs/time cap, devices and resume behaviour as :func:`dancegen.train.run.train`; baseline
    settings from ``cfg.extra["baseline"]`` (:class:`BaselineHParams`)."""
    from .run import MODEL_FILE, prepare_data
    from .system import DanceDataModule

    check_kind(kind)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    if cfg.accelerator == "cpu":
        threads = BaselineHParams.from_dict((cfg.extra or {}).get("baseline")).threads
        torch.set_num_threads(threads or max(1, min(os.cpu_count() or 1, 4)))
    t0 = time.time()
    tr, va, meta = prepare_data(cfg, progress)
    prep_s = time.time() - t0
    system = build_system(kind, meta, cfg)
    dm = DanceDataModule(tr, va, cfg.batch_size, cfg.num_workers, cfg.seed)
    last = out / "last.ckpt"
    trainer = make_trainer(kind, cfg, out, progress)
    resumed = last.exists()
    if resumed:
        print(f"resuming from {last}", file=sys.stderr)
    t1 = time.time()
    trainer.fit(system, datamodule=dm, ckpt_path=str(last) if resumed else None, weights_only=True)
    fit_s = time.time() - t1
    info = dict(name=f"{kind}:{out.name}", kind=kind, format="dancegen-model", train_config=cfg.to_dict(),
                baseline=system.hp.to_dict(), epochs=int(trainer.current_epoch),
                global_step=int(trainer.global_step), prepare_seconds=round(prep_s, 1),
                fit_seconds_this_run=round(fit_s, 1), resumed=resumed, windows_per_epoch=len(tr),
                train_clips=meta["train_clips"], val_clips=meta["val_clips"], train_frames=meta["train_frames"],
                metrics={k: float(v) for k, v in trainer.callback_metrics.items()})
    if kind == "vqvae-transformer":
        info["stage1_epochs"] = system.stage1_epochs
    if trainer.is_global_zero:
        path = export_baseline(system, meta, out / MODEL_FILE, info)
        (out / "train_info.json").write_text(json.dumps(info, indent=2))
        print(f"{kind} model written to {path}", file=sys.stderr)
        return path
    return out / MODEL_FILE


__all__ = ["BaselineHParams", "GanSystem", "VQSystem", "recon_losses", "hinge_d_loss", "hinge_g_loss",
           "build_system", "model_config_for", "export_baseline", "make_trainer", "train_baseline"]
