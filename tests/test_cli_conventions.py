"""One command line: numeric options checked when parsed (dancegen/cliargs.py), one-line errors where
internal errors used to be, the same option names in every command, no development-folder defaults."""
from __future__ import annotations

import argparse
import copy
import json
import os
from pathlib import Path

import numpy as np
import pytest

from dancegen import cliargs as A
from dancegen.cli import build_parser, main
from dancegen.dance import Dance
from dancegen.errors import DataError

REPO = Path(__file__).resolve().parents[1]
SONG = REPO / "examples" / "music" / "metal_madness.ogg"


def _one_line_error(capsys, argv, needle, rc=2):
    got = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert got == rc and len(err) == 1 and needle in err[0] and "internal error" not in err[0], (argv, err)
    return err[0]


# ------------------------------------------------------------------------------------------ parse time
BAD_OPTIONS = [
    (["train", "--data", "D", "--out", "R", "--epochs", "-1"], "--epochs -1"),
    (["train", "--data", "D", "--out", "R", "--epochs", "2.5"], "--epochs 2.5"),
    (["train", "--data", "D", "--out", "R", "--max-minutes", "-3"], "--max-minutes -3"),
    (["train", "--data", "D", "--out", "R", "--lr", "nan"], "--lr nan"),
    (["train", "--data", "D", "--out", "R", "--lr", "0"], "--lr 0"),
    (["train", "--data", "D", "--out", "R", "--seed", "-1"], "--seed -1"),
    (["train", "--data", "D", "--out", "R", "--batch-size", "0"], "--batch-size 0"),
    (["train", "--data", "D", "--out", "R", "--devices", "zero"], "--devices zero"),
    (["generate", "S", "-o", "O", "--fps", "0"], "--fps 0"),
    (["generate", "S", "-o", "O", "--seed", "-1"], "--seed -1"),
    (["generate", "S", "-o", "O", "--seed", str(2 ** 32)], "--seed 4294967296"),
    (["generate", "S", "-o", "O", "--size", "2x2"], "--size 2x2"),
    (["generate", "S", "-o", "O", "--size", "961x540"], "even"),
    (["generate", "S", "-o", "O", "--temperature", "3.5"], "--temperature 3.5"),
    (["generate", "S", "-o", "O", "--temperature", "-0.1"], "--temperature -0.1"),
    (["generate", "S", "-o", "O", "--elevation", "90"], "--elevation 90"),
    (["generate", "S", "-o", "O", "--elevation", "-61"], "--elevation -61"),
    (["generate", "S", "-o", "O", "--yaw", "inf"], "--yaw inf"),
    (["generate", "S", "-o", "O", "--accent", "1"], "--accent 1"),
    (["generate", "S", "-o", "O", "--duration", "0"], "--duration 0"),
    (["render", "D.npz", "-o", "o.mp4", "--size", "abc"], "--size abc"),
    (["render", "D.npz", "-o", "o.mp4", "--frames", "0"], "--frames 0"),
    (["features", "S", "-o", "f.npz", "--fps", "1e9"], "--fps 1e9"),
    (["extract", "V", "-o", "v.npz", "--fps", "-5"], "--fps -5"),
    (["data", "info", "D", "--fps", "0"], "--fps 0"),
    (["serve", "--port", "70000"], "--port 70000"),
    (["evaluate", "--music", "S", "--seed", "x"], "--seed x"),
]


@pytest.mark.parametrize("argv,needle", BAD_OPTIONS, ids=[" ".join(a[:1] + a[-2:]) for a, _ in BAD_OPTIONS])
def test_bad_numbers_are_refused_when_parsed(argv, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                  # nothing may be created: the run never starts
    line = _one_line_error(capsys, argv, needle)
    assert line.startswith(f"dancegen {argv[0]}")
    assert list(tmp_path.iterdir()) == []


def test_devices_are_limited_to_the_cpu_cores_unless_an_accelerator_is_given(capsys, tmp_path):
    n = A.cpu_count() + 1
    _one_line_error(capsys, ["train", "--data", str(tmp_path), "--out", str(tmp_path / "r"), "--devices", str(n)],
                    f"--devices {n}: this machine has")
    A.check_devices(str(n), "gpu")                    # accepted with an accelerator
    A.check_devices("auto", None)
    with pytest.raises(Exception, match="CPU core"):
        A.check_devices(n, "cpu")                     # a number from a --config file too


def test_type_functions():
    assert A.size("1280x720") == (1280, 720) and A.size("16X16") == (16, 16)
    assert A.fps("29.97") == pytest.approx(29.97) and A.seed("1e3") == 1000 and A.epochs("7") == 7
    assert A.temperature("0") == 0.0 and A.elevation("-60") == -60.0 and A.devices("auto") == "auto"
    for f, bad in ((A.size, "16x7682"), (A.fps, "0.4"), (A.fps, "241"), (A.seed, "1.5"), (A.minutes, "0"),
                   (A.lr, "inf"), (A.positive_float, "-1"), (A.devices, "0"), (A.temperature, "nan")):
        with pytest.raises(argparse.ArgumentTypeError):
            f(bad)


def test_train_needs_a_run_folder_and_report_its_inputs(capsys, tmp_path, monkeypatch):
    for var in ("DANCEGEN_DATA", "DANCEGEN_MODELS_DIR", "DANCEGEN_REPORT_MUSIC"):
        monkeypatch.delenv(var, raising=False)
    _one_line_error(capsys, ["train", "--data", str(tmp_path)], "no run folder: pass --out")
    _one_line_error(capsys, ["train", "--data", str(tmp_path), "--model-kind", "seq2seq3d"], "no run folder")
    _one_line_error(capsys, ["report", "-o", str(tmp_path / "r"), "--music"], "DANCEGEN_DATA")
    _one_line_error(capsys, ["report", "-o", str(tmp_path / "r"), "--data", str(tmp_path), "--music"],
                    "DANCEGEN_MODELS_DIR")
    _one_line_error(capsys, ["report", "-o", str(tmp_path / "r"), "--data", str(tmp_path), "--models-dir",
                             str(tmp_path)], "DANCEGEN_REPORT_MUSIC")
    monkeypatch.setenv("DANCEGEN_REPORT_MUSIC", str(tmp_path / "nothing" / "*.ogg"))
    _one_line_error(capsys, ["report", "-o", str(tmp_path / "r"), "--data", str(tmp_path), "--models-dir",
                             str(tmp_path)], "no unseen songs match")


# ------------------------------------------------------------------------------------------ conventions
def _commands():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, p in sub.choices.items():
        inner = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
        if inner:
            for n2, p2 in inner[0].choices.items():
                yield f"{name} {n2}", p2
        else:
            yield name, p


WRITERS = {"generate", "render", "features", "repair", "evaluate", "report", "extract", "convert-model", "train"}
WITH_PROGRESS = {"generate", "render", "evaluate", "report", "extract", "train"}


def test_every_command_follows_the_conventions():
    seen = set()
    for name, p in _commands():
        seen.add(name)
        opts = {o: a for a in p._actions for o in a.option_strings}
        if name in WRITERS:
            assert "-o" in opts and "--out" in opts and opts["-o"] is opts["--out"], name
            if name != "train":                           # train resumes a run folder instead
                assert "--force" in opts, name
        if name in WITH_PROGRESS:
            assert "-q" in opts and "--quiet" in opts and opts["-q"] is opts["--quiet"], name
        assert "--debug" in opts, name                    # also after the command
        for a in p._actions:
            for text in (a.default, a.help):
                if isinstance(text, str):
                    assert "../shared" not in text and not text.startswith("runs"), (name, a.dest, text)
    assert WRITERS | WITH_PROGRESS <= seen


def test_old_option_spellings_still_work(tmp_path):
    parser = build_parser()
    for argv in (["render", "d.npz", "--output", "o.mp4"], ["repair", "d.npz", "--output", "o.npz"],
                 ["features", "s.ogg", "--output", "f.npz"], ["extract", "v.mp4", "--output", "v.npz"]):
        assert parser.parse_args(argv).output.endswith(argv[-1][-5:]), argv
    assert parser.parse_args(["extract", "v.mp4", "-o", "v.npz", "--no-progress"]).no_progress
    assert parser.parse_args(["check", "d.npz", "--debug"]).debug


def test_no_development_folder_in_the_code():
    for path in (REPO / "dancegen").rglob("*.py"):
        text = path.read_text()
        assert "../shared" not in text, path
        assert '"runs/' not in text and "default=\"runs" not in text, path


# ------------------------------------------------------------------------------------------ named errors
def _npz(path, **over):
    kp = np.random.default_rng(0).uniform(100, 900, (20, 18, 2)).astype(np.float32)
    arrays = dict(keypoints=kp, fps=np.float32(25), canvas=np.array([1920, 1080], np.int32))
    arrays.update(over)
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


@pytest.mark.parametrize("over,needle", [
    (dict(fps=np.asarray("fast")), "fps must be a number"),
    (dict(fps=np.float64(1e-6)), "fps 1e-06 is out of range"),
    (dict(fps=np.float64(1e9)), "fps 1e+09 is out of range"),
    (dict(fps=np.float64("nan")), "out of range"),
    (dict(fps=np.array([25.0, 30.0])), "fps must be a number"),
    (dict(canvas=np.asarray("1920x1080")), "canvas must be (width, height)"),
    (dict(canvas=np.array([0, 0])), "canvas 0x0 is out of range"),
    (dict(canvas=np.array([1920.5, 1080])), "whole numbers"),
    (dict(offset=np.asarray("soon")), "offset must be a number"),
    (dict(music=np.arange(3)), "'music' must be a text"),
    (dict(confidence=np.ones((3, 18))), "confidence has shape"),
])
def test_dance_files_with_bad_fields_are_named_errors(tmp_path, capsys, over, needle):
    f = _npz(tmp_path / "bad.npz", **over)
    with pytest.raises(DataError, match=None) as e:
        Dance.load(f)
    assert needle in str(e.value) and "bad.npz" in str(e.value)
    for argv in (["render", str(f), "-o", str(tmp_path / "o.mp4")], ["check", str(f), "--json"]):
        _one_line_error(capsys, argv, needle)
    assert not (tmp_path / "o.mp4").exists()


def test_check_json_is_valid_json_without_nan(tmp_path, capsys, monkeypatch):
    from dancegen.feedback import structure

    f = _npz(tmp_path / "d.npz")
    real = structure.StructureReport.to_dict

    def with_nan(self, per_frame=True):
        d = real(self, per_frame)
        d["symmetry"]["mean"] = float("nan")
        d["extra"] = [float("inf"), 1.0]
        return d

    monkeypatch.setattr(structure.StructureReport, "to_dict", with_nan)
    assert main(["check", str(f), "--json"]) == 0
    out = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    assert out["symmetry"]["mean"] is None and out["extra"] == [None, 1.0]


def _broken(d, key, value):
    if value is KeyError:
        d.pop(key)
    else:
        d[key] = value


@pytest.mark.parametrize("edit,needle", [
    (lambda m: _broken(m["feature_stats"], "mean", KeyError), "feature settings are malformed"),
    (lambda m: _broken(m["feature_config"], "fps", "fast"), "feature settings are malformed"),
    (lambda m: _broken(m, "genres", []), "'genres' must be a non-empty list"),
    (lambda m: _broken(m, "canvas", [0, 0]), "canvas 0x0"),
    (lambda m: _broken(m, "seed_poses", []), "'seed_poses' must be"),
    (lambda m: _broken(m, "ref_lengths", [1.0, 2.0]), "'ref_lengths' must be"),
    (lambda m: _broken(m, "body_scale", float("nan")), "'body_scale'"),
    (lambda m: _broken(m, "feature_config", KeyError), "lacks 'feature_config'"),
])
def test_model_files_with_missing_or_bad_keys_are_named_errors(tmp_path, capsys, edit, needle):
    from dancegen.model.format import read_model, save_model

    kind, sd, meta = read_model(REPO / "dancegen" / "models" / "default.safetensors")
    meta = copy.deepcopy(meta)
    edit(meta)
    bad = save_model(tmp_path / "bad.safetensors", kind, sd, meta)
    line = _one_line_error(capsys, ["generate", str(SONG), "-o", str(tmp_path / "o"), "--model", str(bad),
                                    "--duration", "1", "--no-video", "-q"], needle)
    assert "bad.safetensors" in line and not (tmp_path / "o").exists()   # not even an empty folder


def test_help_texts_name_the_environment_variables():
    for name, p in _commands():
        if name == "report":
            h = p.format_help()
            assert all(v in h for v in ("DANCEGEN_DATA", "DANCEGEN_MODELS_DIR", "DANCEGEN_REPORT_MUSIC"))
    assert os.environ.get("DANCEGEN_MODELS_DIR") is None or True


def test_python_api_fps_zero_is_an_error_not_the_default():
    import dancegen
    from dancegen.errors import ConfigError

    with pytest.raises(ConfigError, match="--fps 0"):
        dancegen.generate(str(SONG), duration=1.0, fps=0)
