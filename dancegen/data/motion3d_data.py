"""3D training clips from Dance with Melody: retimed, drift-free world joints on one reference
skeleton (:mod:`dancegen.body3d`, metres), their motion vectors (:mod:`dancegen.model.motion3d`)
and the music features of the danced span, with an on-disk cache.

Every take is checked for the defects the data README lists (frozen runs, jumps, floor drift:
:func:`dancegen.data.dwm.prepare_sequence`); DANCE_T_5 stays excluded. Mirrored copies are made at
training time (:func:`dancegen.body3d.mirror3d`). The five motion-only takes
(``dance_with_melody_motion_only``) have no songs: they join the reference skeleton, the seed-pose
pool and the realism statistics, never the music-paired training pairs.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from .. import body3d as b3
from ..errors import DataError
from .dwm import DEFAULT_EXCLUDE, list_sequences, load_dwm_sequence, prepare_sequence

FPS = 25.0


def take_joints(folder, retime: bool = True) -> dict:
    """One DwM take -> ``{"name","genre","joints" (T,17,3) m (source bone lengths),"music","offset",
    "defects"}``; ``retime`` applies the project's beat-aware retiming (needs the song)."""
    from .dwm import sequence_to_dance

    seq = load_dwm_sequence(folder)
    if retime and seq.has_audio:
        d = sequence_to_dance(seq, retime=True)
        world23, offset, defects = d.joints3d, d.offset, d.meta["defects"]
        music = d.music
    else:
        world23, defects = prepare_sequence(seq)
        offset, music = seq.start, (seq.music if seq.has_audio else None)
    return {"name": seq.name, "genre": seq.genre, "joints": b3.from_dwm23(world23), "music": music,
            "offset": float(offset), "defects": defects}


def load_takes(root, names=None, split=None, retime=True, exclude=DEFAULT_EXCLUDE, progress=True) -> list[dict]:
    from tqdm import tqdm

    root = Path(root)
    if names is None:
        names = [n for n in list_sequences(root, split) if n not in set(exclude or ())]
    return [take_joints(root / n, retime=retime) for n in tqdm(names, desc="load 3d takes", disable=not progress)]


def attach_features(takes: list[dict], feature_config, cache_dir=None, progress=True) -> None:
    """Add ``feats (T, F)`` (music features of each take's danced span, exactly T frames) in place,
    cached on disk by song content, offset, length and feature config."""
    from tqdm import tqdm

    from ..audio.features import music_features
    from .cache import default_cache_dir, file_hash

    cache = Path(cache_dir) if cache_dir else default_cache_dir() / "takes3d"
    cache.mkdir(parents=True, exist_ok=True)
    for tk in tqdm(takes, desc="music features", disable=not progress):
        if not tk.get("music"):
            raise DataError(f"{tk['name']}: no song; motion-only takes cannot be music-paired training data")
        T = len(tk["joints"])
        key = hashlib.sha1(json.dumps([file_hash(tk["music"]), round(tk["offset"], 4), T, feature_config.key()])
                           .encode()).hexdigest()[:20]
        p = cache / f"{key}.npy"
        if p.exists():
            f = np.load(p, allow_pickle=False)
        else:
            fs = music_features(tk["music"], feature_config, start=tk["offset"], duration=T / FPS)
            f = fs.values.astype(np.float32)
            if len(f) < T:  # song shorter than the motion: pad with the last frame
                f = np.concatenate([f, np.repeat(f[-1:], T - len(f), 0)])
            f = f[:T]
            np.save(p, f)
        tk["feats"] = f
