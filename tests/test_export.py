"""dancegen export: BVH (checked with bvhio and Blender), OpenPose JSON, CSV, the CLI and its errors."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dancegen
from dancegen import body3d
from dancegen.cli import main
from dancegen.dance import Dance
from dancegen.errors import ConfigError, DataError
from dancegen.export import bvh as bvhmod
from dancegen.export import export, export_info
from dancegen.export.synthetic import dwm_dance3d, synthetic_dance3d
from dancegen.skeleton import OPENPOSE18_JOINTS

HERE = Path(__file__).resolve().parent
BLENDER_SCRIPT = HERE / "blender_read_bvh.py"


@pytest.fixture(scope="module")
def synth() -> Dance:
    return synthetic_dance3d(250, fps=25.0)


@pytest.fixture(scope="module")
def dwm_take(dwm_dir) -> Dance:
    return dwm_dance3d(dwm_dir / "DANCE_W_1")


def bvhio_positions(path, names=body3d.JOINTS3D, scale=100.0) -> np.ndarray:
    """World positions ``(T, len(names), 3)`` in metres of the joints of a BVH file, by bvhio."""
    import bvhio  # the dev extra installs it: an independent BVH reader
    root = bvhio.readAsHierarchy(str(path))
    joints = {j.Name: j for j, _, _ in root.layout()}
    T = root.getKeyframeRange()[1] + 1
    out = np.empty((T, len(names), 3))
    for t in range(T):
        root.loadPose(t)
        for k, n in enumerate(names):
            out[t, k] = tuple(joints[n].PositionWorld)
    return out / scale


def rotation_steps(path) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame change of every BVH joint's local rotation, degrees ``(T-1, NJ)``, and the Euler
    angle steps ``(T-1, NJ, 3)``, from the numbers in the file."""
    text = Path(path).read_text().split("Frame Time:")[1].splitlines()[1:]
    data = np.array([[float(v) for v in ln.split()] for ln in text if ln.strip()])
    e = data[:, 3:].reshape(len(data), bvhmod.NJ, 3)
    R = bvhmod.from_euler(e)
    d = np.einsum("tkji,tkjl->tkil", R[:-1], R[1:])
    ang = np.degrees(np.arccos(np.clip((np.trace(d, axis1=-2, axis2=-1) - 1) / 2, -1, 1)))
    return ang, np.abs(np.diff(e, axis=0))


# ------------------------------------------------------------------------------------------ BVH
def test_bvh_header_hierarchy_and_frame_time(synth, tmp_path):
    out = export(synth, "bvh", tmp_path / "s.bvh")
    text = out.read_text()
    assert text.startswith("HIERARCHY\nROOT MidHip\n")
    assert "CHANNELS 6 Xposition Yposition Zposition Yrotation Zrotation Xrotation" in text
    assert text.count("CHANNELS 3 ") == bvhmod.NJ - 1 and text.count("End Site") == 5
    for name in body3d.JOINTS3D + ("RCollar", "LCollar", "RPelvis", "LPelvis"):
        assert f"JOINT {name}\n" in text or name == "MidHip"
    motion = text.split("MOTION\n")[1].splitlines()
    assert motion[0] == f"Frames: {synth.n_frames}" and motion[1] == "Frame Time: 0.04000000"
    assert len(motion) == 2 + synth.n_frames and len(motion[2].split()) == 3 + 3 * bvhmod.NJ
    # offsets are the dance's bone lengths in cm, in T-pose directions
    L = np.median(body3d.bone_lengths(synth.joints3d.astype(np.float64)), axis=0)
    offsets = [[float(v) for v in ln.split()[1:]] for ln in text.splitlines() if ln.strip().startswith("OFFSET")]
    assert len(offsets) == bvhmod.NJ + 5
    np.testing.assert_allclose(offsets[1], [0, L[0] * 100, 0], atol=1e-5)     # MidHip -> Neck: up
    np.testing.assert_allclose(offsets[2], [0, L[1] * 100, 0], atol=1e-5)     # Neck -> Head: up
    np.testing.assert_allclose(offsets[6], [-L[3] * 100, 0, 0], atol=1e-5)    # RShoulder -> RElbow: -x


def test_bvh_read_back_by_bvhio_matches_joints3d_synthetic(synth, tmp_path):
    info = export_info(synth, "bvh", tmp_path / "s.bvh")
    assert info["max_error_m"] < 1e-5
    p = bvhio_positions(tmp_path / "s.bvh")
    err = np.linalg.norm(p - synth.joints3d, axis=-1)
    assert err.shape == (synth.n_frames, body3d.J3)
    assert err.max() < 0.001, f"max FK error {err.max() * 100:.4f} cm"     # well inside the 1 cm asked


def test_bvh_in_metres(synth, tmp_path):
    export(synth, "bvh", tmp_path / "m.bvh", units="m")
    text = (tmp_path / "m.bvh").read_text()
    L = np.median(body3d.bone_lengths(synth.joints3d.astype(np.float64)), axis=0)
    neck = [float(v) for v in text.splitlines()[7].split()[1:]]
    np.testing.assert_allclose(neck, [0, L[0], 0], atol=1e-6)
    p = bvhio_positions(tmp_path / "m.bvh", scale=1.0)
    assert np.linalg.norm(p - synth.joints3d, axis=-1).max() < 0.001


def test_bvh_no_flips_on_smooth_motion(synth, tmp_path):
    """The synthetic dance turns, swings and bends elbows through straight at most ~9 degrees of
    bone direction per frame: no joint's rotation, and no Euler angle, jumps more than that."""
    v = body3d.bone_vectors(synth.joints3d)
    v = v / np.linalg.norm(v, axis=-1, keepdims=True)
    bone_step = np.degrees(np.arccos(np.clip((v[1:] * v[:-1]).sum(-1), -1, 1))).max()
    assert 4.0 < bone_step < 10.0
    export(synth, "bvh", tmp_path / "s.bvh")
    ang, eul = rotation_steps(tmp_path / "s.bvh")
    assert ang.max() < 10.0, f"rotation step {ang.max():.1f} deg at joint {bvhmod.BVH_JOINTS[ang.max(0).argmax()]}"
    assert eul.max() < 10.0


def test_bvh_elbows_and_knees_are_hinges(synth):
    """Where a limb is bent, the limb root's twist puts the elbow / knee rotation on one local axis."""
    from scipy.spatial.transform import Rotation

    R = bvhmod.local_rotations(bvhmod.solve_rotations(synth.joints3d))
    for name, axis in (("RElbow", (0, 1, 0)), ("LElbow", (0, -1, 0)), ("RKnee", (1, 0, 0)), ("LKnee", (1, 0, 0))):
        rv = Rotation.from_matrix(R[:, bvhmod.BVH_JOINTS.index(name)]).as_rotvec()
        ang = np.linalg.norm(rv, axis=1)
        bent = np.degrees(ang) > 25
        assert bent.mean() > 0.3
        assert np.all(rv[bent] @ np.array(axis, float) / ang[bent] > np.cos(np.deg2rad(2))), name


@pytest.mark.realdata
def test_bvh_real_dwm_take_read_back_by_bvhio(dwm_take, tmp_path):
    info = export_info(dwm_take, "bvh", tmp_path / "w1.bvh")
    assert info["frames"] == dwm_take.n_frames > 1000
    p = bvhio_positions(tmp_path / "w1.bvh")
    err = np.linalg.norm(p - dwm_take.joints3d, axis=-1)
    assert err.max() < 0.001, f"max FK error {err.max() * 100:.4f} cm"
    # no flips: a waltz turns fast (up to ~20 deg per frame at the root), nothing jumps further
    ang, eul = rotation_steps(tmp_path / "w1.bvh")
    assert ang.max() < 45.0 and np.percentile(ang, 99.9) < 30.0
    assert eul.max() < 60.0


@pytest.mark.slow
def test_bvh_imported_by_blender_matches_joints3d(synth, tmp_path):
    blender = shutil.which("blender")
    if blender is None:
        pytest.skip("Blender not installed (Debian package 'blender': apt-get install blender)")
    export(synth, "bvh", tmp_path / "s.bvh")
    frames = [0, 1, 60, 125, synth.n_frames - 1]
    r = subprocess.run([blender, "-b", "--factory-startup", "--python", str(BLENDER_SCRIPT), "--",
                        str(tmp_path / "s.bvh"), str(tmp_path / "b.json"), "0.01", *map(str, frames)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and (tmp_path / "b.json").exists(), r.stdout[-2000:] + r.stderr[-2000:]
    got = json.loads((tmp_path / "b.json").read_text())
    assert got["frames"] == frames and set(bvhmod.BVH_JOINTS) <= set(got["bones"])
    j = synth.joints3d[frames].astype(np.float64)
    heads = np.stack([np.asarray(got["bones"][n]["head"]) for n in body3d.JOINTS3D], axis=1)
    err = np.linalg.norm(heads - j, axis=-1)
    assert err.max() < 0.001, f"Blender max error {err.max() * 100:.4f} cm"
    # a bone with one child ends on it; the End Sites continue the last bone (Head: 10 cm, wrist: 8)
    I = body3d.JOINT3D_INDEX
    tail = np.asarray(got["bones"]["RElbow"]["tail"])
    assert np.linalg.norm(tail - j[:, I["RWrist"]], axis=-1).max() < 0.001
    for name, parent, length in (("Head", "Neck", 0.10), ("RWrist", "RElbow", 0.08)):
        d = j[:, I[name]] - j[:, I[parent]]
        want = j[:, I[name]] + length * d / np.linalg.norm(d, axis=-1, keepdims=True)
        assert np.linalg.norm(np.asarray(got["bones"][name]["tail"]) - want, axis=-1).max() < 0.001


@pytest.mark.slow
@pytest.mark.realdata
def test_bvh_real_take_imported_by_blender(dwm_take, tmp_path):
    blender = shutil.which("blender")
    if blender is None:
        pytest.skip("Blender not installed (Debian package 'blender': apt-get install blender)")
    export(dwm_take, "bvh", tmp_path / "w1.bvh")
    frames = list(range(0, dwm_take.n_frames, 97))
    r = subprocess.run([blender, "-b", "--factory-startup", "--python", str(BLENDER_SCRIPT), "--",
                        str(tmp_path / "w1.bvh"), str(tmp_path / "b.json"), "0.01", *map(str, frames)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    got = json.loads((tmp_path / "b.json").read_text())
    heads = np.stack([np.asarray(got["bones"][n]["head"]) for n in body3d.JOINTS3D], axis=1)
    assert np.linalg.norm(heads - dwm_take.joints3d[frames], axis=-1).max() < 0.001


def test_bvh_bone_lengths_that_vary_are_reported(synth, tmp_path):
    j = synth.joints3d.copy()
    j[100:, body3d.JOINT3D_INDEX["RWrist"]] += np.float32(0.03)    # the forearm changes length by a few cm
    d = Dance(keypoints=synth.keypoints, fps=25, joints3d=j, joint3d_names=body3d.JOINTS3D, name="v")
    info = export_info(d, "bvh", tmp_path / "v.bvh")
    assert 0.01 < info["max_error_m"] < 0.06 and 0.01 < info["length_dev_m"] < 0.06


# ---------------------------------------------------------------------------------- OpenPose JSON
def _dance2d(T=40, seed=3, **kw):
    rng = np.random.default_rng(seed)
    kp = rng.uniform(-50, 2000, (T, 18, 2)).astype(np.float32)
    return Dance(keypoints=kp, fps=30.0, name="clip", **kw)


def test_openpose_json_round_trip_exact(tmp_path):
    from dancegen.data.openpose import load_openpose

    conf = np.random.default_rng(4).uniform(0.01, 1.0, (40, 18)).astype(np.float32)
    d = _dance2d(confidence=conf)
    out = export(d, "openpose-json", tmp_path / "op")
    files = sorted(out.glob("*.json"))
    assert [f.name for f in files] == [f"clip_{t:012d}_keypoints.json" for t in range(40)]
    doc = json.loads(files[7].read_text())
    assert doc["version"] == 1.3 and len(doc["people"]) == 1
    person = doc["people"][0]
    assert person["person_id"] == [-1] and len(person["pose_keypoints_2d"]) == 54
    assert all(person[k] == [] for k in ("face_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d",
                                          "pose_keypoints_3d", "face_keypoints_3d", "hand_left_keypoints_3d",
                                          "hand_right_keypoints_3d"))
    back = load_openpose(out, fps=30.0)
    assert np.array_equal(back.keypoints, d.keypoints)          # exact float32
    assert np.array_equal(back.confidence, conf)
    # without confidence: 1 everywhere
    export(_dance2d(seed=5), "openpose-json", tmp_path / "op1")
    assert np.all(load_openpose(tmp_path / "op1", fps=30.0).confidence == 1.0)


def test_openpose_json_refuses_then_replaces_with_force(tmp_path):
    d = _dance2d()
    export(d, "openpose-json", tmp_path / "op")
    with pytest.raises(DataError, match="exists and is not empty; pass --force"):
        export(d, "openpose-json", tmp_path / "op")
    short = Dance(keypoints=d.keypoints[:10], fps=30.0, name="clip")
    export(short, "openpose-json", tmp_path / "op", force=True)
    assert len(list((tmp_path / "op").iterdir())) == 10                # no stale frames
    (tmp_path / "op" / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match="holds other files"):
        export(short, "openpose-json", tmp_path / "op", force=True)
    assert (tmp_path / "op" / "notes.txt").exists() and len(list((tmp_path / "op").iterdir())) == 11
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".tmp_", ".old_"))]


def test_openpose_json_failure_leaves_nothing(tmp_path, monkeypatch):
    import dancegen.data.openpose as op

    calls = {"n": 0}
    real = op.openpose_frame_dict

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 20:
            raise OSError("disk full")
        return real(*a, **k)

    monkeypatch.setattr(op, "openpose_frame_dict", flaky)
    with pytest.raises(OSError):
        export(_dance2d(), "openpose-json", tmp_path / "op")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------- CSV
def test_csv_columns_and_values(synth, tmp_path):
    out = export(synth, "csv", tmp_path / "s.csv")
    header = out.read_text().splitlines()[0].split(",")
    want = (["frame", "time_s"] + [f"{n}_{a}" for n in body3d.JOINTS3D for a in "xyz"]
            + [f"{n}_{a}" for n in OPENPOSE18_JOINTS for a in "uv"])
    assert header == want
    data = np.loadtxt(out, delimiter=",", skiprows=1)
    assert data.shape == (synth.n_frames, len(want))
    assert np.array_equal(data[:, 0], np.arange(synth.n_frames))
    np.testing.assert_allclose(data[:, 1], np.arange(synth.n_frames) / 25.0, atol=1e-9)
    assert np.array_equal(data[:, 2:2 + 51].astype(np.float32), synth.joints3d.reshape(synth.n_frames, -1))
    assert np.array_equal(data[:, 53:].astype(np.float32), synth.keypoints.reshape(synth.n_frames, -1))
    export(synth, "csv", tmp_path / "cm.csv", units="cm")
    cm = np.loadtxt(tmp_path / "cm.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(cm[:, 2:53], data[:, 2:53] * 100, rtol=1e-7)


def test_csv_of_a_2d_dance(tmp_path):
    out = export(_dance2d(T=5), "csv", tmp_path / "d.csv")
    lines = out.read_text().splitlines()
    assert len(lines) == 6 and lines[0].split(",")[2:4] == ["Nose_u", "Nose_v"] and len(lines[0].split(",")) == 38


# ------------------------------------------------------------------------------ errors, API, CLI
def test_bvh_needs_body3d_joints(tmp_path):
    with pytest.raises(DataError, match="has no joints3d: BVH needs a 3D dance"):
        export(_dance2d(), "bvh", tmp_path / "x.bvh")
    d = _dance2d(T=4)
    d.joints3d = np.zeros((4, 23, 3), np.float32)
    with pytest.raises(DataError, match="Dance-with-Melody source layout"):
        export(d, "bvh", tmp_path / "x.bvh")
    d.joints3d = np.zeros((3, 17, 3), np.float32)
    d.joint3d_names = body3d.JOINTS3D
    with pytest.raises(DataError, match="3 frames but keypoints 4"):
        export(d, "bvh", tmp_path / "x.bvh")
    d.joints3d = np.zeros((4, 17, 2), np.float32)
    with pytest.raises(DataError, match=r"shape \(4, 17, 2\)"):
        export(d, "bvh", tmp_path / "x.bvh")
    d.joints3d = np.full((4, 17, 3), np.nan, np.float32)
    with pytest.raises(DataError, match="not finite"):
        export(d, "bvh", tmp_path / "x.bvh")
    with pytest.raises(ConfigError, match="unknown export format"):
        export(d, "fbx", tmp_path / "x.fbx")
    with pytest.raises(ConfigError, match="units"):
        export(d, "openpose-json", tmp_path / "op", units="cm")
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_and_writes_atomically(synth, tmp_path, monkeypatch):
    for fmt, name in (("bvh", "s.bvh"), ("csv", "s.csv")):
        p = tmp_path / name
        p.write_text("keep me")
        with pytest.raises(DataError, match="exists; pass --force"):
            export(synth, fmt, p)
        assert p.read_text() == "keep me"
        export(synth, fmt, p, force=True)
        assert p.read_text() != "keep me"
    # a writer dying half-way leaves the old file and no temporary file
    before = (tmp_path / "s.bvh").read_text()
    monkeypatch.setattr(np, "savetxt", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        export(synth, "bvh", tmp_path / "s.bvh", force=True)
    assert (tmp_path / "s.bvh").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.bvh", "s.csv"]


def test_python_api_takes_a_path_and_dancegen_export_is_callable(synth, tmp_path):
    synth.save(tmp_path / "s.npz")
    out = dancegen.export(str(tmp_path / "s.npz"), "bvh", tmp_path / "s.bvh")
    assert out == tmp_path / "s.bvh" and out.stat().st_size > 10_000
    assert dancegen.export.export is export


def test_cli_export(synth, tmp_path, capsys):
    npz = tmp_path / "s.npz"
    synth.save(npz)
    assert main(["export", str(npz), "-o", str(tmp_path / "s.bvh")]) == 0          # format from the suffix
    out = capsys.readouterr().out
    assert "BVH, 250 frames at 25 fps, 21 joints, cm; its joints match joints3d within 0.001 cm" in out
    assert main(["export", str(npz), "-o", str(tmp_path / "s.bvh")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists; pass --force" in err
    assert main(["export", str(npz), "-o", str(tmp_path / "s.bvh"), "--force", "--units", "m"]) == 0
    assert main(["export", str(npz), "--format", "openpose-json", "-o", str(tmp_path / "op")]) == 0
    assert len(list((tmp_path / "op").glob("synthetic3d_*_keypoints.json"))) == 250
    assert main(["export", str(npz), "-f", "csv", "-o", str(tmp_path / "t.txt")]) == 0
    capsys.readouterr()
    assert main(["export", str(npz), "-o", str(tmp_path / "out")]) == 2
    assert "cannot tell the format" in capsys.readouterr().err
    _dance2d().save(tmp_path / "flat.npz")
    assert main(["export", str(tmp_path / "flat.npz"), "-o", str(tmp_path / "f.bvh")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "BVH needs a 3D dance" in err


def test_cli_help_lists_export():
    r = subprocess.run([sys.executable, "-m", "dancegen", "export", "--help"], capture_output=True, text=True,
                       cwd=HERE.parent)
    assert r.returncode == 0 and "openpose-json" in r.stdout and "--units" in r.stdout


def test_openpose_writer_in_a_shared_folder_and_the_working_folder(tmp_path, monkeypatch):
    """``dancegen extract --openpose-json DIR`` writes into a folder that may hold other videos'
    frames: only this prefix's frames are replaced; "." works and is never renamed away."""
    from dancegen.data.openpose import list_frames, write_openpose_frames

    kp = np.random.default_rng(0).uniform(0, 500, (6, 18, 2)).astype(np.float32)
    conf = np.ones((6, 18), np.float32)
    shared = tmp_path / "json"
    write_openpose_frames(kp, conf, shared, name="a")
    write_openpose_frames(kp[:4], conf[:4], shared, name="b")
    with pytest.raises(DataError, match="b_000000000000_keypoints.json: exists"):
        write_openpose_frames(kp[:2], conf[:2], shared, name="b")
    write_openpose_frames(kp[:2], conf[:2], shared, name="b", overwrite=True)
    names = sorted(p.name for p in shared.iterdir())
    assert names == [f"a_{t:012d}_keypoints.json" for t in range(6)] + [f"b_{t:012d}_keypoints.json" for t in range(2)]
    monkeypatch.chdir(shared)
    d = Dance(keypoints=kp, fps=25, name="c")
    export(d, "openpose-json", ".", force=True)
    assert Path.cwd() == shared and len(list_frames(".")) == 6 and sorted(shared.glob("c_*")) != []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".tmp_", ".old_"))]


def test_export_is_locked_and_cleans_what_a_killed_export_left(synth, tmp_path):
    from dancegen import fileio
    from dancegen.errors import OutputError

    out = tmp_path / "s.bvh"
    stale = tmp_path / f"{fileio.TMP_PREFIX}999999999-abc.bvh"   # a killed writer's temporary file
    stale.write_text("half")
    with fileio.OutputLock(out):                                   # another run is writing it
        with pytest.raises(OutputError, match="another dancegen run"):
            export(synth, "bvh", out)
    assert not out.exists() and stale.exists()
    export(synth, "bvh", out)
    assert out.exists() and not stale.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.bvh"]
