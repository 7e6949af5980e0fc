"""Generation speed and memory of the 3D sampling generator.

Prints: decoder + HGR loop ms/frame at batch 1 (with and without the loop); the whole
``dancegen generate --no-video`` command for a 90-second song (start-up included, best and median
of ``--repeat``, wall and CPU time, peak RSS); where the command's time goes, stage by stage (the
same command with timers around its stages, best of ``--repeat`` per stage); and the peak RSS of
the command for a 10-minute song.

    .venv/bin/python benchmarks/bench_generate3d.py [--music PATH] [--model PATH] [--skip-long]
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
#: the song of the issue's target ("a 90-s song to dance.npz in at most 4 s")
DEFAULT_MUSIC = REPO / "examples" / "music" / "metal_madness.ogg"

#: (label, module, attribute) of the timed stages; a class attribute is "Class.method". Times are
#: exclusive: a stage called inside another is counted in its own row only.
STAGES = (
    ("model file read and built", "dancegen.model.generate3d", "load_generator"),
    ("song length check (header; the window decode gives the real length)", "dancegen.audio.io", "audio_duration"),
    ("decode + resample + noise reduction", "dancegen.audio.io", "load_audio"),
    ("spectrogram + onset envelope", "dancegen.audio.beats", "analyse"),
    ("tempo + beat tracking", "dancegen.audio.beats", "Analysis.beats"),
    ("features (mel, MFCC, chroma ...)", "dancegen.audio.features", "compute_features"),
    ("genre classifier", "dancegen.model.generate", "pick_genre"),
    ("decoder + HGR loop", "dancegen.model.generate3d", "decode3d"),
    ("loudness following", "dancegen.model.generate3d", "follow_loudness"),
    ("energy governor (twice)", "dancegen.model.generate3d", "govern3d"),
    ("polish (travel, smoothing; twice)", "dancegen.model.generate3d", "polish3d"),
    ("beat lock", "dancegen.model.beatlock", "lock_to_beats"),
    ("camera", "dancegen.camera", "film"),
    ("whole-dance checks", "dancegen.feedback.online3d", "check3d"),
    ("whole-dance checks", "dancegen.feedback.structure", "analyze"),
    ("dance.npz written", "dancegen.dance", "Dance.save"),
)


def generate_args(music, out, model, duration=90):
    return (["generate", str(music), "-o", str(out), "--no-video", "--force", "--quiet"]
            + (["--duration", str(duration)] if duration else []) + (["--model", model] if model else []))


def run_cmd(args):
    """The command in a fresh interpreter: (wall s, CPU s (user + sys), peak RSS kB)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", "import resource,sys; from dancegen.cli import main; rc = main(sys.argv[1:]); "
                        "print('RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(rc)"]
                       + args, capture_output=True, text=True, cwd=REPO)
    dt = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        raise SystemExit(p.stderr[-2000:])
    rss = int(p.stderr.split("RSS_KB")[-1].split()[0])
    return dt, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), rss


def _stages_child(args):
    """Run inside a fresh interpreter: the command with timers around :data:`STAGES`; prints
    ``STAGES_JSON {label: [wall, cpu]}`` with the interpreter start-up, the dancegen.cli import and
    the rest of the command as rows of their own (the 3D generator does not import torch; a row
    ``torch imported`` says whether anything did)."""
    import importlib

    start_cpu = resource.getrusage(resource.RUSAGE_SELF)
    t_enter = time.perf_counter()
    totals: dict = {}
    stack: list = []

    def timed(label, fn):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            w0, c0 = time.perf_counter(), time.process_time()
            stack.append([0.0, 0.0])
            try:
                return fn(*a, **k)
            finally:
                child = stack.pop()
                dw, dc = time.perf_counter() - w0, time.process_time() - c0
                tot = totals.setdefault(label, [0.0, 0.0])
                tot[0] += dw - child[0]
                tot[1] += dc - child[1]
                if stack:
                    stack[-1][0] += dw
                    stack[-1][1] += dc
        return wrapper

    def phase(label, fn):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        totals[label] = [time.perf_counter() - w0, time.process_time() - c0]
        return out

    main = phase("import dancegen.cli", lambda: importlib.import_module("dancegen.cli")).main
    for label, mod, attr in STAGES:
        owner = importlib.import_module(mod)
        if "." in attr:
            cls, attr = attr.split(".")
            owner = getattr(owner, cls, None)
        if hasattr(owner, attr):  # (an older checkout may lack a stage: it is counted in its caller's)
            setattr(owner, attr, timed(label, getattr(owner, attr)))
    w0, c0 = time.perf_counter(), time.process_time()
    rc = main(args)
    w, c = time.perf_counter() - w0, time.process_time() - c0
    totals["rest of the command"] = [w - sum(v[0] for k, v in totals.items() if not k.startswith("import")),
                                     c - sum(v[1] for k, v in totals.items() if not k.startswith("import"))]
    totals["interpreter start-up"] = [None, start_cpu.ru_utime + start_cpu.ru_stime]
    totals["torch imported"] = [float("torch" in sys.modules), None]
    totals["_in_process_wall"] = [time.perf_counter() - t_enter, None]
    print("STAGES_JSON", json.dumps(totals), file=sys.stderr)
    return rc


def stage_breakdown(args, repeat: int):
    """Best (per stage) of ``repeat`` instrumented runs: {label: (wall, cpu)} and the best total."""
    best: dict = {}
    totals = []
    for _ in range(repeat):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        p = subprocess.run([sys.executable, __file__, "--stages-of"] + args, capture_output=True, text=True, cwd=REPO)
        wall = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode:
            raise SystemExit(p.stderr[-2000:])
        st = json.loads(p.stderr.split("STAGES_JSON", 1)[1].strip().splitlines()[0])
        st["interpreter start-up"][0] = wall - st.pop("_in_process_wall")[0]
        totals.append((wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)))
        for k, (w, c) in st.items():
            b = best.setdefault(k, [w, c])
            best[k] = [None if w is None else min(b[0], w), None if c is None else min(b[1], c)]
    return best, min(t[0] for t in totals), min(t[1] for t in totals)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--music", default=str(DEFAULT_MUSIC))
    ap.add_argument("--model", default=None)
    ap.add_argument("--frames", type=int, default=1500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-long", action="store_true")
    ap.add_argument("--skip-decoder", action="store_true", help="no decoder-only ms/frame figures")
    a = ap.parse_args()

    if not a.skip_decoder:
        from dancegen.model.generate3d import Generate3DOptions, decode3d, load_generator

        b = load_generator(a.model)
        if not getattr(b, "is_3d", False):
            raise SystemExit("pass a 3D model (kind seq2seq3d)")
        feats = np.random.default_rng(0).normal(size=(a.frames, b.config.n_features)).astype(np.float32)
        for fb in (True, False):
            best = 1e9
            for r in range(a.repeat):
                t = time.perf_counter()
                _, _, counts = decode3d(b, feats, 0, Generate3DOptions(feedback=fb, progress=False, seed=r))
                best = min(best, (time.perf_counter() - t) * 1e3 / a.frames)
            print(f"decoder batch 1, HGR loop {'on ' if fb else 'off'}: {best:.3f} ms/frame (best of {a.repeat}, {a.frames} frames)")
    with tempfile.TemporaryDirectory() as tmp:
        args = generate_args(a.music, tmp, a.model)
        runs = [run_cmd(args) for _ in range(a.repeat)]
        wall, cpu, rss = (np.array([r[i] for r in runs]) for i in range(3))
        print(f"dancegen generate {Path(a.music).name} --duration 90 --no-video: {wall.min():.2f} s best, "
              f"{np.median(wall):.2f} s median wall; CPU {cpu.min():.2f} s best, {np.median(cpu):.2f} s median "
              f"(of {a.repeat}); peak RSS {rss.max() / 1024:.0f} MB; load average {os.getloadavg()[0]:.1f}")
        best, tw, tc = stage_breakdown(args, a.repeat)
        print(f"where the time goes (the command with stage timers, best of {a.repeat} per stage; "
              f"fastest instrumented run {tw:.2f} s wall, {tc:.2f} s CPU):")
        order = ["interpreter start-up", "import dancegen.cli"] + list(dict.fromkeys(s[0] for s in STAGES)) \
            + ["rest of the command"]
        for k in order:
            w, c = (x or 0.0 for x in best.get(k, [0.0, 0.0]))
            print(f"  {k:<68s} {w:6.2f} s wall {c:6.2f} s CPU")
        print(f"  torch imported by the command: {'yes' if best.get('torch imported', [0])[0] else 'no'}")
        if not a.skip_long:
            import soundfile as sf

            from dancegen.audio.io import load_audio

            y, sr = load_audio(a.music, sr=22050)
            n = 600 * sr
            long = np.tile(y, int(np.ceil(n / len(y))))[:n]
            p = Path(tmp) / "ten_minutes.wav"
            sf.write(p, long, sr)
            dt, _, rss = run_cmd(generate_args(p, tmp, a.model, duration=None))
            print(f"10-minute song, --no-video: {dt:.1f} s, peak RSS {rss / 1024:.0f} MB")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--stages-of":
        sys.exit(_stages_child(sys.argv[2:]))
    main()
