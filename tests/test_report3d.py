"""``dancegen report --set 3d``: the paper's experiments on the 3D generator, end to end on a synthetic
data folder (3D dances on click tracks, real audio pipeline) and tiny untrained 3D models (five
Seq2Seq3D files, one GAN-ST-GCN 3D file; the VQ run has only a ``last.pt``: training under way),
plus the expectations check on known numbers.

Known answers: the real val takes filmed by the default camera have JPE 0 and FID floor computed;
every table and realism column is there for every available model; a model that is missing keeps
its row, marked, with the command that trains it; an expectation whose numbers say so is confirmed,
one whose model is missing is not measured."""
import json

import numpy as np
import pytest
import soundfile as sf
import torch

from dancegen import body3d as b3
from dancegen.cli import main
from dancegen.evaluate import report as rep
from dancegen.evaluate.experiments import expectations as ex
from audio_synth import click_track
from motion3d_synth import REF, synthetic_dance3d

torch.set_num_threads(1)
SEQ2SEQ3D = ("full", "full_1500", "no_multiscale", "no_attention", "no_hgr")
GENRES = ["cha-cha", "rumba", "tango", "waltz"]


def _clicks(path, seconds, bpm, sr=22050):
    sf.write(path, click_track(np.arange(0, seconds, 60.0 / bpm), seconds, sr), sr)


def _meta(kind="multi"):
    from dancegen.audio.features import FeatureConfig
    from dancegen.model import motion3d

    fc = FeatureConfig(fps=25.0, kind=kind)
    x = np.concatenate([motion3d.encode(synthetic_dance3d(300, seed=s), 25.0) for s in range(3)])
    return dict(feature_config=fc.to_dict(), feature_stats={"mean": [0.0] * fc.dim, "std": [1.0] * fc.dim,
                                                            "names": fc.names()},
                pose_mean=x.mean(0).tolist(), pose_std=np.maximum(x.std(0), 1e-3).tolist(), ref_lengths=REF.tolist(),
                genres=GENRES, seed_poses=x[::50].tolist(), ref_speed=1.0, ref_body_speed=0.5), fc.dim


def _seq2seq3d(path, seed, kind="multi", attention="additive"):
    from dancegen.model.bundle3d import Model3DBundle
    from dancegen.model.seq2seq3d import Model3DConfig, Seq2Seq3D

    meta, F = _meta(kind)
    torch.manual_seed(seed)
    net = Seq2Seq3D(Model3DConfig(n_features=F, enc_hidden=8, dec_hidden=16, attn_dim=8, n_mix=3, attention=attention,
                                  n_genres=len(GENRES), dropout=0.0)).eval()
    info = {"name": path.parent.name, "epochs": 1, "steps": 3, "train_minutes": 0.1, "final_nll": 1.5}
    Model3DBundle(model=net, **Model3DBundle.meta_kwargs({**meta, "info": info})).save_pretrained(path)


def _gan3d(path):
    from dancegen.model import motion3d
    from dancegen.model.baselines.bundle3d import Baseline3DBundle, Meta3D
    from dancegen.model.baselines.models3d import GAN3D, build_model3d

    meta, F = _meta()
    torch.manual_seed(5)
    cfg = dict(music_dim=8, noise_dim=4, joint_dim=4, g_channels=[16, 16], d_channels=[16, 16, 16], t_kernel=5,
               context=8, window=50, n_features=F, n_genres=len(GENRES), pose_dim=motion3d.DIM)
    net = build_model3d(GAN3D, cfg).eval()
    Baseline3DBundle(model=net, **Meta3D.meta_kwargs({**meta, "info": {"name": "gan_stgcn3d", "steps": 3}})
                     ).save_pretrained(path)


@pytest.fixture(scope="module")
def setup3d(tmp_path_factory):
    root = tmp_path_factory.mktemp("report3d")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DANCEGEN_CACHE", str(root / "cache"))
        yield _world3d(root)


def _world3d(root):
    """A data folder of 3D dances (4 train + 2 val on two click tracks) and a runs folder: four
    Seq2Seq3D runs and the GAN's; the VQ run has only a last.pt (training under way); the
    bundled full model is replaced by a fifth tiny file (``--model full=...``)."""
    from dancegen.camera import film
    from dancegen.dance import Dance

    data = root / "data"
    data.mkdir()
    tracks = {"waltz": (data / "clicks120.wav", 1.0), "rumba": (data / "clicks100.wav", 1.2)}
    _clicks(tracks["waltz"][0], 16.0, 120)
    _clicks(tracks["rumba"][0], 16.0, 100)
    names = [(f"tr{i}", g) for i, g in enumerate(["waltz", "rumba", "waltz", "rumba"])] + [("va", "waltz"),
                                                                                          ("vb", "rumba")]
    for k, (name, genre) in enumerate(names):
        wav, off = tracks[genre]
        j = synthetic_dance3d(250 if name.startswith("tr") else 200, seed=10 + k)
        Dance(film(j, 25.0)[0], 25.0, music=str(wav), offset=off, genre=genre, name=name, joints3d=j,
              joint3d_names=b3.JOINTS3D).save(data / f"{name}.npz")
    (data / "val.txt").write_text("va\nvb\n")
    runs = root / "runs"
    for k, (run, fk, att) in enumerate((("full3d_1500", "multi", "additive"), ("no_multiscale3d", "mfcc", "additive"),
                                        ("no_attention3d", "multi", "none"), ("no_hgr3d", "multi", "additive"))):
        (runs / run).mkdir(parents=True)
        _seq2seq3d(runs / run / "model.safetensors", k, fk, att)
    (runs / "gan_stgcn3d").mkdir()
    _gan3d(runs / "gan_stgcn3d" / "model.safetensors")
    (runs / "vqvae_transformer3d").mkdir()
    torch.save({"state": json.dumps({"step": 7, "log": [{"step": 5, "rec": 0.9, "pos": 0.3, "elapsed_min": 0.5}]})},
               runs / "vqvae_transformer3d" / "last.pt")
    full = root / "bundled_stand_in.safetensors"
    _seq2seq3d(full, 9)
    return data, runs, tracks, root, full


@pytest.fixture(scope="module")
def report3d(setup3d):
    data, runs, tracks, root, full = setup3d
    out = root / "out"
    rc = main(["report", "--set", "3d", "-o", str(out), "--models-dir", str(runs), "--model", f"full={full}",
               "--data", str(data), "--music", str(tracks["waltz"][0]), str(tracks["rumba"][0]), "--quick", "--quiet"])
    assert rc == 0
    return out, json.loads((out / "report.json").read_text()), (out / "report.md").read_text()


def test_3d_set_runs_end_to_end_and_reports_the_missing_model(report3d, setup3d):
    out, res, md = report3d
    assert res["set"] == "3d" and md.startswith("# dancegen experiments report: the 3D generator")
    st = {k: v["status"] for k, v in res["models"].items()}
    assert st == {**{n: "ok" for n in SEQ2SEQ3D}, "gan_stgcn": "ok", "vqvae_transformer": "missing"}
    vq = res["models"]["vqvae_transformer"]
    assert "last.pt at step 7" in vq["reason"] and "scripts/train_all3d.sh" in vq["reason"]
    assert "configs/vq3d.json" in vq["reason"]
    assert "Missing or not available: vqvae_transformer." in md
    assert all(res["models"][n]["is_3d"] for n in SEQ2SEQ3D + ("gan_stgcn",))
    fb = {n: m["feedback"] for n, m in res["models"].items()}
    assert fb == {"full": True, "full_1500": True, "no_multiscale": True, "no_attention": True, "no_hgr": False,
                  "gan_stgcn": False, "vqvae_transformer": False}
    assert f"--set 3d --models-dir {setup3d[1]} --model full=" in res["command"]
    for name in res["figures"].values():
        assert (out / name).is_file() and f"]({name})" in md
    assert res["timings"]["generate_s"] > 0 and "realism_s" in res["timings"]


def test_3d_table2_has_every_column_for_every_available_model(report3d):
    _, res, md = report3d
    val, uns = res["table2"]["val"], res["table2"]["unseen"]
    ok = SEQ2SEQ3D + ("gan_stgcn",)
    assert set(val) == set(ok) | {"ground_truth", "wrong_song"}
    for n in ok:
        m = val[n]
        for k in ("beat_alignment_error", "bas_bailando", "jpe_px", "acceleration", "jerk", "rule_breaks_per_1000",
                  "jumps_per_1000", "below_floor_per_1000", "foot_slide_share"):
            assert np.isfinite(m["mean"][k]), (n, k)
        assert np.isfinite(m["set"]["fid_k"]) and np.isfinite(m["set"]["fid_g"]) and np.isfinite(m["set"]["div_k"])
        assert 0 <= m["genre_accuracy"] <= 1 and m["ms_per_frame"] > 0
        assert len(uns[n]["songs"]) == 2 and np.isfinite(uns[n]["mean"]["rule_breaks_per_1000"])
    gt = val["ground_truth"]
    assert gt["mean"]["jpe_px"] == 0.0 and np.isfinite(gt["set"]["fid_k"])      # train vs val: the floor
    assert gt["mean"]["rule_breaks_per_1000"] >= 0 and "| Transformer-VQ-VAE (3D) | missing |" in md
    assert "rule breaks /1000 | jumps /1000 | below floor /1000 | foot sliding |" in md
    assert "real dances: the 3D takes on the generators' reference skeleton" in md


def test_3d_realism_beat_songs_hgr_symmetry_and_ssim_tables(report3d):
    _, res, md = report3d
    rz = res["realism"]
    ok = SEQ2SEQ3D + ("gan_stgcn",)
    assert set(rz["val"]) == set(ok) | {"real_train"} and set(rz["unseen"]) == set(ok)
    for n in ok + ("real_train",):
        v = rz["val"][n]
        for k in ("FID_k", "FID_g", "div_k", "div_g", "div_k_real", "wrist_above_shoulder", "knee_angle_std",
                  "feet_distance", "travel_speed", "foot_sliding"):
            assert k in v and (v[k] is None or np.isfinite(v[k])), (n, k)
        assert np.isfinite(v["FID_k"]) and v["FID_k"] >= 0 and v["knee_angle_std_ratio"] > 0
    assert "## Realism (3D dances)" in md and "| real train |" in md and "| real val | 0 | 0 |" in md
    for col in ("wrist above shoulder", "knee angle std", "feet distance", "travel speed", "foot sliding"):
        assert col in md
    bs = res["beat_songs"]
    assert bs["songs"] == ["clicks120", "clicks100"] and set(bs["models"]) == set(ok)
    for v in bs["models"].values():
        assert v["n"] == 2 and 0 <= v["passed"] <= 2 and all(r["tempo"] > 0 for r in v["songs"])
    assert "## Beat on the unseen songs" in md and "| tempo found (BPM) |" in md
    hg = res["hgr_feedback"]
    for split in ("val", "unseen"):
        for k in ("on", "off"):
            assert np.isfinite(hg[split][k]["rule_breaks_per_1000"]) and np.isfinite(hg[split][k]["jerk"])
        assert hg[split]["loop"]["frames"] > 0
    assert hg["val"]["off"]["loop_acts_per_1000"] == 0.0          # no loop, nothing counted
    assert "val_glitch" not in hg and "| val (2) | on |" in md and "loop actions /1000" in md
    t3 = res["table3"]
    assert set(t3) == set(ok) | {"ground_truth"} and all(v["all"]["frames"] == 300 for v in t3.values())
    sp = res["ssim_psnr"]["models"]
    assert set(sp) == {"full", "full_1500", "gan_stgcn", "wrong_song"}
    assert all(0 < v["ssim"]["all"]["mean"] < 1 for v in sp.values())
    assert set(res["beat_vs_length"]["models"]) == {"full", "full_1500", "gan_stgcn"}
    tr = res["training"]
    assert tr["vqvae_transformer"]["curves"]["loss"]["value"] == [0.9]     # from its last.pt
    assert tr["full_1500"]["info"]["steps"] == 3


def test_3d_expectations_are_stated_from_the_numbers(report3d):
    _, res, md = report3d
    exps = {e["claim"]: e for e in res["expectations"]}
    assert len(exps) == 7 and "## The paper's expectations against these numbers" in md
    beat = exps["ours at the comparison models' budget (full at 1,500 steps) beats both comparison models on beat "
                "alignment"]
    assert beat["total"] == 6 and beat["measured"] == 3               # the VQ model is missing
    val = res["table2"]["val"]
    c = next(c for c in beat["comparisons"] if c["metric"] == "beat_val" and c["worse"] == "gan_stgcn")
    assert c["holds"] == (val["full_1500"]["mean"]["beat_alignment_error"]
                          < val["gan_stgcn"]["mean"]["beat_alignment_error"])
    assert all(c["holds"] is None and "vqvae_transformer: missing" in c["why"]
               for c in beat["comparisons"] if c["worse"] == "vqvae_transformer")
    hgr = exps["w/o HGR is worse than the full model at the same 1,500 steps on jerk and rule breaks"]
    assert [c["metric"] for c in hgr["comparisons"]] == ["jerk", "jerk_unseen", "rule_breaks", "rule_breaks_unseen"]
    assert hgr["verdict"] in ("confirmed", "not confirmed") or hgr["verdict"].startswith("partly")
    for e in exps.values():
        assert f"| {e['claim']} | **{e['verdict']}**" in md


def test_expectation_verdicts_known_answers():
    models = {n: {"status": "ok"} for n in ("a", "b", "c")}
    models["gone"] = {"status": "missing"}
    res = {"table2": {"val": {"a": {"mean": {"beat_alignment_error": 0.05, "bas_bailando": 0.7}},
                              "b": {"mean": {"beat_alignment_error": 0.08, "bas_bailando": 0.6}},
                              "c": {"mean": {"beat_alignment_error": 0.02, "bas_bailando": float("nan")}}}}}
    E = ex.Expectation
    out = ex.check(res, models, [E("a beats b", (("a", "b"),), ("beat_val", "bas_val")),
                                 E("a beats c", (("a", "c"),), ("beat_val", "bas_val")),
                                 E("a beats b and c", (("a", "b"), ("a", "c")), ("beat_val",)),
                                 E("a beats gone", (("a", "gone"),), ("beat_val",))])
    assert [o["verdict"] for o in out] == ["confirmed", "not confirmed", "partly confirmed (1 of 2)", "not measured"]
    assert out[1]["measured"] == 1 and "no finite value for c" in out[1]["comparisons"][1]["why"]
    assert out[3]["comparisons"][0]["why"] == "gone: missing"


def test_missing_3d_models_are_reported_with_their_training_command(tmp_path):
    (tmp_path / "no_hgr3d").mkdir()
    torch.save({"state": json.dumps({"step": 900})}, tmp_path / "no_hgr3d" / "last.pt")
    found = rep.find_models(tmp_path, "3d")
    assert list(found) == ["full", "full_1500", "no_multiscale", "no_attention", "no_hgr", "gan_stgcn",
                           "vqvae_transformer"]
    assert found["full"]["status"] == "found" and found["full"]["path"].endswith("default3d.safetensors")
    assert found["no_hgr"]["status"] == "missing" and "last.pt at step 900" in found["no_hgr"]["reason"]
    assert "configs/ablation3d_no_hgr.json" in found["no_hgr"]["reason"]
    assert found["gan_stgcn"]["reason"].startswith("not found (train it: scripts/train_all3d.sh")
    assert found["full_1500"]["path"] == str(tmp_path / "full3d_1500" / "model.safetensors")
    moved = rep.find_models(tmp_path, "3d", {"full": str(tmp_path / "nowhere.safetensors")})
    assert moved["full"]["status"] == "missing" and "bundled with dancegen" in moved["full"]["reason"]
    with pytest.raises(rep.ConfigError, match="no such model in the 3d set"):
        rep.find_models(tmp_path, "3d", {"fulll": "x"})
    # every run folder is where configs/*3d*.json and scripts/train_all3d.sh write it
    for m in rep.MODELS3D[1:]:
        cfg = m.train.split("--config ")[1].split()[0]
        assert json.loads((rep.Path(__file__).resolve().parents[1] / cfg).read_text())["out"] == f"runs/{m.run}"


def test_unknown_model_name_and_bad_model_option_are_one_line_errors(setup3d, tmp_path, capsys):
    data, runs, tracks, root, full = setup3d
    for bad, needle in (("fulll=x.safetensors", "no such model in the 3d set"), ("full", "write NAME=FILE")):
        capsys.readouterr()
        rc = main(["report", "--set", "3d", "-o", str(tmp_path / "o"), "--models-dir", str(runs), "--model", bad,
                   "--data", str(data), "--music", "--quick", "--quiet"])
        err = capsys.readouterr().err.strip()
        assert rc != 0 and needle in err and len(err.splitlines()) == 1
