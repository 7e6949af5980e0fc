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
* on canvas: share of frames whose every joint lies on the canvas;
* genre accuracy (classifier trained on the train split), free-running JPE (px), decoder ms/frame;
* SSIM / PSNR per genre (scikit-image): rendered frames of the generated dance against the real
  take's at the same time (:mod:`dancegen.evaluate.experiments.fig_ssim_psnr`);
* symmetry per stance (:mod:`dancegen.evaluate.experiments.table3_stance`), Table 3's numbers.

:func:`evaluate` generates every dance once and computes these with the experiment modules of
``dancegen report`` (:mod:`dancegen.evaluate.experiments`), so both commands share one definition.
"""
from __future__ import annotations

import time

import numpy as np

from ..metrics.motion import window_speed
from .experiments.common import bone_stats, dance_metrics, on_canvas  # noqa: F401 (re-exported)

WINDOW_S, HOP_S = 8.0, 4.0


def _speed_range(d, gt_speed: float) -> dict:
    """Least and greatest 10-s window speed of a dance over the real dances' mean speed (``nan``
    for a dance shorter than 5 s)."""
    w = window_speed(d.keypoints, d.fps) / gt_speed
    lo, hi = (float(w.min()), float(w.max())) if w.size else (float("nan"), float("nan"))
    return {"speed_window_min": lo, "speed_window_max": hi}


def set_metrics(gen_dances, real_dances) -> dict:
    """FID_k, FID_g and diversity of ``gen_dances`` against ``real_dances`` on 8-s windows (hop 4 s):
    :func:`dancegen.evaluate.experiments.common.set_metrics`, the report's definition."""
    from .experiments.common import set_metrics as _set_metrics

    return _set_metrics(gen_dances, real_dances, WINDOW_S, HOP_S)


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


def load_split(data_dir, split: str = "val") -> list:
    """The clips of a split: a Dance with Melody folder (:func:`dancegen.data.dwm.load_dwm`), or a
    folder of dance ``.npz`` files whose ``val.txt`` names the val takes (the others are ``train``;
    :func:`dancegen.train.run.load_clips`)."""
    from pathlib import Path

    from ..data.dwm import load_dwm
    from ..errors import ConfigError, DataError

    root = Path(data_dir)
    if not root.is_dir():
        raise DataError(f"{root}: data folder not found; pass --data pointing at a Dance with Melody folder")
    if (root / "splits").is_dir() or any(root.glob("DANCE_*")):
        return load_dwm(root, split=split, progress=False)
    if split not in ("train", "val"):
        raise ConfigError(f"--split {split}: a folder of .npz dances has the splits train and val (val.txt)")
    from ..train.run import load_clips

    train, val = load_clips(root, progress=False)
    return val if split == "val" else train


def evaluate(model=None, data_dir=None, split: str = "val", music=(), feedback: bool = True, seed: int = 0,
             progress: bool = True, classifier=None, max_seconds: float | None = None, ssim_every: int = 25,
             ssim_size=(480, 270), runner=None) -> dict:
    """Evaluate a generator. ``model``: model file of any kind (2D, 3D, comparison; None: the bundled
    one); ``data_dir``: Dance with Melody root; ``music``: extra songs danced whole (never seen in
    training). ``data_dir`` may also be a folder of dance ``.npz`` files with a ``val.txt``
    (:func:`load_split`).

    Every dance is generated once (:mod:`dancegen.evaluate.experiments.runner`) and measured by the
    experiment modules of ``dancegen report``: :mod:`~.experiments.table2_ablation` (beat alignment,
    JPE, smoothness, bones, FID, genre accuracy, ms/frame), :mod:`~.experiments.table3_stance`
    (symmetry per stance) and :mod:`~.experiments.fig_ssim_psnr` (SSIM/PSNR of rendered frames per
    genre, every ``ssim_every``-th frame at ``ssim_size``). Returns a JSON-able dict with ``val``
    (generated / ground_truth / wrong_song rows and means, set metrics, ``symmetry_per_stance``,
    ``ssim_psnr``) and ``unseen`` (per song and mean, ``symmetry_per_stance``)."""
    from .experiments import fig_ssim_psnr, table2_ablation, table3_stance
    from .experiments.common import mean_rows
    from .experiments.runner import DanceSet, ModelEntry, Progress, Runner, real_span, run_experiments

    runner = runner or Runner(progress=Progress(0, progress, "evaluate"), strict=True)
    entry = ModelEntry("model", str(model or "bundled default"), None if model is None else str(model), feedback)
    runner.load({"model": entry})
    result = {"model": entry.label, "feedback": feedback, "seed": seed}
    val, t_fit = [], None
    ds = DanceSet(val=[], songs=[str(m) for m in music], models={"model": entry}, seed=seed, classifier=classifier)
    if data_dir:
        # a 3D model's dances are filmed by the default camera: the real takes are filmed the same way
        prep = _filmed_real if entry.is_3d else (lambda c: c)
        ds.val = [real_span(prep(c), max_seconds) for c in load_split(data_dir, split)]
        if classifier is None:
            from ..metrics import GenreClassifier

            t0 = time.time()
            ds.classifier = GenreClassifier().fit([prep(c) for c in load_split(data_dir, "train")])
            t_fit = round(time.time() - t0, 1)
    experiments = [("table2", table2_ablation, {}),
                   ("ssim_psnr", fig_ssim_psnr, dict(every=ssim_every, size=ssim_size))]
    experiments += [("stance_val", table3_stance, dict(split="val"))] if ds.val else []
    experiments += [("stance_unseen", table3_stance, dict(split="unseen"))] if ds.songs else []
    try:
        res = run_experiments(ds, runner, experiments)
    finally:
        runner.progress.close()
    t2 = res["table2"]
    gt_speed = None
    if ds.val:
        g, gt, ws = t2["val"]["model"], t2["val"]["ground_truth"], t2["val"]["wrong_song"]
        gt_speed = float(np.mean([r["speed"] for r in gt["takes"]]))
        for d, row in zip(ds.gen_val("model"), g["takes"]):
            row.update(_speed_range(d, gt_speed))
        takes = [{"take": c.name, "genre": c.genre, "seconds": round(c.duration, 1), "generated": rg,
                  "ground_truth": rr, "wrong_song": rw}
                 for c, rg, rr, rw in zip(ds.val, g["takes"], gt["takes"], ws["takes"])]
        sp = res["ssim_psnr"]
        chance = {"wrong_song": sp["models"]["wrong_song"]} if "wrong_song" in sp["models"] else {}
        result["val"] = {"split": split, "takes": takes,
                         "mean": {"generated": mean_rows(g["takes"]), "ground_truth": gt["mean"],
                                  "wrong_song": ws["mean"]},
                         "set": g["set"], "gt_mean_speed_px_s": gt_speed, "ms_per_frame": g["ms_per_frame"],
                         "genre_accuracy": {"generated": g["genre_accuracy"], "ground_truth": gt["genre_accuracy"],
                                            "wrong_song": ws["genre_accuracy"]},
                         "symmetry_per_stance": {"generated": res["stance_val"]["model"],
                                                 "ground_truth": res["stance_val"]["ground_truth"]},
                         "ssim_psnr": {"pairs": sp["pairs"], "wrong_song_pairs": sp["wrong_song_pairs"],
                                       "generated": sp["models"]["model"],
                                       **chance}}
        if t_fit is not None:
            result["val"]["classifier_fit_s"] = t_fit
    if ds.songs:
        u = t2["unseen"]["model"]
        if gt_speed:
            for d, row in zip(ds.gen_unseen("model"), u["songs"]):
                row.update(_speed_range(d, gt_speed))
        result["unseen"] = {"songs": u["songs"], "mean": mean_rows(u["songs"]),
                            "symmetry_per_stance": {"generated": res["stance_unseen"]["model"]}}
        if "set" in u:
            result["unseen"]["set"] = u["set"]
    return result


def _stance_lines(cols: dict) -> list[str]:
    from ..metrics import STANCES

    lines = [f"{'stance':28s}" + "".join(f"{n:>22s}" for n in cols)]
    for s in STANCES + ("all",):
        cells = []
        for v in cols.values():
            x = v[s]
            cells.append(f"{x['symmetry']:.3f} ({100 * x['share']:4.1f}%)" if x["frames"] else "nan (0%)")
        lines.append(f"{s:28s}" + "".join(f"{c:>22s}" for c in cells))
    return lines


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
            lines.append(f"{name:14s}" + "".join(f"{m.get(c, float('nan')):12.3f}" for c in cols))
        s = v["set"]
        lines.append(f"FID_k {s['fid_k']:.2f}  FID_g {s['fid_g']:.2f}  diversity_k {s['div_k']:.2f} "
                     f"(real {s['div_k_real']:.2f})  diversity_g {s['div_g']:.2f} (real {s['div_g_real']:.2f})")
        ga = v["genre_accuracy"]
        lines.append(f"genre accuracy: generated {ga['generated']:.2f}, ground truth {ga['ground_truth']:.2f}; "
                     f"JPE {v['mean']['generated']['jpe_px']:.1f} px; {v['ms_per_frame']:.3f} ms/frame")
        sp = v.get("ssim_psnr")
        if sp:
            lines.append("")
            lines.append("SSIM / PSNR of rendered frames per genre (frame t vs the real take's frame t; "
                         "mean over takes)")
            genres = [g for g in sp["generated"]["ssim"] if g != "all"] + ["all"]
            heads = ["generated"] + (["wrong song"] if "wrong_song" in sp else [])
            lines.append(f"{'genre':14s}{'takes':>6s}" + "".join(f"{'SSIM ' + h:>18s}" for h in heads)
                         + "".join(f"{'PSNR dB ' + h:>22s}" for h in heads))
            rows = [sp["generated"]] + ([sp["wrong_song"]] if "wrong_song" in sp else [])
            for gname in genres:
                lines.append(f"{gname:14s}{sp['generated']['ssim'][gname]['n']:6d}"
                             + "".join(f"{r['ssim'][gname]['mean']:18.3f}" for r in rows)
                             + "".join(f"{r['psnr'][gname]['mean']:22.2f}" for r in rows))
        st = v.get("symmetry_per_stance")
        if st:
            lines.append("")
            lines.append("Symmetry per stance (mean S_sym on the frames showing the stance; share of frames)")
            lines += _stance_lines({"generated": st["generated"], "ground truth": st["ground_truth"]})
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
        st = res["unseen"].get("symmetry_per_stance")
        if st:
            lines.append("Symmetry per stance, generated on the unseen songs")
            lines += _stance_lines({"generated": st["generated"]})
    return "\n".join(lines)
