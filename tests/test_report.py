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
    rows = [{"a": 1.0, "b": float("inf")}, {"a": 3.0, "b": 2.0}]
    assert rep.mean_rows(rows) == {"a": 2.0, "b": 2.0}
    from dancegen.metrics import STANCES

    def res(sym, frames):
        d = {s: {"symmetry": float("nan"), "frames": 0} for s in STANCES}
        d[STANCES[0]] = {"symmetry": sym, "frames": frames}
        d["all"] = {"symmetry": sym, "frames": frames}
        return d

    w = rep.weighted_symmetry([res(0.5, 10), res(1.0, 30)])
    assert w[STANCES[0]]["symmetry"] == pytest.approx(0.875) and w["all"]["frames"] == 40
    assert np.isnan(w[STANCES[1]]["symmetry"]) and w[STANCES[1]]["frames"] == 0
    kp = np.repeat(BASE[None], 3, axis=0)
    from dancegen.skeleton import bone_lengths

    ref = bone_lengths(kp)[0] / 1.1                               # every bone 10% too long
    assert rep.mean_bone_deviation(kp, ref) == pytest.approx(0.1, abs=1e-6)


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
