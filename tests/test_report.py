"""``dancegen report``: tables, figures and markdown of the paper's experiments, on a synthetic data
folder (real audio pipeline: click tracks; real models: untrained tiny Seq2Seq bundles; real
TensorBoard event files), plus the training recipe (ablation configs, scripts/train_all.sh).

Known answers: dances that stop on every beat of their click track give a beat alignment error
near 0 with their own music and about 0.13 s on the other track (0.5-s against 0.6-s beats: the
distances cycle through 0, 0.1, 0.2, ... s); the genre classifier reads the real takes right and
the wrong-song pairing always wrong; TensorBoard curves come back as written, a resumed run's
repeated steps replaced, an interruption's pause not counted."""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from dancegen.cli import main
from dancegen.dance import Dance
from dancegen.evaluate import report as rep

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[1]
BASE = np.array([[960, 300], [960, 360], [900, 360], [880, 450], [870, 530], [1020, 360], [1040, 450],
                 [1050, 530], [920, 560], [915, 700], [910, 840], [1000, 560], [1005, 700], [1010, 840],
                 [950, 290], [970, 290], [935, 300], [985, 300]], np.float32)


def _clicks(path, seconds, bpm, sr=22050):
    y = np.zeros(int(seconds * sr), np.float32)
    for t in np.arange(0, seconds, 60.0 / bpm):
        i = int(t * sr)
        y[i:i + 400] += np.hanning(800)[400:] * np.sin(2 * np.pi * 1500 * np.arange(400) / sr)
    sf.write(path, y, sr)


def _dance(T, fps, beat_s, genre):
    """Arms (and, for rumba, hips and knees) swing between extremes reached on every beat: the
    speed has its minima at t = k * beat_s."""
    t = np.arange(T) / fps
    c = np.cos(np.pi * t / beat_s)[:, None]
    kp = np.repeat(BASE[None], T, axis=0).copy()
    amp = 40.0 if genre == "waltz" else 90.0
    kp[:, [3, 4], 1] += amp * c
    kp[:, [6, 7], 1] -= amp * c
    if genre == "rumba":
        kp[:, [8, 9, 11, 12], 0] += 25.0 * c
    return kp


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A data folder (4 train + 2 val dances on two click tracks) and a models folder with three
    working Seq2Seq bundles, a corrupt comparison-model file, a run with only a broken last.ckpt and
    TensorBoard logs for the full run."""
    root = tmp_path_factory.mktemp("report")
    old_cache = os.environ.get("DANCEGEN_CACHE")
    os.environ["DANCEGEN_CACHE"] = str(root / "cache")
    data = root / "data"
    data.mkdir()
    tracks = {"waltz": (data / "clicks120.wav", 0.5, 1.0), "rumba": (data / "clicks100.wav", 0.6, 1.2)}
    _clicks(tracks["waltz"][0], 16.0, 120)
    _clicks(tracks["rumba"][0], 16.0, 100)
    for i, genre in enumerate(["waltz", "rumba", "waltz", "rumba"]):
        wav, beat, off = tracks[genre]
        Dance(_dance(250, 25.0, beat, genre), 25.0, music=str(wav), offset=off, genre=genre,
              name=f"tr{i}").save(data / f"tr{i}.npz")
    for name, genre in (("va", "waltz"), ("vb", "rumba")):
        wav, beat, off = tracks[genre]
        Dance(_dance(200, 25.0, beat, genre), 25.0, music=str(wav), offset=off, genre=genre,
              name=name).save(data / f"{name}.npz")
    (data / "val.txt").write_text("va\nvb\n")

    from dancegen.model.bundle import ModelBundle
    from dancegen.model.seq2seq import ModelConfig, Seq2SeqDance
    from dancegen.train.config import TrainConfig
    from dancegen.train.run import prepare_data

    _, _, meta = prepare_data(TrainConfig(data=str(data), window=16, stride=8, augment_yaw=0), progress=False)
    models = root / "runs"
    for k, (run, attention) in enumerate((("default", "additive"), ("no_attention", "none"), ("no_hgr", "additive"))):
        torch.manual_seed(k)
        net = Seq2SeqDance(ModelConfig(n_features=meta["n_features"], enc_hidden=8, enc_layers=1, dec_hidden=16,
                                       dec_layers=1, attention=attention, attn_dim=8, n_genres=len(meta["genres"])))
        ModelBundle(model=net.eval(), feature_config=meta["feature_config"], feature_stats=meta["feature_stats"],
                    ref_lengths=np.asarray(meta["ref_lengths"], np.float32), body_scale=meta["body_scale"],
                    canvas=tuple(meta["canvas"]), genres=meta["genres"], seed_pose=np.asarray(meta["seed_pose"], np.float32),
                    neck_bounds=np.asarray(meta["neck_bounds"], np.float32), info={"name": run}).save(models / run / "model.safetensors")
    (models / "gan_stgcn").mkdir()
    (models / "gan_stgcn" / "model.safetensors").write_bytes(b"not a model file")
    (models / "vqvae_transformer").mkdir()                    # training started, no model file yet
    (models / "vqvae_transformer" / "last.ckpt").write_bytes(b"truncated checkpoint")

    from torch.utils.tensorboard import SummaryWriter

    tb = models / "default" / "tb" / "version_0"
    w = SummaryWriter(str(tb))
    for step, val, wall in ((5, 1.0, 1000.0), (10, 0.5, 1060.0), (15, 0.25, 1120.0)):
        w.add_scalar("loss", val, step, walltime=wall)
    w.close()
    w = SummaryWriter(str(tb), filename_suffix=".resumed")   # the run resumed after a long pause
    for step, val, wall in ((10, 0.4, 5000.0), (15, 0.2, 5060.0)):
        w.add_scalar("loss", val, step, walltime=wall)
    w.close()
    (models / "default" / "train_info.json").write_text(json.dumps({"epochs": 3, "global_step": 15}))
    yield data, models, tracks, root
    if old_cache is None:
        os.environ.pop("DANCEGEN_CACHE", None)
    else:
        os.environ["DANCEGEN_CACHE"] = old_cache


@pytest.fixture(scope="module")
def report(setup):
    data, models, tracks, root = setup
    out = root / "out"
    rc = main(["report", "-o", str(out), "--models-dir", str(models), "--data", str(data),
               "--music", str(tracks["waltz"][0]), "--quick", "--quiet"])
    assert rc == 0
    return out, json.loads((out / "report.json").read_text()), (out / "report.md").read_text()


def test_models_are_found_missing_or_not_available(report):
    _, res, md = report
    st = {k: v["status"] for k, v in res["models"].items()}
    assert st == {"full": "ok", "full_35min": "missing", "no_multiscale": "missing", "no_attention": "ok", "no_hgr": "ok",
                  "gan_stgcn": "not available", "vqvae_transformer": "not available"}
    assert "does not load" in res["models"]["gan_stgcn"]["reason"]
    assert "last.ckpt" in res["models"]["vqvae_transformer"]["reason"]
    assert "Missing or not available: no_multiscale, gan_stgcn, vqvae_transformer." in md
    assert res["models"]["no_hgr"]["feedback"] is False and res["models"]["full"]["feedback"] is True


def test_table2_has_finite_numbers_for_every_available_model(report):
    _, res, md = report
    val, uns = res["table2"]["val"], res["table2"]["unseen"]
    assert set(val) == {"full", "no_attention", "no_hgr", "ground_truth", "wrong_song"}
    for name in ("full", "no_attention", "no_hgr"):
        m = val[name]
        for k in ("beat_alignment_error", "jpe_px", "acceleration", "jerk"):
            assert np.isfinite(m["mean"][k]), (name, k)
        assert np.isfinite(m["set"]["fid_k"]) and m["set"]["fid_k"] >= 0
        assert 0 <= m["genre_accuracy"] <= 1 and m["ms_per_frame"] > 0
        assert len(m["takes"]) == 2 and m["mean"]["jpe_px"] > 0
        assert np.isfinite(uns[name]["mean"]["beat_alignment_error"]) and np.isfinite(uns[name]["set"]["fid_k"])
        assert uns[name]["songs"][0]["seconds"] == pytest.approx(6.0)
    # every model has a row, missing ones marked as such
    for label, status in (("w/o multi-scale features", "missing"), ("GAN-ST-GCN", "not available"),
                          ("Transformer-VQ-VAE", "not available")):
        assert f"| {label} | {status} |" in md
    assert "| Seq2Seq-HGR-EDG (full) | " in md and "| wrong song² |" in md


def test_reference_rows_have_the_known_answers(report):
    _, res, _ = report
    gt, ws = res["table2"]["val"]["ground_truth"], res["table2"]["val"]["wrong_song"]
    assert gt["mean"]["jpe_px"] == 0.0
    assert gt["mean"]["beat_alignment_error"] < 0.04            # stops on every beat of its own track
    assert 0.08 < ws["mean"]["beat_alignment_error"] < 0.2      # 0.5-s moves on 0.6-s beats and back: ~0.135
    assert gt["genre_accuracy"] == 1.0 and ws["genre_accuracy"] == 0.0
    assert ws["mean"]["jpe_px"] > 10
    # the val waltz take danced on the waltz track (unseen song): aligned again
    assert res["table2"]["unseen"]["wrong_song"]["mean"]["beat_alignment_error"] < 0.04


def test_table3_counts_every_val_frame_and_hgr_comparison_is_there(report):
    _, res, md = report
    t3 = res["table3"]
    assert set(t3) == {"ground_truth", "full", "no_attention", "no_hgr"}
    for name, v in t3.items():
        assert v["all"]["frames"] == 2 * 150, name          # two val takes, 6 s at 25 fps
        assert 0 <= v["all"]["symmetry"] <= 1
    assert "## Table 3" in md and "| lift_and_rotate |" in md
    hg = res["hgr_feedback"]
    for split in ("val", "unseen"):
        for k in ("on", "off"):
            assert np.isfinite(hg[split][k]["bone_deviation"]) and np.isfinite(hg[split][k]["jerk"])
    assert "| val (2) | on |" in md and "| val (2) | off |" in md
    # the stress test: glitches put into the raw decoder output are caught with the feedback on
    gl = hg["val_glitch"]
    assert gl["n"] == 2 and gl["rate"] == 0.02
    assert gl["on"]["flagged_per_1000"] <= gl["off"]["flagged_per_1000"]
    assert "| val (2), 2% glitches⁴ | on |" in md and "⁴ Stress test" in md


def test_sweeps_ssim_and_figures(report):
    out, res, md = report
    bvl, svl = res["beat_vs_length"], res["smoothness_vs_length"]
    assert list(bvl["models"]) == ["full"] and bvl["lengths_s"] == [3.0, 6.0]
    assert all(np.isfinite(bvl["models"]["full"]["mean"]))
    assert svl["lengths_frames"] == [25, 50] and all(np.isfinite(svl["models"]["full"]["mean"]))
    assert all(x > 0 for x in svl["ground_truth"])
    sp = res["ssim_psnr"]["models"]
    assert set(sp) == {"full", "wrong_song"}
    for v in sp.values():
        assert set(v["ssim"]) == {"rumba", "waltz", "all"} and 0 < v["ssim"]["all"]["mean"] < 1
        assert np.isfinite(v["psnr"]["all"]["mean"])
    import cv2

    for name in res["figures"].values():
        img = cv2.imread(str(out / name))
        assert img is not None and img.shape[0] > 200 and img.shape[1] > 300, name
        assert f"]({name})" in md


def test_training_curves_are_read_back_from_tensorboard(report):
    _, res, md = report
    tr = res["training"]["full"]
    assert tr["curves"]["loss"]["step"] == [5, 10, 15]
    assert tr["curves"]["loss"]["value"] == pytest.approx([1.0, 0.4, 0.2], rel=1e-6)  # the resumed run's values replace the first's
    assert tr["minutes"] == pytest.approx(3.0)                   # 3 x 60 s; the 3880-s pause is not training
    assert tr["info"]["epochs"] == 3
    assert res["training"]["no_hgr"]["curves"] == {}
    assert "| Seq2Seq-HGR-EDG (full) | 3 | 15 | 3.0 | 0.2000 |" in md


def test_existing_report_and_bad_data_are_one_line_errors(setup, report, capsys):
    data, models, tracks, root = setup
    out = report[0]
    capsys.readouterr()
    rc = main(["report", "-o", str(out), "--models-dir", str(models), "--data", str(data), "--music", "--quick",
               "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc != 0 and "report.md: exists; pass --force" in err and len(err.splitlines()) == 1
    rc = main(["report", "-o", str(root / "o2"), "--data", str(root / "nowhere"), "--music", "--quick", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc != 0 and "nowhere: data folder not found" in err and len(err.splitlines()) == 1


def test_pure_helpers():
    from dancegen.evaluate.experiments.common import mean_rows
    from dancegen.evaluate.experiments.hgr_feedback import mean_bone_deviation
    from dancegen.evaluate.experiments.table3_stance import weighted_symmetry

    rows = [{"a": 1.0, "b": float("inf")}, {"a": 3.0, "b": 2.0}]
    assert mean_rows(rows) == {"a": 2.0, "b": 2.0}
    from dancegen.metrics import STANCES

    def res(sym, frames):
        d = {s: {"symmetry": float("nan"), "frames": 0} for s in STANCES}
        d[STANCES[0]] = {"symmetry": sym, "frames": frames}
        d["all"] = {"symmetry": sym, "frames": frames}
        return d

    w = weighted_symmetry([res(0.5, 10), res(1.0, 30)])
    assert w[STANCES[0]]["symmetry"] == pytest.approx(0.875) and w["all"]["frames"] == 40
    assert np.isnan(w[STANCES[1]]["symmetry"]) and w[STANCES[1]]["frames"] == 0
    kp = np.repeat(BASE[None], 3, axis=0)
    from dancegen.skeleton import bone_lengths

    ref = bone_lengths(kp)[0] / 1.1                               # every bone 10% too long
    assert mean_bone_deviation(kp, ref) == pytest.approx(0.1, abs=1e-6)


# ------------------------------------------------------------------------------------------ recipe
SWITCHES = {"no_multiscale": ("feature_kind", "mfcc"), "no_attention": ("attention", "none"),
            "no_hgr": ("hgr_losses", False)}


def test_ablation_configs_change_exactly_one_switch():
    from dancegen.train.config import TrainConfig

    default = json.loads((REPO / "configs" / "default.json").read_text())
    for name, (key, value) in SWITCHES.items():
        path = REPO / "configs" / f"ablation_{name}.json"
        cfg = json.loads(path.read_text())
        diff = {k for k in set(cfg) | set(default) if cfg.get(k) != default.get(k)}
        # the full run also exports a snapshot at the ablations' budget (train_all.sh: 35 min each)
        assert diff == {"out", key, "snapshot_minutes"}, name
        assert default["snapshot_minutes"] == [35] and "snapshot_minutes" not in cfg
        assert cfg["out"] == f"runs/{name}" and cfg[key] == value
        TrainConfig.from_file(path)
    from dancegen.train.baselines import BaselineHParams

    for name in ("gan_stgcn", "vqvae_transformer"):
        cfg = TrainConfig.from_file(REPO / "configs" / f"baseline_{name}.json")
        assert cfg.out == f"runs/{name}"
        hp = BaselineHParams.from_dict(cfg.extra.get("baseline"))
        if name == "vqvae_transformer":
            assert 0 < hp.stage1_epochs < cfg.max_epochs     # both stages happen


def test_train_all_plan_fits_the_four_hour_budget(tmp_path):
    env = dict(os.environ, DRY_RUN="1", LOG_DIR=str(tmp_path))
    p = subprocess.run([str(REPO / "scripts" / "train_all.sh")], env=env, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    plan = [line for line in p.stdout.splitlines() if line.startswith("  ") and " min" in line and ":" in line]
    runs = {line.split(":")[0].strip(): int(line.rsplit(",", 1)[1].split()[0]) for line in plan
            if not line.strip().startswith("total")}
    assert list(runs) == ["full", "no_multiscale", "no_attention", "no_hgr", "gan_stgcn", "vqvae_transformer"]
    assert sum(runs.values()) <= 240 and "total: %d min" % sum(runs.values()) in p.stdout
    for name in ("no_multiscale", "no_attention", "no_hgr"):
        assert f"configs/ablation_{name}.json --max-minutes {runs[name]}" in p.stdout \
            or f"{name}: runs/" in p.stdout                 # (skipped when already trained)
    bad = subprocess.run([str(REPO / "scripts" / "train_all.sh")], env=dict(env, ONLY="nonsense"),
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown run 'nonsense'" in bad.stderr


@pytest.mark.slow
def test_without_unseen_songs_the_report_still_has_every_section(setup):
    data, models, tracks, root = setup
    out = root / "no_music"
    assert main(["report", "-o", str(out), "--models-dir", str(models), "--data", str(data), "--music", "--quick",
                 "--quiet"]) == 0
    res = json.loads((out / "report.json").read_text())
    md = (out / "report.md").read_text()
    assert res["music"] == [] and "unseen songs: none" in md
    assert res["beat_vs_length"]["models"] == {} and "unseen" not in res["hgr_feedback"]
    assert np.isfinite(res["table2"]["val"]["full"]["mean"]["jpe_px"])
    assert all((out / f).exists() for f in res["figures"].values())


# ------------------------------------------------------------------------------------------ experiments
# The runner, each experiment module and the writer on a small fake DanceSet: real takes built here,
# a fake generator whose dances are known functions of the request, known answers.
from collections import Counter

from dancegen.evaluate.experiments import (fig_beat_vs_length, fig_frames, fig_smoothness_vs_length, fig_ssim_psnr,
                                           fig_training, hgr_feedback, table2_ablation, table3_stance, writer)
from dancegen.evaluate.experiments.runner import (DanceSet, Generation, ModelEntry, Request, Runner,
                                                  run_experiments)

FPS = 25.0
BEAT = {"w.wav": 0.5, "r.wav": 0.6}          # fake songs: beat period, 16 s long
ACCEL = "accel.wav"                          # a fake song whose dance accelerates uniformly
A = 100.0                                    # px/s^2


def _static(T):
    return np.repeat(BASE[None], T, axis=0).copy()


def _scaled(kp, s):
    """Every bone ``s`` times as long (scaled about the neck)."""
    return (kp - kp[:, 1:2]) * s + kp[:, 1:2]


class FakeGenerator:
    """Dances as functions of the request: on a val take's span, the real take moved ``shift`` px
    right (every bone 10% longer without the feedback, 20% with glitches and no feedback); from 0 s,
    the song's beat motion (``ACCEL``: x = A t^2 / 2). Counts every call per request."""

    def __init__(self, takes, shift=10.0, fail=()):
        self.takes, self.shift, self.fail = takes, shift, set(fail)
        self.count = Counter()

    def __call__(self, bundle, req: Request) -> Generation:
        self.count[req] += 1
        if req.model in self.fail:
            raise RuntimeError("broken decoder")
        take = next((t for t in self.takes if t.music == req.music and abs(t.offset - req.start) < 1e-9), None)
        T = int(round((req.duration if req.duration is not None else 16.0) * FPS))
        if take is not None:
            kp = take.keypoints[:T].copy()
        elif req.music == ACCEL:
            kp = _static(T)
            kp[..., 0] += 0.5 * A * (np.arange(T) / FPS)[:, None] ** 2
        else:
            kp = _dance(T, FPS, BEAT[req.music], "waltz")
        if not req.feedback:
            kp = _scaled(kp, 1.2 if req.glitch_rate else 1.1)
        kp[..., 0] += self.shift
        return Generation(Dance(kp, FPS, music=req.music, offset=req.start, genre=req.genre or "waltz",
                                name="gen"), ms_per_frame=2.0)


class FakeBundle:
    fps, is_3d, kind, body_scale = FPS, False, "fake", 1.0

    def __init__(self, ref):
        self.ref_lengths = ref


class AmplitudeClassifier:
    """Waltz takes swing their arms 80 px, rumba takes 180 px."""

    def predict(self, d):
        return "waltz" if np.ptp(d.keypoints[:, 3, 1]) < 120 else "rumba"


def _world(static=False, songs=("w.wav",), shift=10.0, fail=(), entries=None, unseen_max_s=6.0):
    from dancegen.skeleton import bone_lengths

    takes = []
    for name, genre, music, off in (("va", "waltz", "w.wav", 1.0), ("vb", "rumba", "r.wav", 1.2)):
        kp = _static(200) if static else _dance(200, FPS, BEAT[music], genre)
        takes.append(Dance(kp, FPS, music=music, offset=off, genre=genre, name=name))
    models = entries or {
        "full": ModelEntry("full", "Full", "/nowhere/default/model.safetensors", True),
        "no_hgr": ModelEntry("no_hgr", "No HGR", "/nowhere/no_hgr/model.safetensors", False),
        "gone": ModelEntry("gone", "Gone", "/nowhere/gone/model.safetensors", True, status="missing",
                           reason="not found"),
    }
    ds = DanceSet(val=takes, songs=list(songs), models=models, unseen_max_s=unseen_max_s,
                  classifier=AmplitudeClassifier(),
                  beats={m: np.arange(p, 16, p) for m, p in (("w.wav", 0.5), ("r.wav", 0.6), (ACCEL, 0.5))},
                  song_seconds={"w.wav": 16.0, "r.wav": 16.0, ACCEL: 16.0})
    gen = FakeGenerator(takes, shift, fail)
    ref = bone_lengths(BASE[None])[0].astype(np.float64)
    runner = Runner(loader=lambda path: FakeBundle(ref), generate=gen, log=None)
    runner.load(ds.models)
    return ds, runner, gen


def test_runner_generates_each_dance_once_and_loads_each_model_once():
    ds, runner, gen = _world(songs=("w.wav", ACCEL))
    st = rep.ReportSettings(beat_lengths_s=(3.0, 6.0, 20.0), smooth_lengths=(25, 50), fid_window_s=2.0, fid_hop_s=1.0,
                            ssim_every=50, ssim_size=(160, 90), grid_frames=3, unseen_max_s=6.0)
    plan = rep.plan(ds, st)
    asked = [r for _, mod, kw in plan if hasattr(mod, "requests") for r in mod.requests(ds, **kw)]
    assert len(set(asked)) < len(asked)      # Table 2, SSIM, frames and HGR ask for the same val dances
    run_experiments(ds, runner, plan)
    assert runner.loads == 2                 # "gone" is missing
    assert set(gen.count) == set(asked) and set(gen.count.values()) == {1}
    assert runner.calls == len(set(asked)) == len(ds.generated)
    # the 6-s sweep excerpt is the unseen song's dance; the 20-s one is longer than the song
    assert ds.request("full", "w.wav", 0.0, 6.0) == ds.unseen_request("full", 0)
    assert ds.request("full", "w.wav", 0.0, 20.0) not in gen.count
    run_experiments(ds, runner, plan)        # a second pass generates nothing
    assert runner.calls == len(set(asked)) and set(gen.count.values()) == {1}
    assert [ds.models[n].status for n in ds.models] == ["ok", "ok", "missing"]


def test_runner_marks_a_model_that_fails_and_keeps_the_others():
    ds, runner, gen = _world(fail={"no_hgr"})
    res = run_experiments(ds, runner, [("table2", table2_ablation, {})])
    m = ds.models["no_hgr"]
    assert m.status == "not available" and "generation failed: RuntimeError: broken decoder" in m.reason
    assert not [r for r in ds.generated if r.model == "no_hgr"]
    assert set(res["table2"]["val"]) == {"full", "ground_truth", "wrong_song"}
    bad = Runner(loader=lambda p: (_ for _ in ()).throw(rep.ConfigError(f"{p}: not a model")), log=None)
    entries = {"x": ModelEntry("x", "X", "/nowhere/x.safetensors")}
    bad.load(entries)
    assert entries["x"].status == "not available" and "does not load: /nowhere/x.safetensors" in entries["x"].reason
    with pytest.raises(rep.ConfigError):
        Runner(loader=bad.loader, strict=True).load({"x": ModelEntry("x", "X", "/nowhere/x.safetensors")})


def test_table2_known_answers():
    ds, runner, _ = _world()
    res = run_experiments(ds, runner, [("t2", table2_ablation, dict(window_s=2.0, hop_s=1.0))])["t2"]
    val, uns = res["val"], res["unseen"]
    gt, ws, full = val["ground_truth"], val["wrong_song"], val["full"]
    assert full["mean"]["jpe_px"] == pytest.approx(10.0, rel=1e-6)     # moved 10 px, nothing else
    assert gt["mean"]["jpe_px"] == 0.0 and ws["mean"]["jpe_px"] > 10
    for k in ("beat_alignment_error", "acceleration", "jerk"):          # a moved dance moves the same
        assert full["mean"][k] == pytest.approx(gt["mean"][k], rel=1e-4, abs=1e-6), k
    assert gt["mean"]["beat_alignment_error"] < 0.04 and 0.08 < ws["mean"]["beat_alignment_error"] < 0.2
    assert full["set"]["fid_k"] == pytest.approx(0.0, abs=1e-3)         # kinetic features ignore the move
    assert full["genre_accuracy"] == 1.0 and gt["genre_accuracy"] == 1.0 and ws["genre_accuracy"] == 0.0
    assert full["ms_per_frame"] == 2.0 and [t["take"] for t in full["takes"]] == ["va", "vb"]
    assert "set" not in gt                                              # no train takes: no FID floor
    assert uns["full"]["songs"][0]["seconds"] == pytest.approx(6.0)
    assert uns["full"]["mean"]["beat_alignment_error"] < 0.04          # stops on every beat of its song
    # no_hgr generates without the feedback: every bone 10% longer than its reference
    assert val["no_hgr"]["mean"]["max_stretch"] == pytest.approx(1.1 * (1 + full["mean"]["max_stretch"]) - 1, rel=1e-5)
    assert "gone" not in val


def test_table3_symmetry_per_stance_known_answers():
    ds, runner, _ = _world(static=True)
    t3 = run_experiments(ds, runner, [("t3", table3_stance, {})])["t3"]
    assert set(t3) == {"ground_truth", "full", "no_hgr"}
    for n in t3:
        assert t3[n]["all"]["frames"] == 400 and t3[n]["all"]["share"] == 1.0
    assert t3["ground_truth"]["all"]["symmetry"] == pytest.approx(1.0)  # BASE is mirror-symmetric
    assert t3["full"]["all"]["symmetry"] == pytest.approx(1.0)          # moved, still symmetric
    moving, runner, _ = _world()
    t3 = run_experiments(moving, runner, [("t3", table3_stance, {})])["t3"]
    for s, v in t3["ground_truth"].items():                             # symmetry ignores a move
        assert v["frames"] == t3["full"][s]["frames"]
        assert v["symmetry"] == pytest.approx(t3["full"][s]["symmetry"], abs=1e-5) or not v["frames"]
    u = run_experiments(moving, runner, [("u", table3_stance, dict(split="unseen"))])["u"]
    assert set(u) == {"full", "no_hgr"} and u["full"]["all"]["frames"] == 150


def test_hgr_feedback_known_answers():
    ds, runner, _ = _world(static=True)
    hg = run_experiments(ds, runner, [("h", hgr_feedback, dict(model="full", glitch_rate=0.02))])["h"]
    assert hg["val"]["n"] == 2 and hg["unseen"]["n"] == 1
    assert hg["val"]["on"]["bone_deviation"] == pytest.approx(0.0, abs=1e-6)
    assert hg["val"]["off"]["bone_deviation"] == pytest.approx(0.1, abs=1e-5)
    assert hg["val"]["off"]["max_stretch"] == pytest.approx(0.1, abs=1e-5)
    assert hg["val_glitch"]["off"]["bone_deviation"] == pytest.approx(0.2, abs=1e-5)
    assert hg["val_glitch"]["rate"] == 0.02 and hg["ground_truth_val"]["bone_deviation"] == pytest.approx(0.0)
    assert hgr_feedback.run(ds, model="gone") is None and hgr_feedback.requests(ds, model="gone") == []


def test_sweeps_known_answers():
    ds, runner, _ = _world(songs=("w.wav", ACCEL))
    res = run_experiments(ds, runner, [
        ("b", fig_beat_vs_length, dict(names=["full", "gone"], lengths_s=(3.0, 6.0, 20.0), songs=["w.wav"])),
        ("s", fig_smoothness_vs_length, dict(names=["full"], lengths=(25, 50), songs=[ACCEL]))])
    b = res["b"]
    assert list(b["models"]) == ["full"] and b["songs"] == ["w"]
    e = b["models"]["full"]["per_song"]["w"]
    assert e[0] < 0.04 and e[1] < 0.04 and np.isnan(e[2])               # 20 s: longer than the song
    s = res["s"]
    assert s["models"]["full"]["mean"] == pytest.approx([A, A], rel=1e-3)  # x = A t^2 / 2
    gt = [np.mean([table2_ablation.dance_row(c.keypoints[:n], FPS, 0, ds.beats["w.wav"], c.canvas)["acceleration"]
                   for c in ds.val]) for n in (25, 50)]
    assert s["ground_truth"] == pytest.approx(gt)


def test_ssim_psnr_known_answers():
    ds, runner, _ = _world(shift=0.0)
    sp = run_experiments(ds, runner, [("sp", fig_ssim_psnr, dict(every=50, size=(160, 90)))])["sp"]
    full = sp["models"]["full"]                                          # an exact copy of the real take
    assert set(full["ssim"]) == {"waltz", "rumba", "all"} and full["ssim"]["all"]["n"] == 2
    assert full["ssim"]["all"]["mean"] == pytest.approx(1.0) and full["psnr"]["all"]["mean"] == float("inf")
    assert [t["n"] for t in full["takes"]] == [4, 4]                      # frames 0, 50, 100, 150
    ws = sp["models"]["wrong_song"]
    assert 0 < ws["ssim"]["all"]["mean"] < 1 and np.isfinite(ws["psnr"]["all"]["mean"])
    assert sp["models"]["no_hgr"]["ssim"]["all"]["mean"] < 1              # bones 10% longer


def test_frames_and_training_results():
    ds, runner, gen = _world()
    res = run_experiments(ds, runner, [("f", fig_frames, dict(names=["full", "gone"], n_frames=3)),
                                       ("t", fig_training, {})])
    f = res["f"]
    assert f["take"] == "va" and f["indices"] == [0, 100, 199]
    assert [r["name"] for r in f["rows"]] == ["ground_truth", "full", "gone"]
    assert np.asarray(f["rows"][1]["keypoints"]) == pytest.approx(np.asarray(f["rows"][0]["keypoints"]) + [10.0, 0.0])
    assert f["rows"][2]["keypoints"] is None and f["rows"][2]["status"] == "missing"
    assert res["t"]["full"]["curves"] == {} and res["t"]["full"]["info"] == {} and np.isnan(res["t"]["full"]["minutes"])
    assert set(res["t"]) == {"full", "no_hgr", "gone"}


def test_writer_turns_results_into_markdown_json_and_figures(tmp_path):
    import cv2

    ds, runner, _ = _world(shift=0.0)
    st = rep.ReportSettings(beat_lengths_s=(3.0, 6.0), smooth_lengths=(25, 50), fid_window_s=2.0, fid_hop_s=1.0,
                            ssim_every=50, ssim_size=(160, 90), grid_frames=3, unseen_max_s=6.0, quick=True)
    res = {"command": "dancegen report -o x", "date": "today", "git_commit": "abc", "machine": "test", "data": "d",
           "music": ds.songs, "settings": {"unseen_max_s": 6.0, "quick": True, "seed": 0, "fid_window_s": 2.0,
                                           "fid_hop_s": 1.0, "grid_frames": 3},
           "val_takes": [{"take": d.name, "genre": d.genre, "seconds": d.duration} for d in ds.val], "seconds": 1.0}
    res.update(run_experiments(ds, runner, rep.plan(ds, st)))
    res["models"] = {n: m.as_json() for n, m in ds.models.items()}
    figs = writer.write_report(res, tmp_path, compared=("full", "gone"))
    md = (tmp_path / "report.md").read_text()
    js = json.loads((tmp_path / "report.json").read_text())
    assert "Missing or not available: gone." in md and "| Gone | missing | | | | | | | |" in md
    assert "| Full | 0.0" in md                                           # JPE of an exact copy
    assert "| SSIM rumba | SSIM waltz | SSIM all | PSNR rumba (dB) | PSNR waltz (dB) | PSNR all (dB) |" in md
    assert "| Full | 1.000 (1) | 1.000 (1) | 1.000 | inf | inf | inf |" in md
    assert "| lift_and_rotate |" in md and "Not in the table (gone): gone missing" in md
    assert js["ssim_psnr"]["models"]["full"]["psnr"]["all"]["mean"] is None   # inf -> null
    assert js["table2"]["val"]["full"]["mean"]["jpe_px"] == 0.0
    assert set(figs) == {"training", "beat_vs_length", "smoothness_vs_length", "ssim_psnr", "frames"}
    for name in figs.values():
        img = cv2.imread(str(tmp_path / name))
        assert img is not None and img.shape[0] > 150 and img.shape[1] > 300, name
        assert f"]({name})" in md
    assert writer.fmt(None) == "—" and writer.fmt(float("inf")) == "inf" and writer.fmt(0.12345) == "0.123"


# ------------------------------------------------------------------------------------------ evaluate
def test_evaluate_reports_every_metric_with_the_reports_definitions(setup, report, tmp_path, capsys):
    """`dancegen evaluate` on the tiny full model: SSIM/PSNR per genre and symmetry per stance in the
    table and the JSON, and the same numbers as the report's for the same dances."""
    from dancegen.evaluate.quality import evaluate, format_table

    data, models, tracks, root = setup
    model = str(models / "default" / "model.safetensors")
    out = tmp_path / "ev.json"
    capsys.readouterr()
    assert main(["evaluate", "--model", model, "--data", str(data), "--music", str(tracks["waltz"][0]),
                 "-o", str(out)]) == 0
    table = capsys.readouterr().out
    assert "SSIM / PSNR of rendered frames per genre" in table and "Symmetry per stance" in table
    assert "lift_and_rotate" in table and "FID_k" in table and "ms/frame" in table
    ev = json.loads(out.read_text())
    v = ev["val"]
    assert set(v["ssim_psnr"]["generated"]["ssim"]) == {"waltz", "rumba", "all"}
    assert 0 < v["ssim_psnr"]["generated"]["ssim"]["all"]["mean"] < 1
    assert v["symmetry_per_stance"]["generated"]["all"]["frames"] == 400
    assert v["symmetry_per_stance"]["ground_truth"]["all"]["frames"] == 400
    assert 0 <= v["genre_accuracy"]["generated"] <= 1 and v["ms_per_frame"] > 0
    assert ev["unseen"]["symmetry_per_stance"]["generated"]["all"]["frames"] > 0
    # one definition: with the report's quick lengths, evaluate gives the report's numbers
    _, rj, _ = report
    q = evaluate(model, str(data), music=[], progress=False, max_seconds=6.0, ssim_every=10, ssim_size=(160, 90))
    full = rj["table2"]["val"]["full"]["mean"]
    for k in ("beat_alignment_error", "jpe_px", "acceleration"):
        assert q["val"]["mean"]["generated"][k] == pytest.approx(full[k], rel=1e-6), k
    assert q["val"]["ssim_psnr"]["generated"]["ssim"]["all"]["mean"] == \
        pytest.approx(rj["ssim_psnr"]["models"]["full"]["ssim"]["all"]["mean"], rel=1e-9)
    assert q["val"]["symmetry_per_stance"]["generated"]["all"]["symmetry"] == \
        pytest.approx(rj["table3"]["full"]["all"]["symmetry"], rel=1e-9)
    m = evaluate(model, None, music=[str(tracks["rumba"][0])], progress=False)    # songs only: no real takes
    assert "val" not in m and m["unseen"]["symmetry_per_stance"]["generated"]["all"]["frames"] == 400
    assert "Symmetry per stance, generated on the unseen songs" in format_table(m)
