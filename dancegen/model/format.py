"""The one model-file format of every dancegen generator, safe to open when it comes from a stranger.

A model file is a single ``.safetensors`` file: its tensors are the weights (float16 allowed, read
back as float32) and the safetensors header's ``__metadata__`` holds four strings::

    {"format": "dancegen-model", "version": "2", "kind": "<model kind>", "meta": "<JSON object>"}

Nothing in it is executed when it is read: the header is JSON, the tensors are raw bytes whose
shapes and offsets must match the file exactly (checked before any weight is read), and the file
size is checked first (:data:`MAX_BYTES_ENV`).

Each model kind is a class registered with :func:`register_kind`; it implements
``from_pretrained(path)`` (classmethod) and ``save_pretrained(path)``. Its metadata (everything
besides the weights and ``model_config``) is a dataclass built on :class:`ModelMeta`: every field
declared with :func:`meta_field` is saved and loaded whole, its type checked on the way in. :func:`load_any` opens a
file with the class of the kind it names. Built-in kinds live in :data:`BUILTIN_KIND_MODULES`
(imported when a file is read, so every kind is known without importing it first).

Legacy ``.pt`` files (the torch pickle format dancegen wrote before this one) and Lightning
training checkpoints (``last.ckpt``) are read with ``torch.load(weights_only=True)`` only; one that
needs more (a pickled Python object, i.e. code) is refused. ``dancegen convert-model OLD.pt -o NEW.safetensors`` turns a
legacy file into the new format.
"""
from __future__ import annotations

import importlib
import json
import logging
import numbers
import os
import sys
import struct
import zipfile
from dataclasses import MISSING, field, fields
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..errors import ModelError

log = logging.getLogger(__name__)

FORMAT = "dancegen-model"
VERSION = "2"
KNOWN_VERSIONS = ("2",)
SUFFIX = ".safetensors"
#: environment variable with the largest model file (bytes) dancegen opens; default 1 GiB
MAX_BYTES_ENV = "DANCEGEN_MAX_MODEL_BYTES"
DEFAULT_MAX_BYTES = 1 << 30
#: largest safetensors JSON header accepted (the real ones are a few kB)
MAX_HEADER_BYTES = 16 << 20

#: registered model kinds: kind -> class (see :func:`register_kind`)
KINDS: dict[str, type] = {}
#: modules that register the built-in kinds; imported before a file's kind is looked up (a missing one
#: is skipped: bundle3d, the 3D generator, registers "seq2seq3d" once it is merged)
BUILTIN_KIND_MODULES = ("dancegen.model.bundle", "dancegen.model.baselines", "dancegen.model.bundle3d",
                        "dancegen.model.baselines.bundle3d")

#: the ``format`` strings of legacy torch-pickle model files and the kind each one is
LEGACY_FORMATS = {"dancegen-seq2seq/1": "seq2seq2d", "dancegen-gan-stgcn/1": "gan-stgcn",
                  "dancegen-vqvae-transformer/1": "vqvae-transformer"}

CONVERT_HINT = "dancegen convert-model OLD.pt -o NEW.safetensors"


# ------------------------------------------------------------------------------------- registry
def register_kind(kind: str):
    """Class decorator: files whose kind is ``kind`` are opened with this class. The class must have
    ``from_pretrained(path)`` (a classmethod) and ``save_pretrained(path)``. A class may be
    registered under several kinds (apply the decorator once per kind)."""
    if not isinstance(kind, str) or not kind or len(kind) > 64:
        raise ValueError(f"model kind must be a short non-empty string, got {kind!r}")

    def deco(cls):
        for name in ("from_pretrained", "save_pretrained"):
            if not callable(getattr(cls, name, None)):
                raise TypeError(f"{cls.__name__} cannot be model kind {kind!r}: it has no {name}()")
        prev = KINDS.get(kind)
        if prev is not None and (prev.__module__, prev.__qualname__) != (cls.__module__, cls.__qualname__):
            raise ValueError(f"model kind {kind!r} is already registered by {prev.__module__}.{prev.__qualname__}")
        KINDS[kind] = cls
        cls.model_kinds = tuple(k for k in cls.__dict__.get("model_kinds", ()) if k != kind) + (kind,)
        return cls

    return deco


def _load_builtin_kinds():
    for name in BUILTIN_KIND_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise


def known_kinds() -> list[str]:
    _load_builtin_kinds()
    return sorted(KINDS)


def _check_kind(path, kind) -> str:
    if isinstance(kind, str) and kind in KINDS:   # already registered: no need to import every kind (and torch)
        return kind
    if not isinstance(kind, str) or kind not in known_kinds():
        raise ModelError(f"{path}: unknown model kind {kind!r} (this dancegen knows {', '.join(known_kinds())}); "
                         f"update dancegen or use a model written by 'dancegen train'")
    return kind


def load_any(path: str | os.PathLike):
    """The model in ``path``, as an object of the class registered for the file's kind."""
    kind = read_kind(path)
    return KINDS[kind].from_pretrained(path)


# ------------------------------------------------------------------------------------- metadata
def to_jsonable(obj, where: str = "meta"):
    """``obj`` with numpy arrays and scalars, tensors, tuples and paths turned into JSON types
    (lists, numbers, strings); TypeError naming the entry for anything else (a function, a set...).
    Dict keys must be strings."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)):
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            return [to_jsonable(v, f"{where}[{i}]") for i, v in enumerate(obj.tolist())]
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    torch = sys.modules.get("torch")   # (no torch import here: reading a 3D model needs none)
    if torch is not None and isinstance(obj, torch.Tensor):
        return obj.detach().cpu().tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: key {k!r} is not a string; model metadata keys must be strings")
            out[str(k)] = to_jsonable(v, f"{where}[{k!r}]")
        return out
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    raise TypeError(f"{where}: {type(obj).__name__} is not JSON-serialisable; model metadata holds only "
                    f"numbers, strings, lists, dicts and numpy arrays")


# ------------------------------------------------------------------------------------- metadata classes
# Converters: the JSON value of a field -> its Python value; TypeError / ValueError when it has the
# wrong type (the loader turns that into a ModelError naming the file and the field).
def as_dict(v) -> dict:
    """A JSON object."""
    if not isinstance(v, dict):
        raise TypeError(f"expected a JSON object, got {type(v).__name__}")
    return dict(v)


def as_float(v) -> float:
    """A number (not a boolean, not a string)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"expected a number, got {type(v).__name__}")
    return float(v)


def as_f32(v) -> np.ndarray:
    """A number or (nested, rectangular) list of numbers, as a float32 array."""
    a = np.asarray(v)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"expected numbers, got {'booleans' if a.dtype.kind == 'b' else 'non-numbers'}")
    return a.astype(np.float32)


def as_str_list(v) -> list:
    """A list of strings."""
    if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) for x in v):
        raise TypeError("expected a list of strings")
    return list(v)


def as_int_tuple(v) -> tuple:
    """A list of whole numbers, as a tuple of ints."""
    if not isinstance(v, (list, tuple)) or not all(
            isinstance(x, numbers.Real) and not isinstance(x, bool) and float(x).is_integer() for x in v):
        raise TypeError("expected a list of whole numbers")
    return tuple(int(x) for x in v)


def optional(conv: Callable) -> Callable:
    """``conv``, letting None (JSON null) through."""
    def conv_or_none(v):
        return None if v is None else conv(v)

    conv_or_none.__name__ = f"optional_{getattr(conv, '__name__', 'value')}"
    return conv_or_none


def meta_field(load: Callable, **kw):
    """A metadata field of a :class:`ModelMeta` dataclass: ``load`` (one of the converters above, or
    any function raising TypeError / ValueError on a bad value) turns the stored JSON value into the
    field's value, and the field's value into what is stored. ``kw`` go to :func:`dataclasses.field`
    (``default=`` / ``default_factory=`` make the field optional in a file)."""
    return field(metadata={"load": load}, **kw)


class ModelMeta:
    """Base of the metadata dataclasses of the model kinds (:class:`~dancegen.model.bundle.BundleMeta`
    for the 2D generators, :class:`~dancegen.model.bundle3d.Bundle3DMeta` for the 3D ones): what a
    model file stores besides the weights and the model's own settings. Saving (:meth:`meta_dict`)
    and loading (:meth:`meta_kwargs`) iterate the dataclass fields declared with :func:`meta_field`,
    so a field added to a subclass is stored, loaded and type-checked without a list to keep; a
    field without a default must be in the file. A subclass adds checks across fields (shapes,
    ranges) in :meth:`check_meta`. Fields that are not metadata (a bundle's ``model``) are skipped."""

    @classmethod
    def meta_fields(cls) -> list:
        """The metadata fields (:func:`dataclasses.fields` declared with :func:`meta_field`)."""
        return [f for f in fields(cls) if "load" in f.metadata]

    def meta_dict(self) -> dict:
        """Every metadata field of this object, as stored (arrays as float32)."""
        out = {}
        for f in self.meta_fields():
            try:
                out[f.name] = f.metadata["load"](getattr(self, f.name))
            except (TypeError, ValueError) as e:
                raise TypeError(f"model metadata {f.name!r}: {e}") from None
        return out

    @classmethod
    def meta_kwargs(cls, meta: dict, path="<model>") -> dict:
        """Keyword arguments (every metadata field the file has; the defaults stand in for missing
        optional ones) from a file's metadata dict, checked: :class:`ModelError` naming the file and
        the field for a missing required field or a value of the wrong type."""
        if not isinstance(meta, dict):
            raise ModelError(f"{path}: model metadata is not a JSON object; the file is corrupt")
        kw = {}
        for f in cls.meta_fields():
            if f.name not in meta:
                if f.default is MISSING and f.default_factory is MISSING:
                    raise ModelError(f"{path}: model metadata lacks {f.name!r}; the file is corrupt or not a generator")
                continue
            try:
                kw[f.name] = f.metadata["load"](meta[f.name])
            except Exception as e:
                raise ModelError(f"{path}: model metadata {f.name!r} is malformed ({type(e).__name__}: "
                                 f"{str(e).splitlines()[0][:200] if str(e) else ''}); the file is corrupt") from None
        cls.check_meta(kw, path)
        return kw

    @classmethod
    def check_meta(cls, kw: dict, path) -> None:
        """Checks across the fields of ``kw`` (:meth:`meta_kwargs`' result): ModelError naming the
        file. The base checks nothing."""


# ------------------------------------------------------------------------------------- writing
def save_model(path: str | os.PathLike, kind: str, state_dict: dict[str, torch.Tensor], meta: dict,
               half: bool = True) -> Path:
    """Write a model file atomically: ``state_dict``'s tensors (floating ones as float16 when
    ``half``) and ``{"format", "version", "kind", "meta": json}`` in the header. Returns ``path``."""
    import torch
    from safetensors.torch import save_file

    from ..fileio import atomic_write

    if not isinstance(kind, str) or not kind:
        raise ValueError(f"model kind must be a non-empty string, got {kind!r}")
    if not isinstance(meta, dict):
        raise TypeError(f"meta must be a dict, got {type(meta).__name__}")
    tensors = {}
    for k, v in state_dict.items():
        if not isinstance(k, str) or not isinstance(v, torch.Tensor):
            raise TypeError(f"state_dict entry {k!r}: expected str -> torch.Tensor")
        v = v.detach().cpu()
        if half and v.is_floating_point():
            v = v.half()
        tensors[k] = v.contiguous().clone()  # own storage each: safetensors refuses shared tensors
    header = {"format": FORMAT, "version": VERSION, "kind": kind, "meta": json.dumps(to_jsonable(meta))}
    return atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=header))


# ------------------------------------------------------------------------------------- reading
def max_bytes() -> int:
    v = os.environ.get(MAX_BYTES_ENV)
    if not v:
        return DEFAULT_MAX_BYTES
    try:
        return int(float(v))
    except ValueError:
        raise ModelError(f"{MAX_BYTES_ENV}={v!r}: give a number of bytes, e.g. {MAX_BYTES_ENV}=4000000000") from None


def _check_file(path) -> tuple[Path, int]:
    p = Path(path)
    if not p.exists():
        raise ModelError(f"{p}: model file not found")
    if not p.is_file():
        raise ModelError(f"{p}: not a model file (a folder?); pass a .safetensors model file")
    size = p.stat().st_size
    limit = max_bytes()
    if size > limit:
        raise ModelError(f"{p}: {size} bytes, over the model file limit of {limit} bytes; if you trust it, "
                         f"raise the limit with {MAX_BYTES_ENV}={size}")
    if size < 8:
        raise ModelError(f"{p}: not a model file ({size} bytes); pass a .safetensors model written by dancegen")
    return p, size


def _is_legacy(head: bytes) -> bool:
    """A zip (torch >= 1.6 ``torch.save``) or a raw pickle (older ``torch.save``)."""
    return head[:4] == b"PK\x03\x04" or head[:1] == b"\x80"


def _safetensors_header(p: Path, size: int) -> dict | None:
    """The JSON header of a safetensors file, checked against the file size; None for a legacy torch
    file; ModelError for anything else."""
    with open(p, "rb") as fh:
        head = fh.read(9)
        n = struct.unpack("<Q", head[:8])[0]
        if not (len(head) == 9 and head[8:9] == b"{" and 2 <= n <= min(MAX_HEADER_BYTES, size - 8)):
            if _is_legacy(head):
                return None
            raise ModelError(f"{p}: not a model file (neither safetensors nor a legacy .pt); pass a "
                             f".safetensors model written by dancegen")
        raw = head[8:] + fh.read(n - 1)
    try:
        header = json.loads(raw.decode("utf-8"))
    except Exception:
        header = None
    if not isinstance(header, dict):
        raise ModelError(f"{p}: not a model file (not safetensors: no JSON header); pass a .safetensors "
                         f"model written by dancegen")
    end = 0
    for name, t in header.items():
        if name == "__metadata__":
            continue
        try:
            a, b = (int(x) for x in t["data_offsets"])
            shape = [int(s) for s in t["shape"]]
        except Exception:
            raise ModelError(f"{p}: corrupt safetensors header (tensor {name!r})") from None
        if not 0 <= a <= b or min(shape, default=0) < 0:
            raise ModelError(f"{p}: corrupt safetensors header (tensor {name!r})")
        end = max(end, b)
    if 8 + n + end != size:
        raise ModelError(f"{p}: truncated or padded safetensors file ({size} bytes, the header describes "
                         f"{8 + n + end}); download it again")
    return header


def _dancegen_metadata(p: Path, header: dict) -> tuple[str, dict]:
    md = header.get("__metadata__")
    if not isinstance(md, dict) or md.get("format") != FORMAT:
        raise ModelError(f"{p}: a safetensors file without dancegen metadata (format "
                         f"{(md or {}).get('format') if isinstance(md, dict) else None!r}, expected {FORMAT!r}); "
                         f"it is not a dancegen model: pass a model written by 'dancegen train'")
    version = md.get("version")
    if version not in KNOWN_VERSIONS:
        raise ModelError(f"{p}: dancegen model file version {version!r}; this dancegen reads version(s) "
                         f"{', '.join(KNOWN_VERSIONS)}: update dancegen or re-export the model")
    kind = _check_kind(p, md.get("kind"))
    try:
        meta = json.loads(md.get("meta", "{}"))
    except Exception:
        meta = None
    if not isinstance(meta, dict):
        raise ModelError(f"{p}: corrupt dancegen model metadata ('meta' is not a JSON object); re-export the model")
    return kind, meta


def read_kind(path: str | os.PathLike) -> str:
    """The model kind of a file, from its header only (legacy files: read weights-only)."""
    p, size = _check_file(path)
    header = _safetensors_header(p, size)
    if header is None:
        return _read_legacy(p)[0]
    return _dancegen_metadata(p, header)[0]


def _float32(sd: dict) -> dict:
    return {k: (v.float() if v.is_floating_point() else v) for k, v in sd.items()}


def read_model(path: str | os.PathLike) -> tuple[str, dict[str, torch.Tensor], dict]:
    """``(kind, state_dict, meta)`` of a model file; floating weights as float32.

    ModelError (one line, naming the file) for a missing or oversized file, a file that is not
    safetensors, a safetensors file without dancegen metadata, an unknown version or kind. A legacy
    ``.pt`` / ``last.ckpt`` is read with ``torch.load(weights_only=True)`` or refused."""
    p, size = _check_file(path)
    header = _safetensors_header(p, size)
    if header is None:
        kind, sd, meta = _read_legacy(p)
        log.info("%s: legacy torch model file read weights-only; convert it with %s", p, CONVERT_HINT)
        return kind, _float32(sd), meta
    kind, meta = _dancegen_metadata(p, header)
    from safetensors.torch import load_file

    try:
        sd = load_file(str(p), device="cpu")
    except Exception as e:
        why = str(e).splitlines()[0][:200] if str(e) else ""
        raise ModelError(f"{p}: corrupt model weights ({type(e).__name__}: {why}); download or export it again") from None
    return kind, _float32(sd), meta


def read_model_arrays(path: str | os.PathLike) -> tuple[str, dict[str, np.ndarray], dict]:
    """:func:`read_model` without torch: ``(kind, weights as float32 numpy arrays, meta)``, with the
    same checks and errors. (A legacy torch file is read through :func:`read_model`, which needs torch.)"""
    p, size = _check_file(path)
    header = _safetensors_header(p, size)
    if header is None:
        kind, sd, meta = read_model(p)
        return kind, {k: v.float().numpy() if v.is_floating_point() else v.numpy() for k, v in sd.items()}, meta
    kind, meta = _dancegen_metadata(p, header)
    from safetensors.numpy import load_file

    try:
        sd = load_file(str(p))
    except Exception as e:
        why = str(e).splitlines()[0][:200] if str(e) else ""
        raise ModelError(f"{p}: corrupt model weights ({type(e).__name__}: {why}); download or export it again") from None
    return kind, {k: v.astype(np.float32) if np.issubdtype(v.dtype, np.floating) else v for k, v in sd.items()}, meta


# ------------------------------------------------------------------------------------- legacy
def _check_zip_sizes(p: Path):
    """A torch zip whose members would unpack beyond the size limit is refused before reading."""
    try:
        with zipfile.ZipFile(p) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile:
        raise ModelError(f"{p}: corrupt legacy model file (bad zip); use a .safetensors model") from None
    limit = max_bytes()
    if total > limit:
        raise ModelError(f"{p}: unpacks to {total} bytes, over the model file limit of {limit} bytes; if you "
                         f"trust it, raise the limit with {MAX_BYTES_ENV}={total}")


def read_legacy(path: str | os.PathLike) -> tuple[str, dict[str, torch.Tensor], dict]:
    """``(kind, state_dict, meta)`` of a legacy ``.pt`` model or a Lightning ``last.ckpt``, read
    with ``torch.load(weights_only=True)``, the weights in the dtypes stored."""
    p, _ = _check_file(path)
    return _read_legacy(p)


def _read_legacy(p: Path) -> tuple[str, dict, dict]:
    import torch

    with open(p, "rb") as fh:
        head = fh.read(4)
    if head[:4] == b"PK\x03\x04":
        _check_zip_sizes(p)
    try:
        obj = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as e:
        msg = str(e).strip().splitlines()
        why = next((ln.strip() for ln in msg if "GLOBAL" in ln or "Unsupported" in ln), msg[0][:160] if msg else "")
        raise ModelError(f"{p}: refused: a torch pickle that does not hold only weights ({type(e).__name__}: "
                         f"{why}); dancegen reads .pt files weights-only. Use a .safetensors model, or convert a "
                         f"trusted old dancegen model with '{CONVERT_HINT}'") from None
    if not isinstance(obj, dict):
        raise ModelError(f"{p}: not a dancegen model file (a torch file holding {type(obj).__name__})")
    if isinstance(obj.get("hyper_parameters"), dict) and isinstance(obj.get("state_dict"), dict):
        kind, sd, meta = _from_lightning_checkpoint(p, obj)
    else:
        fmt = obj.get("format")
        if fmt not in LEGACY_FORMATS:
            raise ModelError(f"{p}: not a dancegen model file (format {fmt!r}); pass a model written by "
                             f"'dancegen train'")
        kind = LEGACY_FORMATS[fmt]
        sd = obj.get("state_dict")
        meta = {k: v for k, v in obj.items() if k not in ("format", "kind", "state_dict")}
    if not isinstance(sd, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in sd.items()):
        raise ModelError(f"{p}: corrupt legacy model file (no state_dict of tensors)")
    try:
        meta = json.loads(json.dumps(to_jsonable(meta)))
    except (TypeError, ValueError) as e:
        raise ModelError(f"{p}: legacy model metadata cannot be read ({e})") from None
    return _check_kind(p, kind), sd, meta


def _from_lightning_checkpoint(p: Path, ckpt: dict) -> tuple[str, dict, dict]:
    """A Seq2Seq training checkpoint (``last.ckpt``): the system stores the bundle metadata in its
    hyper-parameters and the model's weights under ``model.``."""
    hp = ckpt["hyper_parameters"]
    meta = hp.get("bundle_meta")
    if not isinstance(meta, dict) or "model_config" not in hp:
        raise ModelError(f"{p}: a training checkpoint without the model's metadata (a comparison model's, or "
                         f"from an older version); use the run's model.safetensors, or export it with "
                         f"scripts/export_checkpoint.py {p} OUT.safetensors --config CONFIG")
    sd = {k[len("model."):]: v for k, v in ckpt["state_dict"].items() if isinstance(k, str) and k.startswith("model.")}
    info = {"checkpoint_epoch": ckpt.get("epoch"), "checkpoint_step": ckpt.get("global_step")}
    return "seq2seq2d", sd, {**meta, "model_config": hp["model_config"], "info": info}


def convert_legacy(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Write the legacy model ``src`` (read weights-only) as a model file ``dst``; the weights keep
    their stored dtypes, so a float16 legacy file converts bit for bit."""
    p, size = _check_file(src)
    if _safetensors_header(p, size) is not None:
        raise ModelError(f"{p}: already a .safetensors model file; nothing to convert")
    kind, sd, meta = _read_legacy(p)
    return save_model(dst, kind, sd, meta, half=False)


# ------------------------------------------------------------------------------------- building
def load_weights(factory: Callable[[], torch.nn.Module], state_dict: dict, path="<model>",
                 optional: Iterable[str] = (), on_meta: bool = True) -> torch.nn.Module:
    """``factory()`` with ``state_dict`` loaded, in eval mode. The module is first built on the meta
    device (no memory) and its parameter names and shapes compared with the file's, so a config in a
    file that asks for a huge model is refused before anything is allocated. Parameters whose names
    start with one of ``optional`` may be missing from the file (e.g. a GAN's discriminator).
    ``on_meta=False`` skips the meta-device build (it imports ``torch._dynamo``, about 1 s) for a
    caller that has bounded the settings itself; the names and shapes are still compared before
    anything is loaded."""
    import torch

    optional = tuple(optional)
    built = None
    try:
        if on_meta:
            with torch.device("meta"):
                expected = {k: tuple(v.shape) for k, v in factory().state_dict().items()}
        else:
            built = factory()
            expected = {k: tuple(v.shape) for k, v in built.state_dict().items()}
    except Exception as e:
        raise ModelError(f"{path}: the model settings in the file are invalid ({type(e).__name__}: {e}); "
                         f"re-export the model") from None
    got = {k: tuple(v.shape) for k, v in state_dict.items()}
    missing = [k for k in expected if k not in got and not k.startswith(optional)]
    unexpected = [k for k in got if k not in expected]
    wrong = [k for k in expected if k in got and got[k] != expected[k]]
    if missing or unexpected or wrong:
        raise ModelError(f"{path}: weights do not match the model settings (missing {missing[:3]}, unexpected "
                         f"{unexpected[:3]}, wrong shape {wrong[:3]}): the file is corrupt or from another version")
    try:
        if built is not None:
            model = built
            model.load_state_dict(state_dict, strict=not optional)
        elif missing or any(k not in got for k in expected):
            model = factory()                       # parameters the file lacks keep their initial values
            model.load_state_dict(state_dict, strict=not optional)
        else:                                       # every tensor comes from the file: skip the random init
            with torch.device("meta"):
                model = factory()
            model.load_state_dict(state_dict, strict=True, assign=True)
    except Exception as e:
        raise ModelError(f"{path}: cannot load the weights ({type(e).__name__}: {str(e)[:200]})") from None
    return model.eval()


__all__ = ["FORMAT", "VERSION", "KNOWN_VERSIONS", "KINDS", "SUFFIX", "MAX_BYTES_ENV", "register_kind",
           "known_kinds", "load_any", "to_jsonable", "save_model", "read_model", "read_model_arrays", "read_kind", "read_legacy",
           "convert_legacy", "load_weights", "CONVERT_HINT", "ModelMeta", "meta_field", "as_dict", "as_float",
           "as_f32", "as_str_list", "as_int_tuple", "optional"]
