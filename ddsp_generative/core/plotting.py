# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Figures written next to generated audio (headless, atomic)."""

import matplotlib

matplotlib.use('Agg')

import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top
from scipy import signal  # pylint: disable=g-import-not-at-top

from ddsp_generative.core import artifacts  # pylint: disable=g-import-not-at-top


# Columns of a spectrogram image at most: the figure is 800 pixels wide, so
# more columns only cost memory.
MAX_COLUMNS = 1600


def save_png(fig, path, dpi=100):
  """Writes a figure as a PNG atomically (no half-written file) and closes it.

  Args:
    fig: A matplotlib figure.
    path: Destination path; written through a temporary file in its folder.
    dpi: Resolution.
  """
  with artifacts.atomic_path(path) as tmp:
    fig.savefig(tmp, format='png', dpi=dpi)
  plt.close(fig)


def log_spectrogram(audio, sample_rate, n_fft=1024, hop=256):
  """Returns (freqs [n_bins], times [n_frames], magnitude dB [n_bins, n])."""
  freqs, times, spec = signal.stft(np.asarray(audio, np.float32),
                                   fs=sample_rate, nperseg=n_fft,
                                   noverlap=n_fft - hop)
  return freqs, times, 20 * np.log10(np.abs(spec) + 1e-6)


def pool_columns(db, max_columns):
  """Max-pools [n_bins, n] columns down to at most max_columns."""
  factor = -(-db.shape[1] // max_columns)
  if factor <= 1:
    return db
  n = db.shape[1] // factor * factor
  pooled = db[:, :n].reshape(db.shape[0], -1, factor).max(axis=2)
  if n < db.shape[1]:
    pooled = np.concatenate([pooled, db[:, n:].max(axis=1, keepdims=True)],
                            axis=1)
  return pooled


def save_spectrogram(path, audio, sample_rate, f0_hz=None, frame_rate=None,
                     title=''):
  """Saves a log-magnitude spectrogram PNG, with the requested f0 overlaid.

  Args:
    path: PNG destination.
    audio: [n_samples] audio.
    sample_rate: Audio sample rate.
    f0_hz: Optional [n_frames] requested f0 to overlay.
    frame_rate: Frame rate of f0_hz.
    title: Figure title.
  """
  freqs, times, db = log_spectrogram(audio, sample_rate)
  top = float(db.max())
  # An image (not a mesh of quads: ~200 MB for a minute) of columns pooled
  # to the figure's resolution.
  db = pool_columns(db, MAX_COLUMNS)
  fig, ax = plt.subplots(figsize=(8, 3.5))
  ax.imshow(db, origin='lower', aspect='auto', interpolation='nearest',
            extent=(float(times[0]), float(times[-1]) if len(times) > 1 else
                    len(audio) / sample_rate, float(freqs[0]),
                    float(freqs[-1])),
            vmin=top - 80, vmax=top, cmap='magma')
  if f0_hz is not None and frame_rate:
    ax.plot(np.arange(len(f0_hz)) / frame_rate, f0_hz, color='cyan', lw=0.8,
            label='requested f0')
    ax.legend(loc='upper right', fontsize=7)
  ax.set_ylim(0, min(sample_rate / 2, 8000))
  ax.set_xlabel('time (s)')
  ax.set_ylabel('frequency (Hz)')
  ax.set_title(title, fontsize=9)
  fig.tight_layout()
  save_png(fig, path)


def save_pitch_comparison(path, truth, estimates, title=''):
  """Saves a PNG of f0 estimates against the ground truth, and their errors.

  Args:
    path: PNG destination.
    truth: Ground truth from `f0_truth.read_truth` ('times', 'f0_hz',
      'audible', 'voiced').
    estimates: {name: {'times', 'f0_hz', 'confidence'}} per estimator.
    title: Figure title.
  """
  fig, (ax, ax_err) = plt.subplots(2, 1, figsize=(10, 5), sharex=True,
                                   gridspec_kw={'height_ratios': [3, 2]})
  times, f0_hz = truth['times'], np.asarray(truth['f0_hz'], np.float64)
  voiced = np.where(truth['voiced'], f0_hz, np.nan)
  ax.plot(times, voiced, color='black', lw=3, alpha=0.3, label='truth')
  skipped = truth['voiced'] & ~truth['audible']
  ax.plot(times, np.where(skipped, f0_hz, np.nan), color='red', lw=3,
          alpha=0.3, label='truth, not scored (onset)')
  for i, (name, est) in enumerate(estimates.items()):
    color = f'C{i}'
    est_f0 = np.asarray(est['f0_hz'], np.float64)
    ax.plot(est['times'], est_f0, color=color, lw=0.8, label=name)
    est_at = 2.0 ** np.interp(times, est['times'],
                              np.log2(np.maximum(est_f0, 1e-3)))
    with np.errstate(divide='ignore', invalid='ignore'):
      cents = 1200.0 * np.log2(est_at / f0_hz)
    ax_err.plot(times, np.where(truth['audible'], cents, np.nan), '.',
                color=color, ms=1.5, label=name)
  ax.set_yscale('log')
  ax.set_ylabel('f0 (Hz)')
  ax.legend(loc='upper right', fontsize=7, ncol=2)
  ax.set_title(title, fontsize=9)
  ax_err.axhspan(-50, 50, color='green', alpha=0.1)
  ax_err.set_ylim(-150, 150)
  ax_err.set_ylabel('error (cents)')
  ax_err.set_xlabel('time (s)')
  fig.tight_layout()
  save_png(fig, path)
