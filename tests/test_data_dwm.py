"""Dance with Melody: reading, the 23->18 mapping, the virtual camera, defects, splits, retiming."""
from __future__ import annotations

import numpy as np
import pytest

from dancegen.data import dwm
from dancegen.data.dwm import (dwm23_to_openpose18, frozen_frames, jump_frames, list_sequences, load_dwm,
                               load_dwm_sequence, prepare_sequence, project, reproject, shared_openings,
                               split_leaks)
from dancegen.errors import DataError
from dancegen.skeleton import JOINT_INDEX as JI

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def all_seqs(dwm_dir):
    return [load_dwm_sequence(dwm_dir / n) for n in list_sequences(dwm_dir)]


# ----------------------------------------------------------------------------- camera (no data)
def _standing(facing_z=True):
    """A T-posed dancer (OpenPose-18, cm, floor y=0) facing +z, right arm towards -x."""
    p = np.zeros((18, 3))
    p[JI["Neck"]] = (0, 145, 0)
    p[JI["Nose"]] = (0, 155, 8)
    p[JI["RShoulder"]], p[JI["LShoulder"]] = (-18, 145, 0), (18, 145, 0)
    p[JI["RElbow"]], p[JI["LElbow"]] = (-45, 145, 0), (45, 145, 0)
    p[JI["RWrist"]], p[JI["LWrist"]] = (-70, 145, 0), (70, 145, 0)
    p[JI["RHip"]], p[JI["LHip"]] = (-10, 95, 0), (10, 95, 0)
    p[JI["RKnee"]], p[JI["LKnee"]] = (-10, 50, 0), (10, 50, 0)
    p[JI["RAnkle"]], p[JI["LAnkle"]] = (-10, 5, 0), (10, 5, 0)
    p[JI["REye"]], p[JI["LEye"]] = (-3, 158, 7), (3, 158, 7)
    p[JI["REar"]], p[JI["LEar"]] = (-7, 156, 0), (7, 156, 0)
    return np.repeat(p[None], 5, axis=0)


def test_projection_of_known_points():
    j = _standing()
    h, D = 160.0, 500.0
    kp = project(j, 0.0, canvas=(1920, 1080), person_height_px=600, distance=D, height=h, follow_s=0)
    f = 600 * D / h
    # the camera aims at the joints' centroid: x = 0, z = mean z
    zc = j[0, :, 2].mean()
    # a joint at the body's mid-height straight ahead projects to the canvas centre row
    assert kp[0, JI["LWrist"], 0] == pytest.approx(960 + f * 70 / (D - (0 - zc)), abs=1e-3)
    assert kp[0, JI["Neck"], 1] == pytest.approx(540 - f * (145 - h / 2) / (D - (0 - zc)), abs=1e-3)
    # orthographic: a person of height h is person_height_px tall
    ko = project(j, 0.0, person_height_px=600, height=h, camera="orthographic", follow_s=0)
    assert ko[0, JI["Nose"], 1] - ko[0, JI["LAnkle"], 1] == pytest.approx(-600 * (155 - 5) / h, abs=1e-3)
    # facing the camera, the dancer's right side is on the image's left
    assert kp[0, JI["RWrist"], 0] < kp[0, JI["Neck"], 0] < kp[0, JI["LWrist"], 0]


def test_yaw_180_mirrors_left_and_right():
    j = _standing()
    a = project(j, 0.0, camera="orthographic", height=160, follow_s=0)
    b = project(j, 180.0, camera="orthographic", height=160, follow_s=0)
    assert b[..., 0] == pytest.approx(1920 - a[..., 0], abs=1e-3)
    assert b[..., 1] == pytest.approx(a[..., 1], abs=1e-3)
    assert b[0, JI["RWrist"], 0] > b[0, JI["LWrist"], 0]     # seen from behind: right on the right
    # perspective: yaw 90 looks at the dancer's side, the two wrists overlap in x (depth only)
    c = project(j, 90.0, height=160, follow_s=0)
    assert abs(c[0, JI["RWrist"], 0] - c[0, JI["LWrist"], 0]) < 5


# ----------------------------------------------------------------------------- real data
def test_mapping_left_right_and_face(all_seqs):
    s = all_seqs[0]
    op = dwm23_to_openpose18(s.world)
    assert op.shape == (s.n_frames, 18, 3)
    f = dwm.facing(s.world)
    # the facing direction agrees with the feet (heel -> toe) in most frames
    feet = (s.world[:, 11] - s.world[:, 10]) + (s.world[:, 20] - s.world[:, 19])
    feet[:, 1] = 0
    assert np.mean(np.sum(f * feet, axis=1) > 0) > 0.8
    right = np.cross(f, [0, 1, 0])
    side = op[:, JI["RShoulder"]] - op[:, JI["LShoulder"]]
    assert np.mean(np.sum(side * right, axis=1) > 0) > 0.9
    # the nose is in front of the head centre and between the ears
    nose_fw = np.sum((op[:, JI["Nose"]] - 0.5 * (op[:, JI["REar"]] + op[:, JI["LEar"]])) * f, axis=1)
    assert np.median(nose_fw) > 5
    assert op[:, JI["Neck"]] == pytest.approx(0.5 * (s.world[:, 3] + s.world[:, 12]))


def test_readme_facts_defects(all_seqs):
    by = {s.name: s for s in all_seqs}
    assert len(all_seqs) == 37
    for s in all_seqs:
        assert np.isfinite(s.skeleton).all() and np.isfinite(s.center).all()
        assert 1 <= (s.end_position - s.start_position) - s.n_frames <= 56
    frozen = {n: int(frozen_frames(by[n].world).sum()) for n in ("DANCE_C_4", "DANCE_R_3", "DANCE_R_4", "DANCE_R_8")}
    assert frozen == {"DANCE_C_4": 29, "DANCE_R_3": 17, "DANCE_R_4": 50, "DANCE_R_8": 109}
    assert frozen_frames(by["DANCE_W_1"].world).sum() == 0
    assert jump_frames(by["DANCE_T_5"].world).sum() > 50            # 66 frames over 40 cm
    assert jump_frames(by["DANCE_T_5"].world, 30.0).sum() > 200     # 251 over 30 cm
    assert max(jump_frames(s.world).sum() for s in all_seqs if s.name != "DANCE_T_5") == 0


def test_shared_openings_and_split_leaks(all_seqs, dwm_dir):
    groups = shared_openings(all_seqs)
    for g in (["DANCE_W_1", "DANCE_W_11", "DANCE_W_31"], ["DANCE_W_17", "DANCE_W_25"],
              ["DANCE_W_27", "DANCE_W_30", "DANCE_W_32"], ["DANCE_W_15", "DANCE_W_28"],
              ["DANCE_W_12", "DANCE_W_22"], ["DANCE_W_7", "DANCE_W_10"]):
        assert any(set(g) <= set(x) for x in groups), (g, groups)
    assert not any("DANCE_C_2" in g for g in groups)
    assert not any("DANCE_W_24" in g for g in groups)              # a take of its own
    leaks = split_leaks(dwm_dir, groups)
    assert len(leaks) == 1 and {"DANCE_W_7", "DANCE_W_10", "DANCE_W_12", "DANCE_W_22"} <= set(leaks[0])
    # the leak-free split moves the leaking val takes out for takes that share no opening
    train, val = dwm.clean_split(dwm_dir, all_seqs)
    assert not set(train) & set(val) and len(train) + len(val) == 37
    assert not split_leaks(dwm_dir, groups, train=train, val=val)
    assert {"DANCE_C_8", "DANCE_R_8"} <= set(val) and len(val) == 4


def test_drift_removed_feet_on_floor(all_seqs):
    for s in all_seqs:
        if s.name == "DANCE_T_5":
            continue
        w, info = prepare_sequence(s)
        low = w[:, list(dwm.FOOT_JOINTS), 1].min(axis=1)
        n = int(10 * s.fps)
        raw = s.world[:, list(dwm.FOOT_JOINTS), 1].min(axis=1)
        assert abs(np.median(low[-n:]) - np.median(low[:n])) < 4.0, s.name
        assert np.percentile(low, 5) > -3.0, s.name
        if s.name == "DANCE_W_31":   # floats up 49 cm in the raw data
            assert np.median(raw[-n:]) - np.median(raw[:n]) > 40


def test_every_sequence_stays_on_canvas(dwm_dir):
    clips = load_dwm(dwm_dir, retime=False, exclude=(), progress=False)
    assert len(clips) == 37
    for c in clips:
        k = c.keypoints
        assert np.isfinite(k).all()
        inside = (k[..., 0] >= 0) & (k[..., 0] < 1920) & (k[..., 1] >= 0) & (k[..., 1] < 1080)
        assert inside.mean() > 0.999, c.name
        assert 150 < np.median(k[:, JI["Neck"], 1]) < 450, c.name   # neck in the upper half
        # the person is about 600 px tall (feet to head top), whatever the travel
        ext = np.median(k[..., 1].max(1) - k[..., 1].min(1))
        assert 450 < ext < 650, (c.name, ext)


def test_load_dwm_split_and_clip_fields(dwm_dir):
    val = load_dwm(dwm_dir, split="val", retime=False, progress=False)
    assert [c.name for c in val] == ["DANCE_C_8", "DANCE_R_8", "DANCE_W_10", "DANCE_W_22"]
    train_names = list_sequences(dwm_dir, "train")
    assert "DANCE_T_5" in train_names and len(train_names) == 33
    c = val[0]
    assert c.genre == "cha-cha" and c.fps == 25.0 and c.music.endswith("DANCE_C_8/audio.mp3")
    assert c.offset == pytest.approx(c.meta["start_position"] / 25.0)
    assert c.joints3d.shape == (c.n_frames, 23, 3)
    assert c.n_frames == load_dwm_sequence(dwm_dir / "DANCE_C_8").n_frames
    r = reproject(c, 180.0)
    assert r.keypoints.shape == c.keypoints.shape and r.meta["yaw"] == 180.0
    # yaw 180: the right shoulder changes side relative to the left one in most frames
    s0 = np.sign(c.keypoints[:, JI["RShoulder"], 0] - c.keypoints[:, JI["LShoulder"], 0])
    s1 = np.sign(r.keypoints[:, JI["RShoulder"], 0] - r.keypoints[:, JI["LShoulder"], 0])
    assert np.mean(s0 != s1) > 0.9
    with pytest.raises(DataError):
        load_dwm(dwm_dir, names=["DANCE_X_1"], progress=False)


def test_retimed_true_pairs_beat_shuffled(dwm_dir, tmp_path, monkeypatch):
    """On a few real takes, retiming lifts the beat-align score of true pairs well above chance
    (the same motion against the other songs), which raw pairs do not reach."""
    from dancegen.data.retime import cached_music_beats
    from dancegen.metrics.beat import beat_align_score_bailando as beat_align_score
    from dancegen.skeleton import motion_beats

    monkeypatch.setenv("DANCEGEN_CACHE", str(tmp_path))     # beats are tracked afresh
    names = ["DANCE_C_2", "DANCE_R_4", "DANCE_W_6"]
    clips = load_dwm(dwm_dir, names=names, progress=False)
    beats = [cached_music_beats(c.music, c.offset, c.duration) for c in clips]
    true, shuf = [], []
    for i, c in enumerate(clips):
        assert c.meta["retime"]["beat_warp"]
        assert 0.8 - 1e-6 <= c.meta["retime"]["rate_min"] and c.meta["retime"]["rate_max"] <= 1.25 + 1e-6
        mb = motion_beats(c.joints3d, c.fps)
        true.append(beat_align_score(mb, beats[i]))
        shuf.append(np.mean([beat_align_score(mb, b[b < c.duration]) for j, b in enumerate(beats) if j != i]))
    assert np.mean(true) > 0.3
    assert np.mean(true) > np.mean(shuf) + 0.15


def test_data_info_command_on_dwm(dwm_dir, capsys):
    from dancegen.cli import main

    assert main(["data", "info", str(dwm_dir)]) == 0
    out = capsys.readouterr().out
    assert "Dance with Melody, 37 sequences" in out
    assert "genres: cha-cha 4, rumba 6, tango 1, waltz 26" in out
    assert "DANCE_C_4 (29), DANCE_R_3 (17), DANCE_R_4 (50), DANCE_R_8 (109)" in out
    assert "jumps > 40 cm/frame: DANCE_T_5" in out
    assert "split leak: val DANCE_W_10 DANCE_W_22" in out
