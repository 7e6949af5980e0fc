"""Smoothness against sequence length (paper Fig. 10): mean acceleration (px/s^2) of the first N
frames, generated separately for each N on the unseen songs (from 0 s; mean over songs); ground
truth: the first N frames of the real val takes that are that long."""
from __future__ import annotations

import numpy as np

from .common import nanmean_cols, song_name
from .runner import DanceSet, Request


def _songs(dances, songs):
    return list(dances.songs if songs is None else songs)


def _req(dances, name, song, n):
    return dances.request(name, song, 0.0, n / dances.models[name].fps)


def requests(dances: DanceSet, names=None, lengths=(100, 300, 500, 700, 900), songs=None, **_) -> list[Request]:
    return [_req(dances, n, s, L) for n in dances.available(names) for s in _songs(dances, songs) for L in lengths]


def run(dances: DanceSet, names=None, lengths=(100, 300, 500, 700, 900), songs=None) -> dict:
    """``{"lengths_frames", "songs", "models": {name: {"per_song", "mean"}}, "ground_truth": [...]}``."""
    from ...metrics import smoothness

    songs = _songs(dances, songs)
    out = {"lengths_frames": [int(x) for x in lengths], "songs": [song_name(s) for s in songs], "models": {}}
    gt = []
    for n in lengths:
        v = [float(smoothness(c.keypoints[:n], c.fps)["acceleration"]) for c in dances.val if c.n_frames >= n]
        gt.append(float(np.mean(v)) if v else float("nan"))
    out["ground_truth"] = gt
    for name in dances.available(names) if songs else ():
        per_song = {}
        for s in songs:
            gens = [dances.get(_req(dances, name, s, L)) for L in lengths]
            if any(g is None for g in gens):
                per_song = None
                break
            per_song[song_name(s)] = [float(smoothness(g.dance.keypoints[:L], g.dance.fps)["acceleration"])
                                      for g, L in zip(gens, lengths)]
        if per_song is not None:
            out["models"][name] = {"per_song": per_song, "mean": nanmean_cols(list(per_song.values()))}
    return out
