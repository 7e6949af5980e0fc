"""Table 3: mean symmetry per stance (:func:`dancegen.metrics.symmetry_per_stance`) of the generated
dances and the ground truth, frame-weighted over the dances, with each stance's share of frames."""
from __future__ import annotations

from .runner import DanceSet, Request


def weighted_symmetry(results: list[dict]) -> dict:
    """Combine :func:`dancegen.metrics.symmetry_per_stance` results of several dances: per stance the
    frame-weighted mean symmetry, total frames and share of all frames (``nan`` symmetry for a
    stance no frame shows)."""
    from ...metrics import STANCES

    total = sum(r["all"]["frames"] for r in results)
    out = {}
    for name in STANCES + ("all",):
        n = sum(r[name]["frames"] for r in results)
        s = sum(r[name]["symmetry"] * r[name]["frames"] for r in results if r[name]["frames"])
        out[name] = {"symmetry": float(s / n) if n else float("nan"), "frames": int(n),
                     "share": float(n / total) if total else float("nan")}
    return out


def of_dances(dances) -> dict:
    """:func:`weighted_symmetry` of a list of dances."""
    from ...metrics import symmetry_per_stance

    return weighted_symmetry([symmetry_per_stance(d.keypoints, d.fps) for d in dances])


def requests(dances: DanceSet, names=None, split: str = "val", **_) -> list[Request]:
    get = dances.val_requests if split == "val" else dances.unseen_requests
    return [r for n in dances.available(names) for r in get(n)]


def run(dances: DanceSet, names=None, split: str = "val") -> dict:
    """``{"ground_truth" (val only) | name: {stance | "all": {"symmetry", "frames", "share"}}}`` over
    the val takes (``split="val"``) or the unseen songs (``"unseen"``)."""
    out = {}
    if split == "val" and dances.val:
        out["ground_truth"] = of_dances(dances.val)
    for n in dances.available(names):
        ds = dances.gen_val(n) if split == "val" else dances.gen_unseen(n)
        if ds:
            out[n] = of_dances(ds)
    return out
