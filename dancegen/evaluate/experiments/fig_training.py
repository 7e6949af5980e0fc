"""Training loss and time of each run (paper Fig. 8): TensorBoard scalars of ``<run>/tb/version_0``
(read with tensorboard's ``EventAccumulator``) and ``<run>/train_info.json``."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .runner import DanceSet


def minutes(training: dict) -> float:
    """Training minutes of a run: from TensorBoard, else ``train_info.json``'s ``train_minutes`` (a
    snapshot, which has no logs of its own)."""
    m = training.get("minutes", float("nan"))
    if m is None or not np.isfinite(m):
        m = training.get("info", {}).get("train_minutes", float("nan"))
    return m


def read_training(run_dir, gap_s: float = 600.0) -> dict:
    """Training curves and facts of a run folder.

    Returns ``{"curves": {tag: {"step": [...], "value": [...], "minutes": [...]}}, "minutes": total,
    "info": {...}}``; ``minutes`` is the elapsed wall-clock time of the logged steps, summed over
    consecutive events, where a pause longer than ``gap_s`` (an interrupted and resumed run) counts
    as zero. A resumed run logs its steps again: the latest event of a step wins. Empty when the run
    has no logs."""
    run_dir = Path(run_dir)
    out = {"curves": {}, "minutes": float("nan"), "info": {}}
    info_p = run_dir / "train_info.json"
    if info_p.exists():
        try:
            out["info"] = json.loads(info_p.read_text())
        except ValueError as e:
            out["info"] = {"error": f"{info_p}: unreadable ({e})"}
    tb = run_dir / "tb" / "version_0"
    if not tb.is_dir() or not any(tb.glob("events.out.tfevents.*")):
        return out
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    ea = EventAccumulator(str(tb), size_guidance={"scalars": 0})
    ea.Reload()
    walls = []
    for tag in ea.Tags().get("scalars", []):
        ev = ea.Scalars(tag)
        if not ev:
            continue
        walls.extend(e.wall_time for e in ev)
        latest = {}
        for e in sorted(ev, key=lambda e: e.wall_time):
            latest[e.step] = e
        ev = [latest[k] for k in sorted(latest)]
        out["curves"][tag] = {"step": [int(e.step) for e in ev], "value": [float(e.value) for e in ev],
                              "wall": [float(e.wall_time) for e in ev]}
    if walls:
        w = np.unique(np.asarray(walls, np.float64))
        d = np.diff(w)
        d[d > gap_s] = 0.0
        cum = np.concatenate([[0.0], np.cumsum(d)])
        out["minutes"] = float(cum[-1] / 60.0)
        for c in out["curves"].values():
            c["minutes"] = [float(v) / 60.0 for v in np.interp(c["wall"], w, cum)]
    for c in out["curves"].values():
        c.pop("wall", None)
    return out


def run(dances: DanceSet, names=None) -> dict:
    """``{name: read_training(its run folder)}`` for every model with a file path (found or not)."""
    names = list(dances.models) if names is None else list(names)
    return {n: read_training(dances.models[n].run_dir) for n in names
            if n in dances.models and dances.models[n].run_dir is not None}
