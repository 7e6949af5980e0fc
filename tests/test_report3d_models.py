"""The 3D report's committed models (models/report3d, read by `dancegen report --set 3d
--models-dir models/report3d`) are what the report says they are: each ablation changes exactly
its one setting of configs/ablation3d_full.json, every model is trained on the bundled model's
takes and reference skeleton (the same 3D representation and data), at the budget its config
names, and carries its training log (the report's training-curve figure)."""
import json
from pathlib import Path

import numpy as np
import pytest

from dancegen.evaluate.report import MODELS3D
from dancegen.model.format import load_any

REPO = Path(__file__).resolve().parents[1]
DIR = REPO / "models" / "report3d"
ABLATION = {"no_multiscale": ("feature_kind", "mfcc"), "no_attention": ("attention", "none"),
            "no_hgr": ("hgr_losses", False), "full_1500": (None, None)}
CONFIG = {"full_1500": "ablation3d_full", "no_multiscale": "ablation3d_no_multiscale",
          "no_attention": "ablation3d_no_attention", "no_hgr": "ablation3d_no_hgr", "gan_stgcn": "gan3d",
          "vqvae_transformer": "vq3d"}


@pytest.fixture(scope="module")
def bundled():
    return load_any(REPO / "dancegen" / "models" / "default3d.safetensors")


@pytest.mark.parametrize("spec", [m for m in MODELS3D if m.name != "full"], ids=lambda m: m.name)
def test_committed_report_model_is_the_one_the_report_describes(spec, bundled):
    m = load_any(DIR / spec.run / "model.safetensors")
    cfg = m.info["config"]
    assert m.info.get("kind", cfg.get("model_kind")) == spec.kind
    want = json.loads((REPO / "configs" / f"{CONFIG[spec.name]}.json").read_text())
    # trained by its config, to its step budget
    assert m.info["steps"] == want["max_steps"] == cfg["max_steps"]
    assert {k: cfg[k] for k in want if k not in ("out", "data", "motion_only")} == \
        {k: v for k, v in want.items() if k not in ("out", "data", "motion_only")}
    # the same takes, skeleton and genres as the bundled model
    assert m.train_takes == bundled.train_takes and m.genres == bundled.genres
    assert np.allclose(m.ref_lengths, bundled.ref_lengths, atol=1e-5)
    if spec.name in ABLATION:
        base = json.loads((REPO / "configs" / "ablation3d_full.json").read_text())
        differ = {k for k in set(base) | set(want) if k != "out" and base.get(k) != want.get(k)}
        key, value = ABLATION[spec.name]
        assert differ == ({key} if key else set()) and (key is None or cfg[key] == value)
    # its training log: steps rising to the budget, finite losses
    steps = [r["step"] for r in m.info["log"]]
    assert steps == sorted(steps) and steps[-1] == want["max_steps"]
    assert all(np.isfinite(next(r[k] for k in ("nll", "rec", "ce") if k in r)) for r in m.info["log"])


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*3d*.json")), ids=lambda p: p.name)
def test_every_3d_config_is_a_valid_training_config(path):
    from dancegen.train.baselines3d import Baseline3DConfig
    from dancegen.train.train3d import Train3DConfig

    d = json.loads(path.read_text())
    cls = Train3DConfig if d.get("model_kind", "seq2seq3d") == "seq2seq3d" else Baseline3DConfig
    cls.from_json(path).validate()        # unknown keys or bad values raise ConfigError
    assert d["out"].startswith("runs/") and d["data"] == "../shared/data/dance_with_melody"
