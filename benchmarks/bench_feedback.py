#!/usr/bin/env python
"""Timing of the HGR feedback module on this CPU.

    .venv/bin/python benchmarks/bench_feedback.py

Prints: the online corrector's cost per frame (numpy, single pose; must stay under 0.2 ms), on a
clean and on a faulty sequence (where every check fires now and then); the torch batch clamp;
analyze() and repair() per 1000 frames; and the training losses (forward + backward).
Uses a real Dance with Melody take when ../shared is present, else the synthetic dancer.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DWM = REPO.parent / "shared" / "data" / "dance_with_melody"


def _seq():
    if (DWM / "DANCE_W_1").exists():
        from dancegen.data.dwm import load_dwm

        c = load_dwm(DWM, names=["DANCE_W_1"], retime=False, progress=False)[0]
        return c.keypoints.astype(np.float64), c.fps, "DANCE_W_1"
    from dancegen.feedback.inject import synthetic_dance

    return synthetic_dance(1500), 25.0, "synthetic"


def _time(fn, repeat=5):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> int:
    import torch

    from dancegen.feedback.inject import inject_faults
    from dancegen.feedback.losses import bone_length_loss, smoothness_loss
    from dancegen.feedback.online import OnlineCorrector, correct_batch
    from dancegen.feedback.repair import repair
    from dancegen.feedback.structure import analyze, reference_bone_lengths

    torch.set_num_threads(1)
    kp, fps, name = _seq()
    T = len(kp)
    ref = reference_bone_lengths(kp)
    faulty, faults = inject_faults(kp, fps, rng=0, n_per_kind=20)
    print(f"sequence {name}: {T} frames at {fps:g} fps; faulty copy with {len(faults)} injected faults")

    for label, seq in (("clean", kp), ("faulty", faulty)):
        corr = OnlineCorrector(ref, fps)
        per = []
        corr.reset()
        for pose in seq:
            t0 = time.perf_counter()
            corr.step(pose)
            per.append(time.perf_counter() - t0)
        per = np.array(per[10:]) * 1e6
        print(f"OnlineCorrector.step ({label}): mean {per.mean():.1f} us, median {np.median(per):.1f} us, "
              f"p99 {np.percentile(per, 99):.1f} us per frame; corrections {corr.counts}")

    B = 64
    p = torch.tensor(np.repeat(faulty[None, 100], B, 0))
    p1 = torch.tensor(np.repeat(faulty[None, 99], B, 0))
    p2 = torch.tensor(np.repeat(faulty[None, 98], B, 0))
    dt = _time(lambda: [correct_batch(p, p1, p2, ref=ref, fps=fps) for _ in range(100)]) / 100
    print(f"correct_batch (torch, B={B}): {dt * 1e3:.3f} ms per call ({dt / B * 1e6:.2f} us per pose)")

    dt = _time(lambda: analyze(faulty, fps, ref=ref), 3)
    print(f"analyze: {dt * 1e3:.1f} ms for {T} frames ({dt / T * 1e6:.1f} us/frame)")
    dt = _time(lambda: repair(faulty, fps, ref=ref), 3)
    print(f"repair (analyze + interpolate + bones + re-analyze): {dt * 1e3:.1f} ms for {T} frames")

    x = torch.tensor(np.stack([kp[i:i + 64] for i in range(0, 32 * 20, 20)]), dtype=torch.float32,
                     requires_grad=True)
    ref_t = torch.tensor(ref, dtype=torch.float32)

    def loss_step():
        loss = bone_length_loss(x, ref_t) + smoothness_loss(x)
        loss.backward()

    dt = _time(loss_step, 5)
    print(f"bone_length_loss + smoothness_loss forward+backward on {tuple(x.shape)}: {dt * 1e3:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
