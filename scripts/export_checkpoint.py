"""Export a training checkpoint (``last.ckpt``) to a model file.

    .venv/bin/python scripts/export_checkpoint.py RUN/last.ckpt OUT.pt [--config CONFIG.json]

Checkpoints written by this version carry their bundle metadata; for older ones pass the run's
config so the metadata (feature statistics, reference lengths) is rebuilt from the data."""
import argparse
import sys

import torch

from dancegen.model.bundle import ModelBundle


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("out")
    ap.add_argument("--config", default=None)
    a = ap.parse_args()
    ck = torch.load(a.ckpt, map_location="cpu", weights_only=False)
    meta = ck["hyper_parameters"].get("bundle_meta") or {}
    if not meta or "ref_speed" not in meta:
        if not a.config:
            sys.exit("this checkpoint has no bundle metadata: pass --config with the run's config")
        from dancegen.train.config import TrainConfig
        from dancegen.train.run import prepare_data

        _, _, fresh = prepare_data(TrainConfig.from_file(a.config), progress=False)
        ck["hyper_parameters"]["bundle_meta"] = {**fresh, **meta, "ref_speed": fresh["ref_speed"]}
        tmp = a.out + ".ckpt"
        torch.save(ck, tmp)
        b = ModelBundle.load(tmp)
        import os

        os.remove(tmp)
    else:
        b = ModelBundle.load(a.ckpt)
    b.info.update(source_checkpoint=a.ckpt)
    b.save(a.out)
    print(f"{a.out}: epoch {ck.get('epoch')}, step {ck.get('global_step')}")


if __name__ == "__main__":
    main()
