"""Training loss and time of each run (paper Fig. 8): TensorBoard scalars of ``<run>/tb/version_0``
(read with tensorboard's ``EventAccumulator``) and ``<run>/train_info.json``; for a 3D run (no
TensorBoard logs) the training log kept in its ``last.pt`` (or the copy in its model file's ``info``)
and the ``info`` of its model file."""
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


#: a 3D run's log record -> the figure's ``loss`` (seq2seq3d: the mixture NLL; GAN: reconstruction;
#: VQ: reconstruction in stage 1, cross entropy in stage 2) and ``train/pos`` (where logged)
LOSS_KEYS3D = ("nll", "rec", "ce")


def read_checkpoint_log(path) -> dict:
    """Curves of a 3D run from the training log inside its ``last.pt`` (read with
    ``weights_only=True``): ``{tag: {"step", "value", "minutes"}}`` for ``loss``
    (:data:`LOSS_KEYS3D`) and ``train/pos``; empty when there is no such file or log."""
    path = Path(path)
    if not path.is_file():
        return {}
    import torch

    try:
        log = json.loads(torch.load(path, map_location="cpu", weights_only=True)["state"]).get("log", [])
    except Exception:       # an unreadable or foreign checkpoint: no curves (the table says so)
        return {}
    return curves_from_log(log)


def curves_from_log(log) -> dict:
    """A 3D trainer's log records (``last.pt``'s, or the copy in the model file's ``info["log"]``)
    -> ``{tag: {"step", "value", "minutes"}}``; records that are not dicts with a step are skipped."""
    curves: dict = {}
    for rec in log if isinstance(log, list) else ():
        if not isinstance(rec, dict):
            continue
        for tag, keys in (("loss", LOSS_KEYS3D), ("train/pos", ("pos",))):
            v = next((rec[k] for k in keys if isinstance(rec.get(k), (int, float))), None)
            if v is None or not isinstance(rec.get("step"), int):
                continue
            m = rec.get("elapsed_min")
            c = curves.setdefault(tag, {"step": [], "value": [], "minutes": []})
            c["step"].append(rec["step"])
            c["value"].append(float(v))
            c["minutes"].append(float(m) if isinstance(m, (int, float)) else float("nan"))
    return curves


def read_training(run_dir, gap_s: float = 600.0, info: dict | None = None) -> dict:
    """Training curves and facts of a run folder.

    Returns ``{"curves": {tag: {"step": [...], "value": [...], "minutes": [...]}}, "minutes": total,
    "info": {...}}``; ``minutes`` is the elapsed wall-clock time of the logged steps, summed over
    consecutive events, where a pause longer than ``gap_s`` (an interrupted and resumed run) counts
    as zero. A resumed run logs its steps again: the latest event of a step wins. Empty when the run
    has no logs. A 3D run (no TensorBoard logs): the curves of :func:`read_checkpoint_log`, and
    ``info`` (the model file's: ``epochs``, ``steps``, ``train_minutes``) stands in for
    ``train_info.json``."""
    run_dir = Path(run_dir)
    out = {"curves": {}, "minutes": float("nan"), "info": dict(info or {})}
    info_p = run_dir / "train_info.json"
    if info_p.exists():
        try:
            out["info"] = json.loads(info_p.read_text())
        except ValueError as e:
            out["info"] = {"error": f"{info_p}: unreadable ({e})"}
    tb = run_dir / "tb" / "version_0"
    if not tb.is_dir() or not any(tb.glob("events.out.tfevents.*")):
        # a 3D run: the log in last.pt, else the copy the trainer put in the model file (a model
        # saved without its run folder, e.g. models/report3d)
        out["curves"] = read_checkpoint_log(run_dir / "last.pt") or curves_from_log(out["info"].get("log"))
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
    """``{name: read_training(its run folder)}`` for every model with a file path (found or not);
    the ``info`` of a loaded model file fills in what the run folder lacks."""
    names = list(dances.models) if names is None else list(names)
    return {n: read_training(dances.models[n].run_dir, info=dances.models[n].info) for n in names
            if n in dances.models and dances.models[n].run_dir is not None}
