"""Results of the experiments -> Markdown, JSON and PNG figures (matplotlib, Agg).

Input: the report dict (``dancegen.evaluate.report.build_report``): run facts (``command``,
``date``, ``git_commit``, ``machine``, ``data``, ``music``, ``settings``, ``val_takes``,
``seconds``, ``timings``, ``set``: ``2d`` or ``3d``), ``models`` (:meth:`~.runner.ModelEntry.as_json`
per name, in table order), one entry per experiment (``table2``, ``hgr_feedback``, ``table3``,
``beat_vs_length``, ``smoothness_vs_length``, ``ssim_psnr``, ``training``, ``frames``; the 3D set
also ``realism`` and ``beat_songs``), each the plain data its module's ``run`` returned, and
``expectations`` (:func:`.expectations.check`). Nothing here computes a metric.
"""
from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np

from .common import song_name
from .fig_training import minutes as training_minutes

COLORS = {"full": "C0", "full_35min": "C9", "full_1500": "C9", "no_multiscale": "C4", "no_attention": "C5", "no_hgr": "C6",
          "gan_stgcn": "C1", "vqvae_transformer": "C2", "ground_truth": "k", "wrong_song": "0.6"}


# ------------------------------------------------------------------------------------------ helpers
def to_json(x):
    """JSON-able copy: numpy scalars and arrays to Python, non-finite floats to None."""
    if isinstance(x, dict):
        return {str(k): to_json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_json(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.ndarray):
        return to_json(x.tolist())
    return x


def fmt(x, spec=".3f") -> str:
    """A number for a table: ``—`` for None, ``nan`` / ``inf`` spelled out."""
    if x is None:
        return "—"
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf"
    return format(x, spec)


def _label(res, n) -> str:
    m = res.get("models", {}).get(n)
    if m:
        return m["label"]
    return {"ground_truth": "ground truth", "wrong_song": "wrong song (real vs real)"}.get(n, n.replace("_", " "))


def _shown(m) -> bool:
    """A model row is shown unless the model is optional and absent."""
    return not (m.get("optional") and m["status"] == "missing")


def _color(n, i=0):
    return COLORS.get(n, f"C{(i + 3) % 10}")


# ------------------------------------------------------------------------------------------ markdown
def md_header(res) -> list[str]:
    st = res["settings"]
    tm = res.get("timings", {})
    L = ["# dancegen experiments report" + (f": {res['set_title']}" if res.get("set_title") else ""), "",
         f"- command: `{res['command']}`",
         f"- date: {res['date']}; git commit {res['git_commit']}; {res['machine']}; "
         f"the report took {res.get('seconds', float('nan')):.0f} s"
         + (" (" + ", ".join(f"{k[:-2].replace('_', ' ')} {v:.0f} s" for k, v in tm.items()) + ")" if tm else ""),
         f"- data: `{res['data']}` val takes: "
         + ", ".join(f"{t['take']} ({t['genre']}, {t['seconds']:.1f} s)" for t in res["val_takes"]),
         f"- unseen songs: {', '.join(song_name(s) for s in res['music']) or 'none'}"
         + (f" (first {st['unseen_max_s']:g} s of each)" if st["unseen_max_s"] else " (whole songs)")]
    if st["quick"]:
        L.append("- **quick mode**: short excerpts; the numbers only check that the pipeline works")
    L += [f"- seed {st['seed']}; FID windows {st['fid_window_s']:g} s every {st['fid_hop_s']:g} s"]
    if res.get("set") == "3d":
        L.append("- real dances: the 3D takes on the generators' reference skeleton (retimed, drift-free), filmed "
                 "by the generator's default camera (`front`) as every generated dance is, so every 2D number "
                 "compares dances seen the same way; realism windows "
                 f"{st.get('realism_window_s', 5.0):g} s every {st.get('realism_hop_s', 2.5):g} s")
    return L + [""]


def md_models(res) -> list[str]:
    models = res["models"]
    L = ["## Models", "", "| model | file | status | generated with HGR feedback |", "|---|---|---|---|"]
    for n, s in models.items():
        if not _shown(s):
            continue
        stat = s["status"] + (f": {s['reason']}" if s.get("reason") else "")
        L.append(f"| {s['label']} | `{s['path']}` | {stat} | {'yes' if s['feedback'] else 'no'} |")
    missing = [n for n, s in models.items() if not s["status"].startswith("ok") and _shown(s)]
    return L + ["", f"Missing or not available: {', '.join(missing) if missing else 'none'}.", ""]


def md_table2(res) -> list[str]:
    models = res["models"]
    val, uns = res["table2"]["val"], res["table2"]["unseen"]
    L = ["## Table 2: ablation and comparison", "",
         "Val split (each take's song over the take's span): beat alignment error (mean over music beats "
         "of the distance to the nearest motion beat, s), JPE (free-running, px on the 1920x1080 canvas), "
         "smoothness (mean acceleration, px/s²), FID_k (2D kinetic features of windows, standardised on the "
         "real windows), genre accuracy (classifier trained on the train split), decoder ms/frame (median "
         "over takes, music features excluded). Unseen songs: beat alignment error and FID_k against the "
         "real val dances.", "",
         "| model | beat err (s) | JPE (px) | acc (px/s²) | FID_k | genre acc | ms/frame | unseen beat err (s) "
         "| unseen FID_k |",
         "|---|---|---|---|---|---|---|---|---|"]
    for n, s in models.items():
        if n in val:
            v, u = val[n], uns.get(n)
            L.append(f"| {s['label']} | {fmt(v['mean']['beat_alignment_error'])} | {fmt(v['mean']['jpe_px'], '.1f')} | "
                     f"{fmt(v['mean']['acceleration'], '.0f')} | {fmt(v['set']['fid_k'], '.2f')} | "
                     f"{fmt(v['genre_accuracy'], '.2f')} | {fmt(v['ms_per_frame'], '.3f')} | "
                     f"{fmt(u['mean']['beat_alignment_error']) if u else '—'} | "
                     f"{fmt(u['set']['fid_k'], '.2f') if u and 'set' in u else '—'} |")
        elif _shown(s):
            L.append(f"| {s['label']} | {s['status']} | | | | | | | |")
    g, w = val["ground_truth"], val["wrong_song"]
    uw = uns.get("wrong_song")
    gfid = g.get("set", {}).get("fid_k")
    L.append(f"| ground truth | {fmt(g['mean']['beat_alignment_error'])} | 0 | "
             f"{fmt(g['mean']['acceleration'], '.0f')} | "
             f"{fmt(gfid, '.2f')}¹ | {fmt(g['genre_accuracy'], '.2f')} | — | — | — |")
    L.append(f"| wrong song² | {fmt(w['mean']['beat_alignment_error'])} | {fmt(w['mean']['jpe_px'], '.1f')} | "
             f"{fmt(w['mean']['acceleration'], '.0f')} | — | {fmt(w['genre_accuracy'], '.2f')} | — | "
             f"{fmt(uw['mean']['beat_alignment_error']) if uw else '—'} | — |")
    L += ["", "¹ FID_k of the real train dances against the real val dances (the floor a model can reach). "
          "² Val: take i's real motion with take i+1's music (JPE: take i vs take i+1; genre accuracy: "
          "the motion's predicted genre against the music's genre); unseen: real val takes on the unseen songs."]
    notes = [f"{n} ({split}): {v['set'][k]}" for split, tab in (("val", val), ("unseen", uns))
             for n, v in tab.items() if isinstance(v, dict) and "set" in v for k in ("note", "note_k", "note_g")
             if k in v["set"]]
    if notes:
        L += ["", "FID notes: " + "; ".join(notes) + "."]
    three = "rule_breaks_per_1000" in val["ground_truth"]["mean"]
    L += ["", "More numbers (val split): beat-align scores (σ = 0.05 s; Bailando form = mean over music beats, "
          "FACT form = mean over motion beats), jerk, FID_g, diversity of the kinetic features"
          + ("; the 3D rules over each whole dance (`dancegen.feedback.online3d.check3d`): rule breaks = frames "
             "with a bone or symmetry fault, a joint jump or a foot below the floor, per 1000 frames; foot "
             "sliding = share of frames with a contact foot sliding (real ballroom steps glide too)" if three else "")
          + ".", "",
          "| model | BAS Bailando | BAS FACT | jerk (px/s³) | max stretch | FID_g | div_k (real) |"
          + (" rule breaks /1000 | jumps /1000 | below floor /1000 | foot sliding | unseen rule breaks /1000 |"
             if three else ""),
          "|---|---|---|---|---|---|---|" + ("---|---|---|---|---|" if three else "")]
    for n in [n for n in models if n in val] + ["ground_truth"]:
        v = val[n]
        s = v.get("set", {})
        row = (f"| {_label(res, n)} | {fmt(v['mean']['bas_bailando'])} | {fmt(v['mean']['bas_fact'])} | "
               f"{fmt(v['mean']['jerk'], '.0f')} | {fmt(v['mean']['max_stretch'])} | {fmt(s.get('fid_g'), '.2f')} | "
               f"{fmt(s.get('div_k'), '.2f')} ({fmt(s.get('div_k_real'), '.2f')}) |")
        if three:
            m, u = v["mean"], uns.get(n, {}).get("mean", {})
            row += (f" {fmt(m.get('rule_breaks_per_1000'), '.1f')} | {fmt(m.get('jumps_per_1000'), '.1f')} | "
                    f"{fmt(m.get('below_floor_per_1000'), '.1f')} | {fmt(m.get('foot_slide_share'), '.2f')} | "
                    f"{fmt(u.get('rule_breaks_per_1000'), '.1f') if u else '—'} |")
        L.append(row)
    return L + [""]


def md_hgr(res, model="full") -> list[str]:
    L = ["## HGR feedback: the full model with and without the online correction", ""]
    hg = res.get("hgr_feedback")
    if not hg:
        st = res["models"].get(model, {}).get("status", "missing")
        return L + [f"Not measured: the full model is {st}.", ""]
    three = any("rule_breaks_per_1000" in hg.get(sp, {}).get("on", {}) for sp in ("val", "unseen"))
    L += ["Bone deviation D_bone (paper Eq. 4, mean over frames; reference: " + hg["ref"] + "), jerk "
          "(px/s³), beat alignment error (s), max stretch (largest bone length / reference - 1)"
          + ("; 3D: rule breaks per 1000 frames and foot sliding over the final dance (as in Table 2), and the "
             "loop's actions while generating per 1000 frames (resampled or blended joint jumps, sliding feet cut back to the tolerance, "
             "lifted feet)" if three else "") + ".", "",
          "| split | feedback | bone deviation | jerk | beat err | max stretch |"
          + (" rule breaks /1000 | foot sliding | loop actions /1000 |" if three else ""),
          "|---|---|---|---|---|---|" + ("---|---|---|" if three else "")]

    def line(head, k, r):
        out = (f"| {head} | {k} | {fmt(r['bone_deviation'], '.4f')} | {fmt(r['jerk'], '.0f')} | "
               f"{fmt(r['beat_alignment_error'])} | {fmt(r.get('max_stretch'))} |")
        if three:
            out += (f" {fmt(r.get('rule_breaks_per_1000'), '.1f')} | {fmt(r.get('foot_slide_share'), '.2f')} | "
                    f"{fmt(r.get('loop_acts_per_1000'), '.1f')} |")
        return out

    for split in ("val", "unseen"):
        if split in hg:
            L += [line(f"{split} ({hg[split]['n']})", k, hg[split][k]) for k in ("on", "off")]
    gl = hg.get("val_glitch")
    if gl:
        L += [line(f"val ({gl['n']}), {100 * gl['rate']:g}% glitches⁴", k, gl[k]) for k in ("on", "off")]
    gv = hg.get("ground_truth_val")
    if gv:
        L.append(f"| val | ground truth | {fmt(gv['bone_deviation'], '.4f')}³ | {fmt(gv['jerk'], '.0f')} | "
                 f"{fmt(gv['beat_alignment_error'])} | — |"
                 + (f" {fmt(gv.get('rule_breaks_per_1000'), '.1f')} | {fmt(gv.get('foot_slide_share'), '.2f')} | — |"
                    if three else ""))
        L += ["", "³ against " + gv["ref"] + "."]
    loops = {sp: hg[sp]["loop"] for sp in ("val", "unseen") if "loop" in hg.get(sp, {})}
    if loops:
        L += ["", "The 3D HGR loop's counts with the feedback on (summed over the dances): " + "; ".join(
            f"{sp}: " + ", ".join(f"{k} {v}" for k, v in c.items()) for sp, c in loops.items()) + "."]
    if gl:
        L += ["", "⁴ Stress test with a generator that breaks the rules: on "
              f"{100 * gl['rate']:g}% of the decoder steps "
              "one of the paper's three faults is put into the raw output before the check (the same faults "
              "with the feedback on and off; docs/hgr.md section 6b). Frames the structure check "
              f"(`dancegen check`) flags per 1000: {fmt(gl['on']['flagged_per_1000'], '.1f')} with the feedback, "
              f"{fmt(gl['off']['flagged_per_1000'], '.1f')} without."]
    return L + [""]


def stance_table(t3: dict, label, cols=None) -> list[str]:
    """Markdown rows of a Table 3 result (stances down, the dances of ``cols`` across; default all)."""
    from ...metrics import STANCES

    cols = list(t3) if cols is None else [n for n in cols if n in t3]
    L = ["| stance | " + " | ".join(label(n) for n in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for s in STANCES + ("all",):
        L.append(f"| {s} | " + " | ".join(f"{fmt(t3[n][s]['symmetry'])} ({100 * t3[n][s]['share']:.1f}%)"
                                          if t3[n][s]["frames"] else "nan (0%)" for n in cols) + " |")
    return L


def md_table3(res, compared=()) -> list[str]:
    t3 = res["table3"]
    L = ["## Table 3: symmetry per stance (val takes)", "",
         "Mean symmetry score S_sym on the frames showing each stance (dancegen.metrics.stance), with the "
         "share of frames in brackets; nan: no frame shows the stance.", ""]
    L += stance_table(t3, lambda n: _label(res, n), ["ground_truth", *compared])
    absent = [n for n in compared if n not in t3]
    if absent:
        L += ["", f"Not in the table ({', '.join(absent)}): "
              + "; ".join(f"{n} {res['models'][n]['status']}" for n in absent)]
    return L + [""]


def ssim_table(sp: dict, label) -> list[str]:
    """Markdown rows of an SSIM/PSNR result: per genre SSIM and PSNR, and over all takes."""
    genres = sorted({t["genre"] for v in sp["models"].values() for t in v["takes"]})
    L = ["| model | " + " | ".join(f"SSIM {g}" for g in genres) + " | SSIM all | "
         + " | ".join(f"PSNR {g} (dB)" for g in genres) + " | PSNR all (dB) |",
         "|---" * (2 * len(genres) + 3) + "|"]
    for n, v in sp["models"].items():
        L.append(f"| {label(n)} | " + " | ".join(f"{fmt(v['ssim'][g]['mean'])} ({v['ssim'][g]['n']})" for g in genres)
                 + f" | {fmt(v['ssim']['all']['mean'])} | "
                 + " | ".join(fmt(v['psnr'][g]['mean'], '.2f') for g in genres)
                 + f" | {fmt(v['psnr']['all']['mean'], '.2f')} |")
    return L


def md_expectations(res) -> list[str]:
    """The paper's expectations and what the numbers say (:func:`.expectations.check`)."""
    from .expectations import METRICS

    ex = res.get("expectations")
    if not ex:
        return []
    L = ["## The paper's expectations against these numbers", "",
         "Each line compares two numbers of the tables below (worked out by the report, not written by hand): "
         "**confirmed** when every measured comparison holds, **not confirmed** when none does, **partly "
         "confirmed** otherwise, **not measured** when a model is missing or a value is not finite.", "",
         "| expectation | verdict | comparisons (✓ holds, ✗ does not) |", "|---|---|---|"]
    for e in ex:
        parts = []
        for c in e["comparisons"]:
            spec = METRICS[c["metric"]].spec
            mark = {True: "✓", False: "✗", None: "·"}[c["holds"]]
            what = (f"{fmt(c['value_better'], spec)} vs {fmt(c['value_worse'], spec)}" if c["holds"] is not None
                    else f"not measured: {c['why']}")
            parts.append(f"{mark} {c['label']}, {c['better']} {'<' if c['expected'] == 'lower' else '>'} "
                         f"{c['worse']}: {what}")
        L.append(f"| {e['claim']} | **{e['verdict']}** ({e['measured']} of {e['total']} comparisons measured) | "
                 + "<br>".join(parts) + " |")
    return L + [""]


REALISM_FIGS = (("wrist_above_shoulder", "wrist above shoulder", ".3f"), ("knee_angle_std", "knee angle std (°)", ".1f"),
                ("feet_distance", "feet distance (torso)", ".2f"), ("travel_speed", "travel speed (m/s)", ".3f"),
                ("foot_sliding", "foot sliding (m/s)", ".3f"))


def md_realism(res) -> list[str]:
    """The realism figures of the 3D set (:mod:`.realism3d`)."""
    rz = res.get("realism")
    if rz is None:
        return []
    L = ["## Realism (3D dances)", "",
         f"`dancegen.evaluate.realism` on windows of {rz['window_s']:g} s every {rz['hop_s']:g} s: FID_k / FID_g of "
         "the default camera's 2D kinetic / geometric window features against the real val windows (standardised "
         "on them), diversity (mean pairwise distance of the same features; the real val dances' in brackets), "
         "the share of frames with a wrist above its shoulder, the knee angle's standard deviation in a window, "
         "the ankle distance in torso lengths, the root's speed on the floor and the speed of a planted foot; "
         "each figure with its ratio to the real val dances' in brackets. *real train*: the real train takes "
         "against the real val takes (the reference a model can hope for)."]
    if rz.get("note"):
        return L + ["", f"Not measured: {rz['note']}.", ""]
    L += ["", "| model | FID_k | FID_g | div_k (real) | div_g (real) | "
          + " | ".join(lab for _, lab, _ in REALISM_FIGS) + " | windows |", "|---" * (6 + len(REALISM_FIGS)) + "|"]

    def row(label, v):
        if "note" in v:
            return f"| {label} | {v['note']} |" + " |" * (5 + len(REALISM_FIGS))
        return (f"| {label} | {fmt(v['FID_k'], '.2f')} | {fmt(v['FID_g'], '.2f')} | {fmt(v['div_k'], '.2f')} "
                f"({fmt(v['div_k_real'], '.2f')}) | {fmt(v['div_g'], '.2f')} ({fmt(v['div_g_real'], '.2f')}) | "
                + " | ".join(f"{fmt(v[k], sp)} ({fmt(v.get(k + '_ratio'), '.2f')})" for k, _, sp in REALISM_FIGS)
                + f" | {v.get('n_windows', '—')} |")

    val = rz["val"]
    names = [n for n in res["models"] if n in val]
    for n in names:
        L.append(row(_label(res, n), val[n]))
    for n, s in res["models"].items():
        if n not in val and _shown(s) and s.get("is_3d", True):
            L.append(f"| {s['label']} | {s['status']} |" + " |" * (5 + len(REALISM_FIGS)))
    if "real_train" in val:
        L.append(row("real train", val["real_train"]))
    ref = next((val[n] for n in names + ["real_train"] if n in val and "note" not in val[n]), None)
    if ref is not None:
        L.append("| real val | 0 | 0 | — | — | " + " | ".join(fmt(ref[k + "_real"], sp) for k, _, sp in REALISM_FIGS)
                 + f" | {rz.get('real_val_windows', '—')} |")
    uns = rz["unseen"]
    if uns:
        L += ["", "Unseen songs against the real val dances:", "",
              "| model | FID_k | FID_g | div_k (real) | div_g (real) | travel speed (m/s) | foot sliding (m/s) | "
              "windows |", "|---|---|---|---|---|---|---|---|"]
        for n in [n for n in res["models"] if n in uns]:
            v = uns[n]
            if "note" in v:
                L.append(f"| {_label(res, n)} | {v['note']} | | | | | | |")
                continue
            L.append(f"| {_label(res, n)} | {fmt(v['FID_k'], '.2f')} | {fmt(v['FID_g'], '.2f')} | "
                     f"{fmt(v['div_k'], '.2f')} ({fmt(v['div_k_real'], '.2f')}) | {fmt(v['div_g'], '.2f')} "
                     f"({fmt(v['div_g_real'], '.2f')}) | {fmt(v['travel_speed'], '.3f')} | "
                     f"{fmt(v['foot_sliding'], '.3f')} | {v.get('n_windows', '—')} |")
    return L + [""]


def md_beat_songs(res) -> list[str]:
    """The beat figures per unseen song (:mod:`.beat_songs`)."""
    bs = res.get("beat_songs")
    if bs is None:
        return []
    st = res["settings"]
    L = ["## Beat on the unseen songs", "",
         "Each model dances each unseen song from 0 s"
         + (f" for {st['unseen_max_s']:g} s" if st.get("unseen_max_s") else "")
         + " (the dances of Table 2's unseen columns). Per song: BAS (Bailando, σ 0.05 s, every music beat) / beat "
         "alignment error over the beats danced (s; in brackets the paper's error over every beat where the dance "
         f"follows every second beat); ✓ when BAS >= {bs['bas_min']:g} and the danced error <= {bs['err_max']:g} s "
         "(`benchmarks/bench_beat_any_tempo.py`'s pass).", ""]
    if not bs["songs"] or not bs["models"]:
        return L + ["No unseen song or no available model." if not bs["songs"] else "No available model.", ""]
    L += ["| model | " + " | ".join(bs["songs"]) + " | passed | median BAS | median danced err (s) |",
          "|---" * (len(bs["songs"]) + 4) + "|"]
    first = None
    for n, v in bs["models"].items():
        first = first or v
        L.append(f"| {_label(res, n)} | " + " | ".join(
            f"{fmt(r['bas'], '.2f')} / {fmt(r.get('err_danced', r['err']), '.3f')}"
            + (f" ({fmt(r['err'], '.3f')})" if r.get("err_danced", r["err"]) != r["err"] else "")
            + f" {'✓' if r['pass'] else '✗'}" for r in v["songs"])
            + f" | {v['passed']}/{v['n']} | {fmt(v['median_bas'])} | {fmt(v['median_err'])} |")
    for n, s in res["models"].items():
        if n not in bs["models"] and _shown(s):
            L.append(f"| {s['label']} | {s['status']} |" + " |" * (len(bs["songs"]) + 2))
    L.append("| tempo found (BPM) | " + " | ".join(fmt(r["tempo"], ".1f") for r in first["songs"]) + " | | | |")
    L.append("| genre picked (auto, p) | " + " | ".join(f"{r['genre']} ({fmt(r['genre_p'], '.2f')})"
                                                    for r in first["songs"]) + " | | | |")
    return L + ["", "Tempo and genre come from the music (the same beat tracker and genre classifier for every "
                "model); the first model's are shown.", ""]


def md_figures(res) -> list[str]:
    figs = res.get("figures", {})
    models = res["models"]
    tr = res["training"]
    three = res.get("set") == "3d"
    L = ["## Figures", "", "### Training loss and time", "", f"![training]({figs.get('training', '')})", "",
         ("Left: each run's training objective (the log in its `last.pt`: Seq2Seq3D the mixture NLL, GAN the "
          "reconstruction, VQ reconstruction then cross entropy; the objectives differ). Right: `pos` (the "
          "comparison models' L1 position term; the VQ-VAE logs it in its first stage only) against training "
          "minutes. Epochs, steps and minutes from the model file's `info` (the bundled model has no log)."
          if three else
          "Left: each run's training objective (`loss` in TensorBoard; the models' objectives differ). Right: "
          "`train/pos` (L1 joint error in body units; the VQ-VAE logs it in its first stage only) against "
          "wall-clock minutes (TensorBoard event times; pauses over 10 min, i.e. interrupted runs, removed)."), "",
         f"| model | epochs | steps | minutes{'' if three else ' (TB)'} | last train loss | last val/pos |",
         "|---|---|---|---|---|---|"]
    for n, s in models.items():
        if not _shown(s) or n not in tr:
            continue
        t = tr[n]
        info = t["info"]
        last = t["curves"].get("loss", {}).get("value", [None])[-1:] or [info.get("final_nll")]
        vp = t["curves"].get("val/pos", {}).get("value", [None])[-1:] or [None]
        steps = info.get("global_step", info.get("steps", (t["curves"].get("loss", {}).get("step") or [None])[-1]))
        L.append(f"| {s['label']} | {info.get('epochs', '—')} | {steps if steps is not None else '—'} | "
                 f"{fmt(training_minutes(t), '.1f')} | {fmt(last[0], '.4f')} | {fmt(vp[0], '.4f')} |")
    bvl = res["beat_vs_length"]
    L += ["", "### Beat alignment error against music length", "",
          f"![beat vs length]({figs.get('beat_vs_length', '')})", "",
          f"Excerpts of the unseen songs ({', '.join(bvl['songs'])}) from 0 s, each length generated separately; "
          "mean over songs (s).", "",
          "| model | " + " | ".join(f"{x:g} s" for x in bvl["lengths_s"]) + " |",
          "|---" * (len(bvl["lengths_s"]) + 1) + "|"]
    L += [f"| {_label(res, n)} | " + " | ".join(fmt(x) for x in v["mean"]) + " |" for n, v in bvl["models"].items()]
    svl = res["smoothness_vs_length"]
    L += ["", "### Smoothness against sequence length", "",
          f"![smoothness vs length]({figs.get('smoothness_vs_length', '')})", "",
          "Mean acceleration (px/s²) of the first N frames, generated separately for each N on the unseen songs "
          f"({', '.join(svl['songs'])}, mean over songs); ground truth: the val takes' first N frames.", "",
          "| model | " + " | ".join(f"{x} fr" for x in svl["lengths_frames"]) + " |",
          "|---" * (len(svl["lengths_frames"]) + 1) + "|"]
    L += [f"| {_label(res, n)} | " + " | ".join(fmt(x, ".0f") for x in v["mean"]) + " |"
          for n, v in svl["models"].items()]
    L.append("| ground truth | " + " | ".join(fmt(x, ".0f") for x in svl["ground_truth"]) + " |")
    sp = res["ssim_psnr"]
    L += ["", "### SSIM and PSNR per genre", "", f"![ssim psnr]({figs.get('ssim_psnr', '')})", "",
          f"Pairs: {sp['pairs']}. Wrong song: {sp['wrong_song_pairs']}. SSIM and PSNR by scikit-image "
          "(SSIM: mean of the per-channel SSIMs, 11x11 Gaussian window, σ 1.5; PSNR: mean of per-frame dB). "
          "Mean over takes (number of takes).", ""]
    L += ssim_table(sp, lambda n: _label(res, n))
    L += ["", "### Rendered frames", "", f"![frames]({figs.get('frames', '')})", "",
          "The first val take: ground truth and the compared models at evenly spaced times (same song, same span).",
          ""]
    return L


def format_markdown(res: dict, compared=("full", "gan_stgcn", "vqvae_transformer")) -> str:
    """The report as Markdown (every number of ``res`` that a table or figure shows)."""
    t3 = compared if res.get("set") != "3d" else [n for n, s in res["models"].items() if _shown(s)]
    return "\n".join(md_header(res) + md_models(res) + md_expectations(res) + md_table2(res) + md_hgr(res)
                     + md_table3(res, t3) + md_realism(res) + md_beat_songs(res) + md_figures(res))


# ------------------------------------------------------------------------------------------ figures
def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path, plt) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def fig_training(training: dict, label, path: Path) -> str:
    plt = _plt()
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
    for i, (n, tr) in enumerate(training.items()):
        c = tr["curves"].get("loss")
        if c:   # a short log: its points marked
            ax[0].plot(c["step"], c["value"], color=_color(n, i), label=label(n), lw=1,
                       marker="o" if len(c["step"]) < 20 else None, ms=3)
        p = tr["curves"].get("train/pos")
        if p:
            ax[1].plot(p["minutes"], p["value"], color=_color(n, i), label=label(n), lw=1,
                       marker="o" if len(p["minutes"]) < 20 else None, ms=3)
    ax[0].set(xlabel="training step", ylabel="training objective (each model's own)", title="training loss")
    ax[1].set(xlabel="training time, minutes", ylabel="train/pos (L1 joint error, body units)",
              title="position loss against time")
    for a in ax:
        if a.get_lines():
            # log scale, unless a curve reaches zero or below (a mixture NLL does): then symmetric log
            ys = np.concatenate([np.asarray(ln.get_ydata(), float) for ln in a.get_lines()])
            if np.nanmin(ys) > 0:
                a.set_yscale("log")
            else:
                a.set_yscale("symlog", linthresh=0.1)
                a.axhline(0.0, color="0.7", lw=0.5)
            a.legend(fontsize=7)
        else:
            a.text(0.5, 0.5, "no such training logs found", ha="center", transform=a.transAxes)
    return _save(fig, path, plt)


def _sweep(plt, xs, models, label):
    fig, a = plt.subplots(figsize=(6, 4))
    for i, (n, v) in enumerate(models.items()):
        a.plot(xs, v["mean"], "o-", color=_color(n, i), label=label(n))
    return fig, a


def fig_beat_vs_length(bvl: dict, label, path: Path) -> str:
    plt = _plt()
    fig, a = _sweep(plt, bvl["lengths_s"], bvl["models"], label)
    a.set(xlabel="music length, s (excerpts from 0 s)", ylabel="beat alignment error, s",
          title="beat alignment error vs music length\n(unseen songs: %s)" % ", ".join(bvl["songs"]))
    if bvl["models"]:
        a.legend(fontsize=7)
    else:
        a.text(0.5, 0.5, "no model available", ha="center", transform=a.transAxes)
    return _save(fig, path, plt)


def fig_smoothness_vs_length(svl: dict, label, path: Path) -> str:
    plt = _plt()
    fig, a = _sweep(plt, svl["lengths_frames"], svl["models"], label)
    a.plot(svl["lengths_frames"], svl["ground_truth"], "s--", color="k", label="ground truth (val takes)")
    a.set(xlabel="sequence length, frames", ylabel="mean acceleration, px/s$^2$", title="smoothness vs sequence length")
    a.legend(fontsize=7)
    return _save(fig, path, plt)


def fig_ssim_psnr(sp: dict, label, path: Path) -> str:
    plt = _plt()
    sp = sp["models"]
    genres = sorted({t["genre"] for v in sp.values() for t in v["takes"]})
    fig, ax = plt.subplots(1, 2, figsize=(12, 4))
    names = list(sp)
    w = 0.8 / max(1, len(names))
    for k, key in enumerate(("ssim", "psnr")):
        for i, n in enumerate(names):
            vals = [sp[n][key].get(g, {}).get("mean", np.nan) for g in genres]
            vals = [v if np.isfinite(v) else np.nan for v in vals]      # PSNR inf (identical frames): no bar
            ax[k].bar(np.arange(len(genres)) + i * w, vals, w, color=_color(n, i), label=label(n))
        ax[k].set_xticks(np.arange(len(genres)) + w * (len(names) - 1) / 2, genres)
        ax[k].set(ylabel="SSIM" if key == "ssim" else "PSNR, dB", title=f"{key.upper()} per genre (val takes)")
        if key == "ssim":
            lo = np.nanmin([sp[n]["ssim"]["all"]["mean"] for n in names]) if names else 0.0
            ax[k].set_ylim(max(0.0, lo - 0.1), 1.0)
        if names:
            ax[k].legend(fontsize=7, loc="lower right")
    return _save(fig, path, plt)


def fig_frames(frames: dict | None, path: Path) -> str:
    from ...render.draw import render_frame

    plt = _plt()
    if not frames:
        fig, a = plt.subplots(figsize=(4, 2))
        a.text(0.5, 0.5, "no val take", ha="center", transform=a.transAxes)
        return _save(fig, path, plt)
    idx, rows = frames["indices"], frames["rows"]
    fig, ax = plt.subplots(len(rows), len(idx), figsize=(2.4 * len(idx), 1.5 * len(rows)), squeeze=False)
    for r, row in enumerate(rows):
        for c, i in enumerate(idx):
            a = ax[r][c]
            a.set_xticks([])
            a.set_yticks([])
            kp = row["keypoints"][c] if row["keypoints"] is not None else None
            if kp is not None:
                a.imshow(render_frame(np.asarray(kp, np.float32), tuple(row["canvas"]), (320, 180), grid=False))
            else:
                a.imshow(np.full((180, 320, 3), 235, np.uint8))
                a.text(160, 90, row["status"] if row["keypoints"] is None else "(ended)", ha="center", va="center",
                       fontsize=8)
            if c == 0:
                a.set_ylabel(textwrap.fill(row["label"], 24), fontsize=7)
            if r == 0:
                a.set_title(f"{frames['take']}  {frames['offset'] + i / frames['fps']:.1f} s", fontsize=7)
    return _save(fig, path, plt)


def write_figures(res: dict, out) -> dict:
    """The PNG figures of ``res`` in ``out``; returns ``{key: file name}``."""
    out = Path(out)

    def label(n):
        return _label(res, n)

    return {"training": fig_training(res["training"], label, out / "fig_training.png"),
            "beat_vs_length": fig_beat_vs_length(res["beat_vs_length"], label, out / "fig_beat_vs_length.png"),
            "smoothness_vs_length": fig_smoothness_vs_length(res["smoothness_vs_length"], label,
                                                             out / "fig_smoothness_vs_length.png"),
            "ssim_psnr": fig_ssim_psnr(res["ssim_psnr"], label, out / "fig_ssim_psnr_genre.png"),
            "frames": fig_frames(res.get("frames"), out / "fig_frames.png")}


def write_report(res: dict, out, compared=("full", "gan_stgcn", "vqvae_transformer")) -> dict:
    """``out/report.json``, ``out/report.md`` and the figures; sets and returns ``res["figures"]``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    res["figures"] = write_figures(res, out)
    (out / "report.json").write_text(json.dumps(to_json(res), indent=1, allow_nan=False))
    (out / "report.md").write_text(format_markdown(res, compared))
    return res["figures"]
