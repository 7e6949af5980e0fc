"""Training system: a LightningModule around :class:`~dancegen.model.seq2seq.Seq2SeqDance` and a
DataModule over dance clips. The nn.Module knows nothing of training; this file knows nothing of
file formats (clips come from :mod:`dancegen.data`)."""
from __future__ import annotations

import math

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..model import posecode
from ..model.seq2seq import ModelConfig, Seq2SeqDance
from ..skeleton import body_scale
from .config import TrainConfig
from .losses import motion_terms


def motion_losses(pred: torch.Tensor, target: torch.Tensor, ref: torch.Tensor, w_pos: float = 1.0,
                  w_vel: float = 2.0, w_acc: float = 1.0, w_energy: float = 0.0, w_extent: float = 0.0):
    """The motion terms of the training objective on pose parameters ``pred``, ``target`` ``(B, T, 36)``
    (``ref (17,)``), shared by our model and the comparison models (``dancegen.train.baselines``).

    Returns ``(terms, joints)``: ``terms`` = ``pos`` (L1 of the decoded joints, body units), ``vel``
    and ``acc`` (L1 of their first and second differences, x5 and x10), ``energy``, ``extent`` (below)
    and ``loss`` (their weighted sum); ``joints`` = the decoded ``pred`` ``(B, T, 18, 2)``."""
    jp = posecode.decode_torch(pred, ref)       # (B,T,18,2) body units
    jt = posecode.decode_torch(target, ref)
    out = motion_terms(jp, jt)
    # pose extent: per sample and bone, the log-ratio of the mean visible length (|v_b| <= 1, less
    # when foreshortened). Under uncertainty (which way the dancer faces, where a turn goes) the
    # per-frame losses favour the average of the possible poses, a collapsed side-on figure with
    # its limbs drawn in; matching each bone's mean extent over the window keeps the figure open.
    ep = pred[..., 2:].reshape(pred.shape[:-1] + (-1, 2)).norm(dim=-1).mean(dim=1)
    et = target[..., 2:].reshape(target.shape[:-1] + (-1, 2)).norm(dim=-1).mean(dim=1)
    out["extent"] = (torch.log(ep + 0.05) - torch.log(et + 0.05)).abs().mean()
    out["loss"] = w_pos * out["pos"] + w_vel * out["vel"] + w_acc * out["acc"] + \
        w_energy * out["energy"] + w_extent * out["extent"]
    return out, jp


class PoseWindows(Dataset):
    """Wraps a window dataset (items with ``features (W,F)``, ``keypoints (W,18,2)`` px, ``genre``)
    and returns model tensors: standardised features and pose parameters in body units (the body
    unit is the window's median torso length, so every window has the same body size)."""

    def __init__(self, windows, canvas, ref, stats):
        self.windows, self.ref, self.stats = windows, ref, stats
        self.center = (canvas[0] / 2.0, canvas[1] / 2.0)

    def __len__(self):
        return len(self.windows)

    def __getitem__(self, i):
        it = self.windows[i]
        scale = body_scale(it["keypoints"])  # per window: robust to yaw augmentation
        params = posecode.encode(it["keypoints"], scale, self.center, self.ref)
        feats = self.stats.apply(np.asarray(it["features"], np.float32))
        return {"features": torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32)),
                "poses": torch.from_numpy(params),
                "genre": torch.tensor(int(it["genre"]), dtype=torch.long)}


class DanceSystem(L.LightningModule):
    """Seq2Seq training: pose reconstruction + velocity/acceleration terms + HGR structural losses,
    with scheduled sampling so that free-running generation neither freezes nor drifts."""

    def __init__(self, model_config: dict, train_config: dict, ref_lengths, bundle_meta: dict):
        super().__init__()
        self.save_hyperparameters()
        self.tc = TrainConfig(**{k: v for k, v in train_config.items() if k in TrainConfig.__dataclass_fields__})
        self.model = Seq2SeqDance(ModelConfig.from_dict(model_config))
        self.register_buffer("ref", torch.as_tensor(np.asarray(ref_lengths, np.float32)))

    # ------------------------------------------------------------------ losses
    def sampling_p(self) -> float:
        tc = self.tc
        e = self.current_epoch - tc.sampling_start_epoch
        if e < 0:
            return 0.0
        return float(tc.sampling_max * min(1.0, (e + 1) / max(1, tc.sampling_ramp_epochs)))

    def losses(self, pred: torch.Tensor, target: torch.Tensor) -> dict:
        tc = self.tc
        out, jp = motion_losses(pred, target, self.ref, tc.w_pos, tc.w_vel, tc.w_acc, tc.w_energy, tc.w_extent)
        loss = out["loss"]
        if tc.hgr_losses:
            from ..feedback import losses as hgr

            # one-sided stretch (zero by construction of the pose code, kept as the paper's term),
            # left/right bone-length equality, and acceleration energy (per frame^2, body units)
            out["bone"] = hgr.bone_stretch_loss(jp, self.ref)
            out["sym"] = hgr.bone_symmetry_loss(jp, self.ref)
            out["smooth"] = 100.0 * hgr.smoothness_loss(jp, order=2)
            loss = loss + tc.w_bone * out["bone"] + tc.w_sym * out["sym"] + tc.w_smooth * out["smooth"]
        out["loss"] = loss
        return out

    def training_step(self, batch, batch_idx):
        sf = self.tc.seed_frames
        p = self.sampling_p()
        pred = self.model(batch["features"], batch["poses"], batch["genre"], p, sf, free_p=p * self.tc.free_ratio)
        ls = self.losses(pred, batch["poses"][:, sf:])
        bs = batch["poses"].shape[0]
        self.log_dict({f"train/{k}": v for k, v in ls.items()}, prog_bar=False, batch_size=bs)
        self.log("loss", ls["loss"], prog_bar=True, batch_size=bs)
        self.log("p_own", self.sampling_p(), prog_bar=True, batch_size=bs)
        return ls["loss"]

    def validation_step(self, batch, batch_idx):
        sf = self.tc.seed_frames
        bs = batch["poses"].shape[0]
        pred = self.model(batch["features"], batch["poses"], batch["genre"], 0.0, sf)
        ls = self.losses(pred, batch["poses"][:, sf:])
        self.log("val/loss", ls["loss"], prog_bar=True, batch_size=bs, sync_dist=True)
        self.log("val/pos", ls["pos"], batch_size=bs, sync_dist=True)
        # free-running (the model feeds itself every frame): what generation does
        free = self.model(batch["features"], batch["poses"], batch["genre"], 1.0, sf)
        lf = self.losses(free, batch["poses"][:, sf:])
        self.log("val/free_pos", lf["pos"], prog_bar=True, batch_size=bs, sync_dist=True)
        jp = posecode.decode_torch(free, self.ref)
        jt = posecode.decode_torch(batch["poses"][:, sf:], self.ref)
        sp = (jp[:, 1:] - jp[:, :-1]).norm(dim=-1).mean()
        st = (jt[:, 1:] - jt[:, :-1]).norm(dim=-1).mean()
        self.log("val/free_speed_ratio", sp / st.clamp_min(1e-6), batch_size=bs, sync_dist=True)
        ba = self._beat_alignment(batch["features"][:, sf:], jp)
        if ba is not None:
            self.log("val/free_beat_error", ba[0], batch_size=bs, sync_dist=True)
            self.log("val/free_bas", ba[1], prog_bar=True, batch_size=bs, sync_dist=True)

    def _beat_alignment(self, feats: torch.Tensor, joints: torch.Tensor):
        """Beat alignment of free-running predictions: music beats where the (unstandardised) beat
        phase columns wrap, motion beats from :func:`dancegen.metrics.motion_beats`; returns the
        mean (beat alignment error s, Bailando beat-align score) over the windows that have beats."""
        meta = self.hparams.get("bundle_meta") or {}
        if "feature_config" not in meta:
            return None
        from ..audio.features import FeatureConfig
        from ..metrics import beat_align_score_bailando, beat_alignment_error, motion_beats

        names = FeatureConfig.from_dict(meta["feature_config"]).names()
        if "beat_phase_sin" not in names:
            return None
        fps = float(meta["feature_config"].get("fps", 25.0))
        i_s, i_c = names.index("beat_phase_sin"), names.index("beat_phase_cos")
        ph = torch.atan2(feats[..., i_s], feats[..., i_c]).cpu().numpy() % (2 * np.pi)
        jn = joints.detach().cpu().numpy()
        errs, scores = [], []
        for b in range(jn.shape[0]):
            music = (np.nonzero(np.diff(ph[b]) < -np.pi)[0] + 1) / fps
            if len(music) < 2:
                continue
            motion = motion_beats(jn[b], fps)
            span = (0.0, (jn.shape[1] - 1) / fps)
            if len(motion) == 0:
                errs.append(span[1])
                scores.append(0.0)
                continue
            errs.append(beat_alignment_error(motion, music, span))
            scores.append(beat_align_score_bailando(motion, music, 0.05, span))
        if not errs:
            return None
        return float(np.mean(errs)), float(np.mean(scores))

    def configure_optimizers(self):
        return torch.optim.Adam(self.model.parameters(), lr=self.tc.lr, weight_decay=self.tc.weight_decay)


class EpochAugmentation(L.Callback):
    """Tells the training windows which epoch it is, so that each epoch draws new camera yaws
    (the draw is deterministic in seed, epoch and window index)."""

    def on_train_epoch_start(self, trainer, pl_module):
        ds = getattr(getattr(trainer, "datamodule", None), "train_ds", None)
        windows = getattr(ds, "windows", None)
        if hasattr(windows, "set_epoch"):
            windows.set_epoch(trainer.current_epoch)


def steps_per_epoch(n_windows: int, batch: int) -> int:
    return max(1, math.ceil(n_windows / batch))


class DanceDataModule(L.LightningDataModule):
    def __init__(self, train_ds: Dataset, val_ds: Dataset | None, batch_size: int, num_workers: int, seed: int):
        super().__init__()
        self.train_ds, self.val_ds = train_ds, val_ds
        self.batch_size, self.num_workers, self.seed = batch_size, num_workers, seed

    def train_dataloader(self):
        g = torch.Generator()
        g.manual_seed(self.seed)
        return DataLoader(self.train_ds, batch_size=self.batch_size, shuffle=True, drop_last=True,
                          num_workers=self.num_workers, generator=g, persistent_workers=self.num_workers > 0)

    def val_dataloader(self):
        if self.val_ds is None or len(self.val_ds) == 0:
            return []
        return DataLoader(self.val_ds, batch_size=self.batch_size, shuffle=False, num_workers=0)
