"""Decode music files into a mono float32 waveform.

Every container libsndfile reads (wav, flac, ogg/vorbis, ogg/opus, mp3, aiff, ...) at any sample
rate and channel count is decoded block by block, mixed to mono, resampled with soxr (streaming, so a
10-minute 96 kHz 6-channel file never sits in memory as a whole) and, by default, lightly cleaned
(see :func:`reduce_noise`). Every problem with the file is raised as :class:`~dancegen.errors.AudioError`
whose message names the file and says what to do.
"""
from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
from pathlib import Path

import numpy as np

from ..errors import AudioError

log = logging.getLogger(__name__)

DEFAULT_SR = 22050
#: frames decoded per block (at the file's own rate)
_BLOCK = 1 << 17
#: high-pass corner of :func:`reduce_noise`, Hz
HIGHPASS_HZ = 30.0
#: frames quieter than this (dBFS, RMS over 1024 samples) are faded towards silence by :func:`reduce_noise`
GATE_DBFS = -70.0

_HINT = "check the file plays in a media player, or convert it to wav/flac/ogg/mp3"


def _check_path(path) -> Path:
    p = Path(os.fspath(path))
    if not p.exists():
        raise AudioError(f"{p}: music file not found; check the path")
    if p.is_dir():
        raise AudioError(f"{p}: is a folder, not a music file; give the path of a wav/mp3/ogg/flac file")
    try:
        size = p.stat().st_size
    except OSError as e:
        raise AudioError(f"{p}: cannot read the music file ({e.strerror}); check its permissions") from e
    if size == 0:
        raise AudioError(f"{p}: music file is empty (0 bytes); {_HINT}")
    return p


@contextlib.contextmanager
def _quiet_stderr():
    """Silence C-level stderr (libsndfile's mp3 decoder prints "Note: Illegal Audio-MPEG-Header"
    and similar) so that a CLI error stays one line. Python-level output is unaffected."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def _reason(e: Exception, p: Path) -> str:
    """libsndfile's message without its 'Error opening <path>:' prefix and misleading guesses."""
    msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if "Error opening" in msg and ":" in msg:
        msg = msg.split(":", 1)[1].strip() if msg.count(":") >= 1 else msg
    if "not a regular file" in msg or "Format not recognised" in msg or "unknown format" in msg:
        return "unrecognised format or corrupt data"
    return msg.rstrip(".")


def _open(p: Path):
    import soundfile as sf

    try:
        with _quiet_stderr():
            return sf.SoundFile(str(p))
    except Exception as e:  # soundfile raises LibsndfileError / RuntimeError / TypeError
        raise AudioError(f"{p}: cannot decode the music file ({_reason(e, p)}); {_HINT}") from e


#: a header length that differs from the decoded length by more than this (seconds: one dance frame
#: at 25 fps) is reported with a warning
LENGTH_TOLERANCE_S = 1.0 / 25.0
#: (resolved path, size, mtime) -> (decoded frames, sample rate, header frames)
_LENGTH_CACHE: dict = {}
_WARNED: set = set()


def _file_key(p: Path):
    st = p.stat()
    return (str(p.resolve()), st.st_size, st.st_mtime_ns)


def _note_length(p: Path, decoded: int, sr: int, header: int, cache: bool = True) -> None:
    """Remember a file's decoded length and warn (once per file) when its header disagrees."""
    try:
        key = _file_key(p)
    except OSError:
        return
    if cache:
        _LENGTH_CACHE[key] = (int(decoded), int(sr), int(header))
    if header > 0 and abs(header - decoded) > LENGTH_TOLERANCE_S * sr and key not in _WARNED:
        _WARNED.add(key)
        if decoded < header:
            log.warning("%s: only %.2f s of the %.2f s the file header announces decode (truncated or corrupt "
                        "file); using the %.2f s that decode", p, decoded / sr, header / sr, decoded / sr)
        else:
            log.warning("%s: decodes to %.2f s, the file header announces %.2f s; using the decoded %.2f s",
                        p, decoded / sr, header / sr, decoded / sr)


def _count_frames(f, p: Path) -> int:
    """Frames that decode from the current position to the end (decoded, not trusted from the header)."""
    buf = np.empty((_BLOCK, max(1, int(f.channels))), np.int16)
    n = 0
    while True:
        try:
            got = len(f.read(out=buf))
        except Exception as e:
            if n == 0:
                raise AudioError(f"{p}: cannot decode the music file ({_reason(e, p)}); {_HINT}") from e
            raise AudioError(f"{p}: the file is corrupt or truncated after {n / f.samplerate:.2f} s; {_HINT}") from e
        if got == 0:
            return n
        n += got


def audio_duration(path, header: bool = False) -> float:
    """Duration of a music file in seconds: the length of the audio that really decodes.

    The file is decoded once (without resampling; about 0.3 s for 2.5 minutes of ogg on one core)
    and the figure cached per file (path, size and modification time). A header that announces a
    different length (a truncated mp3 keeps the full length in its header; for mp3 files without a
    length header libsndfile only estimates it) is reported in one warning line on the
    ``dancegen`` logger when the two differ by more than :data:`LENGTH_TOLERANCE_S`.

    ``header=True`` returns the header's figure without decoding (fast, untrusted).

    Raises
    ------
    AudioError
        The file is missing, empty or not a decodable audio file.
    """
    p = _check_path(path)
    try:
        key = _file_key(p)
    except OSError as e:
        raise AudioError(f"{p}: cannot read the music file ({e.strerror}); check its permissions") from e
    if not header and key in _LENGTH_CACHE:
        n, sr, _ = _LENGTH_CACHE[key]
        return float(n) / float(sr)
    with _open(p) as f:
        if f.samplerate <= 0:
            raise AudioError(f"{p}: invalid sample rate {f.samplerate} in the file header; {_HINT}")
        if header:
            return float(f.frames) / float(f.samplerate)
        with _quiet_stderr():
            n = _count_frames(f, p)
        sr, hdr = int(f.samplerate), int(f.frames)
    if n == 0:
        raise AudioError(f"{p}: the file contains no audio samples (truncated or corrupt); {_HINT}")
    _note_length(p, n, sr, hdr)
    return float(n) / float(sr)


def highpass(y: np.ndarray, sr: int, cutoff: float = HIGHPASS_HZ) -> np.ndarray:
    """2nd-order Butterworth high-pass at ``cutoff`` Hz, causal, zero initial state
    (:func:`dancegen.dsp.butter2_highpass`, :func:`dancegen.dsp.causal_filter`). Returns float32."""
    from ..dsp import butter2_highpass, causal_filter

    b, a = butter2_highpass(cutoff, sr)
    return causal_filter(b, a, y).astype(np.float32)


def reduce_noise(y: np.ndarray, sr: int) -> np.ndarray:
    """Light, cheap noise reduction of a mono waveform.

    Two steps, both O(N):

    1. a 2nd-order Butterworth high-pass at :data:`HIGHPASS_HZ` (30 Hz), applied once (causal,
       12 dB/octave): removes DC offset and sub-sonic rumble (handling noise, turntable hum) that
       would otherwise dominate the lowest mel bands; its group delay above 60 Hz is under 3 ms;
    2. a soft floor gate: the RMS of each 1024-sample frame is measured, and frames whose level is
       below :data:`GATE_DBFS` (-70 dBFS) are attenuated by 1 dB for every dB they lie below it
       (a 2:1 downward expander, gain interpolated between frame centres, never above 1). This
       removes dither and tape hiss in silent passages (so they give no spurious onsets) and leaves
       every audible passage untouched.

    No spectral gating or noise-profile estimation is done: music is never altered above -70 dBFS
    except for the 30 Hz high-pass.

    Parameters
    ----------
    y : (N,) float32 waveform in [-1, 1].
    sr : sample rate in Hz.

    Returns
    -------
    (N,) float32, same length.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.size == 0:
        return y.copy()
    if sr > 4 * HIGHPASS_HZ:
        y = highpass(y, sr)
    frame = 1024
    n_frames = int(math.ceil(y.size / frame))
    pad = n_frames * frame - y.size
    yy = np.pad(y, (0, pad)) if pad else y
    ms = np.einsum("ij,ij->i", yy.reshape(n_frames, frame), yy.reshape(n_frames, frame)) / frame
    level = 10.0 * np.log10(np.maximum(ms, 1e-20))
    gain_db = np.minimum(level - GATE_DBFS, 0.0)  # 1 dB extra cut per dB under the floor
    if np.all(gain_db >= 0):
        return y
    gain = (10.0 ** (gain_db / 20.0)).astype(np.float32)
    centres = np.arange(n_frames) * frame + frame / 2.0
    g = np.interp(np.arange(y.size, dtype=np.float64), centres, gain).astype(np.float32)
    return y * g


def load_audio(path, sr: int = DEFAULT_SR, start: float = 0.0, duration: float | None = None,
               denoise: bool = True) -> tuple[np.ndarray, int]:
    """Decode a music file to a mono float32 waveform at ``sr``.

    Only the window ``[start, start + duration]`` (seconds) is decoded: the decoder seeks to
    ``start``, so taking 10 s from a 10-minute file costs 10 s of decoding.

    Parameters
    ----------
    path : wav, flac, ogg, mp3 (anything libsndfile decodes), any sample rate, any channel count.
    sr : output sample rate in Hz (resampled with soxr, high quality).
    start : seconds into the file where the output starts (>= 0, before the end of the file).
    duration : seconds to decode, or None for everything from ``start`` to the end. A window that
        runs past the end of the file is cut at the end (the output is then shorter).
    denoise : apply :func:`reduce_noise` (30 Hz high-pass + -70 dBFS floor gate).

    Returns
    -------
    y : (N,) float32, mono (channel mean), N = round(decoded_frames * sr / file_sr).
    sr : the output sample rate.

    Raises
    ------
    AudioError
        Missing, empty, undecodable, truncated-before-any-audio or non-finite file; ``start`` past
        the end.

    Examples
    --------
    >>> import os, tempfile, soundfile
    >>> song = os.path.join(tempfile.mkdtemp(), "song.wav")         # 3 s of a 44.1 kHz tone
    >>> soundfile.write(song, np.sin(np.arange(3 * 44100) / 10.0).astype(np.float32), 44100)
    >>> y, sr = load_audio(song, start=1.0, duration=1.5)
    >>> y.shape, sr
    ((33075,), 22050)
    """
    p = _check_path(path)
    sr = int(sr)
    if sr <= 0:
        raise AudioError(f"{p}: requested sample rate {sr} must be positive")
    if not (math.isfinite(start) and start >= 0):
        raise AudioError(f"{p}: start {start} s must be a finite number >= 0")
    if duration is not None and not (math.isfinite(duration) and duration > 0):
        raise AudioError(f"{p}: duration {duration} s must be a positive number of seconds")
    with _open(p) as f:
        file_sr = int(f.samplerate)
        ch = int(f.channels)
        if file_sr <= 0 or ch <= 0:
            raise AudioError(f"{p}: invalid header (sample rate {file_sr}, {ch} channels); {_HINT}")
        total = int(f.frames)
        first = int(round(start * file_sr))
        if first > 0:
            if total > 0 and first >= total:
                raise AudioError(f"{p}: start {start:g} s is past the end of the music "
                                 f"({total / file_sr:.2f} s); choose a smaller --start")
            try:
                with _quiet_stderr():
                    if f.seekable():
                        f.seek(first)
                    else:
                        _skip(f, first)
            except AudioError:
                raise
            except Exception as e:
                raise AudioError(f"{p}: cannot seek to {start:g} s ({e}); {_HINT}") from e
        want = None if duration is None else int(round(duration * file_sr))
        with _quiet_stderr():
            mono = _read_mono(f, p, want)
        if (want is None or mono.size < want) and mono.size > 0:
            # decoding reached the end of the audio: its real length is first + what decoded
            _note_length(p, first + mono.size, file_sr, total, cache=first == 0)
    if mono.size == 0:
        if first > 0:
            raise AudioError(f"{p}: start {start:g} s is past the end of the decodable audio; "
                             f"choose a smaller --start")
        raise AudioError(f"{p}: the file contains no audio samples (truncated or corrupt); {_HINT}")
    y = _resample(mono, file_sr, sr)
    del mono
    if not np.all(np.isfinite(y)):
        raise AudioError(f"{p}: decoded audio contains NaN or infinite samples (corrupt file); {_HINT}")
    if denoise:
        y = reduce_noise(y, sr)
    return np.ascontiguousarray(y, dtype=np.float32), sr


def _skip(f, n: int) -> None:
    left = n
    while left > 0:
        got = f.read(min(left, _BLOCK), dtype="float32", always_2d=True)
        if len(got) == 0:
            break
        left -= len(got)


def _read_mono(f, p: Path, want: int | None) -> np.ndarray:
    """Read up to ``want`` frames (None = to the end) block by block, channel-averaged."""
    blocks = []
    got_total = 0
    while want is None or got_total < want:
        n = _BLOCK if want is None else min(_BLOCK, want - got_total)
        try:
            x = f.read(n, dtype="float32", always_2d=True)
        except Exception as e:
            if got_total == 0:
                raise AudioError(f"{p}: cannot decode the music file ({_reason(e, p)}); {_HINT}") from e
            raise AudioError(f"{p}: the file is corrupt or truncated after "
                             f"{got_total / f.samplerate:.2f} s; {_HINT}") from e
        if len(x) == 0:
            break
        blocks.append(x.mean(axis=1, dtype=np.float32) if x.shape[1] > 1 else x[:, 0].copy())
        got_total += len(x)
    if not blocks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]


def _resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample mono float32 with soxr (HQ) to exactly round(len(x) * sr_out / sr_in) samples."""
    if sr_in == sr_out:
        return x
    import soxr

    n_out = int(round(len(x) * sr_out / sr_in))
    y = soxr.resample(x, sr_in, sr_out, quality="HQ")
    if len(y) != n_out:
        y = y[:n_out] if len(y) > n_out else np.pad(y, (0, n_out - len(y)))
    return y.astype(np.float32, copy=False)
