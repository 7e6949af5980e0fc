"""Rendered frames side by side (paper Fig. 12): the first val take at evenly spaced times, the
ground truth and each model's generated dance of that take (same song, same span)."""
from __future__ import annotations

import numpy as np

from .runner import DanceSet, Request


def requests(dances: DanceSet, names=None, **_) -> list[Request]:
    return [dances.val_request(n, 0) for n in dances.available(names)] if dances.val else []


def run(dances: DanceSet, names=None, n_frames: int = 6) -> dict | None:
    """``{"take", "fps", "offset", "canvas", "indices", "rows": [{"name", "label", "status", "canvas",
    "keypoints"}]}`` (None without val takes). ``keypoints``: per index an (18, 2) list (None past
    the dance's end), or None for a model without a dance; ``names``: the model rows, in order,
    available or not."""
    if not dances.val:
        return None
    real = dances.val[0]
    idx = np.unique(np.round(np.linspace(0, real.n_frames - 1, n_frames)).astype(int))
    rows = [{"name": "ground_truth", "label": "ground truth", "status": "ok", "canvas": list(real.canvas),
             "keypoints": real.keypoints[idx].tolist()}]
    for n in (list(dances.models) if names is None else list(names)):
        m = dances.models.get(n)
        g = dances.get(dances.val_request(n, 0)) if m is not None and m.ok else None
        kp = None if g is None else [g.dance.keypoints[i].tolist() if i < g.dance.n_frames else None for i in idx]
        rows.append({"name": n, "label": m.label if m else n, "status": m.status if m else "missing",
                     "canvas": list(g.dance.canvas if g is not None else real.canvas), "keypoints": kp})
    return {"take": real.name, "fps": real.fps, "offset": real.offset, "canvas": list(real.canvas),
            "indices": idx.tolist(), "rows": rows}
