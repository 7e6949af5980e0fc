"""The Dance file: every field of the dataclass survives save + load (2D and 3D dances)."""
from dataclasses import fields

import numpy as np
import pytest

from dancegen import body3d as b3
from dancegen.dance import Dance
from dancegen.errors import DataError
from roundtrip import assert_same_fields


def _dance(three_d: bool) -> Dance:
    rng = np.random.default_rng(4)
    T = 12
    kw = dict(
        keypoints=rng.uniform(0, 900, (T, 18, 2)).astype(np.float32), fps=29.97, canvas=(1280, 720),
        music="/music/song.ogg", offset=12.5, genre="waltz", name="take_1",
        confidence=rng.uniform(0, 1, (T, 18)).astype(np.float32),
        meta={"source": "test", "seed": 3, "hgr2d": {"jump": [1, 2]}, "tempo": 121.5, "ok": True, "none": None},
    )
    if three_d:
        kw.update(joints3d=rng.normal(size=(T, b3.J3, 3)).astype(np.float32), joint3d_names=b3.JOINTS3D)
    return Dance(**kw)


@pytest.mark.parametrize("three_d", [False, True])
def test_every_field_round_trips(tmp_path, three_d):
    d = _dance(three_d)
    back = Dance.load(d.save(tmp_path / "d.npz"))
    names = assert_same_fields(d, back)
    assert set(names) == {f.name for f in fields(Dance)}
    assert back.bones3d == (b3.BONES3D if three_d else None)


def test_numpy_numbers_in_meta_are_stored_as_plain_numbers(tmp_path):
    d = _dance(False)
    d.meta = {"gain": np.float32(1.25), "counts": np.arange(3), "n": np.int64(7)}
    assert Dance.load(d.save(tmp_path / "d.npz")).meta == {"gain": 1.25, "counts": [0, 1, 2], "n": 7}
    d.meta = {"bad": object()}
    with pytest.raises(TypeError, match="cannot store"):
        d.save(tmp_path / "e.npz")


def test_meta_that_is_not_a_json_object_is_refused(tmp_path):
    p = tmp_path / "m.npz"
    np.savez(p, keypoints=np.zeros((2, 18, 2), np.float32), fps=np.float32(25), meta=np.asarray("[1, 2]"))
    with pytest.raises(DataError, match="JSON object"):
        Dance.load(p)
    np.savez(p, keypoints=np.zeros((2, 18, 2), np.float32), fps=np.float32(25), meta=np.asarray("{oops"))
    with pytest.raises(DataError, match="not valid JSON"):
        Dance.load(p)
