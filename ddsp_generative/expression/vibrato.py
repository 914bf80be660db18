# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Vibrato measured on the training notes: targets for the vibrato curves.

A squared error on the f0 cannot teach a vibrato's depth when its phase is
drawn at random: a wrong phase costs more than no vibrato at all, so the
depth learned shrinks (the expression model's first versions learned 0.5
and 1.2 cents against the recordings' 11). These targets describe the
vibrato without its phase, per model frame of each held note (from
SKIP_SECS after its onset to its note-off, the f0 confident throughout, at
least MIN_NOTE_SECS long):

* smooth: the f0 deviation low-passed at LOWPASS_HZ (zero-phase
  Butterworth), the part of the pitch curve that is not vibrato;
* depth: sqrt(2) times the running RMS (WINDOW_SECS) of the rest, in
  semitones (a sine's peak deviation, as `evaluation.expression_stats`
  measures it per note);
* rate: the peak of the rest's spectrum in 3-10 Hz over the note (Hz);
* weight: 1 on those frames, 0 elsewhere (no target).

The model then learns the smooth curve from `smooth`, the depth and rate
curves from `depth` and `rate` (`ExpressionVae.losses_of`), and the phase
stays free: any phase sounds like the instrument.
"""

import numpy as np
from scipy import signal

SKIP_SECS = 0.1
MIN_NOTE_SECS = 0.3
LOWPASS_HZ = 2.5
WINDOW_SECS = 0.25
BAND_HZ = (3.0, 10.0)
N_TARGETS = 4  # smooth, depth, rate, weight


def _running_mean(x, width):
  """Centred running mean with the window shrunk at the edges."""
  kernel = np.ones(width)
  return (np.convolve(x, kernel, mode='same') /
          np.convolve(np.ones_like(x), kernel, mode='same'))


def note_vibrato(deviation, frame_rate):
  """(smooth, depth, rate Hz) of one held note's f0 deviation (semitones).

  Args:
    deviation: [n] the note's f0 minus its pitch (semitones), n >= 10.
    frame_rate: Frames per second of `deviation`.
  """
  deviation = np.asarray(deviation, np.float64)
  b, a = signal.butter(2, LOWPASS_HZ / (frame_rate / 2.0))
  smooth = signal.filtfilt(b, a, deviation,
                           padlen=min(len(deviation) - 1, 9))
  rest = deviation - smooth
  width = max(1, int(round(WINDOW_SECS * frame_rate)))
  depth = np.sqrt(2.0 * _running_mean(rest ** 2, width))
  n_fft = max(int(16 * frame_rate), len(rest))
  spectrum = np.abs(np.fft.rfft(rest * np.hanning(len(rest)), n_fft))
  freqs = np.fft.rfftfreq(n_fft, 1.0 / frame_rate)
  band = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
  rate = float(freqs[band][np.argmax(spectrum[band])])
  return smooth, depth, rate


def targets(deviation, mask, notes, times, frame_rate, onset_column=0,
            release_column=4):
  """Per-frame vibrato targets of a phrase (module docstring).

  Args:
    deviation: [t] f0 deviation from each frame's note (semitones).
    mask: [t] 1 where the f0 is confident.
    notes: [n_notes, >= 5] (segmentation's columns).
    times: [t] frame times (s).
    frame_rate: Frames per second of the frames.
    onset_column: Column of the onsets in notes.
    release_column: Column of the note-offs in notes.

  Returns:
    float32 [t, N_TARGETS]: smooth, depth, rate, weight.
  """
  deviation = np.asarray(deviation, np.float64)
  out = np.zeros((len(deviation), N_TARGETS), np.float32)
  out[:, 0] = deviation
  min_frames = max(10, int(round(MIN_NOTE_SECS * frame_rate)))
  for note in np.asarray(notes, np.float64):
    start = note[onset_column] + SKIP_SECS
    inside = np.flatnonzero((times >= start) &
                            (times < note[release_column]))
    if len(inside) < min_frames or not np.all(mask[inside] > 0):
      continue
    smooth, depth, rate = note_vibrato(deviation[inside], frame_rate)
    out[inside, 0] = smooth
    out[inside, 1] = depth
    out[inside, 2] = rate
    out[inside, 3] = 1.0
  return out
