"""The online HGR correction on and off: one model (the full one) generated with and without it on
the val takes and the unseen songs (same seed), and the stress test, where faults are put into the
raw decoder output on ``glitch_rate`` of the steps (the same faults with the feedback on and off;
docs/hgr.md section 6b; 2D models only).

Per dance: bone deviation D_bone (paper Eq. 4, :func:`dancegen.feedback.structure.bone_deviation`,
mean over frames) against the generator's reference bone lengths in px (a 3D model: each dance's
own ``reference_bone_lengths``), jerk, acceleration, beat alignment error, max stretch, and in the
stress test the frames the structure check flags per 1000. Ground truth: each real take against its
own reference. A 3D dance also gets the 3D rules over the final dance (:func:`.common.rules3d_row`)
and, in ``loop``, what the 3D HGR loop did while generating (``meta["hgr3d"]``, summed over the
dances; ``loop_acts_per_1000``: its actions per 1000 frames).
"""
from __future__ import annotations

import numpy as np

from .common import dance_row, is3d, mean_rows, rules3d_row
from .runner import DanceSet, Request

GLITCH_RATE = 0.02


def mean_bone_deviation(kp, ref_px) -> float:
    """Mean over frames of :func:`dancegen.feedback.structure.bone_deviation` (paper Eq. 4)."""
    from ...feedback.structure import bone_deviation

    return float(np.mean(bone_deviation(kp, ref_px)))


def _ref(dances, name, kp):
    from ...feedback.structure import reference_bone_lengths

    ref = dances.models[name].ref_px
    return reference_bone_lengths(kp) if ref is None else ref


def requests(dances: DanceSet, model: str = "full", glitch_rate: float = GLITCH_RATE, **_) -> list[Request]:
    if not dances.available([model]):
        return []
    out = []
    for fb in (True, False):
        out += dances.val_requests(model, feedback=fb) + dances.unseen_requests(model, feedback=fb)
        if glitch_rate and not dances.models[model].is_3d:
            out += dances.val_requests(model, feedback=fb, glitch_rate=glitch_rate)
    return out


def loop_counts(ds) -> dict:
    """The 3D HGR loop's counts (``meta["hgr3d"]``) summed over dances (``frames`` included)."""
    out: dict = {}
    for d in ds:
        for k, v in d.meta.get("hgr3d", {}).items():
            out[k] = out.get(k, 0) + int(v)
    return out


def _row(dances, name, d, with_flags=False) -> dict:
    ref = _ref(dances, name, d.keypoints)
    r = dance_row(d.keypoints, d.fps, d.offset, dances.music_beats(d.music), d.canvas, ref)
    row = {"bone_deviation": mean_bone_deviation(d.keypoints, ref), "jerk": r["jerk"],
           "acceleration": r["acceleration"], "beat_alignment_error": r["beat_alignment_error"],
           "max_stretch": r["max_stretch"]}
    if is3d(d):
        row.update(rules3d_row(d.joints3d, d.fps))
        loop = {k: v for k, v in d.meta.get("hgr3d", {}).items() if k != "frames"}
        row["loop_acts_per_1000"] = 1000.0 * sum(loop.values()) / max(1, d.n_frames)
    if with_flags:
        from ...feedback.structure import analyze

        rep = analyze(d.keypoints, d.fps, ref=ref)
        row["flagged_per_1000"] = 1000.0 * len(rep.frames("any")) / max(1, rep.n_frames)
    return row


def run(dances: DanceSet, model: str = "full", glitch_rate: float = GLITCH_RATE) -> dict | None:
    """``{"ref", "val" / "unseen": {"on", "off": means, "n"}, "val_glitch": {"on", "off", "n",
    "rate"}, "ground_truth_val": {...}}``; None when ``model`` is not available."""
    if not dances.available([model]):
        return None
    m = dances.models[model]
    hg = {"ref": "the generator's reference bone lengths (model file) x its body scale, px" if m.ref_px is not None
          else "each dance's own reference_bone_lengths (97th percentile per bone; a 3D model)"}
    for split, get in (("val", dances.gen_val), ("unseen", dances.gen_unseen)):
        on, off = get(model, feedback=True), get(model, feedback=False)
        if not on or off is None:
            continue
        hg[split] = {"on": mean_rows([_row(dances, model, d) for d in on]),
                     "off": mean_rows([_row(dances, model, d) for d in off]), "n": len(on)}
        if m.is_3d:
            hg[split]["loop"] = loop_counts(on)
    if glitch_rate and dances.val:
        on = dances.gen_val(model, feedback=True, glitch_rate=glitch_rate)
        off = dances.gen_val(model, feedback=False, glitch_rate=glitch_rate)
        if on and off is not None:
            hg["val_glitch"] = {"on": mean_rows([_row(dances, model, d, True) for d in on]),
                                "off": mean_rows([_row(dances, model, d, True) for d in off]),
                                "n": len(on), "rate": glitch_rate}
    if dances.val:
        from ...feedback.structure import reference_bone_lengths

        gt = mean_rows([dance_row(r.keypoints, r.fps, r.offset, dances.music_beats(r.music), r.canvas)
                        for r in dances.val])
        hg["ground_truth_val"] = {
            "bone_deviation": float(np.mean([mean_bone_deviation(r.keypoints, reference_bone_lengths(r.keypoints))
                                             for r in dances.val])),
            "jerk": gt["jerk"], "beat_alignment_error": gt["beat_alignment_error"],
            "ref": "each real take's own reference_bone_lengths (97th percentile per bone)"}
        if all(is3d(r) for r in dances.val):
            hg["ground_truth_val"].update(mean_rows([rules3d_row(r.joints3d, r.fps) for r in dances.val]))
    return hg
