"""The paper's experiments as one command: ``dancegen report -o DIR``.

Reads the six saved models ``MODELS_DIR/<run>/model.safetensors`` (:data:`MODELS`; plus the full run's
snapshot at the ablations' budget, ``default/at_35min``, when it exists), generates with each on
the Dance with Melody val takes and on unseen songs, and writes ``DIR/report.md``,
``DIR/report.json`` and PNG figures.

This module only composes: :mod:`dancegen.evaluate.experiments.runner` loads each model once and
generates each dance that an experiment asks for once (a :class:`~.experiments.runner.DanceSet`);
one module per table or figure turns the dances into plain data (``table2_ablation``,
``hgr_feedback``, ``table3_stance``, ``fig_beat_vs_length``, ``fig_smoothness_vs_length``,
``fig_ssim_psnr``, ``fig_training``, ``fig_frames``); :mod:`.experiments.writer` writes Markdown,
JSON and figures. A model whose file is absent is reported as *missing*; one that does not load or
does not generate is reported as *not available* with the reason. Nothing is dropped silently.
Metric definitions: docs/metrics.md; the pairing conventions of each number: docs/report.md.
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
from .experiments import (fig_beat_vs_length, fig_frames, fig_smoothness_vs_length, fig_ssim_psnr, fig_training,
                          hgr_feedback, table2_ablation, table3_stance, writer)
from .experiments.common import song_name
from .experiments.runner import DanceSet, ModelEntry, Progress, Runner, load_model, real_span, run_experiments


@dataclass(frozen=True)
class ModelSpec:
    name: str          # key in the report
    run: str           # folder under the models dir
    label: str         # as in the paper's tables
    feedback: bool     # generate with the HGR online correction
    kind: str          # seq2seq | gan-stgcn | vqvae-transformer
    optional: bool = False   # not listed as missing when absent


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


@dataclass
class ReportSettings:
    """Evaluation lengths. :meth:`quick_settings` is for tests (seconds, not minutes)."""
    val_takes: int | None = None                 # None: every val take
    val_max_s: float | None = None               # None: whole takes
    unseen_songs: int | None = None              # None: every song
    unseen_max_s: float | None = None            # None: whole songs
    beat_lengths_s: tuple = (10.0, 30.0, 50.0, 70.0, 90.0)    # music-length sweep (excerpts from 0 s)
    smooth_lengths: tuple = (100, 300, 500, 700, 900)         # sequence-length sweep, frames
    sweep_songs: int | None = None               # None: every unseen song
    fid_window_s: float = 8.0                    # as dancegen evaluate
    fid_hop_s: float = 4.0
    ssim_every: int = 25                         # compare every n-th frame (1 s at 25 fps)
    ssim_size: tuple = (480, 270)
    grid_frames: int = 6
    seed: int = 0
    quick: bool = False

    @classmethod
    def quick_settings(cls, seed: int = 0) -> "ReportSettings":
        return cls(val_takes=2, val_max_s=6.0, unseen_songs=2, unseen_max_s=6.0, beat_lengths_s=(3.0, 6.0),
                   smooth_lengths=(25, 50), sweep_songs=1, fid_window_s=2.0, fid_hop_s=1.0, ssim_every=10,
                   ssim_size=(160, 90), grid_frames=4, seed=seed, quick=True)


#: model file names of a run folder, newest format first (``model.pt``: the legacy format, read weights-only)
RUN_MODEL_FILES = ("model.safetensors", "model.pt")


def find_models(models_dir) -> dict:
    """Status of every model of :data:`MODELS` under ``models_dir`` (nothing is loaded here).

    Returns ``{name: {"path", "status", "reason"}}``; ``status`` is ``"found"`` (``model.safetensors``,
    or a legacy ``model.pt``), ``"checkpoint"`` (no model file yet, but a ``last.ckpt`` to try:
    training unfinished) or ``"missing"``."""
    out = {}
    for m in MODELS:
        run = Path(models_dir) / m.run
        found = next((run / f for f in RUN_MODEL_FILES if (run / f).exists()), None)
        if found is not None:
            out[m.name] = {"path": str(found), "status": "found", "reason": ""}
        elif (run / "last.ckpt").exists():
            out[m.name] = {"path": str(run / "last.ckpt"), "status": "checkpoint",
                           "reason": "no model.safetensors yet, read from last.ckpt: training unfinished"}
        else:
            out[m.name] = {"path": str(run / RUN_MODEL_FILES[0]), "status": "missing",
                           "reason": "not found (train it: scripts/train_all.sh)"}
    return out


def model_entries(models_dir) -> dict[str, ModelEntry]:
    """:func:`find_models` as :class:`ModelEntry` values, with the labels and settings of :data:`MODELS`."""
    found = find_models(models_dir)
    return {m.name: ModelEntry(m.name, m.label, found[m.name]["path"], m.feedback, m.kind, found[m.name]["status"],
                               found[m.name]["reason"], m.optional) for m in MODELS}


def _git_commit() -> str:
    try:
        r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                           cwd=Path(__file__).resolve().parents[2])
        return r.stdout.strip() or "?"
    except Exception:
        return "?"


def _load_clips(data):
    """(train clips, val clips) from a Dance with Melody folder or a folder of dance ``.npz`` files
    with a ``val.txt`` (:func:`dancegen.train.run.load_clips`)."""
    from ..train.run import load_clips

    root = Path(data)
    if not root.is_dir():
        raise DataError(f"{root}: data folder not found; pass --data pointing at a Dance with Melody folder")
    train, val = load_clips(root, progress=False)
    if len(val) < 2:
        raise DataError(f"{root}: {len(val)} validation take(s); the report needs at least two (the wrong-song "
                        f"reference pairs take i with take i+1's music): list them in splits/val.txt, or in "
                        f"val.txt for a folder of .npz dances")
    return train, val


def plan(dances: DanceSet, st: ReportSettings) -> list:
    """Every experiment of the report as ``(result key, module, keyword arguments)``, in order."""
    sweep = dances.songs[: st.sweep_songs] if st.sweep_songs else list(dances.songs)
    return [
        ("table2", table2_ablation, dict(window_s=st.fid_window_s, hop_s=st.fid_hop_s)),
        ("hgr_feedback", hgr_feedback, dict(model="full", glitch_rate=GLITCH_RATE)),
        ("table3", table3_stance, {}),                   # every model; the Markdown shows COMPARED
        ("beat_vs_length", fig_beat_vs_length, dict(names=COMPARED, lengths_s=st.beat_lengths_s, songs=sweep)),
        ("smoothness_vs_length", fig_smoothness_vs_length,
         dict(names=COMPARED, lengths=st.smooth_lengths, songs=sweep)),
        ("ssim_psnr", fig_ssim_psnr, dict(names=COMPARED, every=st.ssim_every, size=st.ssim_size)),
        ("training", fig_training, {}),
        ("frames", fig_frames, dict(names=COMPARED, n_frames=st.grid_frames)),
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
                 command: str = "", runner: Runner | None = None) -> dict:
    """Run every experiment and write ``out_dir/report.md``, ``report.json`` and the figures
    (:data:`REPORT_FILES`, staged and moved into place together at the end). Returns the result
    (the JSON's content before non-finite numbers become null). Raises
    :class:`~dancegen.errors.OutputError` before any work if the report exists and not ``force``
    (or the folder cannot be written), :class:`DataError` / :class:`AudioError` for unreadable data
    or music."""
    st = settings or ReportSettings()
    music = [str(m) for m in music]
    for m in music:
        if not Path(m).is_file():
            raise ConfigError(f"{m}: music file not found; pass existing files to --music")
    outputs = report_outputs(out_dir, force).check()
    with outputs:  # locked from here: a second report into the folder fails at once
        t_start = time.time()
        train_clips, val_clips = _load_clips(data)
        if st.val_takes:
            val_clips = val_clips[: max(2, st.val_takes)]
        songs = music[: st.unseen_songs] if st.unseen_songs else list(music)

        bar = Progress(len(plan(DanceSet(val=[]), st)) + 2, progress)
        runner = runner or Runner()
        runner.progress = bar
        try:
            models = runner.load(model_entries(models_dir))
            bar.step("models")
            dances = DanceSet(val=[real_span(c, st.val_max_s) for c in val_clips], train=list(train_clips),
                              songs=songs, models=models, seed=st.seed, unseen_max_s=st.unseen_max_s)
            res = {"command": command, "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                   "git_commit": _git_commit(), "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, "
                   f"Python {platform.python_version()}", "models_dir": str(models_dir), "data": str(data),
                   "music": songs,
                   "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(st).items()},
                   "val_takes": [{"take": d.name, "genre": d.genre, "seconds": round(d.duration, 2)}
                                 for d in dances.val]}
            results = run_experiments(dances, runner, plan(dances, st))
            res["models"] = {n: m.as_json() for n, m in dances.models.items()}
            res.update(results)
            res["seconds"] = round(time.time() - t_start, 1)
            stage = outputs.path("report.md").parent   # the staging folder: moved into place by commit()
            writer.write_report(res, stage, COMPARED)
            outputs.commit()
            bar.step("written")
        finally:
            bar.close()
    return res


format_markdown = writer.format_markdown
write_figures = writer.write_figures

__all__ = ["MODELS", "COMPARED", "GLITCH_RATE", "ModelSpec", "ReportSettings", "find_models", "model_entries",
           "load_model", "plan", "run_experiments", "build_report", "report_outputs", "REPORT_FILES", "format_markdown", "write_figures", "song_name"]
