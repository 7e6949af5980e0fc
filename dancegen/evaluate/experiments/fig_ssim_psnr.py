"""SSIM and PSNR of rendered frames per genre (paper Fig. 11).

Pairs: frame t of the generated dance of a val take against frame t of the real take (same song,
same span), every ``every``-th frame, both drawn by :func:`dancegen.render.video.render_frames` on
the take's canvas scaled to ``size``, without grid, floor line or labels, so the images differ only
in the skeletons. SSIM / PSNR: :func:`dancegen.metrics.frames_ssim_psnr` (scikit-image); per take
the mean over its frames, then mean per genre (:func:`dancegen.metrics.aggregate_by_genre`). The
``wrong_song`` row (real take i+1 against real take i) is the chance level.
"""
from __future__ import annotations

import numpy as np

from .runner import DanceSet, Request


def pair(a, b, every: int = 25, size=(480, 270)) -> dict:
    """:func:`dancegen.metrics.frames_ssim_psnr` of two dances rendered frame by frame (the shorter
    one sets the length)."""
    from ...metrics import frames_ssim_psnr
    from ...render.video import render_frames

    n = min(a.n_frames, b.n_frames)
    idx = np.arange(0, n, max(1, int(every)))
    size = tuple(size)
    fa = render_frames(a, size, grid=False, floor=False, label=False, indices=idx)
    fb = render_frames(b, size, grid=False, floor=False, label=False, indices=idx)
    return frames_ssim_psnr(fa, fb)


def requests(dances: DanceSet, names=None, **_) -> list[Request]:
    return [r for n in dances.available(names) for r in dances.val_requests(n)]


def run(dances: DanceSet, names=None, every: int = 25, size=(480, 270), wrong_song: bool = True) -> dict:
    """``{"pairs", "wrong_song_pairs", "models": {name | "wrong_song": {"takes": [{take, genre, ssim,
    psnr, psnr_of_mean_mse, n}], "ssim": per genre, "psnr": per genre}}}``; per genre =
    ``{genre: {"mean", "std", "n"}, "all": ...}`` with ``n`` the number of takes."""
    from ...metrics import aggregate_by_genre

    size = tuple(int(x) for x in size)
    out = {"pairs": "frame t of the generated dance vs frame t of the real dance of the same val take (same song, "
                    "same span), every %d-th frame, both drawn by dancegen.render.video.render_frames on the take's "
                    "canvas at %dx%d, no grid, floor line or labels" % (every, size[0], size[1]),
           "models": {}}
    real = dances.val
    genres = [r.genre for r in real]
    rows = [n for n in dances.available(names) if dances.gen_val(n)]
    if wrong_song and len(real) > 1:
        rows.append("wrong_song")
    for name in rows:
        others = dances.gen_val(name) if name != "wrong_song" else [real[(i + 1) % len(real)] for i in range(len(real))]
        per = [dict(take=r.name, genre=r.genre, **pair(o, r, every, size)) for o, r in zip(others, real)]
        out["models"][name] = {"takes": per, "ssim": aggregate_by_genre([p["ssim"] for p in per], genres),
                               "psnr": aggregate_by_genre([p["psnr"] for p in per], genres)}
    out["wrong_song_pairs"] = "real take i+1 vs real take i (chance level)"
    return out
