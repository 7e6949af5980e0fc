"""Table 2 (ablation and comparison): per model, on the val takes and on unseen songs.

Val split (each take's song over the take's span): beat alignment error and beat-align scores,
free-running joint position error against the real take (px), smoothness (speed, acceleration,
jerk), bone stats, FID_k / FID_g and diversity of the generated against the real val dances,
genre accuracy (classifier trained on the train takes), decoder ms/frame (median over takes).
Unseen songs: the same beat and smoothness numbers per song, FID against the real val dances.
Dances with 3D joints (the 3D set) also get the 3D rules over the whole dance
(:func:`.common.rules3d_row`: rule breaks, joint jumps, feet below the floor per 1000 frames, share
of frames with a sliding foot).

Reference rows: ``ground_truth`` (the real val takes with their music; JPE 0; its FID is the real
*train* dances against the real val dances, the floor a model can reach, when the set has train
takes) and ``wrong_song`` (take i's real motion with take i+1's music cut to the shorter span; on the
unseen songs the real val takes in turn against each song from 0 s): the chance level.
"""
from __future__ import annotations

import numpy as np

from .common import dance_row, is3d, mean_rows, rules3d_row, set_metrics, song_name
from .runner import DanceSet, Request


def requests(dances: DanceSet, names=None, **_) -> list[Request]:
    out = []
    for n in dances.available(names):
        out += dances.val_requests(n) + dances.unseen_requests(n)
    return out


def _accuracy(clf, ds) -> float:
    from ...metrics import genre_accuracy

    return float(genre_accuracy(clf, ds)) if clf is not None and ds else float("nan")


def references(dances: DanceSet, window_s: float = 8.0, hop_s: float = 4.0) -> dict:
    """The ``ground_truth`` and ``wrong_song`` rows of the val split and the unseen songs."""
    from ...metrics import joint_position_error

    real = dances.val
    clf = dances.genre_classifier()
    gt_rows, ws_rows, hits = [], [], []
    for i, r in enumerate(real):
        gt = _row(r, r.offset, dances.music_beats(r.music))
        gt.update(take=r.name, genre=r.genre, jpe_px=0.0)
        gt_rows.append(gt)
        o = real[(i + 1) % len(real)]
        span = min(r.n_frames, o.n_frames)
        w = dance_row(r.keypoints[:span], r.fps, o.offset, dances.music_beats(o.music), r.canvas)
        w.update(take=r.name, music_of=o.name, jpe_px=float(joint_position_error(r.keypoints[:span],
                                                                                   o.keypoints[:span])))
        ws_rows.append(w)
        if clf is not None:
            hits.append(clf.predict(r) == o.genre)
    val = {"ground_truth": {"mean": mean_rows(gt_rows), "takes": gt_rows, "genre_accuracy": _accuracy(clf, real)},
           "wrong_song": {"mean": mean_rows(ws_rows), "takes": ws_rows,
                          "genre_accuracy": float(np.mean(hits)) if hits else float("nan")}}
    if dances.train:
        val["ground_truth"]["set"] = set_metrics(dances.train, real, window_s, hop_s)
    unseen = {}
    if dances.songs and real:
        rows = []
        for j, s in enumerate(dances.songs):
            r = real[j % len(real)]
            kp = r.keypoints
            if dances.unseen_max_s is not None:
                kp = kp[: int(round(dances.unseen_max_s * r.fps))]
            row = dance_row(kp, r.fps, 0.0, dances.music_beats(s), r.canvas)
            row.update(song=song_name(s), take=r.name)
            rows.append(row)
        unseen["wrong_song"] = {"songs": rows, "mean": mean_rows(rows)}
    return {"val": val, "unseen": unseen}


def _row(d, offset, beats, ref_px=None) -> dict:
    """:func:`.common.dance_row` of a dance, with the 3D rules when it has 3D joints."""
    row = dance_row(d.keypoints, d.fps, offset, beats, d.canvas, ref_px)
    if is3d(d):
        row.update(rules3d_row(d.joints3d, d.fps))
    return row


def model_rows(dances: DanceSet, name: str, window_s: float = 8.0,
               hop_s: float = 4.0) -> tuple[dict | None, dict | None]:
    """``(val entry, unseen entry)`` of one model (None where it has no dances)."""
    from ...metrics import joint_position_error

    m = dances.models[name]
    rv = ru = None
    reqs = dances.val_requests(name)
    if dances.val and dances.dances(reqs) is not None:
        rows, gens, ms = [], [], []
        for c, req in zip(dances.val, reqs):
            g = dances.get(req)
            d = g.dance
            row = _row(d, d.offset, dances.music_beats(c.music), m.ref_px)
            n = min(d.n_frames, c.n_frames)
            row["jpe_px"] = float(joint_position_error(d.keypoints[:n], c.keypoints[:n]))
            row["ms_per_frame"] = g.ms_per_frame
            rows.append(dict(take=c.name, genre=c.genre, **row))
            gens.append(d)
            ms.append(g.ms_per_frame)
        rv = {"mean": mean_rows(rows), "takes": rows, "set": set_metrics(gens, dances.val, window_s, hop_s),
              "genre_accuracy": _accuracy(dances.genre_classifier(), gens),
              "ms_per_frame": float(np.nanmedian(ms)) if np.isfinite(ms).any() else float("nan")}
    ureqs = dances.unseen_requests(name)
    if dances.songs and dances.dances(ureqs) is not None:
        rows, gens = [], []
        for s, req in zip(dances.songs, ureqs):
            g = dances.get(req)
            d = g.dance
            row = _row(d, 0.0, dances.music_beats(s), m.ref_px)
            row.update(song=song_name(s), seconds=round(d.duration, 2), genre=d.genre, tempo=d.meta.get("tempo"),
                       ms_per_frame=g.ms_per_frame)
            rows.append(row)
            gens.append(d)
        ru = {"songs": rows, "mean": mean_rows(rows)}
        if dances.val:
            ru["set"] = set_metrics(gens, dances.val, window_s, hop_s)
    return rv, ru


def run(dances: DanceSet, names=None, window_s: float = 8.0, hop_s: float = 4.0) -> dict:
    """``{"val": {name | "ground_truth" | "wrong_song": {...}}, "unseen": {...}}``; a model entry
    has ``mean`` (over takes / songs), ``takes`` / ``songs`` (per-dance rows), ``set`` (FID,
    diversity), and on val ``genre_accuracy`` and ``ms_per_frame``."""
    out = references(dances, window_s, hop_s) if dances.val else {"val": {}, "unseen": {}}
    for n in dances.available(names):
        rv, ru = model_rows(dances, n, window_s, hop_s)
        if rv is not None:
            out["val"][n] = rv
        if ru is not None:
            out["unseen"][n] = ru
    return out
