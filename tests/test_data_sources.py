"""AIST++ and OpenPose JSON sources, on small fixtures written in the real file formats."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import soundfile as sf

from dancegen.dance import Dance
from dancegen.data.aist import list_aist, load_aist, load_aist_sequence, parse_name, read_pickle, up_rotation
from dancegen.data.openpose import load_openpose, read_frame, write_openpose_json
from dancegen.errors import DataError
from dancegen.skeleton import JOINT_INDEX as JI

SEQ = "gBR_sBM_cAll_d04_mBR0_ch01"
SEQ2 = "gPO_sBM_cAll_d10_mPO1_ch02"


def coco_person(T, rng):
    """COCO-17 3D joints (T, 17, 3) cm with z up (AIST++ files are not all y-up), walking along x."""
    base = np.array([
        [0, 5, 160], [-3, 8, 163], [3, 8, 163], [-7, 2, 161], [7, 2, 161],          # face
        [-18, 0, 145], [18, 0, 145], [-40, 0, 125], [40, 0, 125], [-50, 5, 100], [50, 5, 100],
        [-10, 0, 95], [10, 0, 95], [-10, 3, 50], [10, 3, 50], [-10, 0, 8], [10, 0, 8],
    ], dtype=np.float64)
    t = np.arange(T)[:, None, None]
    return base[None] + np.array([1.0, 0, 0]) * t + rng.normal(0, 0.5, (T, 17, 3))


def write_aist_fixture(root, rng, T=120):
    (root / "keypoints2d").mkdir(parents=True)
    (root / "keypoints3d").mkdir()
    (root / "splits").mkdir()
    (root / "wavs").mkdir()
    for seq in (SEQ, SEQ2):
        k3 = coco_person(T, rng)
        with open(root / "keypoints3d" / f"{seq}.pkl", "wb") as fh:
            pickle.dump({"keypoints3d": k3, "keypoints3d_optim": k3 + 0.0}, fh)
        k2 = np.zeros((9, T, 17, 3))
        k2[..., 0] = 960 + 3 * k3[None, ..., 0]
        k2[..., 1] = 900 - 3 * k3[None, ..., 2]
        k2[..., 2] = 0.9
        k2[0, 10, 5] = np.nan                       # a failed detection in view 0, frame 10
        with open(root / "keypoints2d" / f"{seq}.pkl", "wb") as fh:
            pickle.dump({"keypoints2d": k2, "det_scores": np.ones((9, T)), "timestamps": np.arange(T)}, fh)
    (root / "splits" / "crossmodality_train.txt").write_text(f"{SEQ}\n{SEQ2}\n")
    (root / "splits" / "crossmodality_val.txt").write_text(f"{SEQ2}\n")
    (root / "ignore_list.txt").write_text(f"{SEQ2}\n")
    sf.write(root / "wavs" / "mBR0.wav", np.zeros(22050, np.float32), 22050)
    return root


def test_parse_name():
    assert parse_name(SEQ) == {"genre": "break", "genre_code": "gBR", "music_id": "mBR0",
                               "dancer": "d04", "camera": "cAll"}
    with pytest.raises(DataError):
        parse_name("not_a_sequence")


def test_aist_fixture_loads(tmp_path):
    rng = np.random.default_rng(0)
    root = write_aist_fixture(tmp_path / "aist", rng)
    assert list_aist(root, "train") == [SEQ]                     # SEQ2 is on the ignore list
    assert list_aist(root, "train", use_ignore_list=False) == [SEQ, SEQ2]
    d = load_aist_sequence(root, SEQ, view=0)
    assert d.fps == 60.0 and d.genre == "break" and d.offset == 0.0
    assert d.music.endswith("wavs/mBR0.wav") and d.keypoints.shape == (120, 18, 2)
    with open(root / "keypoints2d" / f"{SEQ}.pkl", "rb") as fh:
        k2 = read_pickle(fh.name)["keypoints2d"][0]
    # COCO -> OpenPose: RShoulder is COCO 6, neck the mid-shoulders
    assert d.keypoints[5, JI["RShoulder"]] == pytest.approx(k2[5, 6, :2], abs=1e-3)
    assert d.keypoints[5, JI["Neck"]] == pytest.approx(0.5 * (k2[5, 5, :2] + k2[5, 6, :2]), abs=1e-3)
    # the NaN detection is interpolated with zero confidence
    assert d.confidence[10, JI["LShoulder"]] == 0 and d.confidence[11, JI["LShoulder"]] == pytest.approx(0.9)
    assert d.keypoints[10, JI["LShoulder"]] == pytest.approx(0.5 * (k2[9, 5, :2] + k2[11, 5, :2]), abs=1e-3)
    # 3D: z-up input is turned y-up, floor at 0, head above the ankles
    j3 = d.joints3d
    assert j3.shape == (120, 18, 3)
    assert np.median(j3[:, JI["Nose"], 1] - j3[:, JI["RAnkle"], 1]) == pytest.approx(152, abs=2)
    assert np.percentile(np.minimum(j3[:, JI["RAnkle"], 1], j3[:, JI["LAnkle"], 1]), 1) == pytest.approx(0, abs=1e-6)
    # a 3D-only sequence is filmed by the virtual camera
    (root / "keypoints2d" / f"{SEQ}.pkl").unlink()
    d3 = load_aist(root, names=[SEQ], progress=False)[0]
    assert d3.confidence is None and np.isfinite(d3.keypoints).all()
    assert 400 < np.median(d3.keypoints[..., 1].max(1) - d3.keypoints[..., 1].min(1)) < 700
    d2 = load_aist_sequence(root, SEQ2)
    assert d2.music is None and d2.meta["music_missing"] and d2.genre == "pop"


def test_up_rotation_is_proper():
    rng = np.random.default_rng(1)
    k = coco_person(10, rng)
    R = up_rotation(k)
    assert np.linalg.det(R) == pytest.approx(1.0)
    assert (R @ np.array([0, 0, 1.0]))[1] == pytest.approx(1.0)


def test_aist_bad_file(tmp_path):
    (tmp_path / "keypoints2d").mkdir()
    (tmp_path / "keypoints2d" / f"{SEQ}.pkl").write_bytes(b"garbage")
    with pytest.raises(DataError, match="not a readable AIST"):
        load_aist_sequence(tmp_path, SEQ)
    with pytest.raises(DataError):
        list_aist(tmp_path / "nothing")


def _dance(T=30):
    rng = np.random.default_rng(2)
    kp = 500 + rng.uniform(0, 400, (T, 18, 2)).astype(np.float32)
    conf = rng.uniform(0.2, 1.0, (T, 18)).astype(np.float32)
    return Dance(keypoints=kp, fps=30.0, confidence=conf, name="clip")


def test_openpose_round_trip(tmp_path):
    d = _dance()
    paths = write_openpose_json(d, tmp_path / "op")
    assert len(paths) == 30 and paths[3].name == "clip_000000000003_keypoints.json"
    back = load_openpose(tmp_path / "op", fps=30.0)
    assert back.keypoints == pytest.approx(d.keypoints, abs=1e-3)
    assert back.confidence == pytest.approx(d.confidence, abs=1e-3)
    with pytest.raises(DataError, match="exists"):
        write_openpose_json(d, tmp_path / "op")


def test_openpose_missing_person_and_body25(tmp_path):
    folder = tmp_path / "op"
    folder.mkdir()
    for t in range(5):
        people = []
        if t != 2:                                     # frame 2: nobody detected
            k = np.zeros((25, 3))
            k[:, 0], k[:, 1], k[:, 2] = 100 + 10 * t, 200, 0.8
            k[4] = 0                                     # RWrist never seen
            weak = k.copy()
            weak[:, 2] = 0.1
            weak[:, 0] += 500
            people = [{"pose_keypoints_2d": weak.ravel().tolist()}, {"pose_keypoints_2d": k.ravel().tolist()}]
        (folder / f"v_{t:012d}_keypoints.json").write_text(json.dumps({"version": 1.3, "people": people}))
    assert read_frame(folder / "v_000000000000_keypoints.json").shape == (2, 18, 3)
    d = load_openpose(folder, fps=25)
    assert d.n_frames == 5 and d.meta["missing_frames"] == 1
    assert d.keypoints[0, JI["Neck"], 0] == pytest.approx(100)        # the confident person
    assert d.keypoints[2, JI["Neck"], 0] == pytest.approx(120)        # interpolated over the gap
    assert d.confidence[2].max() == 0
    assert d.confidence[0, JI["RWrist"]] == 0
    assert d.keypoints[0, JI["RWrist"]] == pytest.approx(d.keypoints[0, JI["Neck"]])
    # BODY_25: OpenPose-18 RHip is BODY_25 joint 9 (8 is MidHip)
    assert d.keypoints[0, JI["RHip"], 1] == pytest.approx(200)
    with pytest.raises(DataError):
        load_openpose(tmp_path / "empty_missing")


def test_data_info_command(tmp_path, capsys):
    from dancegen.cli import main

    root = write_aist_fixture(tmp_path / "aist", np.random.default_rng(0))
    assert main(["data", "info", str(root)]) == 0
    out = capsys.readouterr().out
    assert "AIST++, 2 sequences (1 on ignore_list.txt)" in out
    assert "missing audio (wavs/): mPO1" in out and "genres: break 1, pop 1" in out
    write_openpose_json(_dance(), tmp_path / "op")
    assert main(["data", "info", str(tmp_path / "op"), "--fps", "30"]) == 0
    out = capsys.readouterr().out
    assert "OpenPose JSON, 1 sequence of 30 frames" in out and "frames without a person: 0" in out
    assert main(["data", "info", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err
