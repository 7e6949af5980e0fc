"""The web app behind ``dancegen serve`` (FastAPI).

Routes
------
``GET /``                       the page (dancegen/assets/app/index.html, app.js, app.css)
``GET /api/options``            genres, defaults, limits, which generator options and exports exist
``POST /api/jobs``              multipart upload ``music`` + fields -> ``{"id"}`` (400/413 + ``{"error"}``)
``GET /api/jobs/{id}``          state, stage, progress 0..1, message, the files ready so far
``GET /api/jobs/{id}/player``   the player page (self-contained HTML, shown in an iframe)
``GET /api/jobs/{id}/download/{kind}``  ``npz``, ``mp4``, ``bvh``, ``openpose``

Each upload gets its own folder under one temporary folder of the server (removed when it stops;
old jobs are dropped past :data:`KEEP_JOBS`), named by a random id, so two people never see each
other's results. Jobs run one at a time on a worker thread (the machine has few cores); the
others wait in a queue that the status reports. A job is ``ready`` as soon as the npz and the
player exist; the mp4 is rendered after that (``done``). Every error a user can cause comes back
as a one-line message; anything else as "internal error: ..." with the details in the server log.

A job's files are written as the CLI writes its outputs (:class:`dancegen.fileio.OutputSet`):
into a staging folder, then moved into place together (the npz with its player, then the mp4,
each export), and only then served; a step that fails leaves none of its files, and what a
killed server left in a ``--work-dir`` (staging folders, temporary files, locks) is removed when
the next one starts.
"""

import importlib
import inspect
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import typing
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DanceGenError

log = logging.getLogger("dancegen.app")

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "app"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_MUSIC_SECONDS = 15 * 60
MAX_DANCE_SECONDS = 300.0
DEFAULT_DURATION = 30.0
MAX_QUEUE = 8
KEEP_JOBS = 24
MUSIC_SUFFIXES = (".ogg", ".oga", ".opus", ".mp3", ".wav", ".flac", ".m4a", ".aac", ".mp4", ".webm", ".aiff", ".aif")
EXPORTS = {"bvh": ("bvh", ".bvh", "BVH (3D skeleton animation)"),
           "openpose": ("openpose-json", "_openpose", "OpenPose JSON (one file per frame, zipped)")}
ZIPPED_EXPORTS = ("openpose-json",)   # formats that write a folder: served as one zip
_ID = re.compile(r"^[0-9a-f]{32}$")


class UploadError(DanceGenError):
    """A bad upload or form value; the message is shown in the page."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# ------------------------------------------------------------------ what the generator accepts
def generator_params(fn=None) -> dict:
    """Named parameters of the generator -> ``inspect.Parameter``: of ``fn`` when given, else of
    ``dancegen.generate`` and, behind its ``**kwargs``, of :func:`dancegen.generate_api.generate`."""
    if fn is not None:
        fns = (fn,)
    else:
        import dancegen

        fns = (dancegen.generate, getattr(importlib.import_module("dancegen.generate_api"), "generate", None))
    params = {}
    for f in fns:
        if f is None:
            continue
        try:
            sig = inspect.signature(f)
        except (TypeError, ValueError):
            continue
        var_kw = False
        for name, p in sig.parameters.items():
            if p.kind is p.VAR_KEYWORD:
                var_kw = True
            elif p.kind is not p.VAR_POSITIONAL and name not in params:
                params[name] = p
        if not var_kw:      # this function names all its options: look no further
            break
    return params


def _choices(fn_params: dict, name: str) -> list | None:
    """The values of a ``Literal[...]`` annotation of parameter ``name``, if it has one."""
    p = fn_params.get(name)
    if p is None:
        return None
    ann = p.annotation
    if isinstance(ann, str):
        m = re.search(r"Literal\[([^\]]*)\]", ann)
        if m:
            return [s.strip().strip("'\"") for s in m.group(1).split(",") if s.strip()]
        return None
    args = [a for a in typing.get_args(ann) if a is not type(None)]
    if typing.get_origin(ann) is typing.Literal:
        return list(args)
    for a in args:                       # Optional[Literal[...]]
        if typing.get_origin(a) is typing.Literal:
            return list(typing.get_args(a))
    return None


def _default(p, fallback):
    return fallback if p is None or p.default is inspect.Parameter.empty or p.default is None else p.default


def _export_function_impl():
    """``dancegen.export(dance, fmt, out, force=False)`` when it exists (a function, or a module
    with an ``export`` function), else None."""
    import dancegen

    fn = getattr(dancegen, "export", None)
    if fn is None:
        try:
            fn = importlib.import_module("dancegen.export")
        except ImportError:
            return None
    if inspect.ismodule(fn):
        fn = getattr(fn, "export", None)
    return fn if callable(fn) else None


export_function = _export_function_impl


# ------------------------------------------------------------------------------------- jobs
@dataclass
class Job:
    id: str
    folder: Path
    music: Path
    music_name: str
    options: dict
    music_seconds: float | None
    created: float = field(default_factory=time.time)
    state: str = "queued"            # queued, running, ready (npz + player; video coming), done, error
    stage: str = "waiting for the generator"
    message: str = ""
    error: str | None = None
    stage_start: float = field(default_factory=time.monotonic)
    stage_span: tuple = (0.0, 0.05)  # progress range of the current stage
    stage_eta: float = 1.0           # expected seconds of the current stage
    files: dict = field(default_factory=dict)   # kind -> Path
    dance: object = None
    timings: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_stage(self, stage: str, span: tuple, eta: float):
        self.stage, self.stage_span, self.stage_eta, self.stage_start = stage, span, max(0.2, eta), time.monotonic()

    def progress(self) -> float:
        if self.state in ("done",):
            return 1.0
        a, b = self.stage_span
        frac = min(0.95, (time.monotonic() - self.stage_start) / self.stage_eta)
        return round(a + (b - a) * frac, 3)


class JobManager:
    """Jobs in folders under one temporary folder, run one at a time."""

    def __init__(self, work_dir: str | os.PathLike | None = None, generate=None, workers: int = 1):
        self.own_dir = work_dir is None
        self.root = Path(work_dir or tempfile.mkdtemp(prefix="dancegen-serve-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.jobs: dict[str, Job] = {}
        self.order: list[str] = []
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dancegen-job")
        self._generate = generate
        self.lock = threading.Lock()
        if not self.own_dir:
            self.clean_stale()

    def clean_stale(self) -> list[str]:
        """Remove what killed servers left in the work folder's job folders: staging folders,
        temporary files and locks of processes that are gone (an interrupted commit is finished:
        no other run writes into a job's folder). Returns the paths removed, relative to the root."""
        from ..fileio import clean_stale

        removed = clean_stale(self.root)
        for d in sorted(self.root.iterdir()):
            if _ID.match(d.name) and d.is_dir() and not d.is_symlink():
                for sub in (d, d / "export"):
                    if sub.is_dir() and not sub.is_symlink():
                        removed += [str((sub / n).relative_to(self.root)) for n in clean_stale(sub, names=None)]
        if removed:
            log.info("removed %d leftovers of killed jobs in %s", len(removed), self.root)
        return removed

    # -- lifecycle
    def close(self):
        self.pool.shutdown(wait=False, cancel_futures=True)
        if self.own_dir:
            shutil.rmtree(self.root, ignore_errors=True)

    def new_folder(self) -> tuple[str, Path]:
        jid = uuid.uuid4().hex
        folder = self.root / jid
        folder.mkdir()
        return jid, folder

    def waiting(self) -> int:
        return sum(1 for j in self.jobs.values() if j.state in ("queued", "running"))

    def add(self, job: Job):
        with self.lock:
            self.jobs[job.id] = job
            self.order.append(job.id)
            while len(self.order) > KEEP_JOBS:
                old = self.jobs.get(self.order[0])
                if old is not None and old.state in ("queued", "running"):
                    break
                self.order.pop(0)
                if old is not None:
                    self.jobs.pop(old.id, None)
                    shutil.rmtree(old.folder, ignore_errors=True)
        self.pool.submit(self.run, job)

    def get(self, jid: str) -> Job | None:
        return self.jobs.get(jid) if _ID.match(jid or "") else None

    def queue_position(self, job: Job) -> int:
        ahead = [j for j in self.jobs.values() if j.state in ("queued", "running") and j.created < job.created]
        return len(ahead)

    # -- the work
    def generate(self, music, **kw):
        if self._generate is not None:
            return self._generate(music, **kw)
        import dancegen

        return dancegen.generate(music, **kw)

    def run(self, job: Job):
        from ..fileio import OutputSet
        from ..render.html import write_player

        t0 = time.perf_counter()
        try:
            job.state = "running"
            dur = job.options["duration"]
            job.set_stage("generating the dance", (0.05, 0.7), 1.5 + 0.06 * dur)
            dance = self.generate(str(job.music), **job.options["generate"])
            job.timings["generate_s"] = round(time.perf_counter() - t0, 3)
            dance.music = job.music_name      # the npz names the song, not the server's temp path
            stem = Path(job.music_name).stem or "dance"
            npz, player = job.folder / f"{stem}_dance.npz", job.folder / "player.html"
            with OutputSet([npz, player], force=True, folder=job.folder) as outs:   # staged, then moved together
                dance.save(outs.path(npz.name))
                job.set_stage("building the player", (0.7, 0.85), 0.4 + 0.01 * dur)
                write_player(dance, outs.path(player.name), music=job.music, overwrite=True, title=stem)
                outs.commit()
            job.dance = dance                 # served from here on: the npz, the player and the exports
            job.files.update(npz=npz, player=player)
            job.timings["ready_s"] = round(time.perf_counter() - t0, 3)
            job.state = "ready"
            job.message = (f"{dance.n_frames} frames at {dance.fps:g} fps ({dance.duration:.1f} s), "
                           f"genre {dance.genre or '?'}; the video is being rendered")
            job.set_stage("rendering the video", (0.85, 1.0), 1.0 + 0.2 * dur)
            from ..render.video import render_video

            mp4 = job.folder / f"{stem}_dance.mp4"
            with OutputSet.single(mp4, force=True) as outs:
                render_video(dance, outs.path(), music=job.music, offset=dance.offset, progress=False, overwrite=True)
                outs.commit()
            job.files["mp4"] = mp4
            job.timings["done_s"] = round(time.perf_counter() - t0, 3)
            job.state = "done"
            job.stage = "done"
            job.message = (f"{dance.n_frames} frames at {dance.fps:g} fps ({dance.duration:.1f} s), "
                           f"genre {dance.genre or '?'}")
        except DanceGenError as e:
            self._fail(job, str(e))
        except MemoryError:
            self._fail(job, "out of memory; try a shorter duration")
        except Exception as e:  # never a traceback in the page; the log has it
            log.exception("job %s failed", job.id)
            self._fail(job, f"internal error: {type(e).__name__}: {e}")

    def _fail(self, job: Job, message: str):
        if job.state == "ready":       # the dance is there; only the video failed
            job.message = f"the video could not be rendered: {message}"
            job.state = "done"
            job.stage = "done (no video)"
        else:
            job.state, job.error, job.stage = "error", message, "failed"

    def export(self, job: Job, kind: str) -> Path:
        """The BVH / OpenPose-JSON file of a job, made on first request (written in a staging
        folder, a folder export zipped there, then moved into place: only a whole file is served)."""
        from ..fileio import OutputSet

        fmt, suffix, _ = EXPORTS[kind]
        with job.lock:
            if kind in job.files and Path(job.files[kind]).exists():
                return job.files[kind]
            fn = export_function()
            if fn is None:
                raise UploadError(f"{fmt} export is not available in this dancegen", 404)
            if job.dance is None:
                raise UploadError("the dance is not ready yet", 409)
            name = f"{Path(job.music_name).stem or 'dance'}_dance{suffix}"
            target = job.folder / "export" / (f"{name}.zip" if fmt in ZIPPED_EXPORTS else name)
            with OutputSet.single(target, force=True) as outs:
                stage = outs.path().parent
                out = stage / name
                res = fn(job.dance, fmt, out, force=True)
                path = Path(res) if isinstance(res, (str, os.PathLike)) else out
                if not path.exists():
                    cands = sorted(stage.glob(f"{name}*"))
                    if not cands:
                        raise UploadError(f"the {fmt} export wrote nothing", 500)
                    path = cands[0]
                if path.is_dir():
                    with zipfile.ZipFile(outs.path(), "w", zipfile.ZIP_DEFLATED) as z:
                        for f in sorted(path.rglob("*")):
                            if f.is_file():
                                z.write(f, Path(path.name) / f.relative_to(path))
                elif path != outs.path():
                    shutil.copyfile(path, outs.path())
                outs.commit()
            job.files[kind] = target
            return target


# --------------------------------------------------------------------------------- the app
def _float(form, name, default, lo, hi, label):
    raw = form.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    try:
        v = float(str(raw).strip())
    except ValueError:
        raise UploadError(f"{label}: {str(raw)[:40]!r} is not a number") from None
    if not (lo <= v <= hi):
        raise UploadError(f"{label}: {v:g} is out of range ({lo:g} to {hi:g})")
    return v


def _safe_name(name: str) -> str:
    base = Path(str(name or "").replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "music"
    return base[:80]


def create_app(work_dir: str | os.PathLike | None = None, *, generate=None,
               max_upload_bytes: int = MAX_UPLOAD_BYTES, max_music_seconds: float = MAX_MUSIC_SECONDS,
               warm: bool = True):
    """The FastAPI app. ``generate`` replaces ``dancegen.generate`` (tests); ``warm`` loads the
    model and its libraries in the background at start so the first dance is quick."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI, Request
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
    from starlette.concurrency import run_in_threadpool

    jobs = JobManager(work_dir, generate=generate)
    genres: list = []
    warmed = threading.Event()       # set when the start-up warm-up is over

    def warm_up(dance: bool = False):
        try:
            from ..model.bundle import ModelBundle
            from ..render import html, video  # noqa: F401

            genres[:] = list(ModelBundle.load().genres)
            if dance and generate is None:
                _warm_generate()
        except Exception as e:  # the page still works; generate will report the problem
            log.warning("warm-up failed: %s", e)
        finally:
            if dance:
                warmed.set()

    @asynccontextmanager
    async def lifespan(app):
        if warm:
            threading.Thread(target=warm_up, args=(True,), daemon=True, name="dancegen-warm").start()
        yield
        jobs.close()

    app = FastAPI(title="dancegen", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.jobs = jobs
    app.state.warmed = warmed

    def err(message: str, status: int = 400):
        return JSONResponse({"error": message}, status_code=status)

    @app.exception_handler(Exception)
    async def _unexpected(request, exc):  # pragma: no cover - last resort, no traceback to the page
        log.exception("request %s failed", request.url.path)
        return err(f"internal error: {type(exc).__name__}", 500)

    @app.get("/", response_class=HTMLResponse)
    async def index():
        return HTMLResponse((ASSETS / "index.html").read_text(encoding="utf-8"))

    @app.get("/static/{name}")
    async def static(name: str):
        types = {"app.js": "text/javascript", "app.css": "text/css"}
        if name not in types:
            return err("not found", 404)
        return FileResponse(ASSETS / name, media_type=types[name])

    @app.get("/favicon.ico")
    async def favicon():
        return Response(status_code=204)

    @app.get("/api/options")
    async def options():
        params = generator_params(generate)
        if not genres:
            await run_in_threadpool(warm_up)
        extra = {}
        if "temperature" in params:
            extra["temperature"] = {"default": float(_default(params["temperature"], 1.0))}
        if "camera" in params:
            extra["camera"] = {"default": _default(params["camera"], ""), "choices": _choices(params, "camera")}
        exports = [{"kind": k, "label": v[2]} for k, v in EXPORTS.items()] if export_function() else []
        return {"genres": genres, "options": extra, "exports": exports,
                "defaults": {"seed": 0, "start": 0.0, "duration": DEFAULT_DURATION},
                "limits": {"max_upload_mb": max_upload_bytes / 2 ** 20, "max_music_minutes": max_music_seconds / 60,
                           "max_duration": MAX_DANCE_SECONDS}}

    @app.post("/api/jobs")
    async def submit(request: Request):
        size = request.headers.get("content-length")
        if size and size.isdigit() and int(size) > max_upload_bytes + 1_000_000:
            return err(f"the file is too big ({int(size) / 2 ** 20:.0f} MB); the limit is "
                       f"{max_upload_bytes / 2 ** 20:.0f} MB", 413)
        if jobs.waiting() >= MAX_QUEUE:
            return err("the server is busy with other dances; try again in a minute", 503)
        try:
            form = await request.form(max_files=1, max_fields=20)
        except Exception as e:
            return err(f"could not read the upload ({type(e).__name__}); send it as a form with a 'music' file")
        jid = folder = None
        try:
            up = form.get("music")
            if up is None or not hasattr(up, "read") or not getattr(up, "filename", None):
                raise UploadError("no music file: choose or drop an audio file first")
            name = _safe_name(up.filename)
            jid, folder = jobs.new_folder()
            (folder / "music").mkdir()
            path = folder / "music" / (name if Path(name).suffix else name + ".audio")
            n = 0
            with open(path, "wb") as f:
                while chunk := await up.read(1 << 20):
                    n += len(chunk)
                    if n > max_upload_bytes:
                        raise UploadError(f"{up.filename}: the file is too big; the limit is "
                                          f"{max_upload_bytes / 2 ** 20:.0f} MB", 413)
                    f.write(chunk)
            if n == 0:
                raise UploadError(f"{up.filename}: the file is empty")
            seconds = await run_in_threadpool(_check_audio, path, up.filename, max_music_seconds)
            opts = _read_options(form, seconds)
            job = Job(id=jid, folder=folder, music=path, music_name=name, options=opts, music_seconds=seconds)
            jobs.add(job)
            return {"id": jid, "music": name, "music_seconds": seconds, "duration": opts["duration"]}
        except UploadError as e:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            return err(str(e), e.status)
        except DanceGenError as e:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            return err(str(e))
        finally:
            await form.close()

    def _read_options(form, music_seconds):
        params = generator_params(generate)
        start = _float(form, "start", 0.0, 0.0, 24 * 3600, "start")
        if music_seconds and start >= music_seconds - 0.5:
            raise UploadError(f"start: {start:g} s is past the end of the music ({music_seconds:.1f} s)")
        duration = _float(form, "duration", DEFAULT_DURATION, 1.0, MAX_DANCE_SECONDS, "duration")
        if music_seconds:
            duration = min(duration, music_seconds - start)
        seed = _float(form, "seed", 0, 0, 2 ** 31 - 1, "seed")
        if seed != int(seed):
            raise UploadError(f"seed: {seed:g} is not a whole number")
        genre = str(form.get("genre") or "auto").strip()
        if genre != "auto" and genres and genre not in genres:
            raise UploadError(f"genre: {genre!r} is not one of {', '.join(genres)} (or auto)")
        gen = dict(start=start, duration=duration, seed=int(seed), genre=None if genre == "auto" else genre)
        if "progress" in params:
            gen["progress"] = False
        if "temperature" in params and str(form.get("temperature") or "").strip():
            gen["temperature"] = _float(form, "temperature", 1.0, 0.0, 10.0, "temperature")
        if "camera" in params and str(form.get("camera") or "").strip():
            cam = str(form.get("camera")).strip()
            choices = _choices(params, "camera")
            if choices and cam not in [str(c) for c in choices]:
                raise UploadError(f"camera: {cam!r} is not one of {', '.join(map(str, choices))}")
            gen["camera"] = cam
        return {"generate": gen, "duration": duration}

    def status(job: Job) -> dict:
        base = f"/api/jobs/{job.id}"
        files = {}
        if "npz" in job.files and "player" in job.files:     # both at once: the dance is ready
            files["npz"] = f"{base}/download/npz"
            files["player"] = f"{base}/player"
            if export_function() is not None:
                for k in EXPORTS:
                    files[k] = f"{base}/download/{k}"
        if "mp4" in job.files:
            files["mp4"] = f"{base}/download/mp4"
        out = {"id": job.id, "state": job.state, "stage": job.stage, "progress": job.progress(),
               "message": job.message, "error": job.error, "files": files, "music": job.music_name,
               "music_seconds": job.music_seconds, "timings": job.timings,
               "options": {k: v for k, v in job.options["generate"].items() if k != "progress"}}
        if job.state == "queued":
            ahead = jobs.queue_position(job)
            out["stage"] = f"waiting: {ahead} dance{'s' if ahead != 1 else ''} ahead" if ahead else "starting"
        return out

    @app.get("/api/jobs/{jid}")
    async def job_status(jid: str):
        job = jobs.get(jid)
        if job is None:
            return err("no such dance (the server may have restarted); upload the music again", 404)
        return status(job)

    @app.get("/api/jobs/{jid}/player")
    async def player(jid: str):
        job = jobs.get(jid)
        if job is None or "player" not in job.files:
            return err("no player for this dance (yet)", 404)
        return FileResponse(job.files["player"], media_type="text/html")

    @app.get("/api/jobs/{jid}/download/{kind}")
    async def download(jid: str, kind: str):
        job = jobs.get(jid)
        if job is None:
            return err("no such dance (the server may have restarted); upload the music again", 404)
        if kind in EXPORTS:
            try:
                path = await run_in_threadpool(jobs.export, job, kind)
            except UploadError as e:
                return err(str(e), e.status)
            except DanceGenError as e:
                return err(f"{EXPORTS[kind][0]} export failed: {e}", 422)
            except Exception as e:
                log.exception("export %s of job %s failed", kind, jid)
                return err(f"{EXPORTS[kind][0]} export failed: internal error: {type(e).__name__}: {e}", 500)
        elif kind in ("npz", "mp4"):
            if kind not in job.files:
                return err(f"the {kind} is not ready yet", 409)
            path = job.files[kind]
        else:
            return err(f"unknown download {kind!r}", 404)
        return FileResponse(path, filename=Path(path).name,
                            media_type={"npz": "application/octet-stream", "mp4": "video/mp4"}.get(kind))

    return app


def _warm_generate():
    """One 2-s dance on a click track, so that the first person's dance does not pay for the
    libraries' first-call costs (feature extraction, the decoder)."""
    import numpy as np
    import soundfile as sf

    import dancegen

    sr = 22050
    y = np.zeros(int(sr * 4.0), np.float32)
    for k in range(8):
        i = int(k * 0.5 * sr)
        y[i:i + 400] = 0.5 * np.sin(np.arange(400) * 0.3) * np.exp(-np.arange(400) / 80.0)
    with tempfile.TemporaryDirectory(prefix="dancegen-warm-") as tmp:
        wav = Path(tmp) / "clicks.wav"
        sf.write(wav, y, sr)
        dancegen.generate(str(wav), duration=2.0, progress=False)


def _check_audio(path: Path, shown: str, max_seconds: float) -> float | None:
    """Is the upload audio ffmpeg can read, and not too long? Returns its duration in seconds."""
    from ..errors import AudioError
    from ..render.video import probe_media

    try:
        info = probe_media(path)
    except AudioError:
        raise UploadError(f"{shown}: not an audio file that can be read (try ogg, mp3, wav, flac or m4a)") from None
    if not any(s["type"] == "audio" for s in info["streams"]):
        raise UploadError(f"{shown}: not an audio file (there is no sound in it); choose a music file "
                          f"(ogg, mp3, wav, flac or m4a)")
    seconds = info["duration"]
    if seconds is not None and seconds > max_seconds:
        raise UploadError(f"{shown}: the music is {seconds / 60:.1f} minutes long; the limit is "
                          f"{max_seconds / 60:.0f} minutes (cut it, or choose a shorter song)")
    if seconds is not None and seconds < 1.0:
        raise UploadError(f"{shown}: the music is only {seconds:.2f} s long")
    return seconds


def serve(host: str = "127.0.0.1", port: int = 7860, work_dir=None, log_level: str = "warning"):
    """Run the app with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(work_dir), host=host, port=port, log_level=log_level)
