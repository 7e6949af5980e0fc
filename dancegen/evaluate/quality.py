"""Quality of a generator on the Dance with Melody val split and on songs it never saw.

For every val take: the model dances the take's song over the take's span; the metrics are taken
for the generated dance, for the ground truth (the retimed real dance) and for the ground truth
paired with the wrong song (take i's motion against take i+1's music, cut to the shorter span),
the chance level. For unseen songs (e.g. the sectoid songs), the whole song is danced.

Definitions (all from :mod:`dancegen.metrics`):

* beat alignment error (s) and beat-align scores: Bailando form (mean over music beats) and FACT
  form (mean over motion beats), sigma 0.05 s; motion beats = local minima of the smoothed mean
  joint speed; music beats from :func:`dancegen.audio.beats` via the feature extractor;
* FID_k / FID_g: Frechet distance between our 2D kinetic / geometric features of 8-s windows (hop
  4 s) of generated and real dances (features standardised on the real set); diversity = mean
  pairwise distance of those windows' features;
* bones: ``max_stretch`` = the largest ``L_b / ref_b - 1`` over frames and bones (the generator's
  reference lengths in pixels for its dances, the 99th percentile of each bone for real dances);
  ``bone_cv`` = mean over bones of std/mean of the bone's length over the dance;
* speed: mean joint speed (px/s) in every 10-s window divided by the real dances' mean speed;
* on canvas: share of frames whose every joint lies on the canvas.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from ..metrics.motion import window_speed
from ..skeleton import bone_lengths

WINDOW_S, HOP_S = 8.0, 4.0


def bone_stats(kp: np.ndarray, ref_px: np.ndarray | None = None) -> dict:
    L = bone_lengths(kp)
    ref = np.percentile(L, 99, axis=0) if ref_px is None else np.asarray(ref_px)
    ratio = L / np.maximum(ref, 1e-6)
    cv = (L.std(0) / np.maximum(L.mean(0), 1e-6)).mean()
    return {"max_stretch": float(ratio.max() - 1.0), "frames_over_5pct": float((ratio.max(1) > 1.05).mean()),
            "bone_cv": float(cv)}


def on_canvas(kp: np.ndarray, canvas) -> float:
    w, h = canvas
    ok = (kp[..., 0] >= 0) & (kp[..., 0] <= w) & (kp[..., 1] >= 0) & (kp[..., 1] <= h)
    return float(ok.all(axis=1).mean())


def dance_metrics(kp, fps, offset, music_beats, canvas, ref_px=None) -> dict:
    from ..metrics import beat_metrics, smoothness

    b = beat_metrics(kp, fps, music_beats, offset=offset)
    s = smoothness(kp, fps)
    out = {"beat_alignment_error": b["beat_alignment_error"], "bas_bailando": b["bas_bailando"],
           "bas_fact": b["bas_fact"], "speed": s["speed"], "acceleration": s["acceleration"], "jerk": s["jerk"],
           "on_canvas": on_canvas(kp, canvas)}
    out.update(bone_stats(kp, ref_px))
    return out


def _features(dances) -> dict:
    from ..metrics.classify import window_features

    ks, gs = [], []
    for d in dances:
        ks.append(window_features(d.keypoints, d.fps, WINDOW_S, HOP_S, kind="kinetic"))
        gs.append(window_features(d.keypoints, d.fps, WINDOW_S, HOP_S, kind="geometric"))
    return {"kinetic": np.concatenate(ks), "geometric": np.concatenate(gs)}


def set_metrics(gen_dances, real_dances) -> dict:
    """FID_k, FID_g and diversity of ``gen_dances`` against ``real_dances``."""
    from ..metrics import diversity, frechet_distance, normalize_features

    fg, fr = _features(gen_dances), _features(real_dances)
    out = {}
    for kind, short in (("kinetic", "k"), ("geometric", "g")):
        r, g = normalize_features(fr[kind], fg[kind])
        out[f"fid_{short}"] = frechet_distance(g, r)
        out[f"div_{short}"] = diversity(g)
        out[f"div_{short}_real"] = diversity(r)
    return out


def _mean(rows: list[dict]) -> dict:
    keys = [k for k in rows[0] if isinstance(rows[0][k], (int, float))]
    return {k: float(np.mean([r[k] for r in rows])) for k in keys}


def _filmed_real(c):
    """A real clip filmed like a 3D model's dance: body3d joints on the clip's own bone lengths,
    the default camera (front)."""
    from .. import body3d as b3
    from ..camera import film
    from ..dance import Dance

    j = b3.from_dwm23(c.joints3d)
    kp, _ = film(j, c.fps, canvas=c.canvas)
    return Dance(keypoints=kp, fps=c.fps, canvas=c.canvas, music=c.music, offset=c.offset, genre=c.genre,
                 name=c.name, joints3d=j, joint3d_names=b3.JOINTS3D)


def evaluate(model=None, data_dir=None, split: str = "val", music=(), feedback: bool = True, seed: int = 0,
             progress: bool = True, classifier=None, max_seconds: float | None = None) -> dict:
    """Evaluate a generator. ``model``: model file (None: the bundled one); ``data_dir``: Dance with
    Melody root; ``music``: extra songs danced whole (never seen in training).
    Returns a JSON-able dict with ``val`` (generated / ground_truth / wrong_song rows and means,
    set metrics) and ``unseen`` (per song and mean)."""
    from ..audio.beats import beats_for_file
    from ..data.dwm import load_dwm
    from ..metrics import GenreClassifier, genre_accuracy
    from ..model.generate import GenerateOptions, generate_dance
    from ..model.generate3d import Generate3DOptions, generate_dance3d, load_generator

    bundle = load_generator(model)
    is3d = getattr(bundle, "is_3d", False)
    # 2D bone reference in pixels: the 2D model's own; for a 3D model the projection's foreshortening
    # makes a per-dance reference (99th percentile) the fair one
    ref_px = None if is3d else bundle.ref_lengths * bundle.body_scale

    def run(path, **kw):
        """Generate with either generator; returns ``(dance, timings)``."""
        opts = (Generate3DOptions if is3d else GenerateOptions)(**kw)
        d = (generate_dance3d if is3d else generate_dance)(path, bundle, opts)
        return d, opts.timings
    result = {"model": str(model or "bundled default"), "feedback": feedback, "seed": seed}
    beat_cache: dict = {}

    def music_beats(path):
        if path not in beat_cache:
            beat_cache[path] = np.asarray(beats_for_file(path).beats)
        return beat_cache[path]

    gen_val, real_val = [], []
    if data_dir:
        clips = load_dwm(data_dir, split=split, progress=False)
        if is3d:
            clips = [_filmed_real(c) for c in clips]
        rows = {"generated": [], "ground_truth": [], "wrong_song": []}
        per_take = []
        ms = []
        it = clips
        if progress:
            from tqdm import tqdm

            it = tqdm(clips, desc=f"evaluate {split}", unit="take", file=sys.stderr)
        for i, c in enumerate(it):
            dur = c.duration if max_seconds is None else min(c.duration, max_seconds)
            g, tm = run(c.music, start=c.offset, duration=dur, seed=seed, genre=c.genre, feedback=feedback,
                        progress=False)
            ms.append(tm.get("ms_per_frame", float("nan")))
            gt = c.keypoints[: g.n_frames]
            from ..dance import Dance

            real = Dance(keypoints=gt, fps=c.fps, canvas=c.canvas, music=c.music, offset=c.offset, genre=c.genre,
                         name=c.name)
            gen_val.append(g)
            real_val.append(real)
            mb = music_beats(c.music)
            rg = dance_metrics(g.keypoints, g.fps, g.offset, mb, g.canvas, ref_px)
            rr = dance_metrics(real.keypoints, real.fps, real.offset, mb, real.canvas)
            other = clips[(i + 1) % len(clips)]
            span = min(real.n_frames, int(other.duration * other.fps))
            rw = dance_metrics(real.keypoints[:span], real.fps, other.offset, music_beats(other.music), real.canvas)
            n = min(len(g.keypoints), len(real.keypoints))
            from ..metrics import joint_position_error

            rg["jpe_px"] = float(joint_position_error(g.keypoints[:n], real.keypoints[:n]))
            rows["generated"].append(rg)
            rows["ground_truth"].append(rr)
            rows["wrong_song"].append(rw)
            per_take.append({"take": c.name, "genre": c.genre, "seconds": round(dur, 1),
                             "generated": rg, "ground_truth": rr, "wrong_song": rw})
        gt_speed = float(np.mean([r["speed"] for r in rows["ground_truth"]]))
        for g, row in zip(gen_val, rows["generated"]):
            w = window_speed(g.keypoints, g.fps) / gt_speed
            row["speed_window_min"], row["speed_window_max"] = float(w.min()), float(w.max())
        result["val"] = {"split": split, "takes": per_take,
                         "mean": {k: _mean(v) for k, v in rows.items()},
                         "set": set_metrics(gen_val, real_val), "gt_mean_speed_px_s": gt_speed,
                         "ms_per_frame": float(np.nanmedian(ms))}
        clf = classifier
        if clf is None:
            t0 = time.time()
            train_clips = load_dwm(data_dir, split="train", progress=False)
            if is3d:
                train_clips = [_filmed_real(c) for c in train_clips]
            clf = GenreClassifier().fit(train_clips)
            result["val"]["classifier_fit_s"] = round(time.time() - t0, 1)
        result["val"]["genre_accuracy"] = {"generated": genre_accuracy(clf, gen_val),
                                           "ground_truth": genre_accuracy(clf, real_val)}
    if music:
        songs = []
        gens = []
        for path in music:
            g, tm = run(path, seed=seed, feedback=feedback, progress=progress)
            gens.append(g)
            r = dance_metrics(g.keypoints, g.fps, g.offset, music_beats(str(path)), g.canvas, ref_px)
            if real_val:
                w = window_speed(g.keypoints, g.fps) / result["val"]["gt_mean_speed_px_s"]
                r["speed_window_min"], r["speed_window_max"] = float(w.min()), float(w.max())
            r.update({"song": Path(path).parent.name if Path(path).stem == "song" else Path(path).stem,
                      "seconds": round(g.duration, 1), "genre": g.genre, "tempo": g.meta.get("tempo"),
                      "ms_per_frame": tm.get("ms_per_frame")})
            songs.append(r)
        result["unseen"] = {"songs": songs, "mean": _mean(songs)}
        if real_val:
            result["unseen"]["set"] = set_metrics(gens, real_val)
    return result


def format_table(res: dict) -> str:
    """A plain-text table of :func:`evaluate`'s result."""
    lines = []
    cols = ["beat_alignment_error", "bas_bailando", "bas_fact", "speed", "acceleration", "max_stretch", "bone_cv",
            "on_canvas"]
    short = ["beat err s", "BAS bail", "BAS fact", "speed px/s", "acc px/s2", "max stretch", "bone cv", "on canvas"]
    if "val" in res:
        v = res["val"]
        lines.append(f"Dance with Melody {v['split']} split ({len(v['takes'])} takes)")
        lines.append(f"{'':14s}" + "".join(f"{s:>12s}" for s in short))
        for name in ("generated", "ground_truth", "wrong_song"):
            m = v["mean"][name]
            lines.append(f"{name:14s}" + "".join(f"{m[c]:12.3f}" for c in cols))
        s = v["set"]
        lines.append(f"FID_k {s['fid_k']:.2f}  FID_g {s['fid_g']:.2f}  diversity_k {s['div_k']:.2f} "
                     f"(real {s['div_k_real']:.2f})  diversity_g {s['div_g']:.2f} (real {s['div_g_real']:.2f})")
        ga = v["genre_accuracy"]
        lines.append(f"genre accuracy: generated {ga['generated']:.2f}, ground truth {ga['ground_truth']:.2f}; "
                     f"JPE {v['mean']['generated']['jpe_px']:.1f} px; {v['ms_per_frame']:.3f} ms/frame")
    if "unseen" in res:
        lines.append("")
        lines.append("Unseen songs (whole song)")
        lines.append(f"{'song':24s}{'s':>7s}" + "".join(f"{s:>12s}" for s in short) + f"{'spd win':>14s}")
        for r in res["unseen"]["songs"]:
            win = f"{r.get('speed_window_min', float('nan')):.2f}-{r.get('speed_window_max', float('nan')):.2f}"
            lines.append(f"{r['song'][:24]:24s}{r['seconds']:7.1f}" + "".join(f"{r[c]:12.3f}" for c in cols)
                         + f"{win:>14s}")
        if "set" in res["unseen"]:
            s = res["unseen"]["set"]
            lines.append(f"FID_k {s['fid_k']:.2f}  FID_g {s['fid_g']:.2f}  diversity_k {s['div_k']:.2f}  "
                         f"diversity_g {s['div_g']:.2f}")
    return "\n".join(lines)
