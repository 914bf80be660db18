# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Pitch and loudness controls generated from scratch (no input audio).

Each control source is a small gin-registered class with one method,
`generate(frame_rate) -> (f0_hz [n_frames], loudness_db [n_frames])`, and a
`config` dict of its constructor arguments (recorded next to samples), on
ddsp's scales: f0 in Hz and loudness in dB as `ddsp.spectral_ops.
compute_loudness` measures it (0 dB full scale, about -80 dB silence).
"""

from absl import logging
import gin
import numpy as np

# ddsp's f0 scaling covers MIDI 0-127; keep well inside audible, synthesizable
# pitches.
MIN_MIDI = 12.0
MAX_MIDI = 108.0
SILENCE_DB = -80.0


def midi_to_hz(midi):
  return 440.0 * 2.0 ** ((np.asarray(midi, np.float64) - 69.0) / 12.0)


def clip_midi(midi, what='pitch'):
  """Clips MIDI pitches to [MIN_MIDI, MAX_MIDI], warning when it does."""
  midi = np.asarray(midi, np.float64)
  clipped = np.clip(midi, MIN_MIDI, MAX_MIDI)
  if np.any(clipped != midi):
    logging.warning('%s %s is outside MIDI [%g, %g]: clipped.', what,
                    np.unique(midi[clipped != midi]).tolist(), MIN_MIDI,
                    MAX_MIDI)
  return clipped


def check_duration(seconds, what='duration'):
  if not np.isfinite(seconds) or seconds <= 0:
    raise ValueError(f'{what} must be a positive number of seconds, got '
                     f'{seconds}.')


def adsr_db(n_frames, frame_rate, peak_db=-25.0, attack=0.05, decay=0.15,
            sustain_db=-4.0, release=0.15):
  """An ADSR loudness envelope in dB.

  Args:
    n_frames: Frames in the note, release included.
    frame_rate: Frames per second.
    peak_db: Loudness at the end of the attack.
    attack: Attack time (s), from silence to peak.
    decay: Decay time (s), from peak to sustain.
    sustain_db: Sustain level relative to the peak (dB, <= 0).
    release: Release time (s), at the end of the note, back to silence.

  Returns:
    [n_frames] loudness in dB.
  """
  t = np.arange(n_frames) / frame_rate
  dur = n_frames / frame_rate
  # Shape the envelope in linear amplitude, then convert to dB.
  sustain = 10 ** (sustain_db / 20.0)
  amp = np.full(n_frames, sustain)
  a = t < attack
  amp[a] = t[a] / max(attack, 1e-6)
  d = (t >= attack) & (t < attack + decay)
  amp[d] = 1.0 + (sustain - 1.0) * (t[d] - attack) / max(decay, 1e-6)
  r = t > dur - release
  amp[r] *= np.clip((dur - t[r]) / max(release, 1e-6), 0.0, 1.0)
  floor = 10 ** ((SILENCE_DB - peak_db) / 20.0)
  return (peak_db + 20.0 * np.log10(np.maximum(amp, floor))).astype(np.float32)


@gin.register
class Note:
  """One note: constant pitch with optional vibrato, ADSR loudness."""

  def __init__(self, pitch=60.0, duration=2.0, peak_db=-25.0, attack=0.05,
               decay=0.15, sustain_db=-4.0, release=0.15, vibrato_hz=0.0,
               vibrato_cents=0.0):
    self.config = dict(pitch=pitch, duration=duration, peak_db=peak_db,
                       attack=attack, decay=decay, sustain_db=sustain_db,
                       release=release, vibrato_hz=vibrato_hz,
                       vibrato_cents=vibrato_cents)
    check_duration(duration)
    self.pitch = float(clip_midi(pitch))
    self.duration = duration
    self.envelope = dict(peak_db=peak_db, attack=attack, decay=decay,
                         sustain_db=sustain_db, release=release)
    self.vibrato_hz = vibrato_hz
    self.vibrato_cents = vibrato_cents

  def generate(self, frame_rate):
    """Returns (f0_hz, loudness_db), each [n_frames]."""
    n_frames = max(1, int(round(self.duration * frame_rate)))
    t = np.arange(n_frames) / frame_rate
    cents = self.vibrato_cents * np.sin(2 * np.pi * self.vibrato_hz * t)
    f0_hz = midi_to_hz(self.pitch + cents / 100.0).astype(np.float32)
    return f0_hz, adsr_db(n_frames, frame_rate, **self.envelope)


@gin.register
class Melody:
  """A sequence of notes, each with its own ADSR envelope (no overlap)."""

  def __init__(self, pitches=(60, 62, 64, 65, 67), durations=0.5,
               peak_db=-25.0, vibrato_hz=0.0, vibrato_cents=0.0):
    self.config = dict(pitches=np.atleast_1d(pitches).tolist(),
                       durations=np.atleast_1d(durations).tolist(),
                       peak_db=peak_db, vibrato_hz=vibrato_hz,
                       vibrato_cents=vibrato_cents)
    pitches = list(np.atleast_1d(pitches))
    durations = list(np.broadcast_to(durations, (len(pitches),)))
    self.notes = [Note(p, d, peak_db=peak_db, vibrato_hz=vibrato_hz,
                       vibrato_cents=vibrato_cents)
                  for p, d in zip(pitches, durations)]

  def generate(self, frame_rate):
    parts = [note.generate(frame_rate) for note in self.notes]
    return (np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]))
