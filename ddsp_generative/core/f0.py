# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Offline fundamental frequency (f0) estimators on ddsp's frame grid.

All estimators return `n_frames` frames at hop `sample_rate // frame_rate`;
frame i is centred on sample `i * hop` (ddsp's 'center' padding; with 'same'
padding ddsp simply has one frame fewer per example, the last one).

* 'pyin' (default): `librosa.pyin`. Unvoiced frames take the f0 of the
  nearest voiced frame, since ddsp's synthesizers expect a continuous f0;
  the confidence is pYIN's voiced probability. For speed, pYIN runs at a hop
  of about 10 ms (a multiple of the frame hop) with 20-cent pitch bins; its
  f0 is interpolated onto the frame grid and, in voiced frames, replaced by
  the unquantised YIN estimate wherever the two agree.
* 'yin': `librosa.yin`; the confidence is the normalised autocorrelation at
  the estimated period (1 for a periodic frame, 0 for silence or noise).
* 'crepe': `ddsp.spectral_ops.compute_f0`, only when the `crepe` package is
  installed (it is not by default: see `environment.CREPE_INSTALL_HINT`).
"""

import librosa
import numpy as np

from ddsp_generative.core import audio_io
from ddsp_generative.core import features
from ddsp_generative import environment

ESTIMATORS = ('pyin', 'yin', 'crepe')
FMIN_HZ = 32.7  # C1.
FMAX_HZ = 2093.0  # C7.
PYIN_RESOLUTION = 0.2  # Semitones per pYIN pitch bin (librosa: 0.1).
PYIN_HOP_SECS = 0.01  # Target hop of the pYIN decoding.


def frame_hop(sample_rate, frame_rate):
  """Samples per frame; raises ValueError unless it is a whole number.

  Args:
    sample_rate: Audio sample rate in Hz.
    frame_rate: Feature frame rate in Hz.

  Returns:
    int hop size, `sample_rate // frame_rate`.
  """
  if frame_rate <= 0 or sample_rate <= 0:
    raise ValueError(f'sample_rate ({sample_rate}) and frame_rate '
                     f'({frame_rate}) must be positive.')
  if sample_rate % frame_rate:
    raise ValueError(
        f'sample_rate ({sample_rate}) must be a multiple of frame_rate '
        f'({frame_rate}) so that the frame hop is a whole number of samples.')
  return int(sample_rate // frame_rate)


def num_frames(n_samples, hop, center):
  """Frames ddsp computes for `n_samples` ('center' or 'same' padding)."""
  if center:
    return int(n_samples // hop) + 1
  return int(np.ceil(n_samples / hop))


def frame_length_for(sample_rate, fmin):
  """Smallest power-of-two frame holding two periods of `fmin`.

  librosa's advice for (p)YIN: 1024 samples (64 ms, as CREPE) at 16 kHz for
  the default fmin. Longer frames would raise the voicing confidence of notes
  in the lowest octave at the cost of time resolution.

  Args:
    sample_rate: Sample rate in Hz.
    fmin: Lowest f0 searched, in Hz.

  Returns:
    int frame length in samples.
  """
  min_length = 2 * (int(np.ceil(sample_rate / fmin)) + 2)
  return int(2 ** np.ceil(np.log2(min_length)))


def _fit_length(x, n_frames, pad_value):
  """Trims or pads (with `pad_value`, or the last value if None) to n_frames."""
  x = np.asarray(x, dtype=np.float32)[:n_frames]
  if len(x) < n_frames:
    value = (x[-1] if len(x) else 0.0) if pad_value is None else pad_value
    x = np.concatenate([x, np.full(n_frames - len(x), value, np.float32)])
  return x


def fill_unvoiced(f0_hz, voiced):
  """Gives every unvoiced frame the f0 of the nearest voiced frame.

  Args:
    f0_hz: f0 per frame, [n_frames].
    voiced: bool per frame, [n_frames]; needs at least one True.

  Returns:
    f0_hz: [n_frames], equal to the input on voiced frames.
  """
  f0_hz = np.asarray(f0_hz)
  voiced_idx = np.flatnonzero(voiced)
  t = np.arange(len(f0_hz))
  pos = np.searchsorted(voiced_idx, t)
  left = voiced_idx[np.clip(pos - 1, 0, len(voiced_idx) - 1)]
  right = voiced_idx[np.clip(pos, 0, len(voiced_idx) - 1)]
  nearest = np.where(np.abs(t - left) <= np.abs(right - t), left, right)
  return f0_hz[nearest]


def periodicity(audio, sample_rate, hop, f0_hz, frame_length):
  """Normalised autocorrelation at the period 1/f0 of centred frames.

  Args:
    audio: Mono audio, [n_samples].
    sample_rate: Sample rate in Hz.
    hop: Frame hop in samples; frame i is centred on sample i * hop.
    f0_hz: f0 per frame, [n_frames].
    frame_length: Frame length in samples (> 2 periods of the lowest f0).

  Returns:
    Confidence in [0, 1] per frame, [n_frames]; 0 for silent frames.
  """
  padded = np.pad(audio, (frame_length // 2, frame_length // 2))
  frames = librosa.util.frame(padded, frame_length=frame_length,
                              hop_length=hop)[:, :len(f0_hz)]
  window = frame_length // 2
  lag = np.clip(np.round(sample_rate / np.maximum(f0_hz[:frames.shape[1]],
                                                    1e-3)).astype(int),
                1, frame_length - window)
  # Compare `window` samples with the same `lag` later, both around the centre.
  start = frame_length // 2 - window // 2 - lag // 2
  index = start[None, :] + np.arange(window)[:, None]  # [window, n_frames]
  a = np.take_along_axis(frames, index, axis=0)
  b = np.take_along_axis(frames, index + lag[None, :], axis=0)
  num = np.sum(a * b, axis=0)
  den = np.sqrt(np.sum(a * a, axis=0) * np.sum(b * b, axis=0))
  safe = den > 1e-12
  conf = np.where(safe, num / np.where(safe, den, 1.0), 0.0)
  return _fit_length(np.clip(conf, 0.0, 1.0), len(f0_hz), 0.0)


def _yin(audio, sample_rate, hop, fmin, fmax, frame_length):
  return librosa.yin(audio, fmin=fmin, fmax=fmax, sr=sample_rate,
                     frame_length=frame_length, hop_length=hop, center=True)


def _pyin(audio, sample_rate, hop, fmin, fmax):
  """pYIN on the frame grid: (f0_hz, voiced probability), [n_samples//hop+1]."""
  frame_length = frame_length_for(sample_rate, fmin)
  stride = max(1, int(round(PYIN_HOP_SECS * sample_rate / hop)))
  f0_hz, voiced, voiced_prob = librosa.pyin(
      audio, fmin=fmin, fmax=fmax, sr=sample_rate, frame_length=frame_length,
      hop_length=hop * stride, center=True, fill_na=None,
      resolution=PYIN_RESOLUTION)
  if voiced.any():
    f0_hz = fill_unvoiced(f0_hz, voiced)
  # Otherwise keep pYIN's best guess: there is no voiced value to copy.

  # Coarse frame j is centred on sample j * stride * hop.
  n_frames = len(audio) // hop + 1
  fine = np.arange(n_frames)
  coarse = np.arange(len(f0_hz)) * stride
  f0_hz = 2.0 ** np.interp(fine, coarse, np.log2(f0_hz))
  voiced_prob = np.interp(fine, coarse, np.nan_to_num(voiced_prob))
  is_voiced = np.interp(fine, coarse, voiced.astype(np.float64)) >= 0.5

  # pYIN's f0 is quantised to its pitch bins: refine with YIN where they agree.
  yin_hz = _fit_length(
      _yin(audio, sample_rate, hop, fmin, fmax, frame_length), n_frames, None)
  cents = 1200.0 * np.abs(np.log2(yin_hz / f0_hz))
  refine = is_voiced & (cents < 150.0 * PYIN_RESOLUTION)
  f0_hz = np.where(refine, yin_hz, f0_hz)
  return f0_hz, voiced_prob


def _crepe(audio, sample_rate, frame_rate):
  """CREPE via ddsp on centred frames: (f0_hz, confidence)."""
  environment.require_crepe()
  from ddsp import spectral_ops  # pylint: disable=g-import-not-at-top
  frame_hop(features.CREPE_SAMPLE_RATE, frame_rate)
  audio_16k = audio_io.resample(audio, from_rate=sample_rate,
                                to_rate=features.CREPE_SAMPLE_RATE)
  f0_hz, confidence = spectral_ops.compute_f0(
      audio_16k, frame_rate, viterbi=True, padding='center')
  return np.asarray(f0_hz), np.asarray(confidence)


def estimate_f0(audio, sample_rate, frame_rate, n_frames, estimator='pyin',
                fmin=FMIN_HZ, fmax=FMAX_HZ):
  """Estimates f0 and its confidence on ddsp's frame grid.

  Args:
    audio: Mono audio, [n_samples].
    sample_rate: Sample rate of `audio` in Hz; a multiple of `frame_rate`.
    frame_rate: Frames per second; frame i is centred on sample
      i * (sample_rate // frame_rate).
    n_frames: Number of frames to return (e.g. `num_frames(n_samples, hop,
      center)`); estimates are trimmed, or padded with the last f0 and zero
      confidence.
    estimator: One of ESTIMATORS.
    fmin: Lowest f0 in Hz searched by 'pyin' and 'yin' (CREPE's range is
      fixed).
    fmax: Highest f0 in Hz searched by 'pyin' and 'yin'; at most
      sample_rate / 2.

  Returns:
    f0_hz: float32 f0 in Hz, [n_frames]; continuous for 'pyin'.
    f0_confidence: float32 confidence in [0, 1], [n_frames].

  Raises:
    ValueError: Unknown estimator, bad rates, frequency range or audio.
    environment.CrepeNotInstalledError: 'crepe' without the crepe package.
  """
  if estimator not in ESTIMATORS:
    raise ValueError(f'Unknown f0 estimator {estimator!r}; choose one of '
                     f'{", ".join(ESTIMATORS)}.')
  hop = frame_hop(sample_rate, frame_rate)
  audio = np.asarray(audio, dtype=np.float32)
  if audio.ndim != 1:
    raise ValueError(f'audio must be mono, [n_samples]; got {audio.shape}.')
  if not audio.size:
    raise ValueError('audio is empty.')
  if estimator != 'crepe' and not 0 < fmin < fmax <= sample_rate / 2:
    raise ValueError(f'Need 0 < fmin ({fmin}) < fmax ({fmax}) <= '
                     f'sample_rate / 2 ({sample_rate / 2}).')

  if estimator == 'crepe':
    f0_hz, confidence = _crepe(audio, sample_rate, frame_rate)
  elif estimator == 'pyin':
    f0_hz, confidence = _pyin(audio, sample_rate, hop, fmin, fmax)
  else:
    frame_length = frame_length_for(sample_rate, fmin)
    f0_hz = _yin(audio, sample_rate, hop, fmin, fmax, frame_length)
    confidence = periodicity(audio, sample_rate, hop, f0_hz, frame_length)
  confidence = np.clip(np.nan_to_num(confidence), 0.0, 1.0)
  return (_fit_length(f0_hz, n_frames, None),
          _fit_length(confidence, n_frames, 0.0))
