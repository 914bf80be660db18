# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""How notes are played, measured on controls: vibrato, transitions, tails.

Given frame-level f0 and loudness and the notes they play (onset, note-off,
MIDI pitch: a MIDI file's or a segmentation's), per set of controls:

* vibrato: in each note held at least MIN_VIBRATO_NOTE_SECS, from
  VIBRATO_SKIP_SECS after its onset to its note-off, the f0 in cents minus
  a linear trend; its rate is the peak of the spectrum in 3-10 Hz (Hann
  window, zero-padded to 1/16 Hz), its depth the peak deviation (sqrt(2)
  times the RMS, in cents, as for a sine). Medians over the notes.
* transitions: for each next note starting within LEGATO_SECS of a
  note-off, the loudness dip (dB): the median loudness of the 100 ms before
  the transition minus the lowest loudness within 50 ms of the next onset;
  and the share of frames between note-off and next onset below SILENT_DB
  (black stripes in the spectrogram).
* release: after notes followed by a rest of at least 0.3 s, the seconds
  until the loudness has fallen 30 dB below the note's level (0 when it
  already is at the note-off).

Used by `benchmarks/expression_stats.py` on real recordings against audio
generated from their MIDI (issue 15's goal: within 20 % of the real data).
"""

import numpy as np

from ddsp_generative.core import units

MIN_VIBRATO_NOTE_SECS = 0.5
VIBRATO_SKIP_SECS = 0.15
VIBRATO_BAND_HZ = (3.0, 10.0)
LEGATO_SECS = 0.1
SILENT_DB = -60.0
RELEASE_DROP_DB = 30.0
REST_SECS = 0.3


def _vibrato(cents, frame_rate):
  """(rate Hz, depth cents) of one note's detrended f0 in cents."""
  t = np.arange(len(cents))
  trend = np.polyval(np.polyfit(t, cents, 1), t)
  x = (cents - trend) * np.hanning(len(cents))
  n_fft = max(int(16 * frame_rate), len(x))
  spectrum = np.abs(np.fft.rfft(x, n_fft))
  freqs = np.fft.rfftfreq(n_fft, 1.0 / frame_rate)
  band = (freqs >= VIBRATO_BAND_HZ[0]) & (freqs <= VIBRATO_BAND_HZ[1])
  rate = float(freqs[band][np.argmax(spectrum[band])])
  depth = float(np.sqrt(2.0) * np.std(cents - trend))
  return rate, depth


def measure(f0_hz, loudness_db, notes, frame_rate):
  """Expression statistics of one take (module docstring).

  Args:
    f0_hz: [n_frames].
    loudness_db: [n_frames].
    notes: [n_notes, >= 3] onset (s), note-off (s), MIDI pitch, sorted.
    frame_rate: Frames per second.

  Returns:
    dict of per-note lists 'vibrato_rate_hz', 'vibrato_depth_cents',
    'transition_dip_db', 'gap_silent_fraction', 'release_secs'.
  """
  f0_hz = np.asarray(f0_hz, np.float64)
  loudness_db = np.asarray(loudness_db, np.float64)
  notes = np.asarray(notes, np.float64)
  n = len(f0_hz)
  frame = lambda secs: int(np.clip(round(secs * frame_rate), 0, n))
  out = {k: [] for k in ('vibrato_rate_hz', 'vibrato_depth_cents',
                         'transition_dip_db', 'gap_silent_fraction',
                         'release_secs')}
  for i, (onset, off, pitch) in enumerate(notes[:, :3]):
    a, b = frame(onset + VIBRATO_SKIP_SECS), frame(off)
    if off - onset >= MIN_VIBRATO_NOTE_SECS and b - a >= frame_rate // 4:
      cents = 100 * (units.hz_to_midi(np.maximum(f0_hz[a:b], 1.0)) - pitch)
      if np.all(np.abs(cents) < 300):
        rate, depth = _vibrato(cents, frame_rate)
        out['vibrato_rate_hz'].append(rate)
        out['vibrato_depth_cents'].append(depth)
    if i + 1 < len(notes):
      next_onset = notes[i + 1, 0]
      if next_onset - off <= LEGATO_SECS:
        before = loudness_db[frame(off - 0.1):max(frame(off), frame(off -
                                                                    0.1) + 1)]
        around = loudness_db[frame(next_onset - 0.05):frame(next_onset + 0.05)]
        if len(before) and len(around):
          out['transition_dip_db'].append(float(np.median(before) -
                                                 around.min()))
        gap = loudness_db[frame(off):frame(next_onset)]
        if len(gap):
          out['gap_silent_fraction'].append(float(np.mean(gap < SILENT_DB)))
      elif next_onset - off >= REST_SECS:
        out['release_secs'].append(_release(loudness_db, frame(onset),
                                            frame(off), frame(next_onset),
                                            frame_rate))
    elif n / frame_rate - off >= REST_SECS:
      out['release_secs'].append(_release(loudness_db, frame(onset),
                                          frame(off), n, frame_rate))
  return out


def _release(loudness_db, start, off, stop, frame_rate):
  """Seconds after the note-off until 30 dB below the note's level."""
  held = loudness_db[start:max(off, start + 1)]
  level = np.percentile(held, 90)
  after = np.flatnonzero(loudness_db[off:stop] < level - RELEASE_DROP_DB)
  return float((after[0] if len(after) else stop - off) / frame_rate)


def summarize(stats):
  """Medians (and counts) of `measure`'s lists, merged over takes."""
  merged = {}
  for take in stats:
    for key, values in take.items():
      merged.setdefault(key, []).extend(values)
  return {key: {'median': float(np.median(v)) if v else float('nan'),
                'n': len(v)} for key, v in merged.items()}
