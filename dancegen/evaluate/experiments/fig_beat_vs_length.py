"""Beat alignment error against music length (paper Fig. 9): excerpts of the unseen songs from 0 s,
each length generated separately (an excerpt longer than the song is ``nan``); mean over songs."""
from __future__ import annotations

from .common import dance_row, nanmean_cols, song_name
from .runner import DanceSet, Request


def _songs(dances, songs):
    return list(dances.songs if songs is None else songs)


def _fits(dances, song, length) -> bool:
    return length <= dances.seconds(song) + 1e-6


def requests(dances: DanceSet, names=None, lengths_s=(10.0, 30.0, 50.0, 70.0, 90.0), songs=None, **_) -> list[Request]:
    return [dances.request(n, s, 0.0, L) for n in dances.available(names) for s in _songs(dances, songs)
            for L in lengths_s if _fits(dances, s, L)]


def run(dances: DanceSet, names=None, lengths_s=(10.0, 30.0, 50.0, 70.0, 90.0), songs=None) -> dict:
    """``{"lengths_s", "songs", "models": {name: {"per_song": {song: [err per length]}, "mean": [...]}}}``."""
    songs = _songs(dances, songs)
    out = {"lengths_s": [float(x) for x in lengths_s], "songs": [song_name(s) for s in songs], "models": {}}
    if not songs:
        return out
    for n in dances.available(names):
        per_song = {}
        for s in songs:
            gens = [dances.get(dances.request(n, s, 0.0, L)) if _fits(dances, s, L) else None for L in lengths_s]
            if any(g is None and _fits(dances, s, L) for g, L in zip(gens, lengths_s)):
                break                                       # the model failed: no line
            per_song[song_name(s)] = [float("nan") if g is None else _error(dances, g.dance, s) for g in gens]
        else:
            out["models"][n] = {"per_song": per_song, "mean": nanmean_cols(list(per_song.values()))}
    return out


def _error(dances, d, song) -> float:
    return float(dance_row(d.keypoints, d.fps, 0.0, dances.music_beats(song), d.canvas)["beat_alignment_error"])
