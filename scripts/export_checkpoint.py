"""Export a Seq2Seq training checkpoint (``last.ckpt``) to a model file.

    .venv/bin/python scripts/export_checkpoint.py RUN/last.ckpt OUT.safetensors [--config CONFIG.json]

Checkpoints written by this version carry their bundle metadata (``dancegen convert-model`` does the
same for them); for older ones pass the run's config so the metadata (feature statistics, reference
lengths, reference speed) is rebuilt from the data. The checkpoint is read weights-only
(``torch.load(weights_only=True)``): one that holds pickled Python objects is refused."""
import argparse
import sys

import torch

from dancegen.model.bundle import ModelBundle
from dancegen.model.format import load_any, read_legacy, save_model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("out")
    ap.add_argument("--config", default=None)
    a = ap.parse_args()
    try:
        ck = torch.load(a.ckpt, map_location="cpu", weights_only=True)
    except Exception as e:
        sys.exit(f"{a.ckpt}: refused, not a weights-only checkpoint ({type(e).__name__})")
    hp = ck.get("hyper_parameters") or {}
    meta = hp.get("bundle_meta") or {}
    if not meta or "ref_speed" not in meta:
        if not a.config:
            sys.exit("this checkpoint has no bundle metadata: pass --config with the run's config")
        from dancegen.train.config import TrainConfig
        from dancegen.train.run import prepare_data

        _, _, fresh = prepare_data(TrainConfig.from_file(a.config), progress=False)
        meta = {**fresh, **meta, "ref_speed": fresh["ref_speed"]}
        sd = {k[len("model."):]: v for k, v in ck["state_dict"].items() if k.startswith("model.")}
        info = {"checkpoint_epoch": ck.get("epoch"), "checkpoint_step": ck.get("global_step")}
        save_model(a.out, "seq2seq2d", sd, {**meta, "model_config": hp["model_config"], "info": info})
    else:
        kind, sd, meta = read_legacy(a.ckpt)
        save_model(a.out, kind, sd, meta)
    b = load_any(a.out)
    assert isinstance(b, ModelBundle)
    b.info.update(source_checkpoint=a.ckpt)
    b.save(a.out)
    print(f"{a.out}: epoch {ck.get('epoch')}, step {ck.get('global_step')}")


if __name__ == "__main__":
    main()
