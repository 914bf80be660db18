# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The fixed clip features of the realism evaluation (NumPy, librosa).

`evaluation.realism` compares sets of 1 s clips by one vector per clip. The
clips (`cut_clips`): non-overlapping `CLIP_SECS` windows of each recording,
the tail shorter than a clip dropped, and clips whose RMS is below -50 dBFS
dropped (silence against sound would make any test trivial).

The analysis (`analysis_settings`): librosa STFT magnitude, Hann window,
n_fft 1024 and hop 256 at 16 kHz (64 ms / 16 ms; at other rates n_fft is
64 ms rounded up to an even FFT-friendly size, hop = n_fft / 4), frames
centred with zero padding. Version `FEATURE_SET_VERSION` = 1 is these
`feature_names()`, in this order (72):

* `mfcc_{0..19}_mean`, then `mfcc_{0..19}_std`: mean and standard deviation
  over frames of the first 20 MFCCs (librosa: DCT-II, orthonormal, of the
  64-band Slaney mel power spectrum 0 - sr/2 in dB, ref 1, floor -100 dB, no
  top_db clipping). MFCC 0 is the level.
* `contrast_{0..6}_mean`, then `contrast_{0..6}_std`: librosa's spectral
  contrast (peak minus valley in dB, quantile 0.02) in its default 7 octave
  bands: 0-200, 200-400, ..., 3.2-6.4 kHz, 6.4 kHz-Nyquist (below 12.8 kHz
  sample rate the edges are lowered to fit under Nyquist).
* `centroid_mean/std`, `bandwidth_mean/std` (Hz), `flatness_db_mean/std`
  (spectral flatness in dB, floor -100 dB: about -2.5 dB for white noise,
  -40 dB or less for a harmonic tone; in dB because the linear ratio spans
  decades and its mean is ruled by the few noisiest frames),
  `rolloff_mean/std` (Hz below which 85% of the magnitude lies),
  `zcr_mean/std` (zero-crossing rate per sample, frame length n_fft),
  `rms_db_mean/std` (frame RMS, dBFS, floor -100 dB).
* `hnr_db`: harmonic-to-noise ratio from the normalised autocorrelation
  (Boersma 1993): per frame (the STFT's frames, Hann window) the highest
  local maximum r of the autocorrelation divided by the window's, at lags
  from 1/2000 s to n_fft / 3 samples (pitches from 2 kHz down to ~47 Hz);
  r averaged over the clip's frames weighted by their energy, clipped to
  [1e-6, 1 - 1e-6], HNR = 10 log10(r / (1 - r)) dB: about 20-25 dB for a
  steady harmonic tone, -8 dB for white noise, -60 dB for silence. Chosen
  over an HPSS energy ratio, whose 2-d median filters take about 10 times
  as long as all the other features together.
* `band_{lo}_{hi}_db` for 0-500, 500-1000, 1000-2000, 2000-4000 and
  4000-8000 Hz: the band's share of the clip's total power (all frames, all
  bins from 0 Hz to Nyquist) in dB, floor -100 dB; a band's top edge is
  clipped at Nyquist and a band wholly above it reads -100 dB. Above 16 kHz
  sample rates the shares do not sum to 1 (power above 8 kHz is not in a
  band).

Every feature is deterministic and finite for finite audio (silence included:
every log and ratio has a floor). Each clip is analysed on its own, so a
clip's features do not depend on the other clips it comes with.

`ltas` is the long-term average spectrum of a set of clips, in dB relative to
the set's total power (see its docstring); `band_differences` compares two of
them band by band.
"""

import librosa
import numpy as np
from scipy import fft
from tqdm import tqdm

from ddsp_generative.core import errors

CLIP_SECS = 1.0
FEATURE_SET_VERSION = 1
MIN_RMS_DB = -50.0
REFERENCE_RATE = 16000
N_MFCC = 20
N_MELS = 64
CONTRAST_BANDS = 6  # librosa's default: 7 rows.
CONTRAST_FMIN = 200.0
ROLL_PERCENT = 0.85
HNR_FMAX_HZ = 2000.0
_R_CLIP = 1e-6
BAND_EDGES_HZ = (0, 500, 1000, 2000, 4000, 8000)
DB_FLOOR = -100.0
_POWER_FLOOR = 10.0 ** (DB_FLOOR / 10.0)
_AMPLITUDE_FLOOR = 10.0 ** (DB_FLOOR / 20.0)
_TINY = 1e-30
_FRAME_FEATURES = ('centroid', 'bandwidth', 'flatness_db', 'rolloff', 'zcr',
                   'rms_db')


class RealismError(errors.UserError, ValueError):
  """Clips or features the realism evaluation cannot use."""


def feature_names():
  """The names of `clip_features`' columns, in order (module docstring)."""
  names = [f'mfcc_{i}_{stat}' for stat in ('mean', 'std')
           for i in range(N_MFCC)]
  names += [f'contrast_{i}_{stat}' for stat in ('mean', 'std')
            for i in range(CONTRAST_BANDS + 1)]
  names += [f'{name}_{stat}' for name in _FRAME_FEATURES
            for stat in ('mean', 'std')]
  names.append('hnr_db')
  names += [f'band_{lo}_{hi}_db'
            for lo, hi in zip(BAND_EDGES_HZ[:-1], BAND_EDGES_HZ[1:])]
  return names


def analysis_settings(sample_rate):
  """(n_fft, hop) of the analysis: 1024 / 256 at 16 kHz, scaled with the rate.

  Args:
    sample_rate: Sample rate in Hz.

  Returns:
    (n_fft, hop) ints: n_fft the smallest even FFT-friendly size (`scipy.fft.
    next_fast_len`) at or above 64 ms of samples; hop = n_fft // 4.
  """
  n_fft = fft.next_fast_len(max(int(round(1024 * sample_rate /
                                          REFERENCE_RATE)), 16), real=True)
  while n_fft % 2:
    n_fft = fft.next_fast_len(n_fft + 1, real=True)
  return n_fft, n_fft // 4


def rms_dbfs(clips):
  """RMS level of each clip in dB re full scale: [m, n] -> float64 [m].

  Silent clips read -inf.
  """
  clips = np.asarray(clips, np.float64)
  with np.errstate(divide='ignore'):
    return 10.0 * np.log10(np.mean(clips ** 2, axis=-1))


def _rows(audio):
  """Audio as a list of float32 [n_samples] rows (see `cut_clips`)."""
  if isinstance(audio, (list, tuple)):
    rows = [np.asarray(row, np.float32) for row in audio]
  else:
    audio = np.asarray(audio, np.float32)
    rows = list(audio) if audio.ndim == 2 else [audio]
  for row in rows:
    if row.ndim != 1:
      raise RealismError('Audio to cut into clips must be [n_samples], '
                         '[n, n_samples] or a list of [n_samples] arrays; got '
                         f'a row of shape {row.shape}.')
    if not np.all(np.isfinite(row)):
      raise RealismError('Audio to cut into clips has NaN or infinite '
                         'samples: drop or fix those recordings first.')
  return rows


def cut_clips(audio, sample_rate, clip_secs=CLIP_SECS, min_rms_db=MIN_RMS_DB,
              return_index=False):
  """Cuts audio into non-overlapping clips, dropping tails and silence.

  Args:
    audio: [n_samples] or [n, n_samples] audio, or a list of [n_i] arrays
      (recordings of different lengths); each row is cut separately.
    sample_rate: Sample rate in Hz.
    clip_secs: Clip length in seconds.
    min_rms_db: Clips whose RMS (dBFS) is below this are dropped; None keeps
      every clip.
    return_index: Also return where each kept clip came from.

  Returns:
    float32 [m, clip_samples] clips, row by row in time order. With
    return_index, (clips, index): index int [m], the position of each kept
    clip among all the candidate clips (row 0's clips, then row 1's, ...),
    so that clips cut from other audio of the same shape with
    min_rms_db=None can be matched: `other[index]`.

  Raises:
    RealismError: audio is not 1-d or 2-d, not finite, or holds no clip.
  """
  clip_samples = int(round(clip_secs * sample_rate))
  rows = _rows(audio)
  longest = max((len(row) for row in rows), default=0)
  if clip_samples <= 0 or longest < clip_samples:
    raise RealismError(
        f'Audio of at most {longest} samples per recording is shorter than '
        f'one clip of {clip_secs:g} s at {sample_rate} Hz: give longer audio '
        'or a shorter clip length.')
  clips = np.concatenate([
      row[:len(row) // clip_samples * clip_samples].reshape(-1, clip_samples)
      for row in rows])
  index = np.arange(len(clips))
  if min_rms_db is not None:
    index = index[rms_dbfs(clips) >= min_rms_db]
  clips = np.ascontiguousarray(clips[index])
  return (clips, index) if return_index else clips


def _stats(x):
  """Mean and std over frames of [rows, frames] -> ([rows], [rows])."""
  return np.mean(x, axis=-1), np.std(x, axis=-1)


def band_masks(freqs, edges=BAND_EDGES_HZ):
  """Which frequency bins fall in each band.

  Args:
    freqs: [K] bin frequencies in Hz, ascending, the last one Nyquist.
    edges: Band edges in Hz.

  Returns:
    [(lo, hi, mask bool [K])] per band: bins in [lo, hi), hi clipped at
    Nyquist; a band reaching Nyquist includes the Nyquist bin, a band
    wholly at or above it has no bin.
  """
  freqs = np.asarray(freqs)
  nyquist = freqs[-1]
  bands = []
  for lo, hi in zip(edges[:-1], edges[1:]):
    mask = (freqs >= lo) & ((freqs < hi) | ((hi >= nyquist) &
                                            (freqs == nyquist)))
    bands.append((lo, min(hi, nyquist), mask & (lo < nyquist)))
  return bands


def _band_shares_db(power, freqs):
  """Log power share of each BAND_EDGES_HZ band: [bins, frames] -> [bands]."""
  per_bin = np.sum(power, axis=-1)
  total = np.sum(per_bin)
  shares = []
  for _, _, mask in band_masks(freqs):
    share = np.sum(per_bin[mask]) / total if total > 0 else 0.0
    shares.append(10.0 * np.log10(max(share, _POWER_FLOOR)))
  return shares


def _autocorrelation(frames, n_fft):
  """Autocorrelation at lags 0..n_fft-1 of [..., n_fft] -> [..., n_fft]."""
  spectrum = np.fft.rfft(frames, n=2 * n_fft, axis=-1)
  return np.fft.irfft(np.abs(spectrum) ** 2, axis=-1)[..., :n_fft]


def _hnr_db(y, sample_rate, n_fft, hop):
  """The clip's autocorrelation HNR in dB (module docstring): float."""
  padded = np.pad(y, n_fft // 2)
  frames = librosa.util.frame(padded, frame_length=n_fft, hop_length=hop,
                              axis=0)
  window = np.hanning(n_fft + 2)[1:-1]  # Hann without its zero ends.
  ac = _autocorrelation(frames * window, n_fft)
  window_ac = _autocorrelation(window, n_fft)
  lo = max(int(np.ceil(sample_rate / HNR_FMAX_HZ)), 1)
  hi = n_fft // 3
  energy = ac[:, 0]
  r = (ac[:, :hi + 2] / np.maximum(energy, _TINY)[:, None] /
       (window_ac[:hi + 2] / window_ac[0]))
  mid = r[:, lo:hi + 1]
  is_peak = (mid > r[:, lo - 1:hi]) & (mid >= r[:, lo + 1:hi + 2])
  best = np.max(np.where(is_peak, mid, 0.0), axis=1)
  total = np.sum(energy)
  mean_r = np.sum(energy * best) / total if total > 0 else 0.0
  mean_r = np.clip(mean_r, _R_CLIP, 1.0 - _R_CLIP)
  return 10.0 * np.log10(mean_r / (1.0 - mean_r))


def _one_clip(clip, sample_rate, n_fft, hop, mel_basis, freqs, contrast_fmin):
  """The feature vector of one clip: [n_samples] -> float64 [F]."""
  y = np.asarray(clip, np.float64)
  magnitude = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop,
                                  window='hann', center=True,
                                  pad_mode='constant'))
  power = magnitude ** 2
  log_mel = 10.0 * np.log10(np.maximum(mel_basis @ power, _POWER_FLOOR))
  mfcc = librosa.feature.mfcc(S=log_mel, n_mfcc=N_MFCC, dct_type=2,
                              norm='ortho')
  contrast = librosa.feature.spectral_contrast(
      S=magnitude, sr=sample_rate, n_fft=n_fft, fmin=contrast_fmin,
      n_bands=CONTRAST_BANDS)
  frame_values = [
      librosa.feature.spectral_centroid(S=magnitude, sr=sample_rate,
                                        n_fft=n_fft)[0],
      librosa.feature.spectral_bandwidth(S=magnitude, sr=sample_rate,
                                         n_fft=n_fft)[0],
      10.0 * np.log10(np.maximum(librosa.feature.spectral_flatness(
          S=magnitude, amin=_AMPLITUDE_FLOOR)[0], _POWER_FLOOR)),
      librosa.feature.spectral_rolloff(S=magnitude, sr=sample_rate,
                                       n_fft=n_fft,
                                       roll_percent=ROLL_PERCENT)[0],
      librosa.feature.zero_crossing_rate(y, frame_length=n_fft,
                                         hop_length=hop, center=True)[0],
      20.0 * np.log10(np.maximum(librosa.feature.rms(
          y=y, frame_length=n_fft, hop_length=hop, center=True,
          pad_mode='constant')[0].astype(np.float64), _AMPLITUDE_FLOOR)),
  ]
  hnr = _hnr_db(y, sample_rate, n_fft, hop)
  mfcc_mean, mfcc_std = _stats(mfcc)
  contrast_mean, contrast_std = _stats(contrast)
  values = [mfcc_mean, mfcc_std, contrast_mean, contrast_std]
  values += [np.array(_stats(v)) for v in frame_values]
  values += [[hnr], _band_shares_db(power, freqs)]
  return np.concatenate([np.ravel(v) for v in values])


def clip_features(clips, sample_rate, progress=False):
  """The fixed feature vector of every clip (module docstring).

  Args:
    clips: [m, clip_samples] audio clips (e.g. from `cut_clips`).
    sample_rate: Their sample rate in Hz.
    progress: Show a progress bar.

  Returns:
    float64 [m, len(feature_names())], finite.

  Raises:
    RealismError: clips are not [m, n_samples] finite audio.
  """
  clips = np.asarray(clips, np.float64)
  if clips.ndim != 2 or not np.all(np.isfinite(clips)):
    raise RealismError(f'Clip features need finite [m, clip_samples] clips; '
                       f'got shape {clips.shape}'
                       f'{"" if clips.ndim != 2 else " with NaN or inf"}.')
  n_fft, hop = analysis_settings(sample_rate)
  mel_basis = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=N_MELS,
                                  fmin=0.0, fmax=sample_rate / 2)
  freqs = librosa.fft_frequencies(sr=sample_rate, n_fft=n_fft)
  # Librosa refuses contrast bands starting at or above Nyquist.
  contrast_fmin = min(CONTRAST_FMIN,
                      0.45 * sample_rate / 2 ** (CONTRAST_BANDS - 1))
  out = np.empty((len(clips), len(feature_names())))
  for i in tqdm(range(len(clips)), desc='clip features', unit='clip',
                disable=not progress):
    out[i] = _one_clip(clips[i], sample_rate, n_fft, hop, mel_basis, freqs,
                       contrast_fmin)
  return out


def ltas(clips, sample_rate, n_fft=1024):
  """Long-term average spectrum of a set of clips, relative to its power.

  The power spectrum (Hann window, hop n_fft // 4, frames wholly inside
  each clip) averaged over every frame of every clip, divided by its sum
  over frequency, in dB (floor -100 dB): each bin's share of the set's
  power, so sets of different levels compare by spectral shape (`compare`
  records the absolute RMS dBFS separately).

  Args:
    clips: [m, clip_samples] clips, clip_samples >= n_fft.
    sample_rate: Their sample rate in Hz.
    n_fft: FFT length.

  Returns:
    (freqs_hz float64 [n_fft // 2 + 1], level_db float64 [n_fft // 2 + 1]).

  Raises:
    RealismError: No clips, or clips shorter than n_fft.
  """
  clips = np.asarray(clips, np.float64)
  if clips.ndim != 2 or not len(clips) or clips.shape[1] < n_fft:
    raise RealismError(f'A long-term spectrum needs [m >= 1, n >= {n_fft}] '
                       f'clips; got shape {clips.shape}.')
  power = np.abs(librosa.stft(clips, n_fft=n_fft, hop_length=n_fft // 4,
                              window='hann', center=False)) ** 2
  mean = np.mean(power, axis=(0, 2))
  total = np.sum(mean)
  share = mean / total if total > 0 else np.zeros_like(mean)
  level_db = 10.0 * np.log10(np.maximum(share, _POWER_FLOOR))
  return librosa.fft_frequencies(sr=sample_rate, n_fft=n_fft), level_db


def band_differences(real_ltas, other_ltas, freqs, edges=BAND_EDGES_HZ):
  """Mean level per frequency band of two long-term spectra, and the gap.

  Args:
    real_ltas: [K] real level in dB (`ltas`).
    other_ltas: [K] the other set's level in dB, same frequencies.
    freqs: [K] bin frequencies in Hz.
    edges: Band edges in Hz (`band_masks`: the top band is clipped at
      Nyquist; bands wholly above it are left out).

  Returns:
    [{'band': '2000-4000 Hz', 'real_db', 'other_db', 'difference_db' (other
    minus real)}], the mean dB over each band's bins.
  """
  real_ltas, other_ltas = np.asarray(real_ltas), np.asarray(other_ltas)
  rows = []
  for lo, hi, mask in band_masks(freqs, edges):
    if not np.any(mask):
      continue
    real_db = float(np.mean(real_ltas[mask]))
    other_db = float(np.mean(other_ltas[mask]))
    rows.append({'band': f'{lo:g}-{hi:g} Hz', 'real_db': real_db,
                 'other_db': other_db, 'difference_db': other_db - real_db})
  return rows
