"""Figures of the genre classifier (docs/audio.md, "Genre").

1. the shipped model (dancegen/models/genre.json, trained on the TRAIN takes) on the VAL takes'
   songs (splits/val.txt), danced excerpt of each;
2. leave-one-song-out accuracy on all Dance with Melody takes (each song classified by a model
   refitted on all other songs; the one tango song cannot be right: no tango is left);
3. what --genre auto picks for the songs in ../shared/music/sectoid and ../shared/music/varied
   (whole song, i.e. its middle 180 s at most).

    .venv/bin/python scripts/genre_report.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared"


def _fmt(probs: dict) -> str:
    return " ".join(f"{g}={p:.2f}" for g, p in probs.items())


def main() -> int:
    from dancegen.audio import genre as G

    dwm = SHARED / "data" / "dance_with_melody"
    if not dwm.exists():
        print(f"{dwm}: not present", file=sys.stderr)
        return 2
    t = time.perf_counter()
    takes = G.dwm_genre_takes(dwm)
    X = [G.take_descriptors(tk) for tk in takes]
    lab = [tk["genre"] for tk in takes]
    model = G.GenreModel.load()
    print(f"model: {G.MODEL_PATH.relative_to(REPO)}, trained on {model.info.get('songs_per_class')}")
    print("\nVAL takes (shipped model):")
    right = []
    for tk, x in zip(takes, X):
        if tk["split"] != "val":
            continue
        p = model.predict_proba(x)
        g = model.genres[int(np.argmax(p))]
        right.append(g == tk["genre"])
        print(f"  {tk['name']:12s} {tk['genre']:8s} -> {g:8s} {_fmt(dict(zip(model.genres, p)))}")
    print(f"  val accuracy {sum(right)}/{len(right)} = {np.mean(right):.3f}")
    loo = G.leave_one_out(X, lab)
    ok = np.array(loo) == np.array(lab)
    print(f"\nleave-one-song-out on all {len(takes)} takes: {ok.sum()}/{len(ok)} = {ok.mean():.3f}"
          f" (without the tango song: {ok[np.array(lab) != 'tango'].sum()}/{(np.array(lab) != 'tango').sum()})")
    print("  wrong: " + ", ".join(f"{tk['name']} ({tk['genre']} -> {p})"
                                    for tk, p, o in zip(takes, loo, ok) if not o))
    print("  confusion (rows true, columns predicted): " + " ".join(G.GENRES))
    for g in G.GENRES:
        row = [sum(1 for a, b in zip(lab, loo) if a == g and b == h) for h in G.GENRES]
        print(f"    {g:8s} " + " ".join(f"{v:3d}" for v in row))
    from dancegen.model.generate import auto_genre

    tempo_pick = [auto_genre(100 * 2 ** x[0, 0], list(G.GENRES)) for x in X]
    tok = np.array(tempo_pick) == np.array(lab)
    val = np.array([tk["split"] == "val" for tk in takes])
    print(f"\nfor comparison, the tempo rule (auto_genre): all takes {tok.sum()}/{len(tok)} = "
          f"{tok.mean():.3f}, val {tok[val].sum()}/{val.sum()}; rumbas called waltz: "
          + ", ".join(tk["name"] for tk, p in zip(takes, tempo_pick) if tk["genre"] == "rumba" and p == "waltz"))
    print("\npicks (whole song):")
    songs = sorted((SHARED / "music" / "sectoid").glob("*/song.ogg")) + \
        sorted((SHARED / "music" / "varied").glob("*.ogg"))
    for s in songs:
        g, p = G.classify_genre(s)
        name = s.parent.name if s.name == "song.ogg" else s.stem
        print(f"  {name:24s} {g:8s} {_fmt(p)}")
    print(f"\n{time.perf_counter() - t:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
