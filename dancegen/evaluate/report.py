"""The paper's experiments as one command: ``dancegen report -o DIR``.

Reads the six saved models ``MODELS_DIR/<run>/model.safetensors`` (:data:`MODELS`; plus the full run's
snapshot at the ablations' budget, ``default/at_35min``, when it exists), generates with each on
the Dance with Melody val takes and on unseen songs, and writes ``DIR/report.md``,
``DIR/report.json`` and PNG figures (matplotlib, Agg):

* **Table 2** (ablation and comparison): beat alignment error (s), free-running joint position error
  (px), smoothness (mean acceleration, px/s^2), FID_k, genre accuracy, decoder ms/frame on the val
  split; beat alignment error and FID_k on the unseen songs. Reference rows: the ground truth and
  the ground truth paired with the wrong song (chance level).
* **Table 3**: mean symmetry per stance (:mod:`dancegen.metrics.stance`) of the full model, the two
  comparison models and the ground truth on the val split.
* **HGR feedback**: the full model generated with and without the online HGR correction: bone
  deviation (:func:`dancegen.feedback.structure.bone_deviation`), jerk, beat alignment error.
* **Figures** (like the paper's 8-12): training loss and time (TensorBoard events and
  ``train_info.json`` of each run), beat alignment error against music length, smoothness against
  sequence length, SSIM/PSNR of rendered frames per genre, and rendered frames side by side.

Every model goes through :func:`dancegen.model.generate.generate_dance` with the bundle that
:func:`load_model` reads. A model whose file is absent is reported as *missing*; one that does not
load or does not generate is reported as *not available* with the reason. Nothing is dropped
silently. Metric definitions: :mod:`dancegen.evaluate.quality` and docs/metrics.md; the pairing
conventions of each number: docs/report.md.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DanceGenError, DataError


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
COMPARED = ("full", "gan_stgcn", "vqvae_transformer")
GLITCH_RATE = 0.02   # HGR stress test: share of decoder steps given a fault (docs/hgr.md, section 6b)   # Table 3, sweeps, SSIM/PSNR, frame grid


@dataclass
class ReportSettings:
    """Evaluation lengths. :meth:`quick` is for tests (seconds, not minutes)."""
    val_takes: int | None = None                 # None: every val take
    val_max_s: float | None = None               # None: whole takes
    unseen_songs: int | None = None              # None: every song
    unseen_max_s: float | None = None            # None: whole songs
    beat_lengths_s: tuple = (10.0, 30.0, 50.0, 70.0, 90.0)    # music-length sweep (excerpts from 0 s)
    smooth_lengths: tuple = (100, 300, 500, 700, 900)         # sequence-length sweep, frames
    sweep_songs: int | None = None               # None: every unseen song
    fid_window_s: float = 8.0                    # as dancegen.evaluate.quality
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


# ------------------------------------------------------------------------------------------ models
def load_model(path):
    """A generator bundle from a model file, of the class its kind names
    (:meth:`dancegen.model.bundle.ModelBundle.load`); :class:`ModelError` when it cannot be read."""
    from ..model.bundle import ModelBundle

    return ModelBundle.load(path)


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


def generate(bundle, music, start: float, duration: float | None, feedback: bool, seed: int, genre=None,
             glitch_rate: float = 0.0):
    """One generation through :func:`dancegen.model.generate.generate_dance`; returns
    ``(dance, decoder ms/frame)``. ``glitch_rate``: the HGR stress test (faults put into the raw
    decoder output, :func:`dancegen.model.generate.glitch_pose`)."""
    from ..model.generate import GenerateOptions, generate_dance

    opts = GenerateOptions(start=start, duration=duration, seed=seed, genre=genre, feedback=feedback,
                           progress=False, glitch_rate=glitch_rate)
    d = generate_dance(music, bundle, opts)
    return d, float(opts.timings.get("ms_per_frame", float("nan")))


# ------------------------------------------------------------------------------------------ metrics
def set_metrics(gen_dances, real_dances, window_s: float = 8.0, hop_s: float = 4.0) -> dict:
    """FID_k, FID_g and diversity of ``gen_dances`` against ``real_dances`` on windows of
    ``window_s`` seconds every ``hop_s`` (features standardised on the real windows; as
    :func:`dancegen.evaluate.quality.set_metrics`, whose windows are 8 s / 4 s). ``nan`` values and
    a ``"note"`` when there are too few windows for a covariance."""
    from ..metrics import diversity, frechet_distance, normalize_features
    from ..metrics.classify import window_features

    import warnings

    from scipy.linalg import LinAlgWarning

    out = {}
    for kind, short in (("kinetic", "k"), ("geometric", "g")):
        try:
            g = np.concatenate([window_features(d.keypoints, d.fps, window_s, hop_s, kind=kind) for d in gen_dances])
            r = np.concatenate([window_features(d.keypoints, d.fps, window_s, hop_s, kind=kind) for d in real_dances])
            rn, gn = normalize_features(r, g)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", LinAlgWarning)
                out[f"fid_{short}"] = float(frechet_distance(gn, rn))
            if any(issubclass(w.category, LinAlgWarning) for w in caught):
                out[f"note_{short}"] = (f"singular covariance ({len(g)} generated, {len(r)} real windows of "
                                        f"{g.shape[1]} features): FID_{short} is less accurate")
            out[f"div_{short}"] = float(diversity(gn))
            out[f"div_{short}_real"] = float(diversity(rn))
            out["windows"], out["windows_real"] = int(len(g)), int(len(r))
        except (DanceGenError, ValueError) as e:
            out.update({f"fid_{short}": float("nan"), f"div_{short}": float("nan"), f"div_{short}_real": float("nan"),
                        "note": str(e)})
    return out


def dance_row(kp, fps, offset, music_beats, canvas, ref_px=None) -> dict:
    """:func:`dancegen.evaluate.quality.dance_metrics`, with ``nan`` beat numbers (and a note) when
    the span holds no music beat."""
    from ..metrics import smoothness
    from .quality import bone_stats, dance_metrics, on_canvas

    try:
        return dance_metrics(kp, fps, offset, music_beats, canvas, ref_px)
    except DataError as e:
        s = smoothness(kp, fps)
        row = {"beat_alignment_error": float("nan"), "bas_bailando": float("nan"), "bas_fact": float("nan"),
               "speed": s["speed"], "acceleration": s["acceleration"], "jerk": s["jerk"],
               "on_canvas": on_canvas(kp, canvas), "note": str(e)}
        row.update(bone_stats(kp, ref_px))
        return row


def mean_rows(rows: list[dict]) -> dict:
    """Mean of every numeric field over rows (non-finite values are left out; ``nan`` if none)."""
    if not rows:
        return {}
    keys = [k for k in rows[0] if isinstance(rows[0][k], (int, float)) and not isinstance(rows[0][k], bool)]
    out = {}
    for k in keys:
        v = np.asarray([r.get(k, np.nan) for r in rows], np.float64)
        v = v[np.isfinite(v)]
        out[k] = float(v.mean()) if v.size else float("nan")
    return out


def weighted_symmetry(results: list[dict]) -> dict:
    """Combine :func:`dancegen.metrics.symmetry_per_stance` results of several dances: per stance the
    frame-weighted mean symmetry, total frames and share of all frames."""
    from ..metrics import STANCES

    total = sum(r["all"]["frames"] for r in results)
    out = {}
    for name in STANCES + ("all",):
        n = sum(r[name]["frames"] for r in results)
        s = sum(r[name]["symmetry"] * r[name]["frames"] for r in results if r[name]["frames"])
        out[name] = {"symmetry": float(s / n) if n else float("nan"), "frames": int(n),
                     "share": float(n / total) if total else float("nan")}
    return out


def mean_bone_deviation(kp, ref_px) -> float:
    """Mean over frames of :func:`dancegen.feedback.structure.bone_deviation` (paper Eq. 4)."""
    from ..feedback.structure import bone_deviation

    return float(np.mean(bone_deviation(kp, ref_px)))


# ------------------------------------------------------------------------------------------ training logs
def _minutes(training: dict) -> float:
    """Training minutes of a run: from TensorBoard, else ``train_info.json``'s ``train_minutes`` (a
    snapshot, which has no logs of its own)."""
    m = training.get("minutes", float("nan"))
    if m is None or not np.isfinite(m):
        m = training.get("info", {}).get("train_minutes", float("nan"))
    return m


def read_training(run_dir, gap_s: float = 600.0) -> dict:
    """Training curves and facts of a run folder: TensorBoard scalars of ``tb/version_0`` (read with
    tensorboard's ``EventAccumulator``) and ``train_info.json``.

    Returns ``{"curves": {tag: {"step": [...], "value": [...], "minutes": [...]}}, "minutes": total,
    "info": {...}}``; ``minutes`` is the elapsed wall-clock time of the logged steps, summed over
    consecutive events, where a pause longer than ``gap_s`` (an interrupted and resumed run) counts
    as zero. Empty dicts when the run has no logs."""
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
        for e in sorted(ev, key=lambda e: e.wall_time):  # a resumed run logs its steps again: keep the latest
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


# ------------------------------------------------------------------------------------------ the report
class _Bar:
    """A tqdm bar on stderr (or nothing)."""

    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="report", unit="step", file=sys.stderr, mininterval=0.5)

    def step(self, desc: str | None = None, n: int = 1):
        if self.bar is not None:
            if desc:
                self.bar.set_description(f"report: {desc}"[:60])
            self.bar.update(n)

    def shrink(self, n: int):
        """``n`` planned steps will not happen (a model that failed)."""
        if self.bar is not None and n > 0:
            self.bar.total = max(self.bar.n, self.bar.total - n)
            self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _song_name(path) -> str:
    p = Path(path)
    return p.parent.name if p.stem == "song" else p.stem


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
                 command: str = "") -> dict:
    """Run every experiment and write ``out_dir/report.md``, ``report.json`` and the figures
    (:data:`REPORT_FILES`, staged and moved into place together at the end). Returns the JSON-able
    result. Raises :class:`~dancegen.errors.OutputError` before any work if the report exists and
    not ``force`` (or the folder cannot be written), :class:`DataError` / :class:`AudioError` for
    unreadable data or music."""
    outputs = report_outputs(out_dir, force).check()
    with outputs:  # locked from here: a second report into the folder fails at once
        return _build_report(outputs, models_dir, data, music, settings or ReportSettings(), progress, command)


def _build_report(outputs, models_dir, data, music, st: ReportSettings, progress: bool, command: str) -> dict:
    music = [str(m) for m in music]
    for m in music:
        if not Path(m).is_file():
            raise ConfigError(f"{m}: music file not found; pass existing files to --music")
    t_start = time.time()
    train_clips, val_clips = _load_clips(data)
    if st.val_takes:
        val_clips = val_clips[: max(2, st.val_takes)]
    songs = music[: st.unseen_songs] if st.unseen_songs else list(music)
    sweep_songs = songs[: st.sweep_songs] if st.sweep_songs else list(songs)

    res = {"command": command, "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "git_commit": _git_commit(), "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, "
           f"Python {platform.python_version()}", "models_dir": str(models_dir), "data": str(data),
           "music": songs, "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(st).items()},
           "val_takes": [{"take": c.name, "genre": c.genre, "seconds": round(_dur(c, st), 2)} for c in val_clips]}

    # ---- models: find and load
    status = find_models(models_dir)
    bundles = {}
    for m in MODELS:
        s = status[m.name]
        s.update(label=m.label, kind=m.kind, feedback=m.feedback)
        if s["status"] == "missing":
            continue
        try:
            bundles[m.name] = load_model(s["path"])
            s["status"] = "ok" if s["status"] == "found" else "ok (last.ckpt)"  # reason kept: unfinished
        except DanceGenError as e:
            unfinished = "no model.safetensors (training unfinished?); " if s["status"] == "checkpoint" else ""
            s["status"], s["reason"] = "not available", f"{unfinished}does not load: {e}"
    res["models"] = status

    total = 9 + len(val_clips) + sum(_model_steps(n, st, len(val_clips), len(songs), len(sweep_songs))
                                 for n in bundles)
    bar = _Bar(total, progress)
    try:
        _run_all(res, st, bundles, status, train_clips, val_clips, songs, sweep_songs, models_dir, bar)
        res["seconds"] = round(time.time() - t_start, 1)
        stage = outputs.path("report.md").parent   # the staging folder: moved into place by commit()
        res["figures"] = write_figures(res, stage, bar)
        res["seconds"] = round(time.time() - t_start, 1)
        (stage / "report.json").write_text(json.dumps(_jsonable(res), indent=1, allow_nan=False))
        (stage / "report.md").write_text(format_markdown(res))
        outputs.commit()
        bar.step("written")
    finally:
        bar.close()
    return res


def _model_steps(name, st, n_val, n_unseen, n_sweep) -> int:
    """Progress-bar steps planned for one model."""
    n = n_val + n_unseen
    if name == "full":
        n += n_val + n_unseen + 2 * n_val                       # without feedback; glitch stress test
    if name in COMPARED:
        n += n_sweep * (len(st.beat_lengths_s) + len(st.smooth_lengths)) + n_val   # sweeps, SSIM
    return n


def _dur(clip, st: ReportSettings) -> float:
    return clip.duration if st.val_max_s is None else min(clip.duration, st.val_max_s)


def _run_all(res, st, bundles, status, train_clips, val_clips, songs, sweep_songs, models_dir, bar):
    from ..audio.beats import beats_for_file
    from ..audio.io import audio_duration
    from ..dance import Dance
    from ..metrics import GenreClassifier, genre_accuracy, joint_position_error, smoothness, symmetry_per_stance

    beat_cache: dict = {}

    def music_beats(path):
        path = str(path)
        if path not in beat_cache:
            beat_cache[path] = np.asarray(beats_for_file(path).beats, np.float64)
        return beat_cache[path]

    # ---- references: ground truth, wrong song, classifier
    bar.step("classifier")
    clf = GenreClassifier().fit(train_clips)
    real_val = []
    for c in val_clips:
        n = int(round(_dur(c, st) * c.fps))
        real_val.append(Dance(keypoints=c.keypoints[:n], fps=c.fps, canvas=c.canvas, music=c.music, offset=c.offset,
                              genre=c.genre, name=c.name))
    bar.step("ground truth")
    gt_rows, ws_rows, ws_genre_hits = [], [], []
    for i, r in enumerate(real_val):
        gt = dance_row(r.keypoints, r.fps, r.offset, music_beats(r.music), r.canvas)
        gt["jpe_px"] = 0.0
        gt_rows.append(gt)
        o = real_val[(i + 1) % len(real_val)]
        span = min(r.n_frames, o.n_frames)
        w = dance_row(r.keypoints[:span], r.fps, o.offset, music_beats(o.music), r.canvas)
        w["jpe_px"] = float(joint_position_error(r.keypoints[:span], o.keypoints[:span]))
        ws_rows.append(w)
        ws_genre_hits.append(clf.predict(r) == o.genre)
    gt_set = set_metrics(train_clips, real_val, st.fid_window_s, st.fid_hop_s)
    val = {"ground_truth": {"mean": mean_rows(gt_rows), "takes": gt_rows, "set": gt_set,
                            "genre_accuracy": genre_accuracy(clf, real_val)},
           "wrong_song": {"mean": mean_rows(ws_rows), "takes": ws_rows,
                          "genre_accuracy": float(np.mean(ws_genre_hits)) if ws_genre_hits else float("nan")}}
    unseen = {}
    if songs:
        rows = []
        for j, s in enumerate(songs):
            r = real_val[j % len(real_val)]
            kp = r.keypoints
            if st.unseen_max_s is not None:
                kp = kp[: int(round(st.unseen_max_s * r.fps))]
            row = dance_row(kp, r.fps, 0.0, music_beats(s), r.canvas)
            row.update(song=_song_name(s), take=r.name)
            rows.append(row)
        unseen["wrong_song"] = {"songs": rows, "mean": mean_rows(rows)}
    res["table2"] = {"val": val, "unseen": unseen}

    # ---- every model: val takes and unseen songs
    gen_val: dict = {}
    gen_unseen: dict = {}
    for m in MODELS:
        if m.name not in bundles:
            continue
        b = bundles[m.name]
        try:
            gen_val[m.name], gen_unseen[m.name], rv, ru = _evaluate_model(
                b, m.feedback, val_clips, real_val, songs, st, music_beats, clf, bar, m.name)
            val[m.name], unseen[m.name] = rv, ru
            if ru is not None and gen_unseen[m.name]:
                ru["set"] = set_metrics(gen_unseen[m.name], real_val, st.fid_window_s, st.fid_hop_s)
        except Exception as e:  # a model that does not generate is reported, never dropped
            status[m.name]["status"] = "not available"
            status[m.name]["reason"] = f"generation failed: {type(e).__name__}: {e}"
            print(f"dancegen report: {m.name}: generation failed ({type(e).__name__}: {e})", file=sys.stderr)
            bundles.pop(m.name)
            bar.shrink(_model_steps(m.name, st, len(val_clips), len(songs), len(sweep_songs)))
            gen_val.pop(m.name, None)
            gen_unseen.pop(m.name, None)
            val.pop(m.name, None)
            unseen.pop(m.name, None)

    # ---- HGR feedback on / off (full model)
    res["hgr_feedback"] = None
    if "full" in bundles:
        b = bundles["full"]
        ref_px = np.asarray(b.ref_lengths, np.float64) * b.body_scale
        hg = {"ref": "the generator's reference bone lengths (model file) x its body scale, px"}
        for split, dances_on, items in (("val", gen_val["full"], val_clips), ("unseen", gen_unseen["full"], songs)):
            if not items:
                continue
            rows = {"on": [], "off": []}
            for k, d_on in enumerate(dances_on):
                if split == "val":
                    c = items[k]
                    d_off, _ = generate(b, c.music, c.offset, _dur(c, st), False, st.seed, genre=c.genre)
                else:
                    d_off, _ = generate(b, items[k], 0.0, st.unseen_max_s, False, st.seed)
                bar.step(f"full w/o feedback {split}")
                for key, d in (("on", d_on), ("off", d_off)):
                    r = dance_row(d.keypoints, d.fps, d.offset, music_beats(d.music), d.canvas, ref_px)
                    rows[key].append({"bone_deviation": mean_bone_deviation(d.keypoints, ref_px), "jerk": r["jerk"],
                                      "acceleration": r["acceleration"],
                                      "beat_alignment_error": r["beat_alignment_error"],
                                      "max_stretch": r["max_stretch"]})
            hg[split] = {k: mean_rows(v) for k, v in rows.items()}
            hg[split]["n"] = len(dances_on)
        # the stress test: a generator that breaks the rules (faults in the raw decoder output on
        # GLITCH_RATE of the steps, the same faults with the feedback on and off)
        from ..feedback.structure import analyze

        rows = {"on": [], "off": []}
        for c in val_clips:
            for key in ("on", "off"):
                d, _ = generate(b, c.music, c.offset, _dur(c, st), key == "on", st.seed, genre=c.genre,
                                glitch_rate=GLITCH_RATE)
                bar.step(f"full glitches {key}")
                r = dance_row(d.keypoints, d.fps, d.offset, music_beats(d.music), d.canvas, ref_px)
                rep = analyze(d.keypoints, d.fps, ref=ref_px)
                rows[key].append({"bone_deviation": mean_bone_deviation(d.keypoints, ref_px), "jerk": r["jerk"],
                                  "acceleration": r["acceleration"], "beat_alignment_error": r["beat_alignment_error"],
                                  "max_stretch": r["max_stretch"],
                                  "flagged_per_1000": 1000.0 * len(rep.frames("any")) / max(1, rep.n_frames)})
        if val_clips:
            hg["val_glitch"] = {k: mean_rows(v) for k, v in rows.items()}
            hg["val_glitch"].update(n=len(val_clips), rate=GLITCH_RATE)
        from ..feedback.structure import reference_bone_lengths

        hg["ground_truth_val"] = {
            "bone_deviation": float(np.mean([mean_bone_deviation(r.keypoints, reference_bone_lengths(r.keypoints))
                                             for r in real_val])),
            "jerk": val["ground_truth"]["mean"]["jerk"],
            "beat_alignment_error": val["ground_truth"]["mean"]["beat_alignment_error"],
            "ref": "each real take's own reference_bone_lengths (97th percentile per bone)"}
        res["hgr_feedback"] = hg

    # ---- Table 3: symmetry per stance on the val takes
    t3 = {"ground_truth": weighted_symmetry([symmetry_per_stance(r.keypoints, r.fps) for r in real_val])}
    for name, dances in gen_val.items():
        t3[name] = weighted_symmetry([symmetry_per_stance(d.keypoints, d.fps) for d in dances])
    res["table3"] = t3
    bar.step("symmetry per stance")

    # ---- sweeps on the unseen songs (the compared models)
    cmp_avail = [n for n in COMPARED if n in bundles]
    bvl = {"lengths_s": list(st.beat_lengths_s), "songs": [_song_name(s) for s in sweep_songs], "models": {}}
    svl = {"lengths_frames": list(st.smooth_lengths), "songs": [_song_name(s) for s in sweep_songs], "models": {}}
    gt_acc = []
    for n in st.smooth_lengths:
        v = [float(smoothness(c.keypoints[:n], c.fps)["acceleration"]) for c in val_clips if c.n_frames >= n]
        gt_acc.append(float(np.mean(v)) if v else float("nan"))
    svl["ground_truth"] = gt_acc
    for name in cmp_avail if sweep_songs else ():
        b = bundles[name]
        fb = SPEC[name].feedback
        per_song = {}
        for s in sweep_songs:
            errs = []
            for L in st.beat_lengths_s:
                if L > audio_duration(s) + 1e-6:
                    errs.append(float("nan"))
                else:
                    d, _ = generate(b, s, 0.0, L, fb, st.seed)
                    errs.append(dance_row(d.keypoints, d.fps, 0.0, music_beats(s), d.canvas)["beat_alignment_error"])
                bar.step(f"{name} beat vs length")
            per_song[_song_name(s)] = errs
        bvl["models"][name] = {"per_song": per_song, "mean": _nanmean_cols(list(per_song.values()))}
        per_song = {}
        for s in sweep_songs:
            accs = []
            for n in st.smooth_lengths:
                d, _ = generate(b, s, 0.0, n / b.fps, fb, st.seed)
                accs.append(float(smoothness(d.keypoints[:n], d.fps)["acceleration"]))
                bar.step(f"{name} smoothness vs length")
            per_song[_song_name(s)] = accs
        svl["models"][name] = {"per_song": per_song, "mean": _nanmean_cols(list(per_song.values()))}
    res["beat_vs_length"], res["smoothness_vs_length"] = bvl, svl

    # ---- SSIM / PSNR of rendered frames per genre (val takes; generated frame t vs real frame t)
    res["ssim_psnr"] = _ssim_psnr(cmp_avail, gen_val, real_val, st, bar)

    # ---- training logs
    res["training"] = {m.name: read_training(Path(models_dir) / m.run) for m in MODELS}
    bar.step("training logs")
    res["_dances"] = {"gen_val": gen_val, "real_val": real_val}


def _nanmean_cols(rows: list[list[float]]) -> list[float]:
    a = np.asarray(rows, np.float64)
    out = []
    for j in range(a.shape[1] if a.ndim == 2 else 0):
        v = a[:, j][np.isfinite(a[:, j])]
        out.append(float(v.mean()) if v.size else float("nan"))
    return out


def _evaluate_model(b, feedback, val_clips, real_val, songs, st, music_beats, clf, bar, name):
    from ..metrics import genre_accuracy, joint_position_error

    ref_px = np.asarray(b.ref_lengths, np.float64) * b.body_scale
    gens, rows, ms = [], [], []
    for c, r in zip(val_clips, real_val):
        g, t = generate(b, c.music, c.offset, _dur(c, st), feedback, st.seed, genre=c.genre)
        ms.append(t)
        row = dance_row(g.keypoints, g.fps, g.offset, music_beats(c.music), g.canvas, ref_px)
        n = min(g.n_frames, r.n_frames)
        row["jpe_px"] = float(joint_position_error(g.keypoints[:n], r.keypoints[:n]))
        row["ms_per_frame"] = t
        rows.append(row)
        gens.append(g)
        bar.step(f"{name} val")
    rv = {"mean": mean_rows(rows), "takes": [dict(take=c.name, genre=c.genre, **r) for c, r in zip(val_clips, rows)],
          "set": set_metrics(gens, real_val, st.fid_window_s, st.fid_hop_s),
          "genre_accuracy": genre_accuracy(clf, gens), "ms_per_frame": float(np.nanmedian(ms))}
    ugens, urows = [], []
    for s in songs:
        g, t = generate(b, s, 0.0, st.unseen_max_s, feedback, st.seed)
        row = dance_row(g.keypoints, g.fps, 0.0, music_beats(s), g.canvas, ref_px)
        row.update(song=_song_name(s), seconds=round(g.duration, 2), genre=g.genre, ms_per_frame=t)
        urows.append(row)
        ugens.append(g)
        bar.step(f"{name} unseen")
    ru = {"songs": urows, "mean": mean_rows(urows)} if songs else None
    return gens, ugens, rv, ru


def _ssim_psnr(names, gen_val, real_val, st, bar) -> dict:
    from ..metrics import aggregate_by_genre, frames_ssim_psnr
    from ..render.video import render_frames

    size = tuple(st.ssim_size)

    def pair(a, b):
        n = min(a.n_frames, b.n_frames)
        idx = np.arange(0, n, max(1, int(st.ssim_every)))
        fa = render_frames(a, size, grid=False, floor=False, label=False, indices=idx)
        fb = render_frames(b, size, grid=False, floor=False, label=False, indices=idx)
        return frames_ssim_psnr(fa, fb)

    out = {"pairs": "frame t of the generated dance vs frame t of the real dance of the same val take (same song, "
                    "same span), every %d-th frame, both drawn by dancegen.render.video.render_frames on the take's "
                    "canvas at %dx%d, no grid, floor line or labels" % (st.ssim_every, size[0], size[1]),
           "models": {}}
    genres = [r.genre for r in real_val]
    for name in list(names) + ["wrong_song"]:
        per = []
        for i, r in enumerate(real_val):
            other = gen_val[name][i] if name != "wrong_song" else real_val[(i + 1) % len(real_val)]
            per.append(dict(take=r.name, genre=r.genre, **pair(other, r)))
            bar.step(f"{name} ssim")
        out["models"][name] = {"takes": per, "ssim": aggregate_by_genre([p["ssim"] for p in per], genres),
                               "psnr": aggregate_by_genre([p["psnr"] for p in per], genres)}
    out["wrong_song_pairs"] = "real take i+1 vs real take i (chance level)"
    return out


# ------------------------------------------------------------------------------------------ figures
def write_figures(res: dict, out: Path, bar=None) -> dict:
    """The PNG figures; returns ``{key: file name}``."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    figs = {}
    colors = {"full": "C0", "no_multiscale": "C4", "no_attention": "C5", "no_hgr": "C6", "gan_stgcn": "C1",
              "vqvae_transformer": "C2", "ground_truth": "k", "wrong_song": "0.6"}

    def label(n):
        return SPEC[n].label if n in SPEC else n.replace("_", " ")

    # training loss and time
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
    for n, tr in res["training"].items():
        c = tr["curves"].get("loss")
        if c:
            ax[0].plot(c["step"], c["value"], color=colors[n], label=label(n), lw=1)
        p = tr["curves"].get("train/pos")
        if p:
            ax[1].plot(p["minutes"], p["value"], color=colors[n], label=label(n), lw=1)
    ax[0].set(xlabel="training step", ylabel="training objective (each model's own)", title="training loss")
    ax[1].set(xlabel="training time, minutes", ylabel="train/pos (L1 joint error, body units)",
              title="position loss against time")
    for a in ax:
        if a.get_lines():
            a.set_yscale("log")
            a.legend(fontsize=7)
        else:
            a.text(0.5, 0.5, "no such training logs found", ha="center", transform=a.transAxes)
    figs["training"] = _save(fig, out / "fig_training.png", plt)

    # beat alignment error against music length; smoothness against sequence length
    bvl, svl = res["beat_vs_length"], res["smoothness_vs_length"]
    a = _sweep_axes(plt, bvl["lengths_s"], bvl["models"], colors, label)
    a.set(xlabel="music length, s (excerpts from 0 s)", ylabel="beat alignment error, s",
          title="beat alignment error vs music length\n(unseen songs: %s)" % ", ".join(bvl["songs"]))
    _legend_or_note(a, bvl["models"])
    figs["beat_vs_length"] = _save(a.figure, out / "fig_beat_vs_length.png", plt)
    a = _sweep_axes(plt, svl["lengths_frames"], svl["models"], colors, label)
    a.plot(svl["lengths_frames"], svl["ground_truth"], "s--", color="k", label="ground truth (val takes)")
    a.set(xlabel="sequence length, frames", ylabel="mean acceleration, px/s$^2$",
          title="smoothness vs sequence length")
    a.legend(fontsize=7)
    figs["smoothness_vs_length"] = _save(a.figure, out / "fig_smoothness_vs_length.png", plt)

    # SSIM / PSNR per genre
    sp = res["ssim_psnr"]["models"]
    genres = sorted({t["genre"] for v in sp.values() for t in v["takes"]})
    fig, ax = plt.subplots(1, 2, figsize=(12, 4))
    names = list(sp)
    w = 0.8 / max(1, len(names))
    for k, key in enumerate(("ssim", "psnr")):
        for i, n in enumerate(names):
            vals = [sp[n][key].get(g, {}).get("mean", np.nan) for g in genres]
            ax[k].bar(np.arange(len(genres)) + i * w, vals, w, color=colors[n], label=label(n))
        ax[k].set_xticks(np.arange(len(genres)) + w * (len(names) - 1) / 2, genres)
        ax[k].set(ylabel="SSIM" if key == "ssim" else "PSNR, dB", title=f"{key.upper()} per genre (val takes)")
        if key == "ssim":
            lo = np.nanmin([sp[n]["ssim"]["all"]["mean"] for n in names]) if names else 0.0
            ax[k].set_ylim(max(0.0, lo - 0.1), 1.0)
        ax[k].legend(fontsize=7, loc="lower right")
    figs["ssim_psnr"] = _save(fig, out / "fig_ssim_psnr_genre.png", plt)

    # rendered frames side by side
    figs["frames"] = _frames_grid(res, out / "fig_frames.png", plt, label)
    if bar is not None:
        bar.step("figures", 4)
    return figs


def _sweep_axes(plt, xs, models, colors, label):
    """A 6x4 figure with one line per model (``models``: name -> ``{"mean": [...]}`` over ``xs``)."""
    fig, a = plt.subplots(figsize=(6, 4))
    for n, v in models.items():
        a.plot(xs, v["mean"], "o-", color=colors[n], label=label(n))
    return a


def _legend_or_note(a, models):
    if models:
        a.legend(fontsize=7)
    else:
        a.text(0.5, 0.5, "no model available", ha="center", transform=a.transAxes)


def _save(fig, path: Path, plt) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def _frames_grid(res, path: Path, plt, label) -> str:
    from ..render.draw import render_frame

    dances = res["_dances"]
    real = dances["real_val"][0]
    n_cols = int(res["settings"]["grid_frames"])
    idx = np.unique(np.round(np.linspace(0, real.n_frames - 1, n_cols)).astype(int))
    rows = [("ground_truth", real)] + [(n, dances["gen_val"][n][0] if n in dances["gen_val"] else None)
                                       for n in COMPARED]
    fig, ax = plt.subplots(len(rows), len(idx), figsize=(2.4 * len(idx), 1.5 * len(rows)), squeeze=False)
    for r, (n, d) in enumerate(rows):
        for c, i in enumerate(idx):
            a = ax[r][c]
            a.set_xticks([])
            a.set_yticks([])
            if d is not None and i < d.n_frames:
                a.imshow(render_frame(d.keypoints[i], d.canvas, (320, 180), grid=False))
            else:
                a.imshow(np.full((180, 320, 3), 235, np.uint8))
                a.text(160, 90, res["models"].get(n, {}).get("status", "missing"), ha="center", va="center",
                       fontsize=8)
            if c == 0:
                a.set_ylabel(label(n) if n != "ground_truth" else "ground truth", fontsize=7)
            if r == 0:
                a.set_title(f"{real.name}  {real.offset + i / real.fps:.1f} s", fontsize=7)
    return _save(fig, path, plt)


# ------------------------------------------------------------------------------------------ output
def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items() if not str(k).startswith("_")}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    return x


def _f(x, fmt=".3f") -> str:
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
    return format(x, fmt)


def format_markdown(res: dict) -> str:
    """The report as Markdown (every number of ``res`` that a table or figure shows)."""
    from ..metrics import STANCES

    L = []
    st = res["settings"]
    models = res["models"]
    L.append("# dancegen experiments report")
    L.append("")
    L.append(f"- command: `{res['command']}`")
    L.append(f"- date: {res['date']}; git commit {res['git_commit']}; {res['machine']}; "
             f"the report took {res.get('seconds', float('nan')):.0f} s")
    L.append(f"- data: `{res['data']}` val takes: "
             + ", ".join(f"{t['take']} ({t['genre']}, {t['seconds']:.1f} s)" for t in res["val_takes"]))
    L.append(f"- unseen songs: {', '.join(_song_name(s) for s in res['music']) or 'none'}"
             + (f" (first {st['unseen_max_s']:g} s of each)" if st["unseen_max_s"] else " (whole songs)"))
    if st["quick"]:
        L.append("- **quick mode**: short excerpts; the numbers only check that the pipeline works")
    L.append(f"- seed {st['seed']}; FID windows {st['fid_window_s']:g} s every {st['fid_hop_s']:g} s")
    L.append("")
    L.append("## Models")
    L.append("")
    L.append("| model | file | status | generated with HGR feedback |")
    L.append("|---|---|---|---|")
    for m in MODELS:
        s = models[m.name]
        if m.optional and s["status"] == "missing":
            continue
        stat = s["status"] + (f": {s['reason']}" if s.get("reason") else "")
        L.append(f"| {m.label} | `{s['path']}` | {stat} | {'yes' if m.feedback else 'no'} |")
    missing = [m.name for m in MODELS if not models[m.name]["status"].startswith("ok")
               and not (m.optional and models[m.name]["status"] == "missing")]
    L.append("")
    L.append(f"Missing or not available: {', '.join(missing) if missing else 'none'}.")
    L.append("")

    # Table 2
    val, uns = res["table2"]["val"], res["table2"]["unseen"]
    L.append("## Table 2: ablation and comparison")
    L.append("")
    L.append("Val split (each take's song over the take's span): beat alignment error (mean over music beats "
             "of the distance to the nearest motion beat, s), JPE (free-running, px on the 1920x1080 canvas), "
             "smoothness (mean acceleration, px/s²), FID_k (2D kinetic features of windows, standardised on the "
             "real windows), genre accuracy (classifier trained on the train split), decoder ms/frame (median "
             "over takes, music features excluded). Unseen songs: beat alignment error and FID_k against the "
             "real val dances.")
    L.append("")
    L.append("| model | beat err (s) | JPE (px) | acc (px/s²) | FID_k | genre acc | ms/frame | unseen beat err (s) "
             "| unseen FID_k |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for m in MODELS:
        if m.name in val:
            v, u = val[m.name], uns.get(m.name)
            L.append(f"| {m.label} | {_f(v['mean']['beat_alignment_error'])} | {_f(v['mean']['jpe_px'], '.1f')} | "
                     f"{_f(v['mean']['acceleration'], '.0f')} | {_f(v['set']['fid_k'], '.2f')} | "
                     f"{_f(v['genre_accuracy'], '.2f')} | {_f(v['ms_per_frame'], '.3f')} | "
                     f"{_f(u['mean']['beat_alignment_error']) if u else '—'} | "
                     f"{_f(u['set']['fid_k'], '.2f') if u and 'set' in u else '—'} |")
        elif not (m.optional and models[m.name]["status"] == "missing"):
            L.append(f"| {m.label} | {models[m.name]['status']} | | | | | | | |")
    g, w = val["ground_truth"], val["wrong_song"]
    uw = uns.get("wrong_song")
    L.append(f"| ground truth | {_f(g['mean']['beat_alignment_error'])} | 0 | {_f(g['mean']['acceleration'], '.0f')} | "
             f"{_f(g['set']['fid_k'], '.2f')}¹ | {_f(g['genre_accuracy'], '.2f')} | — | — | — |")
    L.append(f"| wrong song² | {_f(w['mean']['beat_alignment_error'])} | {_f(w['mean']['jpe_px'], '.1f')} | "
             f"{_f(w['mean']['acceleration'], '.0f')} | — | {_f(w['genre_accuracy'], '.2f')} | — | "
             f"{_f(uw['mean']['beat_alignment_error']) if uw else '—'} | — |")
    L.append("")
    L.append("¹ FID_k of the real train dances against the real val dances (the floor a model can reach). "
             "² Val: take i's real motion with take i+1's music (JPE: take i vs take i+1; genre accuracy: "
             "the motion's predicted genre against the music's genre); unseen: real val takes on the unseen songs.")
    notes = [f"{n} ({split}): {v['set'][k]}" for split, tab in (("val", val), ("unseen", uns))
             for n, v in tab.items() if isinstance(v, dict) and "set" in v for k in ("note", "note_k", "note_g")
             if k in v["set"]]
    if notes:
        L.append("")
        L.append("FID notes: " + "; ".join(notes) + ".")
    L.append("")
    L.append("More numbers (val split): beat-align scores (σ = 0.05 s; Bailando form = mean over music beats, "
             "FACT form = mean over motion beats), jerk, FID_g, diversity of the kinetic features.")
    L.append("")
    L.append("| model | BAS Bailando | BAS FACT | jerk (px/s³) | max stretch | FID_g | div_k (real) |")
    L.append("|---|---|---|---|---|---|---|")
    for n in [m.name for m in MODELS if m.name in val] + ["ground_truth"]:
        v = val[n]
        lab = SPEC[n].label if n in SPEC else "ground truth"
        s = v["set"]
        L.append(f"| {lab} | {_f(v['mean']['bas_bailando'])} | {_f(v['mean']['bas_fact'])} | "
                 f"{_f(v['mean']['jerk'], '.0f')} | {_f(v['mean']['max_stretch'])} | {_f(s['fid_g'], '.2f')} | "
                 f"{_f(s['div_k'], '.2f')} ({_f(s['div_k_real'], '.2f')}) |")
    L.append("")

    # HGR
    L.append("## HGR feedback: the full model with and without the online correction")
    L.append("")
    hg = res.get("hgr_feedback")
    if not hg:
        L.append(f"Not measured: the full model is {models['full']['status']}.")
    else:
        L.append("Bone deviation D_bone (paper Eq. 4, mean over frames; reference: " + hg["ref"] + "), jerk "
                 "(px/s³), beat alignment error (s), max stretch (largest bone length / reference - 1).")
        L.append("")
        L.append("| split | feedback | bone deviation | jerk | beat err | max stretch |")
        L.append("|---|---|---|---|---|---|")
        for split in ("val", "unseen"):
            if split not in hg:
                continue
            for k in ("on", "off"):
                r = hg[split][k]
                L.append(f"| {split} ({hg[split]['n']}) | {k} | {_f(r['bone_deviation'], '.4f')} | "
                         f"{_f(r['jerk'], '.0f')} | {_f(r['beat_alignment_error'])} | {_f(r['max_stretch'])} |")
        if "val_glitch" in hg:
            gl = hg["val_glitch"]
            for k in ("on", "off"):
                r = gl[k]
                L.append(f"| val ({gl['n']}), {100 * gl['rate']:g}% glitches⁴ | {k} | {_f(r['bone_deviation'], '.4f')} | "
                         f"{_f(r['jerk'], '.0f')} | {_f(r['beat_alignment_error'])} | {_f(r['max_stretch'])} |")
        gv = hg["ground_truth_val"]
        L.append(f"| val | ground truth | {_f(gv['bone_deviation'], '.4f')}³ | {_f(gv['jerk'], '.0f')} | "
                 f"{_f(gv['beat_alignment_error'])} | — |")
        L.append("")
        L.append("³ against " + gv["ref"] + ".")
        if "val_glitch" in hg:
            gl = hg["val_glitch"]
            L.append("")
            L.append(f"⁴ Stress test with a generator that breaks the rules: on {100 * gl['rate']:g}% of the decoder steps "
                     "one of the paper's three faults is put into the raw output before the check (the same faults "
                     "with the feedback on and off; docs/hgr.md section 6b). Frames the structure check "
                     f"(`dancegen check`) flags per 1000: {_f(gl['on']['flagged_per_1000'], '.1f')} with the feedback, "
                     f"{_f(gl['off']['flagged_per_1000'], '.1f')} without.")
    L.append("")

    # Table 3
    t3 = res["table3"]
    L.append("## Table 3: symmetry per stance (val takes)")
    L.append("")
    L.append("Mean symmetry score S_sym on the frames showing each stance (dancegen.metrics.stance), with the "
             "share of frames in brackets; nan: no frame shows the stance.")
    L.append("")
    rows3 = ["ground_truth"] + [n for n in COMPARED if n in t3]
    L.append("| stance | " + " | ".join("ground truth" if n == "ground_truth" else SPEC[n].label for n in rows3) + " |")
    L.append("|---" * (len(rows3) + 1) + "|")
    for s in STANCES + ("all",):
        L.append(f"| {s} | " + " | ".join(f"{_f(t3[n][s]['symmetry'])} ({100 * t3[n][s]['share']:.1f}%)"
                                          if t3[n][s]["frames"] else "nan (0%)" for n in rows3) + " |")
    absent = [n for n in COMPARED if n not in t3]
    if absent:
        L.append("")
        L.append(f"Not in the table ({', '.join(absent)}): " + "; ".join(f"{n} {models[n]['status']}" for n in absent))
    L.append("")

    # Figures
    figs = res.get("figures", {})
    L.append("## Figures")
    L.append("")
    tr = res["training"]
    L.append("### Training loss and time")
    L.append("")
    L.append(f"![training]({figs.get('training', '')})")
    L.append("")
    L.append("Left: each run's training objective (`loss` in TensorBoard; the models' objectives differ). Right: "
             "`train/pos` (L1 joint error in body units; the VQ-VAE logs it in its first stage only) against "
             "wall-clock minutes (TensorBoard event times; pauses over 10 min, i.e. interrupted runs, removed).")
    L.append("")
    L.append("| model | epochs | steps | minutes (TB) | last train loss | last val/pos |")
    L.append("|---|---|---|---|---|---|")
    for m in MODELS:
        if m.optional and models[m.name]["status"] == "missing":
            continue
        t = tr[m.name]
        info = t["info"]
        last = t["curves"].get("loss", {}).get("value", [None])[-1:] or [None]
        vp = t["curves"].get("val/pos", {}).get("value", [None])[-1:] or [None]
        steps = info.get("global_step", (t["curves"].get("loss", {}).get("step") or [None])[-1])
        L.append(f"| {m.label} | {info.get('epochs', '—')} | {steps if steps is not None else '—'} | "
                 f"{_f(_minutes(t), '.1f')} | {_f(last[0], '.4f')} | {_f(vp[0], '.4f')} |")
    L.append("")
    bvl = res["beat_vs_length"]
    L.append("### Beat alignment error against music length")
    L.append("")
    L.append(f"![beat vs length]({figs.get('beat_vs_length', '')})")
    L.append("")
    L.append(f"Excerpts of the unseen songs ({', '.join(bvl['songs'])}) from 0 s, each length generated separately; "
             "mean over songs (s).")
    L.append("")
    L.append("| model | " + " | ".join(f"{x:g} s" for x in bvl["lengths_s"]) + " |")
    L.append("|---" * (len(bvl["lengths_s"]) + 1) + "|")
    for n, v in bvl["models"].items():
        L.append(f"| {SPEC[n].label} | " + " | ".join(_f(x) for x in v["mean"]) + " |")
    L.append("")
    svl = res["smoothness_vs_length"]
    L.append("### Smoothness against sequence length")
    L.append("")
    L.append(f"![smoothness vs length]({figs.get('smoothness_vs_length', '')})")
    L.append("")
    L.append("Mean acceleration (px/s²) of the first N frames, generated separately for each N on the unseen songs "
             f"({', '.join(svl['songs'])}, mean over songs); ground truth: the val takes' first N frames.")
    L.append("")
    L.append("| model | " + " | ".join(f"{x} fr" for x in svl["lengths_frames"]) + " |")
    L.append("|---" * (len(svl["lengths_frames"]) + 1) + "|")
    for n, v in svl["models"].items():
        L.append(f"| {SPEC[n].label} | " + " | ".join(_f(x, ".0f") for x in v["mean"]) + " |")
    L.append("| ground truth | " + " | ".join(_f(x, ".0f") for x in svl["ground_truth"]) + " |")
    L.append("")
    sp = res["ssim_psnr"]
    L.append("### SSIM and PSNR per genre")
    L.append("")
    L.append(f"![ssim psnr]({figs.get('ssim_psnr', '')})")
    L.append("")
    L.append(f"Pairs: {sp['pairs']}. Wrong song: {sp['wrong_song_pairs']}. SSIM: mean of the per-channel SSIMs "
             "(11x11 Gaussian window, σ 1.5); PSNR: mean of per-frame dB. Mean over takes (number of takes).")
    L.append("")
    genres = sorted({t["genre"] for v in sp["models"].values() for t in v["takes"]})
    L.append("| model | " + " | ".join(f"SSIM {g}" for g in genres) + " | SSIM all | PSNR all (dB) |")
    L.append("|---" * (len(genres) + 3) + "|")
    for n, v in sp["models"].items():
        lab = SPEC[n].label if n in SPEC else "wrong song (real vs real)"
        L.append(f"| {lab} | " + " | ".join(f"{_f(v['ssim'][g]['mean'])} ({v['ssim'][g]['n']})" for g in genres)
                 + f" | {_f(v['ssim']['all']['mean'])} | {_f(v['psnr']['all']['mean'], '.2f')} |")
    L.append("")
    L.append("### Rendered frames")
    L.append("")
    L.append(f"![frames]({figs.get('frames', '')})")
    L.append("")
    L.append("The first val take: ground truth and the three models at evenly spaced times (same song, same span).")
    L.append("")
    return "\n".join(L)


__all__ = ["MODELS", "COMPARED", "ModelSpec", "ReportSettings", "load_model", "find_models", "generate",
           "set_metrics", "dance_row", "mean_rows", "weighted_symmetry", "mean_bone_deviation", "read_training",
           "build_report", "write_figures", "format_markdown"]
