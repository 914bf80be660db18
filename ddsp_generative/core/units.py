# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Pitch units: MIDI numbers, Hz and cents, and the MIDI range controls use.

MIDI 69 is A4 = 440 Hz, 12 equal-tempered semitones an octave, 100 cents a
semitone. Everything here is NumPy float64.
"""

from absl import logging
import numpy as np

# ddsp's f0 scaling covers MIDI 0-127; controls keep well inside audible,
# synthesizable pitches.
MIN_MIDI = 12.0
MAX_MIDI = 108.0


def midi_to_hz(midi):
  """Frequency of MIDI pitches: [...] MIDI numbers -> float64 [...] Hz."""
  return 440.0 * 2.0 ** ((np.asarray(midi, np.float64) - 69.0) / 12.0)


def hz_to_midi(f0_hz):
  """MIDI pitch of frequencies: [...] Hz (> 0) -> float64 [...] MIDI numbers.

  Frequencies <= 0 give -inf or NaN: floor them first where they can occur.
  """
  return 69.0 + 12.0 * np.log2(np.asarray(f0_hz, np.float64) / 440.0)


def cents(f0_estimate, f0_reference):
  """1200 * log2(estimate / reference); NaN where either is not positive.

  Args:
    f0_estimate: [...] frequencies (Hz).
    f0_reference: Frequencies (Hz) broadcastable with `f0_estimate`.

  Returns:
    float64 array of the broadcast shape, in cents.
  """
  est = np.asarray(f0_estimate, np.float64)
  ref = np.asarray(f0_reference, np.float64)
  est, ref = np.broadcast_arrays(est, ref)
  ok = (est > 0) & (ref > 0)
  out = np.full(est.shape, np.nan)
  out[ok] = 1200.0 * np.log2(est[ok] / ref[ok])
  return out


def clip_midi(midi, what='pitch'):
  """Clips MIDI pitches to [MIN_MIDI, MAX_MIDI], warning when it does.

  Args:
    midi: [...] MIDI numbers.
    what: What the pitches are, for the warning.

  Returns:
    float64 [...] clipped pitches.
  """
  midi = np.asarray(midi, np.float64)
  clipped = np.clip(midi, MIN_MIDI, MAX_MIDI)
  if np.any(clipped != midi):
    logging.warning('%s %s is outside MIDI [%g, %g]: clipped.', what,
                    np.unique(midi[clipped != midi]).tolist(), MIN_MIDI,
                    MAX_MIDI)
  return clipped


def check_duration(seconds, what='duration'):
  """Raises ValueError unless `seconds` is a positive finite number."""
  if not np.isfinite(seconds) or seconds <= 0:
    raise ValueError(f'{what} must be a positive number of seconds, got '
                     f'{seconds}.')
