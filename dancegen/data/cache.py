"""The on-disk cache of the data pipeline (music features, tracked beats, 3D takes): where it lives
and the content hash its keys are made of. Standard library only, so that every data module can
use it without importing the others."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..errors import DataError


def default_cache_dir() -> Path:
    """``$DANCEGEN_CACHE`` if set, else ``~/.cache/dancegen/features``."""
    env = os.environ.get("DANCEGEN_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "dancegen" / "features"


_HASHES: dict = {}


def file_hash(path) -> str:
    """SHA-1 of a file's content (memoised per path, size and mtime)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        raise DataError(f"{p}: music file not found; check Dance.music") from None
    k = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if k not in _HASHES:
        h = hashlib.sha1()
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _HASHES[k] = h.hexdigest()
    return _HASHES[k]
