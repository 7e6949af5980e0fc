"""Beat on any tempo, per model and song (as ``benchmarks/bench_beat_any_tempo.py``): each model
dances the unseen songs from 0 s (the dances of Table 2's unseen columns), and per song the tempo
the generator found, the Bailando beat-align score (mean over the music beats in the span of
exp(-d^2 / 2 sigma^2), sigma 0.05 s), the beat alignment error (s) over every music beat and over
the beats danced (:func:`dancegen.metrics.beat.danced_beats` of the dance's beat grid
``meta["beats"]``; a dance without one: every beat), and whether both pass (BAS >= :data:`BAS_MIN`
and the danced error <= :data:`ERR_MAX`), with the genre ``--genre auto`` picked. Music beats:
dancegen's beat tracker on the whole song (:meth:`~.runner.DanceSet.music_beats`, as Table 2)."""
from __future__ import annotations

import numpy as np

from ...metrics.beat import danced_beat_error, motion_beats
from .common import dance_row, song_name
from .runner import DanceSet, Request

BAS_MIN, ERR_MAX = 0.25, 0.12


def requests(dances: DanceSet, names=None, **_) -> list[Request]:
    return [r for n in dances.available(names) for r in dances.unseen_requests(n)]


def run(dances: DanceSet, names=None) -> dict:
    """``{"songs", "bas_min", "err_max", "models": {name: {"songs": [{song, seconds, tempo, bas, err,
    pass, genre, genre_p}], "passed", "n", "median_bas", "median_err"}}}``."""
    out = {"songs": [song_name(s) for s in dances.songs], "bas_min": BAS_MIN, "err_max": ERR_MAX, "models": {}}
    for n in dances.available(names):
        ds = dances.gen_unseen(n)
        if not ds:
            continue
        rows = []
        for s, d in zip(dances.songs, ds):
            music = np.asarray(dances.music_beats(s), np.float64)
            r = dance_row(d.keypoints, d.fps, 0.0, music, d.canvas)
            bas, err = r["bas_bailando"], r["beat_alignment_error"]
            err_d = err
            if d.meta.get("beats"):
                span = (0.0, (len(d.keypoints) - 1) / d.fps)
                err_d = danced_beat_error(motion_beats(d.keypoints, d.fps), music, d.meta["beats"], span)[0]
            ga = d.meta.get("genre_auto", {})
            rows.append({"song": song_name(s), "seconds": round(d.duration, 2),
                         "tempo": float(d.meta.get("tempo", float("nan"))), "bas": bas, "err": err,
                         "err_danced": err_d, "pass": bool(bas >= BAS_MIN and err_d <= ERR_MAX), "genre": d.genre,
                         "genre_p": float(ga.get("probability", float("nan")))})
        bas = np.asarray([r["bas"] for r in rows], np.float64)
        err = np.asarray([r["err_danced"] for r in rows], np.float64)
        out["models"][n] = {"songs": rows, "passed": int(sum(r["pass"] for r in rows)), "n": len(rows),
                            "median_bas": float(np.nanmedian(bas)) if np.isfinite(bas).any() else float("nan"),
                            "median_err": float(np.nanmedian(err)) if np.isfinite(err).any() else float("nan")}
    return out
