"""DanceTrack (MOT-format) sequences: one pose sequence per tracked id, built from real photos."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from dancegen.dance import Dance
from dancegen.errors import PoseError
from dancegen.pose.dancetrack import crop_box, extract_dancetrack, read_mot_boxes, read_seqinfo
from dancegen.skeleton import JOINT_INDEX
from pose_helpers import ASTRONAUT_MARKS, astronaut

W, H, T, FPS = 800, 400, 8, 20
SCALE = 0.5                        # the 512 px photo pasted at 256 x 256
# id -> {frame (1-based): top-left corner of the pasted photo}; the box is the pasted photo.
TRACKS = {
    1: {f: (20 + 15 * (f - 1), 60) for f in range(1, 7)},          # frames 1-6, moving right
    2: {f: (520, 100 - 12 * (f - 3)) for f in range(3, 9)},         # frames 3-8, moving up
}
FACE = [JOINT_INDEX[n] for n in ("Nose", "REye", "LEye")]


def make_sequence(root, name="dancetrack0001"):
    """A sequence folder in DanceTrack's layout with two dancers (ids 1 and 2) and one ignored row."""
    seq = root / name
    (seq / "img1").mkdir(parents=True)
    (seq / "gt").mkdir()
    (seq / "seqinfo.ini").write_text(
        f"[Sequence]\nname={name}\nimDir=img1\nframeRate={FPS}\nseqLength={T}\n"
        f"imWidth={W}\nimHeight={H}\nimExt=.jpg\n")
    small = cv2.resize(astronaut(), None, fx=SCALE, fy=SCALE, interpolation=cv2.INTER_AREA)
    side = small.shape[0]
    rows = []
    for f in range(1, T + 1):
        img = np.full((H, W, 3), 90, np.uint8)
        for tid, boxes in TRACKS.items():
            if f in boxes:
                x, y = boxes[f]
                img[y:y + side, x:x + side] = small
                rows.append(f"{f},{tid},{x},{y},{side},{side},1,1,1")
        cv2.imwrite(str(seq / "img1" / f"{f:06d}.jpg"), img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
    rows.append("1,3,700,300,50,50,0,1,1")     # conf 0: MOT's "ignore this row"
    (seq / "gt" / "gt.txt").write_text("\n".join(rows) + "\n")
    return seq


@pytest.fixture(scope="module")
def sequence(tmp_path_factory):
    return make_sequence(tmp_path_factory.mktemp("dancetrack"))


@pytest.fixture(scope="module")
def tracks(sequence):
    return extract_dancetrack(sequence, progress=False)


def test_read_seqinfo_and_boxes(sequence):
    info = read_seqinfo(sequence)
    assert info["fps"] == 20.0 and info["length"] == 8 and (info["width"], info["height"]) == (W, H)
    assert info["im_dir"] == sequence / "img1" and info["ext"] == ".jpg"
    boxes = read_mot_boxes(sequence / "gt" / "gt.txt")
    assert boxes.shape == (12, 6)                      # 6 + 6 rows, the conf-0 row dropped
    assert set(boxes[:, 1].astype(int)) == {1, 2}
    assert list(boxes[0]) == [1, 1, 20, 60, 256, 256]


def test_crop_box_margin_and_clipping():
    assert crop_box((100, 50, 100, 200), (800, 400), 0.2) == (80, 10, 220, 290)
    assert crop_box((10, 10, 100, 100), (800, 400), 0.2) == (0, 0, 130, 130)      # clipped at 0
    assert crop_box((750, 350, 100, 100), (800, 400), 0.2) == (730, 330, 800, 400)
    assert crop_box((900, 10, 50, 50), (800, 400), 0.2) is None                    # off the image


def test_one_sequence_per_id_in_full_frame_pixels(tracks):
    assert sorted(tracks) == [1, 2]
    for tid, d in tracks.items():
        assert isinstance(d, Dance)
        assert d.keypoints.shape == (T, 18, 2) and d.confidence.shape == (T, 18)
        assert d.fps == FPS and d.canvas == (W, H) and d.name == f"dancetrack0001_id{tid}"
        frames = TRACKS[tid]
        assert d.meta["frames_present"] == len(frames) == d.meta["frames_detected"]
        for f in range(1, T + 1):
            kp, conf = d.keypoints[f - 1], d.confidence[f - 1]
            if f not in frames:
                assert np.all(conf == 0), f"id {tid} absent in frame {f} but has confidence"
                continue
            x, y = frames[f]
            assert conf[FACE].min() > 0.9
            for name in ("Nose", "REye", "LEye"):
                mark = np.asarray(ASTRONAUT_MARKS[name]) * SCALE + (x, y)
                err = np.hypot(*(kp[JOINT_INDEX[name]] - mark))
                assert err < 10.0, f"id {tid} frame {f} {name}: {kp[JOINT_INDEX[name]]} vs {mark}"


def test_keypoints_follow_the_boxes(tracks):
    """Box motion between frames is reproduced by the face keypoints (same crop content)."""
    nose = JOINT_INDEX["Nose"]
    k1 = tracks[1].keypoints[:, nose]
    np.testing.assert_allclose(k1[5] - k1[0], (75, 0), atol=3.0)    # id 1 moved +75 px in x
    k2 = tracks[2].keypoints[:, nose]
    np.testing.assert_allclose(k2[7] - k2[2], (0, -60), atol=3.0)   # id 2 moved -60 px in y


def test_ids_filter_and_errors(sequence, tmp_path):
    only2 = extract_dancetrack(sequence, ids=[2], progress=False)
    assert list(only2) == [2]
    with pytest.raises(PoseError, match="seqinfo.ini: no such file"):
        extract_dancetrack(tmp_path, progress=False)
    bad = tmp_path / "bad"
    (bad / "gt").mkdir(parents=True)
    (bad / "img1").mkdir()
    (bad / "seqinfo.ini").write_text("[Sequence]\nname=bad\nseqLength=2\n")
    with pytest.raises(PoseError, match="frameRate"):
        extract_dancetrack(bad, progress=False)
    (bad / "seqinfo.ini").write_text("[Sequence]\nname=bad\nframeRate=20\nseqLength=2\n")
    (bad / "gt" / "gt.txt").write_text("1,1,10,10,50,50,1,1,1\nx,y\n")
    with pytest.raises(PoseError, match=r"gt.txt:2: not numbers"):
        extract_dancetrack(bad, progress=False)
    (bad / "gt" / "gt.txt").write_text("5,1,10,10,50,50,1,1,1\n")
    with pytest.raises(PoseError, match="reach frame 5 but the sequence has 2 frames"):
        extract_dancetrack(bad, progress=False)
    (bad / "gt" / "gt.txt").write_text("1,1,10,10,50,50,1,1,1\n")
    with pytest.raises(PoseError, match="000001.jpg: no such image file"):
        extract_dancetrack(bad, progress=False)


def test_cli_dancetrack_writes_one_npz_per_id(sequence, tmp_path, capsys):
    from dancegen.cli import main

    out = tmp_path / "poses"
    js = tmp_path / "json"
    rc = main(["extract", str(sequence), "--dancetrack", "-o", str(out), "--openpose-json", str(js),
               "--no-progress"])
    assert rc == 0, capsys.readouterr().err
    files = sorted(p.name for p in out.iterdir())
    assert files == ["dancetrack0001_id1.npz", "dancetrack0001_id2.npz"]
    d1 = Dance.load(out / "dancetrack0001_id1.npz")
    assert d1.keypoints.shape == (T, 18, 2) and d1.fps == FPS and d1.canvas == (W, H)
    assert np.all(d1.confidence[6:] == 0) and d1.confidence[:6, FACE].min() > 0.9
    # OpenPose JSON: both dancers with their ids in frames 3-6, only id 2 in frames 7-8
    f4 = json.loads((js / "dancetrack0001_000000000003_keypoints.json").read_text())
    f8 = json.loads((js / "dancetrack0001_000000000007_keypoints.json").read_text())
    assert [p["person_id"] for p in f4["people"]] == [[1], [2]]
    assert [p["person_id"] for p in f8["people"]] == [[2]]
    # a second run refuses to overwrite without --force
    rc = main(["extract", str(sequence), "--dancetrack", "-o", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc != 0 and "exists; pass --force" in err and err.count("\n") == 1
