"""``dancegen train``: build the data, the system and a Lightning Trainer; resume after interruption;
export the trained generator as one model file."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError
from ..fileio import atomic_write
from ..skeleton import body_scale, joint_speed
from .config import TrainConfig

#: the model file a training run writes into its run folder
MODEL_FILE = "model.safetensors"


def _atomic_checkpoint_callback(path: Path, every_steps: int):
    import lightning as L

    class AtomicCheckpoint(L.Callback):
        """Writes ``last.ckpt`` atomically (:func:`dancegen.fileio.atomic_write`: temp file +
        rename) every N steps and at each epoch end, so a run killed at any moment resumes from a
        complete checkpoint."""

        def _save(self, trainer):
            # every process takes part in save_checkpoint (a collective under DDP); the main
            # process is the one that writes, so it alone goes through the temporary file
            if trainer.is_global_zero:
                atomic_write(path, trainer.save_checkpoint)
            else:
                trainer.save_checkpoint(path)

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            if every_steps and trainer.global_step % every_steps == 0:
                self._save(trainer)

        def on_train_epoch_end(self, trainer, pl_module):
            self._save(trainer)

    return AtomicCheckpoint()


def _snapshot_callback(out: Path, minutes, meta: dict, cfg):
    """Exports the generator as ``OUT/at_<m>min/model.safetensors`` once the training time (Lightning's
    ``Timer``, which counts across resumes) passes each of ``minutes``: the same run at a smaller
    budget, e.g. the full model at the ablations' budget in the report."""
    import copy

    import lightning as L
    from lightning.pytorch.callbacks import Timer

    class Snapshot(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            timer = next((c for c in trainer.callbacks if isinstance(c, Timer)), None)
            if timer is None or not trainer.is_global_zero:
                return
            elapsed = timer.time_elapsed("train") / 60.0
            for m in minutes:
                target = out / f"at_{float(m):g}min" / MODEL_FILE
                if elapsed >= float(m) and not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    info = dict(train_config=cfg.to_dict(), epochs=int(trainer.current_epoch),
                                global_step=int(trainer.global_step), snapshot_minutes=float(m),
                                train_minutes=round(elapsed, 4))
                    model = copy.deepcopy(pl_module.model).cpu().eval()
                    export_bundle(None, meta, target, info, model=model)
                    (target.parent / "train_info.json").write_text(json.dumps(info, indent=2))
                    print(f"snapshot after {elapsed:.1f} min written to {target}", file=sys.stderr)

    return Snapshot()


def _yaw_arg(deg: float):
    """TrainConfig.augment_yaw (degrees) -> WindowDataset's argument: 0 off, >= 180 any yaw."""
    if not deg:
        return False
    return True if deg >= 180 else (-float(deg), float(deg))


def load_clips(root: Path, progress: bool = True):
    """Training and validation clips from a data folder: a Dance with Melody copy (its
    ``splits/train.txt`` / ``splits/val.txt``), or a folder of dance ``.npz`` files (from
    ``dancegen extract`` or ``Dance.save``, each with its music path and offset), where the files
    named in an optional ``val.txt`` (one stem per line) are the validation set."""
    from ..dance import Dance
    from ..data.dwm import load_dwm

    if (root / "splits").is_dir() or any(root.glob("DANCE_*")):
        return load_dwm(root, split="train", progress=progress), load_dwm(root, split="val", progress=progress)
    files = sorted(root.glob("*.npz"))
    if not files:
        raise DataError(f"{root}: neither a Dance with Melody folder nor a folder of dance .npz files")
    val_names = set((root / "val.txt").read_text().split()) if (root / "val.txt").exists() else set()
    clips = [Dance.load(f) for f in files]
    for c, f in zip(clips, files):
        if not c.music or not Path(c.music).exists():
            raise DataError(f"{f}: its music file {c.music!r} is missing; training needs the music of every dance")
    return [c for c, f in zip(clips, files) if f.stem not in val_names], [c for c, f in zip(clips, files) if f.stem in val_names]


def prepare_data(cfg: TrainConfig, progress: bool = True):
    """Clips, window datasets, feature statistics and pose statistics for a config."""
    from ..audio.features import FeatureConfig, FeatureStats
    from ..data.dataset import GENRES, WindowDataset
    from ..model import posecode
    from .system import PoseWindows

    root = Path(cfg.data)
    if not root.exists():
        raise DataError(f"{root}: data folder not found; pass --data pointing at a Dance with Melody folder")
    train_clips, val_clips = load_clips(root, progress)
    if cfg.limit_train_clips:
        train_clips = train_clips[: cfg.limit_train_clips]
        val_clips = val_clips[:1]
    if not train_clips:
        raise DataError(f"{root}: no training sequences found")
    fcfg = FeatureConfig(fps=cfg.fps, kind=cfg.feature_kind)
    win = cfg.window + cfg.seed_frames
    train_w = WindowDataset(train_clips, fcfg, window=win, stride=cfg.stride,
                            augment_yaw=_yaw_arg(cfg.augment_yaw), seed=cfg.seed)
    val_w = WindowDataset(val_clips, fcfg, window=win, stride=win, augment_yaw=False, seed=cfg.seed) if val_clips else None
    stats = FeatureStats.fit([train_w.clip_features(i) for i in range(len(train_clips))], names=fcfg.names())
    ref = posecode.reference_lengths([c.keypoints for c in train_clips])
    scales = [body_scale(c.keypoints) for c in train_clips]
    canvas = train_clips[0].canvas
    center = (canvas[0] / 2, canvas[1] / 2)
    params = np.concatenate([posecode.encode(c.keypoints, s, center, ref) for c, s in zip(train_clips, scales)])
    neck = params[:, :2]
    meta = dict(
        feature_config=fcfg.to_dict(), feature_stats=stats.to_dict(), ref_lengths=ref.tolist(),
        body_scale=float(np.median(scales)), canvas=list(canvas), genres=list(GENRES),
        seed_pose=params.mean(0).tolist(),
        # starting poses for generation (--seed picks one): real training poses, spread over clips
        seed_poses=params[np.random.default_rng(cfg.seed).choice(len(params), 32, replace=False)].tolist(),
        neck_bounds=[float(np.percentile(neck[:, 0], 0.5)), float(np.percentile(neck[:, 0], 99.5)),
                     float(np.percentile(neck[:, 1], 0.5)), float(np.percentile(neck[:, 1], 99.5))],
        n_features=int(train_w.clip_features(0).shape[1]),
        # mean joint speed of the training dances, body units per second (the energy governor's
        # reference; frame-to-frame steps, as the governor measures it)
        ref_speed=float(np.mean([joint_speed(c.keypoints, c.fps, scale=s, difference="steps").mean()
                                 for c, s in zip(train_clips, scales)])),
        train_clips=[c.name for c in train_clips], val_clips=[c.name for c in val_clips],
        train_frames=int(sum(c.n_frames for c in train_clips)),
    )
    tr = PoseWindows(train_w, canvas, ref, stats)
    va = PoseWindows(val_w, canvas, ref, stats) if val_w is not None else None
    return tr, va, meta


def export_bundle(system, meta: dict, path: Path, info: dict, model=None) -> Path:
    """Write the generator with every metadata field of ``meta`` (from :func:`prepare_data`)."""
    from ..model.bundle import BundleMeta, ModelBundle

    b = ModelBundle(model=model if model is not None else system.model.cpu().eval(),
                    **{**BundleMeta.meta_kwargs(meta), "info": info})
    return b.save(path)


def train(cfg: TrainConfig, progress: bool = True) -> Path:
    """Train (or resume) a generator; returns the exported ``model.safetensors`` path."""
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import TQDMProgressBar
    from lightning.pytorch.loggers import TensorBoardLogger

    from ..model.seq2seq import ModelConfig
    from .system import DanceDataModule, DanceSystem, EpochAugmentation

    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    if cfg.accelerator == "cpu":
        # the decoder runs frame by frame on small matrices: extra intra-op threads mostly spin,
        # and on a busy machine they make each step several times slower
        torch.set_num_threads(cfg.threads or 1)
    t0 = time.time()
    tr, va, meta = prepare_data(cfg, progress)
    prep_s = time.time() - t0
    mcfg = ModelConfig(n_features=meta["n_features"], attention=cfg.attention, enc_hidden=cfg.enc_hidden,
                       dec_hidden=cfg.dec_hidden, dec_layers=cfg.dec_layers, dropout=cfg.dropout,
                       n_genres=len(meta["genres"]))
    system = DanceSystem(mcfg.to_dict(), cfg.to_dict(), meta["ref_lengths"], meta)  # meta: a checkpoint is a usable model
    dm = DanceDataModule(tr, va, cfg.batch_size, cfg.num_workers, cfg.seed)
    last = out / "last.ckpt"
    devices = int(cfg.devices) if str(cfg.devices).isdigit() else cfg.devices
    trainer = L.Trainer(
        default_root_dir=str(out), max_epochs=cfg.max_epochs,
        max_time={"minutes": cfg.max_minutes} if cfg.max_minutes else None,
        accelerator=cfg.accelerator, devices=devices, strategy=cfg.strategy,
        logger=TensorBoardLogger(str(out), name="tb", version=0),
        callbacks=[_atomic_checkpoint_callback(last, cfg.ckpt_every_steps), EpochAugmentation()]
        + ([_snapshot_callback(out, cfg.snapshot_minutes, meta, cfg)] if cfg.snapshot_minutes and cfg.max_minutes else [])
        + ([TQDMProgressBar(refresh_rate=5)] if progress else []),
        enable_checkpointing=False, enable_progress_bar=progress, enable_model_summary=False,
        check_val_every_n_epoch=cfg.val_every, log_every_n_steps=5, gradient_clip_val=1.0,
        deterministic=True, num_sanity_val_steps=0,
    )
    resumed = last.exists()
    if resumed:
        print(f"resuming from {last}", file=sys.stderr)
    t1 = time.time()
    # weights_only: a checkpoint is tensors and plain values; one that pickles code is refused
    trainer.fit(system, datamodule=dm, ckpt_path=str(last) if resumed else None, weights_only=True)
    fit_s = time.time() - t1
    n_frames = len(tr) * cfg.window
    info = dict(train_config=cfg.to_dict(), epochs=int(trainer.current_epoch), global_step=int(trainer.global_step),
                prepare_seconds=round(prep_s, 1), fit_seconds_this_run=round(fit_s, 1), resumed=resumed,
                windows_per_epoch=len(tr), train_clips=meta["train_clips"], val_clips=meta["val_clips"],
                train_frames=meta["train_frames"],
                metrics={k: float(v) for k, v in trainer.callback_metrics.items()})
    if trainer.is_global_zero:
        path = export_bundle(system, meta, out / MODEL_FILE, info)
        (out / "train_info.json").write_text(json.dumps(info, indent=2))
        print(f"model written to {path} ({n_frames} frames/epoch)", file=sys.stderr)
        return path
    return out / MODEL_FILE


def _check_number(name, v, lo=None, hi=None, integer=False, lo_open=False):
    import math

    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if ok and integer:
        ok = float(v) == int(v)
    if ok and lo is not None:
        ok = v > lo if lo_open else v >= lo
    if ok and hi is not None:
        ok = v <= hi
    if not ok:
        rng = " ".join(x for x in ((f"> {lo:g}" if lo_open else f">= {lo:g}") if lo is not None else "",
                                   f"<= {hi:g}" if hi is not None else "") if x)
        raise ConfigError(f"{name} {v!r}: must be a {'whole ' if integer else ''}number {rng}".rstrip())


def check_config(cfg: TrainConfig):
    if not cfg.out:
        raise ConfigError("no run folder: set out (dancegen train --out DIR)")
    _check_number("max_epochs", cfg.max_epochs, 1, integer=True)
    if cfg.max_minutes is not None:  # 0 / None: no time limit
        _check_number("max_minutes", cfg.max_minutes, 0)
    _check_number("lr", cfg.lr, 0, 10, lo_open=True)
    _check_number("batch_size", cfg.batch_size, 1, integer=True)
    _check_number("seed", cfg.seed, 0, 2 ** 32 - 1, integer=True)
    _check_number("fps", cfg.fps, 0.5, 240)
    if cfg.feature_kind not in ("multi", "mfcc"):
        raise ConfigError(f"feature_kind {cfg.feature_kind!r}: use multi or mfcc")
    if cfg.attention not in ("additive", "general", "dot", "none"):
        raise ConfigError(f"attention {cfg.attention!r}: use additive, general, dot or none")
    if cfg.window < 4 or cfg.batch_size < 1:
        raise ConfigError("window must be >= 4 and batch_size >= 1")
    for m in cfg.snapshot_minutes or []:
        if not isinstance(m, (int, float)) or not 0 < m or (cfg.max_minutes and m >= cfg.max_minutes):
            raise ConfigError(f"snapshot_minutes {cfg.snapshot_minutes}: use minutes between 0 and max_minutes "
                              f"({cfg.max_minutes}), e.g. [35]")
