"""The paper's expectations, checked on the numbers of a report (nothing here is hand-written:
every verdict is a comparison of two numbers of the results).

An :class:`Expectation` says that in every pair ``(better, worse)`` of models the first has the
better value of each of its metrics (:data:`METRICS`: where the number is in the results and whether
lower or higher is better). :func:`check` looks every number up: a comparison *holds* when the
first model's value is strictly better, *fails* when it is not, and is *not measured* when a model
is missing or not available or a value is not finite. The verdict of an expectation:
``confirmed`` (every measured comparison holds), ``not confirmed`` (none holds), ``partly
confirmed`` (some hold), ``not measured`` (no comparison could be made).
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    label: str
    path: tuple          # keys into the results; "{model}" stands for the model's name
    better: str          # "lower" or "higher"
    spec: str = ".3f"    # number format


#: every number an expectation can compare (val = the val takes; unseen = the unseen songs)
METRICS = {
    "beat_val": Metric("beat alignment error, val (s)", ("table2", "val", "{model}", "mean", "beat_alignment_error"),
                       "lower"),
    "beat_unseen": Metric("beat alignment error, unseen songs (s)",
                          ("table2", "unseen", "{model}", "mean", "beat_alignment_error"), "lower"),
    "bas_val": Metric("BAS (Bailando), val", ("table2", "val", "{model}", "mean", "bas_bailando"), "higher"),
    "bas_unseen": Metric("BAS (Bailando), unseen songs", ("table2", "unseen", "{model}", "mean", "bas_bailando"),
                         "higher"),
    "fid_k": Metric("FID_k, val (Table 2)", ("table2", "val", "{model}", "set", "fid_k"), "lower", ".2f"),
    "fid_g": Metric("FID_g, val (Table 2)", ("table2", "val", "{model}", "set", "fid_g"), "lower", ".2f"),
    "fid_k_unseen": Metric("FID_k, unseen songs (Table 2)", ("table2", "unseen", "{model}", "set", "fid_k"), "lower",
                           ".2f"),
    "realism_fid_k": Metric("FID_k, val (realism, 5-s windows)", ("realism", "val", "{model}", "FID_k"), "lower",
                            ".2f"),
    "realism_fid_g": Metric("FID_g, val (realism, 5-s windows)", ("realism", "val", "{model}", "FID_g"), "lower",
                            ".2f"),
    "div_k": Metric("kinetic diversity, val (Table 2)", ("table2", "val", "{model}", "set", "div_k"), "higher", ".2f"),
    "realism_div_k": Metric("kinetic diversity, val (realism)", ("realism", "val", "{model}", "div_k"), "higher",
                            ".2f"),
    "jerk": Metric("jerk, val (px/s³)", ("table2", "val", "{model}", "mean", "jerk"), "lower", ".0f"),
    "jerk_unseen": Metric("jerk, unseen songs (px/s³)", ("table2", "unseen", "{model}", "mean", "jerk"), "lower",
                          ".0f"),
    "rule_breaks": Metric("3D rule breaks per 1000 frames, val",
                          ("table2", "val", "{model}", "mean", "rule_breaks_per_1000"), "lower", ".1f"),
    "rule_breaks_unseen": Metric("3D rule breaks per 1000 frames, unseen songs",
                                 ("table2", "unseen", "{model}", "mean", "rule_breaks_per_1000"), "lower", ".1f"),
}


@dataclass(frozen=True)
class Expectation:
    claim: str
    pairs: tuple         # ((better model, worse model), ...)
    metrics: tuple       # keys of METRICS


def lookup(results: dict, metric: Metric, model: str) -> float | None:
    """The number of ``metric`` for ``model`` in ``results`` (None when absent or not finite)."""
    x = results
    for k in metric.path:
        k = k.format(model=model)
        if not isinstance(x, dict) or k not in x:
            return None
        x = x[k]
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _why(models: dict, name: str) -> str | None:
    m = models.get(name)
    if m is None:
        return f"{name}: not in this model set"
    if not m["status"].startswith("ok"):
        return f"{name}: {m['status']}"
    return None


def compare(results: dict, models: dict, metric_key: str, better: str, worse: str) -> dict:
    """One comparison: does ``better`` have the better value of the metric than ``worse``?"""
    m = METRICS[metric_key]
    out = {"metric": metric_key, "label": m.label, "expected": m.better, "better": better, "worse": worse,
           "value_better": None, "value_worse": None, "holds": None, "why": ""}
    why = _why(models, better) or _why(models, worse)
    if why:
        out["why"] = why
        return out
    a, b = lookup(results, m, better), lookup(results, m, worse)
    out["value_better"], out["value_worse"] = a, b
    if a is None or b is None:
        out["why"] = "no finite value" + (f" for {better}" if a is None else "") + (f" for {worse}" if b is None else "")
        return out
    out["holds"] = bool(a < b if m.better == "lower" else a > b)
    return out


def verdict(comparisons: list[dict]) -> str:
    measured = [c for c in comparisons if c["holds"] is not None]
    held = sum(c["holds"] for c in measured)
    if not measured:
        return "not measured"
    if held == len(measured):
        return "confirmed"
    return "not confirmed" if held == 0 else f"partly confirmed ({held} of {len(measured)})"


def check(results: dict, models: dict, expectations) -> list[dict]:
    """Every expectation against ``results`` (the report's experiment results; ``models``: the
    report's ``models`` JSON, for the status of each). Returns per expectation ``{"claim",
    "verdict", "measured", "held", "total", "comparisons": [...]}``."""
    out = []
    for e in expectations:
        cs = [compare(results, models, k, a, b) for a, b in e.pairs for k in e.metrics]
        measured = [c for c in cs if c["holds"] is not None]
        out.append({"claim": e.claim, "verdict": verdict(cs), "measured": len(measured),
                    "held": int(sum(c["holds"] for c in measured)), "total": len(cs), "comparisons": cs})
    return out


__all__ = ["Metric", "METRICS", "Expectation", "lookup", "compare", "verdict", "check"]
