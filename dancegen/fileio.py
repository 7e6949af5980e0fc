"""Safe file handling.

* :func:`atomic_write`: every file dancegen writes (dances, model files, caches) appears complete or
  not at all, even when the process is killed mid-write.
* :func:`check_output` and :class:`OutputSet`: what a command writes is checked before any work
  starts (exists without ``--force``, symbolic link, folder not writable or not creatable), locked
  against a second run writing the same files, staged in a hidden folder and moved into place
  together at the end; leftovers of a killed run are cleaned up by the next one.
* :func:`install_signal_handlers`: SIGTERM / SIGHUP raise :class:`Terminated` (a
  ``KeyboardInterrupt``) so that ``finally`` blocks remove temporary files.
* :func:`json_text`: JSON for people and programs: NaN and infinities become ``null``.
* :func:`check_npz`: an ``.npz`` from anyone is size-checked from its headers before it is unpacked.
* :func:`local_media_path`: a media path handed to ffmpeg is an existing local file, never a URL or
  protocol (``http:``, ``tcp:``, ``concat:`` ...) or an option."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Callable


#: name prefixes of temporary files and folders, followed by the writer's pid and "-"
TMP_PREFIX = ".tmp-"
STAGE_PREFIX = ".dancegen-stage-"
#: suffix of the lock file of an output: ``.NAME.lock`` next to ``NAME``
LOCK_SUFFIX = ".lock"


def atomic_write(path: str | os.PathLike, write: Callable[[str], None], mode: int = 0o644) -> Path:
    """Call ``write(tmp_path)`` on a temporary file next to ``path`` (same suffix, so writers that
    add an extension, like ``np.save``, keep the name), then rename it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", suffix=path.suffix, dir=path.parent)
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


# ------------------------------------------------------------------------------------ JSON output
def json_safe(obj):
    """``obj`` with NaN and infinite floats replaced by None (JSON ``null``), numpy scalars and
    arrays turned into Python numbers and lists, tuples into lists, paths into strings."""
    import math

    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if np is not None:
        if isinstance(obj, np.ndarray):
            return json_safe(obj.tolist())
        if isinstance(obj, np.generic):
            return json_safe(obj.item())
    if hasattr(obj, "__float__"):
        return json_safe(float(obj))
    return str(obj)


def json_text(obj, **kw) -> str:
    """Valid (strict) JSON text of ``obj``: see :func:`json_safe`; ``kw`` go to :func:`json.dumps`."""
    import json

    return json.dumps(json_safe(obj), allow_nan=False, **kw)


# ------------------------------------------------------------------------------------ signals
class Terminated(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM / SIGHUP (see :func:`install_signal_handlers`)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = int(signum)


def install_signal_handlers() -> dict:
    """Make SIGTERM and SIGHUP raise :class:`Terminated` in the main thread, so ``finally`` blocks
    and context managers (temporary files, staging folders, locks, child processes) clean up, as on
    Ctrl-C. Returns the previous handlers (for :func:`restore_signal_handlers`); does nothing (and
    returns ``{}``) outside the main thread."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum, frame):
        raise Terminated(signum)

    old = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            try:
                old[sig] = signal.signal(sig, handler)
            except (OSError, ValueError):  # pragma: no cover - not allowed here
                pass
    return old


def restore_signal_handlers(old: dict) -> None:
    """Put back the handlers :func:`install_signal_handlers` replaced."""
    import signal

    for sig, h in old.items():
        try:
            signal.signal(sig, h if h is not None else signal.SIG_DFL)
        except (OSError, ValueError, TypeError):  # pragma: no cover
            pass


class _SignalsDeferred:
    """Delay SIGINT / SIGTERM / SIGHUP while the outputs are moved into place (main thread, POSIX)."""

    def __enter__(self):
        import signal

        self._old = None
        if hasattr(signal, "pthread_sigmask"):
            sigs = {getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)}
            self._old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
        return self

    def __exit__(self, *exc):
        import signal

        if self._old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self._old)
        return False


# ------------------------------------------------------------------------------------ processes
def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (on this machine)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


_STALE_RE = re.compile(r"^(?:\.dancegen-stage-|\.tmp-|\..+\.part-)(\d+)-")


def _stale_owner(name: str) -> int | None:
    """The pid in the name of a dancegen temporary file or staging folder, else None."""
    m = _STALE_RE.match(name)
    return int(m.group(1)) if m else None


# ------------------------------------------------------------------------------------ output checks
def _error(msg: str):
    from .errors import OutputError

    return OutputError(msg)


def _nearest_existing(p: Path) -> Path:
    q = p
    while not os.path.lexists(q):
        if q.parent == q:
            break
        q = q.parent
    return q


def _check_folder_creatable(folder: Path, option: str) -> None:
    if os.path.lexists(folder):
        if folder.is_symlink():
            raise _error(f"{folder}: is a symbolic link; dancegen does not write through links: give {option} the "
                         f"real folder ({os.path.realpath(folder)})")
        if not folder.is_dir():
            raise _error(f"{folder}: exists and is not a folder; choose another {option}")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise _error(f"{folder}: folder is not writable; choose another {option} or fix its permissions")
        return
    base = _nearest_existing(folder)
    if not base.is_dir():
        raise _error(f"{folder}: cannot create the folder: {base} is a file; choose another {option}")
    if not os.access(base, os.W_OK | os.X_OK):
        raise _error(f"{folder}: cannot create the folder: {base} is not writable; choose another {option}")


def check_output(path: str | os.PathLike, force: bool = False, *, folder: bool = False, option: str = "-o",
                 suffixes: tuple[str, ...] = ()) -> Path:
    """Check an output before any work starts; :class:`~dancegen.errors.OutputError` (one line) when

    * ``path`` or its folder is a symbolic link (nothing is written through links);
    * a file output exists and ``force`` is false, or is a folder; a folder output exists as a file;
    * its folder is not writable, or is missing and cannot be created (a file in the way, no
      permission);
    * ``suffixes`` are given and the name has none of them.

    Returns ``path`` made absolute (links not resolved). Nothing is created."""
    p = Path(os.path.abspath(os.fspath(path)))
    if suffixes and p.suffix.lower() not in suffixes:
        raise _error(f"{p}: unsupported extension; give {option} a name ending in {' or '.join(suffixes)}")
    if folder:
        _check_folder_creatable(p, option)
        return p
    if p.is_symlink():
        raise _error(f"{p}: is a symbolic link; dancegen does not write through links: remove it or choose "
                     f"another {option}")
    if p.is_dir():
        raise _error(f"{p}: is a folder; give {option} a file name")
    if os.path.lexists(p) and not force:
        raise _error(f"{p}: exists; pass --force to replace it")
    _check_folder_creatable(p.parent, option)
    return p


# ------------------------------------------------------------------------------------ locks
_HELD_LOCKS: set = set()       # tokens of the locks this process holds
_STALE_EMPTY_LOCK_S = 30.0     # an empty lock file older than this is a crashed run's


def _read_lock(path: Path) -> tuple[int, str] | None:
    try:
        text = path.read_text(errors="replace").split()
    except OSError:
        return None
    if len(text) >= 2 and text[0].isdigit():
        return int(text[0]), text[1]
    return None


def _lock_alive(path: Path, owner) -> bool:
    if owner is None:  # being written right now, or a crash between create and write
        try:
            import time

            return time.time() - path.stat().st_mtime < _STALE_EMPTY_LOCK_S
        except OSError:
            return False
    pid, token = owner
    if pid == os.getpid():
        return token in _HELD_LOCKS
    return pid_alive(pid)


def _break_stale_lock(path: Path, owner) -> None:
    """Remove ``path`` if it still holds ``owner`` (serialised by a flock on the folder)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        fcntl = None
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        if fcntl is not None:
            fcntl.flock(dfd, fcntl.LOCK_EX)
        try:
            now = _read_lock(path) if os.path.lexists(path) else "gone"
            if now != "gone" and now == owner and not _lock_alive(path, now):
                os.unlink(path)
        finally:
            if fcntl is not None:
                fcntl.flock(dfd, fcntl.LOCK_UN)
    finally:
        os.close(dfd)


class OutputLock:
    """An exclusive lock on one output file ``NAME``: the file ``.NAME.lock`` next to it, created
    with ``O_CREAT | O_EXCL`` and holding ``PID TOKEN``. A lock whose process is gone (killed,
    crashed) is stale and taken over. :meth:`acquire` raises :class:`~dancegen.errors.OutputError`
    at once when a live process holds it."""

    def __init__(self, target: str | os.PathLike):
        target = Path(target)
        self.target = target
        self.path = target.with_name(f".{target.name}{LOCK_SUFFIX}")
        self.token: str | None = None

    def acquire(self) -> "OutputLock":
        import uuid

        token = uuid.uuid4().hex
        flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)
        for _ in range(3):
            try:
                fd = os.open(self.path, flags, 0o644)
            except FileExistsError:
                owner = _read_lock(self.path)
                if _lock_alive(self.path, owner):
                    who = f"pid {owner[0]}" if owner else "another process"
                    raise _error(f"{self.target}: another dancegen run ({who}) is writing it; wait for it to "
                                 f"finish or choose another output (lock {self.path})") from None
                _break_stale_lock(self.path, owner)
                continue
            except OSError as e:
                raise _error(f"{self.target}: cannot lock the output ({e.strerror}); choose another output "
                             f"folder") from None
            try:
                os.write(fd, f"{os.getpid()} {token}\n".encode())
            finally:
                os.close(fd)
            _HELD_LOCKS.add(token)
            self.token = token
            return self
        raise _error(f"{self.target}: cannot take the output lock {self.path}; remove it if no dancegen run is active")

    def release(self) -> None:
        if self.token is None:
            return
        try:
            if _read_lock(self.path) == (os.getpid(), self.token):
                os.unlink(self.path)
        except OSError:
            pass
        _HELD_LOCKS.discard(self.token)
        self.token = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False


# ------------------------------------------------------------------------------------ output sets
_COMMIT = "COMMIT.json"


def _move_staged(stage: Path, plan: dict) -> None:
    """Carry out a commit plan: staged files replace their targets, stale members are removed."""
    folder = stage.parent
    for name in plan.get("replace", []):
        src = stage / name
        if src.exists():
            os.replace(src, folder / name)
    for name in plan.get("remove", []):
        t = folder / name
        if os.path.lexists(t) and not t.is_dir():
            os.unlink(t)


def clean_stale(folder: str | os.PathLike, names: tuple[str, ...] | None = ()) -> list[str]:
    """Remove what killed dancegen runs left in ``folder``: staging folders and temporary files
    whose writer's pid (in their name) is gone. A staging folder that was being committed when its
    run was killed is finished (its files moved into place) when its outputs are among ``names``
    (outputs whose locks the caller holds), so a set is never left half old, half new;
    ``names=None``: the caller owns the whole folder (no other run will come back to it, e.g. the
    job folders of a web server that was killed), so every interrupted commit is finished and the
    locks of dead runs are removed too. Returns the names removed."""
    import json
    import shutil

    folder = Path(folder)
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for e in entries:
        is_lock = e.name.startswith(".") and e.name.endswith(LOCK_SUFFIX)
        if names is None and is_lock and e.is_file(follow_symlinks=False):
            p = Path(e.path)
            owner = _read_lock(p)
            try:
                if not _lock_alive(p, owner):
                    _break_stale_lock(p, owner)
                    if not os.path.lexists(p):
                        removed.append(e.name)
            except OSError:
                pass
            continue
        pid = _stale_owner(e.name)
        if pid is None or pid == os.getpid() or pid_alive(pid):
            continue
        p = Path(e.path)
        try:
            if e.is_dir(follow_symlinks=False) and e.name.startswith(STAGE_PREFIX):
                plan_file = p / _COMMIT
                if plan_file.exists():
                    try:
                        plan = json.loads(plan_file.read_text())
                    except ValueError:
                        plan = None
                    if plan is not None:
                        members = set(plan.get("replace", [])) | set(plan.get("remove", []))
                        if names is not None and not members <= set(names):
                            continue  # another output's commit: finished by its next run
                        _move_staged(p, plan)
                shutil.rmtree(p, ignore_errors=True)
            elif e.is_file(follow_symlinks=False) or e.is_symlink():
                os.unlink(p)
            else:
                continue
            removed.append(e.name)
        except OSError:
            continue
    return removed


class OutputSet:
    """The outputs of one run, written together: all new, or (when the run fails, is interrupted or
    killed) all as they were.

    ::

        with OutputSet([out / "dance.npz", out / "dance.mp4"], force=args.force, folder=out) as outs:
            dance.save(outs.path("dance.npz"))        # written into a hidden staging folder
            render_video(dance, outs.path("dance.mp4"), overwrite=True)
            outs.commit()                              # both moved into place

    * :meth:`check` (also run on entry) refuses, before any work, outputs that exist without
      ``force``, symbolic links, folders that are not writable or cannot be created
      (:func:`check_output`);
    * on entry the folders are created, stale leftovers of killed runs are removed
      (:func:`clean_stale`), every output is locked (:class:`OutputLock`: a second run writing the
      same files fails at once) and a staging folder ``.dancegen-stage-PID-XXXX`` is made next to them;
    * :meth:`path` gives the staging path of an output; :meth:`commit` moves every staged file onto
      its output (signals deferred meanwhile; a commit cut short by SIGKILL is finished by the next
      run) and deletes the outputs of the set that were not written this time (an old ``dance.mp4``
      next to a new ``dance.npz`` written with ``--no-video`` would not match it);
    * on exit the staging folders and locks are removed, committed or not.
    """

    def __init__(self, paths, *, force: bool = False, folder: str | os.PathLike | None = None,
                 option: str = "-o", suffixes: dict | None = None):
        self.targets = [Path(os.path.abspath(os.fspath(p))) for p in paths]
        if not self.targets:
            raise ValueError("an OutputSet needs at least one output path")
        if len({t for t in self.targets}) != len(self.targets):
            raise _error("the same output file is given twice; give each output its own name")
        self.force = bool(force)
        self.folder = Path(os.path.abspath(os.fspath(folder))) if folder is not None else None
        self.option = option
        self.suffixes = suffixes or {}
        self._locks: list[OutputLock] = []
        self._stages: dict[Path, Path] = {}
        self._created: list[Path] = []   # folders this set made (removed again, if empty, when not committed)
        self.committed = False
        self.written: list[Path] = []

    @classmethod
    def single(cls, path, *, force: bool = False, option: str = "-o", suffixes: tuple[str, ...] = ()) -> "OutputSet":
        """A set of one output file."""
        p = Path(path)
        return cls([p], force=force, option=option, suffixes={p.name: suffixes} if suffixes else None)

    # -------------------------------------------------------------- checks
    def check(self) -> "OutputSet":
        """Refuse, before any work, what cannot or may not be written (see :func:`check_output`)."""
        if self.folder is not None:
            check_output(self.folder, folder=True, option=self.option)
        for t in self.targets:
            check_output(t, self.force, option=self.option, suffixes=tuple(self.suffixes.get(t.name, ())))
        return self

    # -------------------------------------------------------------- context
    def __enter__(self) -> "OutputSet":
        import tempfile

        self.check()
        try:
            for d in self._folders():
                missing = []
                q = d
                while not os.path.lexists(q) and q.parent != q:
                    missing.append(q)
                    q = q.parent
                try:
                    d.mkdir(parents=True, exist_ok=True)
                    self._created += missing
                except OSError as e:
                    raise _error(f"{d}: cannot create the output folder ({e.strerror}); choose another "
                                 f"{self.option}") from None
                if d.is_symlink():
                    raise _error(f"{d}: is a symbolic link; dancegen does not write through links")
            for t in sorted(self.targets):
                self._locks.append(OutputLock(t).acquire())
            for d in self._folders():
                clean_stale(d, tuple(t.name for t in self.targets if t.parent == d))
            self.check()  # again, under the locks: another run may have finished meanwhile
            for d in self._folders():
                try:
                    self._stages[d] = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}-", dir=d))
                except OSError as e:
                    raise _error(f"{d}: cannot write in the output folder ({e.strerror}); choose another "
                                 f"{self.option}") from None
        except BaseException:
            self._cleanup()
            raise
        return self

    def __exit__(self, *exc):
        self._cleanup()
        return False

    def _folders(self) -> list[Path]:
        out = []
        for t in self.targets:
            if t.parent not in out:
                out.append(t.parent)
        return out

    def _cleanup(self) -> None:
        import shutil

        for s in self._stages.values():
            shutil.rmtree(s, ignore_errors=True)
        self._stages.clear()
        for lk in reversed(self._locks):
            lk.release()
        self._locks.clear()
        if not self.committed:
            for d in self._created:  # deepest first: the run leaves no empty folder behind
                try:
                    d.rmdir()
                except OSError:
                    break
        self._created.clear()

    # -------------------------------------------------------------- writing
    def target(self, name) -> Path:
        """The output path for ``name`` (a file name of the set, or one of its paths)."""
        p = Path(os.path.abspath(os.fspath(name))) if os.sep in os.fspath(name) else None
        for t in self.targets:
            if (p is not None and t == p) or (p is None and t.name == os.fspath(name)):
                return t
        raise KeyError(f"{name}: not an output of this set ({', '.join(t.name for t in self.targets)})")

    def path(self, name=None) -> Path:
        """Where to write output ``name`` (default: the only output): a path in the staging folder
        with the output's own file name."""
        if not self._stages:
            raise RuntimeError("OutputSet.path() outside its 'with' block")
        if name is None:
            if len(self.targets) != 1:
                raise TypeError("name the output: this set has several")
            t = self.targets[0]
        else:
            t = self.target(name)
        return self._stages[t.parent] / t.name

    def commit(self) -> list[Path]:
        """Move every staged output into place (replacing the old files) and remove the set's
        outputs that were not written this time. Returns the paths written."""
        import json

        if not self._stages:
            raise RuntimeError("OutputSet.commit() outside its 'with' block")
        plans = {}
        for d, stage in self._stages.items():
            names = [t.name for t in self.targets if t.parent == d]
            rep = [n for n in names if (stage / n).is_file()]
            plans[d] = {"replace": rep, "remove": [n for n in names if n not in rep]}
        for t in self.targets:
            if t.is_symlink():
                raise _error(f"{t}: became a symbolic link during the run; nothing was replaced")
        with _SignalsDeferred():
            for d, stage in self._stages.items():
                plan_file = stage / _COMMIT
                with open(plan_file, "w") as fh:
                    fh.write(json.dumps(plans[d]))
                    fh.flush()
                    os.fsync(fh.fileno())
            for d, stage in self._stages.items():
                for name in plans[d]["replace"]:
                    os.chmod(stage / name, 0o644)
                _move_staged(stage, plans[d])
            try:
                for d in self._stages:
                    fd = os.open(d, os.O_RDONLY)
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)
            except OSError:
                pass
        self.committed = True
        self.written = [d / n for d, pl in plans.items() for n in pl["replace"]]
        return list(self.written)
