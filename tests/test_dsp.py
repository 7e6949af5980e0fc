"""dancegen.dsp against the library functions it replaces (librosa's stft and filter banks,
scipy.signal's butter + sosfilt, zoom_fft and find_peaks), in the configurations dancegen uses and
on real songs; and the features of real songs against the librosa/scipy pipeline they were computed
with before (the bundled models were trained on those)."""
import contextlib

import librosa
import numpy as np
import pytest
import scipy.signal

from dancegen import dsp
from dancegen.audio import beats as B
from dancegen.audio import features as F
from dancegen.audio import genre as G
from dancegen.audio import io as aio

SR = 22050
#: the sample rates whose analysis settings are checked (features at 22.05 kHz; any 4-192 kHz works)
RATES = (16000, 22050, 44100)


def close(ours, ref, rel=1e-6):
    """max |ours - ref| within ``rel`` of max |ref| (float32 tolerance)."""
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape
    scale = float(np.abs(ref).max())
    assert float(np.abs(ours - ref).max()) <= rel * scale, (float(np.abs(ours - ref).max()), scale)


# ------------------------------------------------------------------ the library versions (before)

def librosa_power(y, n_fft, hop):
    """The power spectrogram as dancegen computed it with librosa."""
    y = np.asarray(y, np.float32)
    n = 1 + len(y) // hop
    if len(y) < n_fft:
        y = np.pad(y, (0, n_fft - len(y)))
    D = librosa.stft(y, n_fft=n_fft, hop_length=hop, center=True, pad_mode="constant")
    return (D.real ** 2 + D.imag ** 2).astype(np.float32)[:, :n]


def librosa_mel(sr, n_fft, n_mels, fmin, fmax):
    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, dtype=np.float32)


def librosa_chroma(sr, n_fft):
    return librosa.filters.chroma(sr=sr, n_fft=n_fft, tuning=0.0).astype(np.float32)


def scipy_highpass(y, sr, cutoff=aio.HIGHPASS_HZ):
    sos = scipy.signal.butter(2, cutoff, btype="highpass", fs=sr, output="sos")
    return scipy.signal.sosfilt(sos, y).astype(np.float32)


def scipy_zoom(x, f1, f2, m, fs):
    return scipy.signal.zoom_fft(x, [f1, f2], m=m, fs=fs, endpoint=True)


@contextlib.contextmanager
def library_pipeline():
    """dancegen's audio code running on librosa and scipy.signal, as before dancegen.dsp."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(B, "stft_power", librosa_power)
        mp.setattr(B, "mel_filterbank", librosa_mel)
        mp.setattr(dsp, "chroma_filterbank", librosa_chroma)
        mp.setattr(B, "zoom_fft", scipy_zoom)
        mp.setattr(aio, "highpass", scipy_highpass)
        B._mel_basis.cache_clear()
        F._CHROMA_CACHE.clear()
        try:
            yield
        finally:
            B._mel_basis.cache_clear()
            F._CHROMA_CACHE.clear()


@pytest.fixture(scope="module")
def songs(sectoid_dir):
    """The first 30 s of each sectoid song at 22.05 kHz, without noise reduction."""
    return {p.parent.name: aio.load_audio(p, sr=SR, duration=30.0, denoise=False)[0]
            for p in sorted(sectoid_dir.glob("*/song.ogg"))}


# ------------------------------------------------------------------ spectra and filter banks

def test_hann_is_the_periodic_window():
    n = np.arange(1024)
    np.testing.assert_allclose(dsp.hann(1024), 0.5 - 0.5 * np.cos(2 * np.pi * n / 1024), atol=1e-15)
    np.testing.assert_allclose(dsp.hann(1024), scipy.signal.get_window("hann", 1024, fftbins=True), atol=1e-15)


@pytest.mark.parametrize("n", [1, 100, 1023, 1024, 1025, 3000])
def test_power_spectrogram_of_short_and_odd_lengths_equals_librosa(n):
    y = np.random.default_rng(n).normal(size=n).astype(np.float32)
    for n_fft, hop in ((1024, 256), (2048, 512)):
        ours, ref = B.power_spectrogram(y, n_fft, hop), librosa_power(y, n_fft, hop)
        assert ours.dtype == np.float32 and ours.shape == (1 + n_fft // 2, 1 + n // hop)
        close(ours, ref)


@pytest.mark.realdata
def test_power_spectrogram_equals_librosa_on_real_songs(songs):
    settings = {B.analysis_params(sr) for sr in RATES}
    settings |= {(2 * n, 2 * h) for n, h in settings}                  # the chroma analysis
    for y in songs.values():
        for n_fft, hop in sorted(settings):
            close(B.power_spectrogram(y, n_fft, hop), librosa_power(y, n_fft, hop))


@pytest.mark.parametrize("sr", RATES)
def test_mel_filterbank_equals_librosa_slaney(sr):
    n_fft, _ = B.analysis_params(sr)
    for n_mels in (B.ONSET_N_MELS, F.FeatureConfig().n_mels, 128):
        close(dsp.mel_filterbank(sr, n_fft, n_mels, 30.0, sr / 2), librosa_mel(sr, n_fft, n_mels, 30.0, sr / 2))
    close(dsp.mel_filterbank(sr, n_fft, 40), librosa_mel(sr, n_fft, 40, 0.0, None))
    f = np.array([0.0, 30.0, 500.0, 999.0, 1000.0, 1001.0, 4000.0, sr / 2])
    close(dsp.hz_to_mel(f), librosa.hz_to_mel(f), 1e-12)
    close(dsp.mel_to_hz(dsp.hz_to_mel(f)), f, 1e-12)


@pytest.mark.parametrize("sr", RATES)
def test_chroma_filterbank_equals_librosa(sr):
    n_fft, _ = B.analysis_params(sr)
    for n in (n_fft, 2 * n_fft):
        close(dsp.chroma_filterbank(sr, n), librosa_chroma(sr, n))


def test_features_of_a_click_track_are_those_of_the_library_pipeline():
    t = np.arange(8 * SR) / SR
    y = (np.sin(2 * np.pi * 880 * t) * (np.mod(t - 0.1, 0.5) < 0.03)
         + 0.2 * np.sin(2 * np.pi * 20 * t)).astype(np.float32)          # rumble for the high-pass
    with library_pipeline():
        ref = F.compute_features(aio.reduce_noise(y, SR), SR)
    ours = F.compute_features(aio.reduce_noise(y, SR), SR)
    assert float(np.abs(ours.values - ref.values).max()) <= 1e-4
    assert np.array_equal(ours.beats, ref.beats) and abs(ours.tempo / ref.tempo - 1) < 1e-12


# ------------------------------------------------------------------ IIR filter, chirp-z, peaks

@pytest.mark.parametrize("sr", [8000, 16000, 22050, 44100, 48000, 96000, 192000])
def test_butterworth_highpass_coefficients_equal_scipy(sr):
    b, a = dsp.butter2_highpass(aio.HIGHPASS_HZ, sr)
    sos = scipy.signal.butter(2, aio.HIGHPASS_HZ, btype="highpass", fs=sr, output="sos")[0]
    np.testing.assert_allclose(b, sos[:3], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(a, sos[3:], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("sr", [8000, 44100, 192000])
def test_causal_filter_equals_sosfilt_on_noise_and_clicks(sr):
    rng = np.random.default_rng(sr)
    x = rng.normal(size=3 * sr + 17)
    x[sr // 2] += 50.0                                               # an impulse: the long tail
    b, a = dsp.butter2_highpass(aio.HIGHPASS_HZ, sr)
    ref = scipy.signal.sosfilt(scipy.signal.butter(2, aio.HIGHPASS_HZ, btype="highpass", fs=sr, output="sos"), x)
    np.testing.assert_allclose(dsp.causal_filter(b, a, x), ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    # another filter order (a 4th-order band-pass, an octave wide) and a short input
    b4, a4 = scipy.signal.butter(2, [0.02 * sr, 0.04 * sr], btype="bandpass", fs=sr)
    np.testing.assert_allclose(dsp.causal_filter(b4, a4, x), scipy.signal.lfilter(b4, a4, x), atol=1e-10)
    np.testing.assert_allclose(dsp.causal_filter(b, a, x[:5]), ref[:5], atol=1e-14)


@pytest.mark.realdata
def test_noise_reduction_equals_the_scipy_one_on_real_songs(songs):
    import soxr

    for y in songs.values():
        close(aio.highpass(y, SR), scipy_highpass(y, SR))
        y44 = soxr.resample(y[:5 * SR], SR, 44100).astype(np.float32)
        close(aio.highpass(y44, 44100), scipy_highpass(y44, 44100))
        quiet = y * np.float32(1e-4)                                  # -80 dB: under the gate
        ours = aio.reduce_noise(quiet, SR)
        with library_pipeline():
            close(ours, aio.reduce_noise(quiet, SR))


def test_zoom_fft_equals_the_dft_and_scipy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=777)
    fs, f1, f2, m = 86.13, 2.3, 2.6, 301
    f = np.linspace(f1, f2, m)
    dft = np.exp(-2j * np.pi * np.outer(f, np.arange(len(x))) / fs) @ x
    close(dsp.zoom_fft(x, f1, f2, m, fs), dft, 1e-10)
    close(dsp.zoom_fft(x, f1, f2, m, fs), scipy_zoom(x, f1, f2, m, fs), 1e-10)


@pytest.mark.realdata
def test_tempo_refinement_equals_the_scipy_zoom_fft_on_real_songs(songs):
    for name, y in songs.items():
        env, fps, _ = B.onset_envelope(y, SR)
        coarse, _ = B.estimate_tempo(env, fps)
        x = env.astype(np.float64) - env.mean()
        for h in (1, 2, 3, 4):
            f1, f2 = h * coarse * 0.97 / 60, h * coarse * 1.03 / 60
            close(dsp.zoom_fft(x, f1, f2, 4000, fps), scipy_zoom(x, f1, f2, 4000, fps), 1e-9)
        ours = B.refine_tempo(env, fps, coarse)
        with library_pipeline():
            assert abs(B.refine_tempo(env, fps, coarse) / ours - 1) < 1e-9, name


def _scipy_peaks(x, **kw):
    return scipy.signal.find_peaks(x, **kw)[0]


@pytest.mark.parametrize("seed", range(6))
def test_find_peaks_equals_scipy_with_plateaus_and_ties(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, size=300).astype(float)          # many equal values: plateaus and ties
    x[:3] = 5.0                                               # a plateau on the edge is no peak
    opts = [{}, {"height": 3.0}, {"distance": 4}, {"distance": 7.5}, {"prominence": 2.0},
            {"prominence": 1.0, "distance": 5}, {"height": 2.0, "distance": 3}]
    for kw in opts:
        assert np.array_equal(dsp.find_peaks(x, **kw), _scipy_peaks(x, **kw)), kw
    s = np.cumsum(rng.normal(size=2000))                      # a random walk
    for kw in opts[1:]:
        kw = {k: (v * 3 if k != "distance" else v) for k, v in kw.items()}
        assert np.array_equal(dsp.find_peaks(s, **kw), _scipy_peaks(s, **kw)), kw
        assert np.array_equal(dsp.find_peaks(-s, **kw), _scipy_peaks(-s, **kw)), kw
    for short in (np.zeros(0), np.ones(2), np.array([0.0, 1.0, 0.0])):
        assert np.array_equal(dsp.find_peaks(short, distance=2), _scipy_peaks(short, distance=2))


@pytest.mark.realdata
def test_onset_and_motion_peaks_equal_scipy_on_real_songs(songs):
    from dancegen.skeleton import DEFAULT_MIN_INTERVAL_S, DEFAULT_MIN_PROMINENCE, DEFAULT_SMOOTH_S, joint_speed

    for y in songs.values():
        env, fps, _ = B.onset_envelope(y, SR)
        e = env.astype(np.float64)
        height = max(float(np.median(e)) + float(np.median(np.abs(e - np.median(e)))), 0.25 * float(np.percentile(e, 99)))
        assert np.array_equal(G._onset_peaks(e, fps), _scipy_peaks(e, height=height, distance=4))
        # the motion-beat options on a speed-like curve: the envelope as the motion of one joint
        s = joint_speed(np.cumsum(e)[:, None, None], fps, smooth_s=DEFAULT_SMOOTH_S)
        kw = dict(prominence=DEFAULT_MIN_PROMINENCE * s.mean(), distance=max(1, round(DEFAULT_MIN_INTERVAL_S * fps)))
        assert np.array_equal(dsp.find_peaks(-s, **kw), _scipy_peaks(-s, **kw))


# ------------------------------------------------------------------ features before and after

@pytest.mark.realdata
@pytest.mark.parametrize("name", ["escape_from_chaosland", "feelings", "metal_madness", "war_of_freedom"])
def test_features_of_real_songs_are_those_of_the_library_pipeline(sectoid_dir, name):
    """Decoding (with the noise reduction) and every feature column of 30 s of each sectoid song:
    the librosa/scipy.signal pipeline the models were trained with, and dancegen.dsp."""
    path = sectoid_dir / name / "song.ogg"
    with library_pipeline():
        ref = F.music_features(path, duration=30.0)
    ours = F.music_features(path, duration=30.0)
    assert ours.names == ref.names and ours.values.shape == ref.values.shape
    assert float(np.abs(ours.values - ref.values).max()) <= 1e-4
    np.testing.assert_allclose(ours.beats, ref.beats, rtol=0, atol=1e-9)
    assert abs(ours.tempo - ref.tempo) <= 1e-9 * ref.tempo


# ------------------------------------------------------------------ one analysis, shared

def test_shared_analysis_gives_the_same_features_and_genre():
    t = np.arange(12 * SR) / SR
    y = (0.4 * np.sin(2 * np.pi * 330 * t) * (np.mod(t - 0.2, 0.6) < 0.04)
         + 0.1 * np.sin(2 * np.pi * 55 * t) * (np.mod(t - 0.2, 1.2) < 0.1)).astype(np.float32)
    an = B.analyse(y, SR)
    a, b = F.compute_features(y, SR), F.compute_features(y, SR, analysis=an)
    assert np.array_equal(a.values, b.values) and np.array_equal(a.beats, b.beats) and a.tempo == b.tempo
    assert an.power is not None                               # a caller's analysis is left whole
    assert np.array_equal(G.genre_descriptors(y, SR), G.genre_descriptors(y, SR, analysis=an))
    assert G.classify_genre((y, SR)) == G.classify_genre((y, SR), analysis=an)
    # a window cut from the clip is not the analysed waveform: analysed afresh
    assert G.classify_genre((y, SR), start=1.0) == G.classify_genre((y, SR), start=1.0, analysis=an)
    with pytest.raises(Exception, match="analysis"):
        F.compute_features(y[:-300], SR, analysis=an)
