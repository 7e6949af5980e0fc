"""The paper's experiments as one command: ``dancegen report -o DIR [--set 2d|3d]``.

Two model sets (:data:`SETS`). ``2d`` (the default): the six saved 2D models
``MODELS_DIR/<run>/model.safetensors`` (:data:`MODELS`; plus the full run's snapshot at the
ablations' budget, ``default/at_35min``, when it exists). ``3d``: the 3D generator
(:data:`MODELS3D`): the bundled default ``dancegen/models/default3d.safetensors``, the full model
and the three ablations at one equal budget of 1,500 steps and the two 3D comparison models
(``MODELS_DIR/<run>/model.safetensors``; ``scripts/train_all3d.sh`` trains them into ``runs/``).
The models dir has no default (no option of the command defaults to a development folder). Each
model generates on the Dance with Melody val takes and on unseen songs, and the report is written
as ``DIR/report.md``, ``DIR/report.json`` and PNG figures. In the 3D set the real dances are the
3D takes on the reference skeleton filmed by the generator's default camera
(:func:`dancegen.evaluate.realism.real_dances3d`), and the report adds the realism figures
(``realism3d``), the beat figures per unseen song (``beat_songs``) and the 3D rules.

This module only composes: :mod:`dancegen.evaluate.experiments.runner` loads each model once and
generates each dance that an experiment asks for once (a :class:`~.experiments.runner.DanceSet`);
one module per table or figure turns the dances into plain data (``table2_ablation``,
``hgr_feedback``, ``table3_stance``, ``fig_beat_vs_length``, ``fig_smoothness_vs_length``,
``fig_ssim_psnr``, ``fig_training``, ``fig_frames``, and in the 3D set ``realism3d`` and
``beat_songs``); :mod:`.experiments.expectations` checks the paper's expectations on the numbers;
:mod:`.experiments.writer` writes Markdown, JSON and figures. A model whose file is absent is
reported as *missing* (with the command that makes it); one that does not load or does not
generate is reported as *not available* with the reason. Nothing is dropped silently. Metric
definitions: docs/metrics.md; the pairing conventions of each number: docs/report.md.
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import ConfigError, DataError
from .experiments import (beat_songs, expectations, fig_beat_vs_length, fig_frames, fig_smoothness_vs_length,
                          fig_ssim_psnr, fig_training, hgr_feedback, realism3d, table2_ablation, table3_stance, writer)
from .experiments.expectations import Expectation
from .experiments.common import song_name
from .experiments.runner import DanceSet, ModelEntry, Progress, Runner, load_model, real_span, run_experiments


@dataclass(frozen=True)
class ModelSpec:
    name: str          # key in the report
    run: str           # folder under the models dir (BUNDLED3D: the bundled 3D model file)
    label: str         # as in the paper's tables
    feedback: bool     # generate with the HGR online correction
    kind: str          # seq2seq | gan-stgcn | vqvae-transformer | seq2seq3d | gan-stgcn3d | vqvae-transformer3d
    optional: bool = False   # not listed as missing when absent
    train: str = "scripts/train_all.sh"   # the command that makes the file (named when it is missing)


#: ``ModelSpec.run`` of the bundled 3D model (``dancegen/models/default3d.safetensors``)
BUNDLED3D = "<bundled default3d>"

MODELS = (
    ModelSpec("full", "default", "Seq2Seq-HGR-EDG (full)", True, "seq2seq"),
    ModelSpec("full_35min", "default/at_35min", "full, at the ablations' 35-min budget", True, "seq2seq", True),
    ModelSpec("no_multiscale", "no_multiscale", "w/o multi-scale features", True, "seq2seq"),
    ModelSpec("no_attention", "no_attention", "w/o attention", True, "seq2seq"),
    ModelSpec("no_hgr", "no_hgr", "w/o HGR (no HGR losses, no feedback)", False, "seq2seq"),
    ModelSpec("gan_stgcn", "gan_stgcn", "GAN-ST-GCN", False, "gan-stgcn"),
    ModelSpec("vqvae_transformer", "vqvae_transformer", "Transformer-VQ-VAE", False, "vqvae-transformer"),
)
SPEC = {m.name: m for m in MODELS}
COMPARED = ("full", "gan_stgcn", "vqvae_transformer")    # Table 3, sweeps, SSIM/PSNR, frame grid
GLITCH_RATE = hgr_feedback.GLITCH_RATE   # HGR stress test: share of decoder steps given a fault (docs/hgr.md, 6b)


def _train3d(config: str) -> str:
    return f"scripts/train_all3d.sh (this model alone: .venv/bin/dancegen train --config configs/{config}.json -q)"


#: the 3D set: the bundled full model, the full model and the ablations at one budget of 1,500 steps
#: (configs/ablation3d_*.json), the comparison models at the same wall time (configs/gan3d.json,
#: configs/vq3d.json). Generated as the 2D set was: the HGR online loop on for the Seq2Seq models,
#: off for the HGR ablation (no HGR losses, no loop) and for the comparison models (the published
#: methods have none).
MODELS3D = (
    ModelSpec("full", BUNDLED3D, "Seq2Seq3D-HGR (full, bundled: 6,000 steps)", True, "seq2seq3d",
              train="bundled with dancegen (recipe: configs/default3d.json)"),
    ModelSpec("full_1500", "full3d_1500", "full, at the ablations' 1,500 steps", True, "seq2seq3d",
              train=_train3d("ablation3d_full")),
    ModelSpec("no_multiscale", "no_multiscale3d", "w/o multi-scale features (MFCC only)", True, "seq2seq3d",
              train=_train3d("ablation3d_no_multiscale")),
    ModelSpec("no_attention", "no_attention3d", "w/o attention", True, "seq2seq3d",
              train=_train3d("ablation3d_no_attention")),
    ModelSpec("no_hgr", "no_hgr3d", "w/o HGR (no HGR losses, no feedback)", False, "seq2seq3d",
              train=_train3d("ablation3d_no_hgr")),
    ModelSpec("gan_stgcn", "gan_stgcn3d", "GAN-ST-GCN (3D)", False, "gan-stgcn3d", train=_train3d("gan3d")),
    ModelSpec("vqvae_transformer", "vqvae_transformer3d", "Transformer-VQ-VAE (3D)", False, "vqvae-transformer3d",
              train=_train3d("vq3d")),
)
COMPARED3D = ("full", "full_1500", "gan_stgcn", "vqvae_transformer")


BEAT = ("beat_val", "beat_unseen", "bas_val")


def _expect(ours: tuple, ablation_ref: str, budget: str, three_d: bool) -> tuple:
    """The paper's expectations (:mod:`.experiments.expectations`): each of ``ours`` (``(name, what)``
    pairs) better than both comparison models on beat alignment and on FID; each ablation worse
    than the full model at the same budget (``ablation_ref``) on its module's target (multi-scale
    features: beat alignment; attention: FID_k and diversity; HGR: jerk and rule breaks)."""
    fid = ("fid_k", "fid_g", "fid_k_unseen") + (("realism_fid_k", "realism_fid_g") if three_d else ())
    out = ()
    for name, what in ours:
        comp = ((name, "gan_stgcn"), (name, "vqvae_transformer"))
        out += (Expectation(f"{what} beats both comparison models on beat alignment", comp, BEAT),
                Expectation(f"{what} beats both comparison models on FID", comp, fid))
    return out + (
        Expectation(f"w/o multi-scale features (MFCC only) is worse than the full model at {budget} on beat "
                    f"alignment", ((ablation_ref, "no_multiscale"),), BEAT),
        Expectation(f"w/o attention is worse than the full model at {budget} on FID_k and diversity",
                    ((ablation_ref, "no_attention"),),
                    ("fid_k", "div_k") + (("realism_fid_k", "realism_div_k") if three_d else ())),
        Expectation(f"w/o HGR is worse than the full model at {budget} on jerk and rule breaks",
                    ((ablation_ref, "no_hgr"),),
                    ("jerk", "jerk_unseen") + (("rule_breaks", "rule_breaks_unseen") if three_d else ())),
    )


@dataclass(frozen=True)
class ModelSet:
    """A set of models the report compares, and how."""
    name: str
    title: str
    models: tuple                  # ModelSpec, in table order
    compared: tuple                # sweeps, SSIM/PSNR, frame grid (and Table 3 in the 2D set)
    hgr_model: str                 # the model generated with the HGR online correction on and off
    expectations: tuple            # Expectation
    three_d: bool = False

    @property
    def spec(self) -> dict:
        return {m.name: m for m in self.models}


SET2D = ModelSet("2d", "the 2D generator", MODELS, COMPARED, "full",
                 _expect((("full", "ours (full)"),), "full_35min", "the ablations' 35-min budget", False))
SET3D = ModelSet("3d", "the 3D generator", MODELS3D, COMPARED3D, "full",
                 _expect((("full_1500", "ours at the comparison models' budget (full at 1,500 steps)"),
                          ("full", "ours as bundled (6,000 steps)")), "full_1500", "the same 1,500 steps", True),
                 three_d=True)
SETS = {s.name: s for s in (SET2D, SET3D)}


@dataclass
class ReportSettings:
    """Evaluation lengths. :meth:`quick_settings` is for tests (seconds, not minutes);
    :meth:`for_set` gives a model set's defaults."""
    val_takes: int | None = None                 # None: every val take
    val_max_s: float | None = None               # None: whole takes
    unseen_songs: int | None = None              # None: every song
    unseen_max_s: float | None = None            # None: whole songs
    beat_lengths_s: tuple = (10.0, 30.0, 50.0, 70.0, 90.0)    # music-length sweep (excerpts from 0 s)
    smooth_lengths: tuple = (100, 300, 500, 700, 900)         # sequence-length sweep, frames
    sweep_songs: int | None = None               # None: every unseen song
    fid_window_s: float = 8.0                    # as dancegen evaluate
    fid_hop_s: float = 4.0
    realism_window_s: float = 5.0                # the 3D realism figures (dancegen.evaluate.realism)
    realism_hop_s: float = 2.5
    ssim_every: int = 25                         # compare every n-th frame (1 s at 25 fps)
    ssim_size: tuple = (480, 270)
    grid_frames: int = 6
    seed: int = 0
    quick: bool = False

    @classmethod
    def quick_settings(cls, seed: int = 0) -> "ReportSettings":
        return cls(val_takes=2, val_max_s=6.0, unseen_songs=2, unseen_max_s=6.0, beat_lengths_s=(3.0, 6.0),
                   smooth_lengths=(25, 50), sweep_songs=1, fid_window_s=2.0, fid_hop_s=1.0, realism_window_s=2.0,
                   realism_hop_s=1.0, ssim_every=10, ssim_size=(160, 90), grid_frames=4, seed=seed, quick=True)

    @classmethod
    def for_set(cls, name: str = "2d", quick: bool = False, seed: int = 0) -> "ReportSettings":
        """The settings of model set ``name``. The 3D set (seven models, within 10 minutes on the
        2-core machine): whole val takes, the first 30 s of each unseen song (the 9 varied songs),
        the two sweeps on the first two songs at lengths that share the 30-s dances (10, 30, 60 s;
        100, 250, 500, 750 frames)."""
        if quick:
            return cls.quick_settings(seed)
        if name == "3d":
            return cls(unseen_max_s=30.0, beat_lengths_s=(10.0, 30.0, 60.0), smooth_lengths=(100, 250, 500, 750),
                       sweep_songs=2, seed=seed)
        return cls(seed=seed)


#: model file names of a run folder, newest format first (``model.pt``: the legacy format, read weights-only)
RUN_MODEL_FILES = ("model.safetensors", "model.pt")


def _checkpoint_step(path: Path) -> str:
    """``" at step N"`` of a 3D run's ``last.pt`` (its JSON training state), or ``""``."""
    import json

    try:
        import torch

        return f" at step {json.loads(torch.load(path, map_location='cpu', weights_only=True)['state'])['step']}"
    except Exception:       # unreadable while being written, or foreign: the step is only a hint
        return ""


def find_models(models_dir, model_set: ModelSet | str = "2d", paths: dict | None = None) -> dict:
    """Status of every model of ``model_set`` (:data:`SETS`) under ``models_dir`` (nothing is loaded
    here); ``paths`` (``{name: file}``) replaces the file of those models.

    Returns ``{name: {"path", "status", "reason"}}``; ``status`` is ``"found"`` (``model.safetensors``,
    or a legacy ``model.pt``; the bundled file for the 3D full model), ``"checkpoint"`` (no model
    file yet, but a 2D ``last.ckpt`` to try: training unfinished) or ``"missing"`` (with the command
    that trains it; a 3D run with only its ``last.pt`` is training or was stopped)."""
    ms = SETS[model_set] if isinstance(model_set, str) else model_set
    paths = dict(paths or {})
    unknown = sorted(set(paths) - set(ms.spec))
    if unknown:
        raise ConfigError(f"--model {unknown[0]}=...: no such model in the {ms.name} set; use one of "
                          f"{', '.join(ms.spec)}")
    out = {}
    for m in ms.models:
        if m.name in paths or m.run == BUNDLED3D:
            if m.name in paths:
                p = Path(paths[m.name])
            else:
                from ..model.bundle3d import DEFAULT_MODEL3D as p
            out[m.name] = ({"path": str(p), "status": "found", "reason": ""} if p.is_file() else
                           {"path": str(p), "status": "missing", "reason": f"not found (make it: {m.train})"})
            continue
        run = Path(models_dir) / m.run
        found = next((run / f for f in RUN_MODEL_FILES if (run / f).exists()), None)
        if found is not None:
            out[m.name] = {"path": str(found), "status": "found", "reason": ""}
        elif (run / "last.ckpt").exists():
            out[m.name] = {"path": str(run / "last.ckpt"), "status": "checkpoint",
                           "reason": "no model.safetensors yet, read from last.ckpt: training unfinished"}
        elif (run / "last.pt").exists():
            out[m.name] = {"path": str(run / RUN_MODEL_FILES[0]), "status": "missing",
                           "reason": f"no model.safetensors yet: training under way or stopped (last.pt"
                                     f"{_checkpoint_step(run / 'last.pt')}); finish it: {m.train}"}
        else:
            out[m.name] = {"path": str(run / RUN_MODEL_FILES[0]), "status": "missing",
                           "reason": f"not found (train it: {m.train})"}
    return out


def model_entries(models_dir, model_set: ModelSet | str = "2d", paths: dict | None = None) -> dict[str, ModelEntry]:
    """:func:`find_models` as :class:`ModelEntry` values, with the labels and settings of the set."""
    ms = SETS[model_set] if isinstance(model_set, str) else model_set
    found = find_models(models_dir, ms, paths)
    return {m.name: ModelEntry(m.name, m.label, found[m.name]["path"], m.feedback, m.kind, found[m.name]["status"],
                               found[m.name]["reason"], m.optional, train=m.train) for m in ms.models}


def _git_commit() -> str:
    try:
        r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                           cwd=Path(__file__).resolve().parents[2])
        return r.stdout.strip() or "?"
    except Exception:
        return "?"


def _check_val(root, val):
    if len(val) < 2:
        raise DataError(f"{root}: {len(val)} validation take(s); the report needs at least two (the wrong-song "
                        f"reference pairs take i with take i+1's music): list them in splits/val.txt, or in "
                        f"val.txt for a folder of .npz dances")


def _load_clips(data):
    """(train clips, val clips) from a Dance with Melody folder or a folder of dance ``.npz`` files
    with a ``val.txt`` (:func:`dancegen.train.run.load_clips`)."""
    from ..train.run import load_clips

    root = Path(data)
    if not root.is_dir():
        raise DataError(f"{root}: data folder not found; pass --data pointing at a Dance with Melody folder")
    train, val = load_clips(root, progress=False)
    _check_val(root, val)
    return train, val


def _load_clips3d(data, models: dict):
    """(train, val) real 3D dances (:func:`dancegen.evaluate.realism.real_dances3d`) on the reference
    skeleton of the first loaded 3D model of ``models`` (None when none loaded: the takes' own)."""
    from .realism import real_dances3d

    root = Path(data)
    if not root.is_dir():
        raise DataError(f"{root}: data folder not found; pass --data pointing at a Dance with Melody folder")
    ref = next((m.ref3d for m in models.values() if m.ok and m.ref3d is not None), None)
    train, val = real_dances3d(root, ref)
    _check_val(root, val)
    return train, val


def plan(dances: DanceSet, st: ReportSettings, model_set: ModelSet | str = "2d") -> list:
    """Every experiment of the report as ``(result key, module, keyword arguments)``, in order."""
    ms = SETS[model_set] if isinstance(model_set, str) else model_set
    sweep = dances.songs[: st.sweep_songs] if st.sweep_songs else list(dances.songs)
    out = [
        ("table2", table2_ablation, dict(window_s=st.fid_window_s, hop_s=st.fid_hop_s)),
        ("hgr_feedback", hgr_feedback, dict(model=ms.hgr_model, glitch_rate=GLITCH_RATE)),
        ("table3", table3_stance, {}),                   # every model; the 2D Markdown shows the compared ones
    ]
    if ms.three_d:
        out += [("realism", realism3d, dict(window_s=st.realism_window_s, hop_s=st.realism_hop_s)),
                ("beat_songs", beat_songs, {})]
    return out + [
        ("beat_vs_length", fig_beat_vs_length, dict(names=ms.compared, lengths_s=st.beat_lengths_s, songs=sweep)),
        ("smoothness_vs_length", fig_smoothness_vs_length,
         dict(names=ms.compared, lengths=st.smooth_lengths, songs=sweep)),
        ("ssim_psnr", fig_ssim_psnr, dict(names=ms.compared, every=st.ssim_every, size=st.ssim_size)),
        ("training", fig_training, {}),
        ("frames", fig_frames, dict(names=ms.compared, n_frames=st.grid_frames)),
    ]


#: the files ``build_report`` writes into its folder (written together: all new or all as they were)
REPORT_FILES = ("report.md", "report.json", "fig_training.png", "fig_beat_vs_length.png",
                "fig_smoothness_vs_length.png", "fig_ssim_psnr_genre.png", "fig_frames.png")


def report_outputs(out_dir, force: bool = False):
    """The :class:`~dancegen.fileio.OutputSet` of a report folder (:data:`REPORT_FILES`)."""
    from ..fileio import OutputSet

    out = Path(out_dir)
    return OutputSet([out / n for n in REPORT_FILES], force=force, folder=out)


def build_report(out_dir, models_dir, data, music=(),
                 settings: ReportSettings | None = None, progress: bool = True, force: bool = False,
                 command: str = "", runner: Runner | None = None, model_set: ModelSet | str = "2d",
                 paths: dict | None = None) -> dict:
    """Run every experiment of ``model_set`` (:data:`SETS`; ``paths``: ``{name: model file}``
    replacing files of the set) and write ``out_dir/report.md``, ``report.json`` and the figures
    (:data:`REPORT_FILES`, staged and moved into place together at the end). Returns the result
    (the JSON's content before non-finite numbers become null). Raises
    :class:`~dancegen.errors.OutputError` before any work if the report exists and not ``force``
    (or the folder cannot be written), :class:`DataError` / :class:`AudioError` for unreadable data
    or music."""
    ms = SETS[model_set] if isinstance(model_set, str) else model_set
    st = settings or ReportSettings.for_set(ms.name)
    music = [str(m) for m in music]
    for m in music:
        if not Path(m).is_file():
            raise ConfigError(f"{m}: music file not found; pass existing files to --music")
    entries = model_entries(models_dir, ms, paths)     # an unknown --model name: an error before any work
    outputs = report_outputs(out_dir, force).check()
    with outputs:  # locked from here: a second report into the folder fails at once
        t_start = time.time()
        songs = music[: st.unseen_songs] if st.unseen_songs else list(music)
        bar = Progress(len(plan(DanceSet(val=[]), st, ms)) + 3, progress)
        runner = runner or Runner()
        runner.progress = bar
        timings = {}
        try:
            models = runner.load(entries)
            bar.step("models")
            timings["load_models_s"] = round(time.time() - t_start, 1)
            t = time.time()
            train_clips, val_clips = _load_clips3d(data, models) if ms.three_d else _load_clips(data)
            if st.val_takes:
                val_clips = val_clips[: max(2, st.val_takes)]
            bar.step("data")
            timings["load_data_s"] = round(time.time() - t, 1)
            dances = DanceSet(val=[real_span(c, st.val_max_s) for c in val_clips], train=list(train_clips),
                              songs=songs, models=models, seed=st.seed, unseen_max_s=st.unseen_max_s)
            res = {"set": ms.name, "set_title": ms.title, "command": command,
                   "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                   "git_commit": _git_commit(), "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, "
                   f"Python {platform.python_version()}", "models_dir": str(models_dir), "data": str(data),
                   "music": songs,
                   "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(st).items()},
                   "val_takes": [{"take": d.name, "genre": d.genre, "seconds": round(d.duration, 2)}
                                 for d in dances.val]}
            results = run_experiments(dances, runner, plan(dances, st, ms))
            timings.update(runner.timings)
            res["models"] = {n: m.as_json() for n, m in dances.models.items()}
            res.update(results)
            res["expectations"] = expectations.check(res, res["models"], ms.expectations)
            res["seconds"] = round(time.time() - t_start, 1)
            res["timings"] = timings
            stage = outputs.path("report.md").parent   # the staging folder: moved into place by commit()
            writer.write_report(res, stage, ms.compared)
            outputs.commit()
            bar.step("written")
        finally:
            bar.close()
    return res


format_markdown = writer.format_markdown
write_figures = writer.write_figures

__all__ = ["MODELS", "MODELS3D", "COMPARED", "COMPARED3D", "BUNDLED3D", "GLITCH_RATE", "ModelSpec", "ModelSet",
           "SETS", "SET2D", "SET3D", "ReportSettings", "find_models", "model_entries", "load_model", "plan",
           "run_experiments", "build_report", "report_outputs", "REPORT_FILES", "format_markdown", "write_figures",
           "song_name"]
