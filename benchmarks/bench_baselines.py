"""Training throughput and size of the two comparison models (GAN-ST-GCN, Transformer-VQ-VAE).

Trains with the real systems of :mod:`dancegen.train.baselines` under the Trainer of
:func:`~dancegen.train.baselines.make_trainer` on random tensors shaped like the real data (batch 32,
windows of 121 frames = 120 + 1 seed frame, F music features) and prints training frames per
second (120 frames per window), parameters, model-file size and generation time for 1000 frames.

    .venv/bin/python benchmarks/bench_baselines.py [--features 80] [--threads 2] [--steps 6]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


class _Random(torch.utils.data.Dataset):
    """Items shaped like :class:`dancegen.train.system.PoseWindows`: features (T, F), poses (T, 36)
    valid parameters, genre."""

    def __init__(self, n, T, F, n_genres, seed=0):
        from dancegen.model import posecode

        g = torch.Generator().manual_seed(seed)
        self.f = torch.randn(n, T, F, generator=g)
        self.p = posecode.clamp_bones(torch.randn(n, T, 36, generator=g))
        self.g = torch.randint(0, n_genres, (n,), generator=g)

    def __len__(self):
        return len(self.f)

    def __getitem__(self, i):
        return {"features": self.f[i], "poses": self.p[i], "genre": self.g[i]}


def bench(kind, F, steps, warm, B=32, T=121):
    """Train ``kind`` with the real system and Trainer (:func:`make_trainer`) for two epochs of
    ``warm + steps`` batches; time the last ``steps`` batches of each epoch (the VQ model's epoch 0
    is stage 1, epoch 1 stage 2)."""
    import lightning as L

    from dancegen.model.baselines import BaselineBundle, generate_params
    from dancegen.model.baselines.stgcn_gan import n_parameters
    from dancegen.train.baselines import build_system, make_trainer
    from dancegen.train.config import TrainConfig
    from dancegen.train.system import DanceDataModule

    genres = ["g%d" % i for i in range(14)]
    meta = dict(n_features=F, genres=genres, ref_lengths=[0.4] * 17)
    times: dict = {}

    class Clock(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            times.setdefault(trainer.current_epoch, []).append(time.perf_counter())

    with tempfile.TemporaryDirectory() as d:
        cfg = TrainConfig(out=d, window=T - 1, batch_size=B, max_epochs=2, ckpt_every_steps=0, val_every=10,
                          extra={"baseline": {"stage1_epochs": 1}})
        system = build_system(kind, meta, cfg)
        trainer = make_trainer(kind, cfg, Path(d), progress=False, logger=False, max_time=None)
        trainer.callbacks.append(Clock())
        dm = DanceDataModule(_Random(B * (warm + steps), T, F, len(genres)), None, B, 0, 0)
        trainer.fit(system, datamodule=dm)
        b = BaselineBundle(model=system.model, feature_config={"fps": 25.0}, feature_stats={},
                           ref_lengths=np.full(17, 0.4, np.float32), body_scale=100.0, canvas=(1920, 1080),
                           genres=genres, seed_pose=np.zeros(36, np.float32))
        size = b.save(Path(d) / "m.safetensors").stat().st_size
    rates = []
    for ep in sorted(times):
        t = times[ep]
        dt = (t[-1] - t[warm - 1]) / (len(t) - warm)
        rates.append((dt, B * (T - 1) / dt))
    feats = np.random.default_rng(0).normal(size=(1000, F)).astype(np.float32)
    t0 = time.perf_counter()
    generate_params(system.model, feats, 0, seed=0)
    gen_s = time.perf_counter() - t0
    if kind == "gan-stgcn":
        sizes = (f"generator {n_parameters(system.model.generator) / 1e6:.2f} M + discriminator "
                 f"{n_parameters(system.model.discriminator) / 1e6:.2f} M params")
        labels = ["gan-stgcn (epoch 1)", "gan-stgcn (epoch 2)"]
    else:
        sizes = (f"VQ-VAE {n_parameters(system.model.vqvae) / 1e6:.2f} M + transformer "
                 f"{n_parameters(system.model.gpt) / 1e6:.2f} M params")
        labels = ["vqvae-transformer stage 1", "vqvae-transformer stage 2"]
    for label, (dt, fps) in zip(labels, rates):
        print(f"{label:28s} {dt:6.2f} s/step  {fps:7.0f} training frames/s")
    print(f"{kind:28s} file {size / 1e6:.2f} MB (float16)  generate 1000 frames {gen_s:.2f} s  [{sizes}]")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", type=int, default=80)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--warm", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"batch 32, window 120 (+1 seed frame), {a.features} features, {a.threads} threads, "
          f"mean of {a.steps} steps after {a.warm} warm-up steps")
    bench("gan-stgcn", a.features, a.steps, a.warm)
    bench("vqvae-transformer", a.features, a.steps, a.warm)


if __name__ == "__main__":
    main()
