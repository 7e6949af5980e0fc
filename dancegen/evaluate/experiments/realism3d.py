"""Realism figures of the 3D dances (:mod:`dancegen.evaluate.realism`), per model: windowed FID_k /
FID_g of the default camera's 2D features against the real val windows, kinetic / geometric
diversity beside the real val dances', wrist above shoulder, knee-angle variation, feet distance,
travel speed and foot sliding (each with the real val value and the ratio generated / real).

Val split: the generated dances of the val takes (the dances of Table 2) against the real val
takes; the reference row ``real_train`` is the real *train* takes against the real val takes (the
level a model that danced like the training data would reach). Unseen songs: the dances of the
unseen songs against the real val takes. A dance without 3D joints (a 2D model) has no row.
"""
from __future__ import annotations

from ...errors import DanceGenError
from .. import realism as R
from .common import catch_singular, is3d
from .runner import DanceSet, Request


def _names(dances: DanceSet, names):
    return [n for n in dances.available(names) if dances.models[n].is_3d]


def requests(dances: DanceSet, names=None, **_) -> list[Request]:
    out = []
    for n in _names(dances, names):
        out += dances.val_requests(n) + dances.unseen_requests(n)
    return out


def _figures(ds, window_s, hop_s):
    ds = [d for d in ds if is3d(d)]
    return R.set_figures([d.joints3d for d in ds], ds[0].fps, window_s=window_s, hop_s=hop_s) if ds else None


def _compare(gen, real) -> dict:
    """:func:`dancegen.evaluate.realism.compare`; a singular covariance (fewer windows than
    features) adds ``note_fid``, too few windows give ``{"note"}``."""
    try:
        out, singular = catch_singular(R.compare, gen, real)
    except (DanceGenError, ValueError) as e:
        return {"note": f"{type(e).__name__}: {e}", "n_windows": gen["n_windows"]}
    if singular:
        out["note_fid"] = (f"singular covariance ({gen['n_windows']} generated, {real['n_windows']} real windows): "
                           f"FID less accurate")
    return out


def run(dances: DanceSet, names=None, window_s: float = R.WINDOW_S, hop_s: float = R.HOP_S) -> dict:
    """``{"window_s", "hop_s", "val": {"real_train" | name: figures}, "unseen": {name: figures},
    "note"?}``; figures: :func:`dancegen.evaluate.realism.compare` (``FID_k``, ``FID_g``, ``div_k``,
    ``div_k_real``, ..., ``<figure>``, ``<figure>_real``, ``<figure>_ratio``), or ``{"note"}`` when
    there are too few windows."""
    out = {"window_s": float(window_s), "hop_s": float(hop_s), "val": {}, "unseen": {}}
    try:
        real = _figures(dances.val, window_s, hop_s)
    except DanceGenError as e:
        return {**out, "note": f"real val takes: {e}"}
    if real is None:
        return {**out, "note": "the real val takes have no 3D joints"}
    out["real_val_windows"] = real["n_windows"]
    try:
        train = _figures(dances.train, window_s, hop_s)
        if train is not None:
            out["val"]["real_train"] = _compare(train, real)
    except DanceGenError as e:
        out["val"]["real_train"] = {"note": str(e)}
    for n in _names(dances, names):
        for split, get in (("val", dances.gen_val), ("unseen", dances.gen_unseen)):
            ds = get(n)
            if not ds:
                continue
            try:
                out[split][n] = _compare(_figures(ds, window_s, hop_s), real)
            except DanceGenError as e:
                out[split][n] = {"note": str(e)}
    return out
