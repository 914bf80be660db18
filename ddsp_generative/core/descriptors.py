# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Timbre descriptors at the frame rate: what a model can be told besides f0.

ddsp conditions on f0 and loudness only. These four frame-level descriptors
are measured on 'audio_16k' on ddsp's frame grid (frame i centred on sample
i * hop, like `features.loudness_db`), stored in the TFRecords beside ddsp's
features (`ddsp_generative_prepare_tfrecord`; ddsp's readers ignore them),
decoded from by the models of `gin/harmonic_noise_descriptors.gin`, and
measured again on generated audio to check that a request was obeyed:

* 'spectral_centroid_hz': the magnitude-weighted mean frequency (Hz) of a
  1024-point Hann-windowed spectrum; brightness. 0 in digital silence.
* 'spectral_flatness': geometric over arithmetic mean of the power spectrum
  (librosa's definition, floor 1e-10), in (0, 1]; noise-like vs tonal.
* 'periodicity': the normalized square-difference function's highest peak
  (McLeod and Wyvill's NSDF, "A smarter way to find pitch", 2005) at lags
  of 50-2000 Hz periods, after its first zero crossing, in [0, 1]; 1 is
  exactly periodic, 0 aperiodic (breath, bow noise, silence). It needs no
  f0 estimate, so it is independent of the pitch tracker's confidence.
* 'odd_even_ratio_db': energy of the odd harmonics 3, 5, 7, ... over the
  even ones 2, 4, 6, ... (below 7.5 kHz, up to the 30th), in dB, read from
  the spectrum at multiples of f0; 0 where there is no f0 or no harmonics.
  The fourth descriptor because it is a classic timbre dimension that the
  other three miss (a clarinet's hollowness against a saxophone's at the
  same brightness: Peeters et al., "The Timbre Toolbox", 2011) and one a
  harmonic synthesizer can realise directly. The fundamental is left out
  so that it does not simply repeat the centroid.

`training.descriptors.scaled` maps each to about [0, 1] for a network.
"""

import numpy as np

from ddsp_generative.core import features

CENTROID = 'spectral_centroid_hz'
FLATNESS = 'spectral_flatness'
PERIODICITY = 'periodicity'
ODD_EVEN = 'odd_even_ratio_db'
DESCRIPTOR_KEYS = (CENTROID, FLATNESS, PERIODICITY, ODD_EVEN)
# Short names accepted on command lines.
ALIASES = {'centroid': CENTROID, 'flatness': FLATNESS,
           'periodicity': PERIODICITY, 'odd_even': ODD_EVEN}
UNITS = {CENTROID: 'Hz', FLATNESS: '', PERIODICITY: '', ODD_EVEN: 'dB'}

N_FFT = 1024
POWER_FLOOR = 1e-10  # librosa's `amin` for spectral flatness.
SILENCE_POWER = 1e-10  # Mean power per bin below which a frame is silent.
MIN_PERIOD_HZ = 2000.0
MAX_PERIOD_HZ = 50.0
MAX_HARMONIC = 30
MAX_HARMONIC_HZ = 7500.0
ODD_EVEN_LIMIT_DB = 30.0


class UnknownDescriptorError(ValueError):
  """A descriptor name that is not one of DESCRIPTOR_KEYS or ALIASES."""


def resolve(name):
  """A descriptor's key from its key or short name.

  Raises:
    UnknownDescriptorError: Neither; the message lists the names.
  """
  key = ALIASES.get(name, name)
  if key not in DESCRIPTOR_KEYS:
    raise UnknownDescriptorError(
        f'unknown descriptor {name!r}: use one of '
        f'{", ".join(sorted(ALIASES))} (or {", ".join(DESCRIPTOR_KEYS)})')
  return key


def to_scale(key, values):
  """A descriptor on the scale it is compared, shifted and binned on.

  The centroid in semitones (the MIDI number of its frequency, as ddsp
  scales f0), flatness in dB, periodicity and the odd/even ratio (already
  dB) as they are.

  Args:
    key: One of DESCRIPTOR_KEYS.
    values: Array of the descriptor in its own units.

  Returns:
    float64 array.
  """
  values = np.asarray(values, np.float64)
  if key == CENTROID:
    return 12.0 * np.log2(np.maximum(values, 1.0) / 440.0) + 69.0
  if key == FLATNESS:
    return 10.0 * np.log10(np.maximum(values, POWER_FLOOR))
  return values


def from_scale(key, values):
  """The inverse of `to_scale` (periodicity clipped into [0, 1])."""
  values = np.asarray(values, np.float64)
  if key == CENTROID:
    return 440.0 * 2.0 ** ((values - 69.0) / 12.0)
  if key == FLATNESS:
    return 10.0 ** (values / 10.0)
  if key == PERIODICITY:
    return np.clip(values, 0.0, 1.0)
  return values


def regression_stats(f0_hz, loudness_db, values, mask):
  """Mergeable least-squares sums of descriptors on (pitch, loudness).

  The model of `follow`: each descriptor, on `to_scale`, as a linear
  function of the frame's MIDI pitch and loudness (dB), fitted on the
  audible frames of the training data, so that a sampled crescendo
  brightens as the instrument's recordings do.

  Args:
    f0_hz: [n] f0.
    loudness_db: [n] loudness.
    values: {key: [n]} descriptors.
    mask: bool [n]: the frames to fit on.

  Returns:
    {key: {'xtx': 3x3, 'xty': 3, 'yty', 'sum_y', 'n'}} (JSON-friendly).
  """
  mask = np.asarray(mask, bool)
  f0 = np.asarray(f0_hz, np.float64)[mask]
  x = np.stack([np.ones(int(mask.sum())),
                12.0 * np.log2(np.maximum(f0, 1.0) / 440.0) + 69.0,
                np.asarray(loudness_db, np.float64)[mask]], axis=1)
  out = {}
  for key, v in values.items():
    y = to_scale(key, np.asarray(v, np.float64)[mask])
    out[key] = {'xtx': (x.T @ x).tolist(), 'xty': (x.T @ y).tolist(),
                'yty': float(y @ y), 'sum_y': float(y.sum()),
                'n': int(len(y))}
  return out


def merge_regression_stats(stats):
  """Sums `regression_stats` outputs."""
  out = {}
  for record in stats:
    for key, s in (record or {}).items():
      if key not in out:
        out[key] = {'xtx': np.zeros((3, 3)), 'xty': np.zeros(3), 'yty': 0.0,
                    'sum_y': 0.0, 'n': 0}
      m = out[key]
      m['xtx'] = m['xtx'] + np.asarray(s['xtx'])
      m['xty'] = m['xty'] + np.asarray(s['xty'])
      m['yty'] += s['yty']
      m['sum_y'] += s['sum_y']
      m['n'] += s['n']
  return out


def solve_regression(merged, min_frames=100):
  """{key: {'intercept', 'per_semitone', 'per_db', 'r2', 'n'}} of merged sums.

  Descriptors with fewer than `min_frames` frames are left out.
  """
  out = {}
  for key, m in merged.items():
    if m['n'] < min_frames:
      continue
    xtx, xty = np.asarray(m['xtx']), np.asarray(m['xty'])
    beta = np.linalg.lstsq(xtx + 1e-9 * np.eye(3), xty, rcond=None)[0]
    sse = m['yty'] - 2 * beta @ xty + beta @ xtx @ beta
    sst = m['yty'] - m['sum_y'] ** 2 / m['n']
    out[key] = {'intercept': float(beta[0]), 'per_semitone': float(beta[1]),
                'per_db': float(beta[2]),
                'r2': float(1 - sse / sst) if sst > 0 else None,
                'n': int(m['n'])}
  return out


def follow(key, model, f0_hz, loudness_db):
  """A descriptor curve predicted from the controls by `solve_regression`.

  Args:
    key: The descriptor.
    model: Its {'intercept', 'per_semitone', 'per_db'}.
    f0_hz: [n] f0 (unvoiced frames: 0 -> read as the median pitch 69).
    loudness_db: [n] loudness.

  Returns:
    float32 [n] in the descriptor's own units.
  """
  f0 = np.asarray(f0_hz, np.float64)
  midi = np.where(f0 > 0, 12.0 * np.log2(np.maximum(f0, 1.0) / 440.0) + 69.0,
                  69.0)
  scaled = (model['intercept'] + model['per_semitone'] * midi +
            model['per_db'] * np.asarray(loudness_db, np.float64))
  return from_scale(key, scaled).astype(np.float32)


def describe():
  """How the descriptors were measured, for a data set's metadata."""
  return {'keys': list(DESCRIPTOR_KEYS), 'units': dict(UNITS),
          'n_fft': N_FFT, 'window': 'hann', 'audio': 'audio_16k',
          'periodicity_hz': [MAX_PERIOD_HZ, MIN_PERIOD_HZ],
          'odd_even_max_harmonic': MAX_HARMONIC,
          'odd_even_max_hz': MAX_HARMONIC_HZ,
          'module': 'ddsp_generative.core.descriptors'}


def _frames(audio, hop, n_frames, n_fft=N_FFT):
  """[n_frames, n_fft] frames centred on i * hop (zero padded)."""
  audio = np.asarray(audio, np.float64)
  padded = np.pad(audio, (n_fft // 2, n_fft // 2 + n_frames * hop))
  idx = np.arange(n_frames)[:, None] * hop + np.arange(n_fft)[None, :]
  return padded[idx]


def _power_spectra(frames):
  window = np.hanning(frames.shape[1] + 1)[:-1]  # Periodic Hann.
  return np.abs(np.fft.rfft(frames * window, axis=1)) ** 2


def centroid_and_flatness(power, sample_rate):
  """Spectral centroid (Hz) and flatness of power spectra [n, n_fft/2+1]."""
  freqs = np.linspace(0, sample_rate / 2, power.shape[1])
  mag = np.sqrt(power)
  total = mag.sum(axis=1)
  silent = power.mean(axis=1) < SILENCE_POWER
  centroid = np.where(silent, 0.0,
                      (mag * freqs).sum(axis=1) / np.maximum(total, 1e-20))
  floored = np.maximum(power, POWER_FLOOR)
  flatness = np.exp(np.mean(np.log(floored), axis=1)) / np.mean(floored,
                                                                axis=1)
  return centroid, flatness


def periodicity(frames, sample_rate):
  """NSDF peak of each frame [n, n_fft] after its first zero crossing.

  Returns:
    [n] in [0, 1].
  """
  n, w = frames.shape
  lo = int(sample_rate // MIN_PERIOD_HZ)
  hi = min(int(sample_rate // MAX_PERIOD_HZ), w // 2)
  spec = np.fft.rfft(frames, n=2 * w, axis=1)
  acf = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :hi + 1]
  sq = np.cumsum(frames ** 2, axis=1)
  total = sq[:, -1:]
  lags = np.arange(hi + 1)
  # Denominator: sum_{t < w - tau} x_t^2 + sum_{t >= tau} x_t^2.
  first_part = np.take(sq, w - 1 - lags, axis=1)  # sum x_t^2, t <= w-1-tau
  second_part = total - np.concatenate(
      [np.zeros((n, 1)), sq[:, :hi]], axis=1)  # sum x_t^2, t >= tau
  denom = first_part + second_part
  nsdf = np.where(denom > 1e-12, 2 * acf / np.maximum(denom, 1e-12), 0.0)
  out = np.zeros(n)
  for i in range(n):
    row = nsdf[i]
    below = np.nonzero(row[1:] < 0)[0]
    if not len(below):
      continue
    start = max(below[0] + 1, lo)
    if start <= hi:
      out[i] = max(0.0, float(row[start:hi + 1].max()))
  return np.clip(out, 0.0, 1.0)


def odd_even_ratio_db(power, f0_hz, sample_rate):
  """Odd (3, 5, ...) over even (2, 4, ...) harmonic energy, dB, per frame.

  Each harmonic's energy is the largest bin within one bin of k * f0.
  Frames without f0, in silence or with fewer than one harmonic of each
  kind below MAX_HARMONIC_HZ read 0 dB.
  """
  n_bins = power.shape[1]
  bin_hz = sample_rate / 2 / (n_bins - 1)
  out = np.zeros(len(power))
  silent = power.mean(axis=1) < SILENCE_POWER
  for i, f0 in enumerate(np.asarray(f0_hz, np.float64)):
    if not np.isfinite(f0) or f0 <= 0 or silent[i]:
      continue
    k = np.arange(2, MAX_HARMONIC + 1)
    k = k[k * f0 < min(MAX_HARMONIC_HZ, sample_rate / 2 - bin_hz)]
    if len(k) < 2:
      continue
    centre = np.rint(k * f0 / bin_hz).astype(int)
    bins = np.clip(centre[:, None] + np.array([-1, 0, 1])[None, :], 0,
                   n_bins - 1)
    energy = power[i][bins].max(axis=1)
    odd, even = energy[k % 2 == 1].sum(), energy[k % 2 == 0].sum()
    out[i] = 10 * np.log10((odd + POWER_FLOOR) / (even + POWER_FLOOR))
  return np.clip(out, -ODD_EVEN_LIMIT_DB, ODD_EVEN_LIMIT_DB)


def compute(audio_16k, f0_hz, frame_rate, n_frames):
  """The four descriptors of 16 kHz audio on ddsp's frame grid.

  Args:
    audio_16k: [n_samples] audio at `features.CREPE_SAMPLE_RATE`.
    f0_hz: [n_frames] f0 on the same grid (for the odd/even ratio).
    frame_rate: Frames per second (divides 16000).
    n_frames: Frames to return (frame i centred on sample i * hop).

  Returns:
    {key: float32 [n_frames]} for DESCRIPTOR_KEYS.
  """
  sample_rate = features.CREPE_SAMPLE_RATE
  hop = sample_rate // frame_rate
  frames = _frames(audio_16k, hop, n_frames)
  power = _power_spectra(frames)
  centroid, flatness = centroid_and_flatness(power, sample_rate)
  f0 = np.zeros(n_frames)
  f0_hz = np.asarray(f0_hz, np.float64)[:n_frames]
  f0[:len(f0_hz)] = f0_hz
  out = {CENTROID: centroid, FLATNESS: flatness,
         PERIODICITY: periodicity(frames, sample_rate),
         ODD_EVEN: odd_even_ratio_db(power, f0, sample_rate)}
  return {k: np.nan_to_num(v).astype(np.float32) for k, v in out.items()}
