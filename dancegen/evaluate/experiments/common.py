"""Row-level helpers shared by the experiments: the metrics of one dance, means over dances, FID of
a set, column means."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ...errors import DanceGenError, DataError
from ...skeleton import bone_lengths


def bone_stats(kp: np.ndarray, ref_px: np.ndarray | None = None) -> dict:
    """2D bone figures of a dance: the largest stretch over ``ref_px`` (default: each bone's 99th
    percentile), the share of frames with a bone over 5%, the mean coefficient of variation."""
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
    from ...metrics import beat_metrics, smoothness

    b = beat_metrics(kp, fps, music_beats, offset=offset)
    s = smoothness(kp, fps)
    out = {"beat_alignment_error": b["beat_alignment_error"], "bas_bailando": b["bas_bailando"],
           "bas_fact": b["bas_fact"], "speed": s["speed"], "acceleration": s["acceleration"], "jerk": s["jerk"],
           "on_canvas": on_canvas(kp, canvas)}
    out.update(bone_stats(kp, ref_px))
    return out


def is3d(d) -> bool:
    """Whether a dance carries 3D joints in the :mod:`dancegen.body3d` layout (a 3D generator's
    output, or a real take of the 3D set)."""
    from ...body3d import JOINTS3D

    return d.joints3d is not None and d.joint3d_names == JOINTS3D


def rules3d_row(joints3d, fps) -> dict:
    """The 3D rules (:func:`dancegen.feedback.online3d.check3d`, each bone's reference = its median
    length in the dance) over a whole dance: ``rule_breaks_per_1000`` = frames per 1000 with a bone
    or symmetry fault, a joint jump or a foot below the floor; ``jumps_per_1000``,
    ``below_floor_per_1000``; ``foot_slide_share`` = share of frames with a sliding contact foot
    (reported apart: real ballroom steps glide, docs/generation3d.md)."""
    from ...feedback.online3d import check3d

    c = check3d(joints3d, fps)
    n = max(1, len(joints3d))
    broken = c["bones"] | c["symmetry"] | c["jump"] | c["below_floor"]
    return {"rule_breaks_per_1000": 1000.0 * float(broken.sum()) / n,
            "jumps_per_1000": 1000.0 * float(c["jump"].sum()) / n,
            "below_floor_per_1000": 1000.0 * float(c["below_floor"].sum()) / n,
            "foot_slide_share": float(c["foot_slide"].mean())}


def song_name(path) -> str:
    """``.../<song>/song.ogg`` -> ``<song>``; otherwise the file stem."""
    p = Path(path)
    return p.parent.name if p.stem == "song" else p.stem


def dance_row(kp, fps, offset, music_beats, canvas, ref_px=None) -> dict:
    """:func:`dance_metrics` (beat numbers, smoothness, on canvas, bone
    stats), with ``nan`` beat numbers (and a ``note``) when the span holds no music beat."""
    from ...metrics import smoothness

    try:
        return dance_metrics(kp, fps, offset, music_beats, canvas, ref_px)
    except DataError as e:
        s = smoothness(kp, fps)
        row = {"beat_alignment_error": float("nan"), "bas_bailando": float("nan"), "bas_fact": float("nan"),
               "speed": s["speed"], "acceleration": s["acceleration"], "jerk": s["jerk"],
               "on_canvas": on_canvas(kp, canvas), "note": str(e)}
        row.update(bone_stats(kp, ref_px))
        return row


def mean_rows(rows: list[dict]) -> dict:
    """Mean of every numeric field over rows (non-finite values are left out; ``nan`` if none)."""
    if not rows:
        return {}
    keys = [k for k in rows[0] if isinstance(rows[0][k], (int, float)) and not isinstance(rows[0][k], bool)]
    out = {}
    for k in keys:
        v = np.asarray([r.get(k, np.nan) for r in rows], np.float64)
        v = v[np.isfinite(v)]
        out[k] = float(v.mean()) if v.size else float("nan")
    return out


def nanmean_cols(rows: list[list[float]]) -> list[float]:
    """Column means of a table of numbers, non-finite values left out (``nan`` for an empty column)."""
    a = np.asarray(rows, np.float64)
    out = []
    for j in range(a.shape[1] if a.ndim == 2 else 0):
        v = a[:, j][np.isfinite(a[:, j])]
        out.append(float(v.mean()) if v.size else float("nan"))
    return out


def catch_singular(fn, *args, **kwargs):
    """``(fn(*args, **kwargs), singular)``: ``singular`` tells whether scipy warned of a singular
    matrix on the way (a Frechet distance over fewer windows than features), the warning kept quiet."""
    from scipy.linalg import LinAlgWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LinAlgWarning)
        out = fn(*args, **kwargs)
    return out, any(issubclass(w.category, LinAlgWarning) for w in caught)


def set_metrics(gen_dances, real_dances, window_s: float = 8.0, hop_s: float = 4.0) -> dict:
    """FID_k, FID_g and diversity of ``gen_dances`` against ``real_dances`` on windows of
    ``window_s`` seconds every ``hop_s`` (features standardised on the real windows). ``nan`` values
    and a ``"note"`` when there are too few windows; ``note_k`` / ``note_g`` when a covariance is
    singular."""
    from ...metrics import diversity, frechet_distance, normalize_features
    from ...metrics.classify import window_features

    out = {}
    for kind, short in (("kinetic", "k"), ("geometric", "g")):
        try:
            g = np.concatenate([window_features(d.keypoints, d.fps, window_s, hop_s, kind=kind) for d in gen_dances])
            r = np.concatenate([window_features(d.keypoints, d.fps, window_s, hop_s, kind=kind) for d in real_dances])
            rn, gn = normalize_features(r, g)
            fid, singular = catch_singular(frechet_distance, gn, rn)
            out[f"fid_{short}"] = float(fid)
            if singular:
                out[f"note_{short}"] = (f"singular covariance ({len(g)} generated, {len(r)} real windows of "
                                        f"{g.shape[1]} features): FID_{short} is less accurate")
            out[f"div_{short}"] = float(diversity(gn))
            out[f"div_{short}_real"] = float(diversity(rn))
            out["windows"], out["windows_real"] = int(len(g)), int(len(r))
        except (DanceGenError, ValueError) as e:
            out.update({f"fid_{short}": float("nan"), f"div_{short}": float("nan"), f"div_{short}_real": float("nan"),
                        "note": str(e)})
    return out
