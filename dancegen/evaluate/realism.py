"""Realism of 3D dances against real ones, on windows of a few seconds.

Every figure is computed the same way for generated and real dances (real: the Dance with Melody
takes, retimed, drift-free, on the reference skeleton), per window of ``WINDOW_S`` = 5 s (hop
2.5 s), then averaged over windows:

* ``wrist_above_shoulder``: share of frames in which a wrist is higher than its shoulder;
* ``knee_angle_std``: standard deviation over the window of each knee's angle (degrees), mean of both;
* ``feet_distance``: mean ankle-to-ankle distance in torso lengths (Neck-MidHip);
* ``travel_speed``: mean speed (m/s) of the root on the floor, smoothed over 0.5 s (sway removed);
* ``foot_sliding``: mean horizontal speed (m/s) of a foot while its lower point is within 6 cm of
  the floor (the foot should be planted then; the same rule for real and generated dances);
* ``FID_k`` / ``FID_g``: Frechet distance between the 2D kinetic / geometric features
  (:func:`dancegen.metrics.features.motion_features`) of the windows filmed by the default camera
  (:mod:`dancegen.camera`, ``front``), standardised on the real set; ``div_k`` / ``div_g``: mean
  pairwise distance of the same standardised features (diversity).
"""
from __future__ import annotations

import numpy as np

from .. import body3d as b3
from ..skeleton import joint_speed

WINDOW_S, HOP_S = 5.0, 2.5
PLANTED_HEIGHT = 0.06


def _angle(a, b, c):
    """Angle at ``b`` in degrees (:func:`dancegen.metrics.features._angle`, any dimension)."""
    from ..metrics.features import _angle as angle_rad

    return np.degrees(angle_rad(a, b, c))


def window_stats(j: np.ndarray, fps: float) -> dict:
    """The per-window figures of one window of world joints ``(T, 17, 3)`` m."""
    from scipy.ndimage import gaussian_filter1d

    I = b3.JOINT3D_INDEX
    wr = ((j[:, I["RWrist"], 1] > j[:, I["RShoulder"], 1]) | (j[:, I["LWrist"], 1] > j[:, I["LShoulder"], 1])).mean()
    kr = _angle(j[:, I["RHip"]], j[:, I["RKnee"]], j[:, I["RAnkle"]])
    kl = _angle(j[:, I["LHip"]], j[:, I["LKnee"]], j[:, I["LAnkle"]])
    torso = np.linalg.norm(j[:, I["Neck"]] - j[:, I["MidHip"]], axis=-1).mean()
    feet = np.linalg.norm(j[:, I["RAnkle"]] - j[:, I["LAnkle"]], axis=-1).mean() / torso
    root = gaussian_filter1d(j[:, 0, [0, 2]].astype(np.float64), 0.5 * fps, axis=0, mode="nearest")
    travel = joint_speed(root[:, None], fps, difference="steps").mean()
    slides = []
    for a, t in ((I["RAnkle"], I["RBigToe"]), (I["LAnkle"], I["LBigToe"])):
        low = np.minimum(j[:, a, 1], j[:, t, 1])
        mid = 0.5 * (j[:, a, [0, 2]] + j[:, t, [0, 2]])
        v = joint_speed(mid[:, None], fps, difference="steps")
        planted = (low[1:] < PLANTED_HEIGHT) & (low[:-1] < PLANTED_HEIGHT)
        if planted.any():
            slides.append(v[planted])
    slide = float(np.concatenate(slides).mean()) if slides else np.nan
    return {"wrist_above_shoulder": float(wr), "knee_angle_std": float(0.5 * (kr.std() + kl.std())),
            "feet_distance": float(feet), "travel_speed": float(travel), "foot_sliding": slide}


def windows(n: int, fps: float, window_s: float = WINDOW_S, hop_s: float = HOP_S):
    """``(start, end)`` frames of the windows of ``window_s`` seconds every ``hop_s`` of ``n`` frames."""
    w, h = int(round(window_s * fps)), max(1, int(round(hop_s * fps)))
    return [(s, s + w) for s in range(0, n - w + 1, h)]


def set_figures(dances3d: list, fps: float, camera=None, window_s: float = WINDOW_S, hop_s: float = HOP_S) -> dict:
    """Mean per-window figures and the 2D window features of a set of 3D dances (list of
    ``(T, 17, 3)`` arrays). :class:`~dancegen.errors.DataError` when no dance is a window long."""
    from ..camera import CameraConfig, film
    from ..errors import DataError
    from ..metrics.features import motion_features

    rows, fk, fg = [], [], []
    for j in dances3d:
        kp, _ = film(j, fps, camera or CameraConfig())
        for a, b in windows(len(j), fps, window_s, hop_s):
            rows.append(window_stats(j[a:b], fps))
            fk.append(motion_features(kp[a:b], fps, "kinetic"))
            fg.append(motion_features(kp[a:b], fps, "geometric"))
    if not rows:
        raise DataError(f"no window of {window_s:g} s in {len(dances3d)} dance(s) of at most "
                        f"{max((len(j) for j in dances3d), default=0)} frames")
    keys = rows[0].keys()
    stats = {k: float(np.nanmean([r[k] for r in rows])) for k in keys}
    return {"stats": stats, "kinetic": np.asarray(fk), "geometric": np.asarray(fg), "n_windows": len(rows)}


def compare(gen: dict, real: dict) -> dict:
    """FID/diversity of ``gen`` against ``real`` (outputs of :func:`set_figures`) and the ratio of
    every per-window figure (generated / real)."""
    from ..metrics.fid import diversity, frechet_distance, normalize_features

    out = {"n_windows": gen["n_windows"]}
    for kind, tag in (("kinetic", "k"), ("geometric", "g")):
        r, g = normalize_features(real[kind], gen[kind])
        out[f"FID_{tag}"] = frechet_distance(g, r)
        out[f"div_{tag}"] = diversity(g)
        out[f"div_{tag}_real"] = diversity(r)
    for k, v in gen["stats"].items():
        out[k] = v
        out[f"{k}_real"] = real["stats"][k]
        out[f"{k}_ratio"] = v / real["stats"][k] if real["stats"][k] else np.nan
    return out


def real_dances3d(root, ref_lengths=None, camera=None, canvas=(1920, 1080), progress: bool = False) -> tuple[list, list]:
    """``(train, val)`` real dances for the 3D experiments, each a :class:`~dancegen.dance.Dance`
    with ``joints3d`` on the reference skeleton ``ref_lengths`` (m; None: the takes' own,
    :func:`dancegen.body3d.reference_lengths`) and the 2D keypoints the camera films (default
    :class:`~dancegen.camera.CameraConfig`, kept on the canvas as a generated dance's are), so that
    every 2D figure compares generated and real dances seen the same way.

    ``root``: a Dance with Melody folder (the takes of ``splits/train.txt`` and ``splits/val.txt``
    with a song, retimed and drift-free as :func:`real_takes`), or a folder of 3D dance ``.npz``
    files (``joints3d`` in the :mod:`dancegen.body3d` layout, each with its music) whose stems
    listed in ``val.txt`` are the val dances."""
    from pathlib import Path

    from ..camera import CameraConfig, film
    from ..dance import Dance
    from ..errors import DataError
    from ..model.generate import keep_on_canvas

    root = Path(root)
    takes = {"train": [], "val": []}          # (joints, fps, music, offset, genre, name)
    if (root / "splits").is_dir() or any(root.glob("DANCE_*")):
        from ..data.motion3d_data import load_takes

        for split in takes:
            takes[split] = [(t["joints"], 25.0, t["music"], t["offset"], t["genre"], t["name"])
                            for t in load_takes(root, split=split, progress=progress) if t.get("music")]
    else:
        files = sorted(root.glob("*.npz"))
        if not files:
            raise DataError(f"{root}: neither a Dance with Melody folder nor a folder of dance .npz files")
        val_names = set((root / "val.txt").read_text().split()) if (root / "val.txt").exists() else set()
        for f in files:
            d = Dance.load(f)
            if d.joints3d is None or d.joint3d_names != b3.JOINTS3D:
                raise DataError(f"{f}: no 3D joints in the body3d layout; the 3D report needs real 3D dances "
                                f"(joints3d with joint3d_names {', '.join(b3.JOINTS3D[:3])}, ...)")
            if not d.music or not Path(d.music).exists():
                raise DataError(f"{f}: its music file {d.music!r} is missing; the report dances to the music of "
                                f"every take")
            takes["val" if f.stem in val_names else "train"].append(
                (d.joints3d, d.fps, d.music, d.offset, d.genre, d.name or f.stem))
    if ref_lengths is None:
        ref_lengths = b3.reference_lengths([t[0] for ts in takes.values() for t in ts])
    cam = camera or CameraConfig()

    def dance(j, fps, music, offset, genre, name):
        j = b3.retarget(np.asarray(j, np.float64), ref_lengths).astype(np.float32)
        kp, _ = film(j, fps, cam, canvas=canvas)
        return Dance(keep_on_canvas(kp, canvas), fps, canvas=canvas, music=music, offset=float(offset), genre=genre,
                     name=name, joints3d=j, joint3d_names=b3.JOINTS3D)

    return [dance(*t) for t in takes["train"]], [dance(*t) for t in takes["val"]]


def real_takes(root, split: str, ref_lengths) -> list:
    """Real takes of a split on the reference skeleton, retimed: list of dicts (name, joints,
    music, offset, genre)."""
    from ..data.motion3d_data import load_takes

    tk = load_takes(root, split=split, progress=False)
    for t in tk:
        t["joints"] = b3.retarget(t["joints"], ref_lengths)
    return tk
