"""`dancegen check` / `dancegen repair`: JSON keys, exit codes, one-line errors."""
import json

import numpy as np
import pytest

from dancegen.cli import main
from dancegen.dance import Dance
from dancegen.feedback.inject import synthetic_dance


@pytest.fixture()
def files(tmp_path):
    kp = synthetic_dance(120)
    clean = tmp_path / "clean.npz"
    Dance(keypoints=kp, fps=25, name="synthetic").save(clean)
    bad = kp.copy()
    bad[30, 4] += [150.0, 60.0]
    bad[80, 13] += [-90.0, 140.0]
    faulty = tmp_path / "faulty.npz"
    Dance(keypoints=bad, fps=25, name="synthetic", genre="waltz").save(faulty)
    return clean, faulty, kp


def test_check_json_keys_and_exit_codes(files, capsys):
    clean, faulty, _ = files
    assert main(["check", str(faulty), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert sorted(d) == ["bone_deviation", "faulty_frames", "jumps", "symmetry"]
    assert d["faulty_frames"]["jump"] == [30, 80]
    assert len(d["symmetry"]["per_frame"]) == 120 and len(d["bone_deviation"]["per_frame"]) == 120
    assert {e["joint"] for e in d["jumps"]["events"]} == {"RWrist", "LAnkle"}
    assert main(["check", str(faulty), "--strict"]) == 1
    out = capsys.readouterr().out
    assert "jump" in out and "30, 80" in out
    assert main(["check", str(clean), "--strict"]) == 0
    assert "none" in capsys.readouterr().out


def test_repair_writes_a_clean_dance(files, tmp_path, capsys):
    _, faulty, kp = files
    out = tmp_path / "fixed.npz"
    assert main(["repair", str(faulty), "-o", str(out), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert {30, 80} <= set(s["frames_repaired"]) and s["after"]["n_any"] == 0
    fixed = Dance.load(out)
    assert fixed.genre == "waltz" and fixed.fps == 25
    assert np.abs(fixed.keypoints - kp).max() < 2.0
    assert main(["check", str(out), "--strict"]) == 0
    capsys.readouterr()
    # never overwrite without --force
    assert main(["repair", str(faulty), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--force" in err
    assert main(["repair", str(faulty), "-o", str(out), "--force"]) == 0


def test_corrupt_or_missing_file_is_a_one_line_error(tmp_path, capsys):
    bad = tmp_path / "corrupt.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip archive")
    for cmd in (["check", str(bad)], ["repair", str(bad), "-o", str(tmp_path / "o.npz")],
                ["check", str(tmp_path / "missing.npz")]):
        assert main(cmd) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith(f"dancegen {cmd[0]}: error:")
    assert not (tmp_path / "o.npz").exists()
    # keypoints with NaN: also a one-line error naming the problem
    kp = synthetic_dance(10)
    kp[4, 3] = np.nan
    nanf = tmp_path / "nan.npz"
    Dance(keypoints=kp, fps=25).save(nanf)
    assert main(["check", str(nanf)]) == 2
    assert "NaN" in capsys.readouterr().err
