"""Training throughput of the Seq2Seq system on the real data windows (Dance with Melody).

    .venv/bin/python benchmarks/bench_train.py [--config configs/default.json] [--steps 20]

Prints predicted frames per second (batch x window frames per optimiser step) with the default
recipe (scheduled sampling at its final level), and the implied time per epoch. One torch thread,
as `dancegen train` uses on the CPU."""
from __future__ import annotations

import argparse
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="configs/default.json")
    ap.add_argument("--steps", type=int, default=20)
    a = ap.parse_args()
    from torch.utils.data import DataLoader

    from dancegen.model.seq2seq import ModelConfig
    from dancegen.train.config import TrainConfig
    from dancegen.train.run import prepare_data
    from dancegen.train.system import DanceSystem

    torch.set_num_threads(1)
    cfg = TrainConfig.from_file(a.config)
    tr, _, meta = prepare_data(cfg, progress=False)
    mcfg = ModelConfig(n_features=meta["n_features"], attention=cfg.attention, enc_hidden=cfg.enc_hidden,
                       dec_hidden=cfg.dec_hidden, dec_layers=cfg.dec_layers, dropout=cfg.dropout,
                       n_genres=len(meta["genres"]))
    sysm = DanceSystem(mcfg.to_dict(), cfg.to_dict(), meta["ref_lengths"], meta)
    sysm.sampling_p = lambda: cfg.sampling_max  # the curriculum's final level
    opt = torch.optim.Adam(sysm.model.parameters(), lr=cfg.lr)
    dl = DataLoader(tr, batch_size=cfg.batch_size, shuffle=True, drop_last=True)
    it = iter(dl)
    times = []
    for step in range(a.steps + 2):
        batch = next(it)
        t0 = time.perf_counter()
        p = cfg.sampling_max
        pred = sysm.model(batch["features"], batch["poses"], batch["genre"], p, cfg.seed_frames, free_p=p * cfg.free_ratio)
        loss = sysm.losses(pred, batch["poses"][:, cfg.seed_frames:])["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step >= 2:
            times.append(time.perf_counter() - t0)
    per_step = sum(times) / len(times)
    frames = cfg.batch_size * cfg.window
    steps_per_epoch = len(tr) // cfg.batch_size
    print(f"{per_step:.3f} s/step, {frames / per_step:.0f} predicted frames/s (batch {cfg.batch_size} x {cfg.window} frames), "
          f"{steps_per_epoch} steps/epoch -> {steps_per_epoch * per_step:.0f} s/epoch (training steps only)")


if __name__ == "__main__":
    main()
