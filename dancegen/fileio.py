"""Safe file handling.

* :func:`atomic_write`: every file dancegen writes (dances, model files, caches) appears complete or
  not at all, even when the process is killed mid-write.
* :func:`check_npz`: an ``.npz`` from anyone is size-checked from its headers before it is unpacked.
* :func:`local_media_path`: a media path handed to ffmpeg is an existing local file, never a URL or
  protocol (``http:``, ``tcp:``, ``concat:`` ...) or an option."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Callable


def atomic_write(path: str | os.PathLike, write: Callable[[str], None], mode: int = 0o644) -> Path:
    """Call ``write(tmp_path)`` on a temporary file next to ``path`` (same suffix, so writers that
    add an extension, like ``np.save``, keep the name), then rename it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


# ------------------------------------------------------------------------------------ npz limits
#: environment variable with the most bytes one npz may unpack to (per array and in total)
MAX_NPZ_ENV = "DANCEGEN_MAX_NPZ_BYTES"
DEFAULT_MAX_NPZ_BYTES = 2 << 30
MAX_NPZ_MEMBERS = 256


def max_npz_bytes() -> int:
    v = os.environ.get(MAX_NPZ_ENV)
    if not v:
        return DEFAULT_MAX_NPZ_BYTES
    try:
        return int(float(v))
    except ValueError:
        from .errors import DataError

        raise DataError(f"{MAX_NPZ_ENV}={v!r}: give a number of bytes, e.g. {MAX_NPZ_ENV}=4000000000") from None


def check_npz(path: str | os.PathLike, limit: int | None = None) -> dict:
    """Check an ``.npz`` before reading it: every member's declared size, from its ``.npy`` header
    (shape and dtype) without unpacking the data, must be at most ``limit`` bytes (default
    :data:`MAX_NPZ_ENV` or 2 GiB), the total too, and no member may be an object (pickle) array.
    Returns ``{name: (shape, dtype)}`` of the arrays; :class:`~dancegen.errors.DataError` naming the
    file, the member and the limit otherwise."""
    import zipfile

    import numpy as np

    from .errors import DataError

    path = Path(path)
    limit = max_npz_bytes() if limit is None else int(limit)
    raise_hint = f"if you trust the file, raise the limit with {MAX_NPZ_ENV}=BYTES (now {limit})"
    out, total = {}, 0
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_NPZ_MEMBERS:
                raise DataError(f"{path}: {len(infos)} members in the npz, more than {MAX_NPZ_MEMBERS}; "
                                f"not a dancegen file")
            for info in infos:
                name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                with zf.open(info) as fh:
                    magic = fh.read(6)
                    if magic != b"\x93NUMPY":
                        size = info.file_size        # np.load hands non-npy members back as bytes
                        shape, dtype = None, None
                    else:
                        fh.seek(0)
                        version = np.lib.format.read_magic(fh)
                        if version == (1, 0):
                            shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                        elif version in ((2, 0), (3, 0)):
                            shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
                        else:
                            raise ValueError(f"unsupported npy version {version}")
                        if dtype.hasobject:
                            raise DataError(f"{path}: member {name!r} is an object array (pickled Python objects); "
                                            f"refused: dance files hold numbers and strings only")
                        if any(int(n) < 0 for n in shape):
                            raise ValueError(f"member {name!r} has a negative dimension {shape}")
                        size = int(np.prod(shape, dtype=object)) * dtype.itemsize
                if size > limit:
                    raise DataError(f"{path}: member {name!r} declares {size} bytes"
                                    f"{f' ({shape} {dtype})' if shape is not None else ''}, over the limit of "
                                    f"{limit} bytes; {raise_hint}")
                total += size
                if total > limit:
                    raise DataError(f"{path}: its arrays declare more than {limit} bytes in total; {raise_hint}")
                out[name] = (shape, dtype)
    except DataError:
        raise
    except Exception as e:  # BadZipFile, a broken npy header, OSError
        raise DataError(f"{path}: not a readable .npz ({type(e).__name__}: {e})") from None
    return out


# ------------------------------------------------------------------------------------ media paths
_PROTOCOL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def local_media_path(path: str | os.PathLike, what: str = "media file", error: type | None = None) -> Path:
    """``path`` as an absolute :class:`~pathlib.Path` of an existing local file, for handing to
    ffmpeg (or anything built on it: OpenCV, audioread). Refused with ``error`` (default
    :class:`~dancegen.errors.DataError`) before any program starts: URLs and ffmpeg protocol
    prefixes (``http:``, ``tcp:``, ``file:``, ``concat:``, ``pipe:``, ...), names starting with
    ``-`` (read as options), and paths that are not an existing regular file. A local file whose
    name merely looks like a protocol can be passed as ``./NAME``."""
    from .errors import DataError

    error = error or DataError
    try:
        s = os.fsdecode(os.fspath(path))
    except TypeError:
        raise error(f"{path!r}: not a file path ({what})") from None
    if not s.strip():
        raise error(f"empty {what} path")
    if "\x00" in s:
        raise error(f"{s!r}: {what} path contains a NUL character")
    if s.startswith("-"):
        raise error(f"{s}: a {what} name may not start with '-' (ffmpeg would read it as an option); "
                    f"pass it as ./{s}")
    m = _PROTOCOL.match(s)
    if m or "://" in s:
        scheme = m.group(0) if m else s.split("://", 1)[0] + "://"
        lookalike = "" if "://" in s else f" (a local file with such a name: pass ./{s})"
        raise error(f"{s}: the {what} must be a local file, not a URL or stream ({scheme}); download it "
                    f"first{lookalike}")
    p = Path(s)
    if not p.is_file():
        raise error(f"{p}: {what} does not exist (or is not a file); check the path")
    return Path(os.path.abspath(p))
