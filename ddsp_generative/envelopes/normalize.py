# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Envelope normalisation: (f0_hz, loudness_db) windows <-> model envelopes.

An envelope window is an array [n_frames, 2] of two channels on scales near
[-1, 1], and its condition is one MIDI pitch:

* channel 0, relative pitch: `(midi(f0_hz) - median_voiced_midi) / 12`,
  i.e. octaves away from the window's median voiced MIDI pitch, clipped to
  +-F0_CLIP_SEMITONES (octave errors of the pitch tracker). The model thus
  learns pitch contours (vibrato, glides, intervals) independently of the
  register, and the condition sets the register.
* channel 1, loudness: `loudness_db / 40 + 1` after clipping to
  [LOUDNESS_FLOOR_DB, LOUDNESS_CEILING_DB]: ddsp's loudness range
  (`ddsp.core.DB_RANGE` = 80 dB below full scale) maps to [-1, 1], i.e. twice
  ddsp's own `scale_db` minus one.
* the condition: the window's median voiced MIDI pitch (the model sees it as
  `(midi - 60) / 24`).

Voiced frames are frames with an f0 of at least MIN_VOICED_HZ, a loudness
above LOUDNESS_FLOOR_DB and within VOICED_RANGE_DB of the window's loudest
frame, and an f0 confidence of at least MIN_CONFIDENCE where the TFRecords
hold one. The same loudness rule finds the voiced frames of generated
envelopes, which have no confidence.
"""

import numpy as np

from ddsp_generative.core import units

F0_SCALE_SEMITONES = 12.0
F0_CLIP_SEMITONES = 24.0
LOUDNESS_FLOOR_DB = -80.0  # ddsp.core.DB_RANGE below 0 dB: silence.
LOUDNESS_CEILING_DB = 20.0
LOUDNESS_SCALE_DB = 40.0  # Half of ddsp's 80 dB range.
VOICED_RANGE_DB = 40.0
MIN_VOICED_HZ = float(units.midi_to_hz(units.MIN_MIDI))  # ~16 Hz.
MIN_CONFIDENCE = 0.5
CONDITION_CENTER_MIDI = 60.0
CONDITION_SCALE_SEMITONES = 24.0


def constants():
  """The normalisation constants, as saved with a model (JSON dict)."""
  return dict(f0_scale_semitones=F0_SCALE_SEMITONES,
              f0_clip_semitones=F0_CLIP_SEMITONES,
              loudness_floor_db=LOUDNESS_FLOOR_DB,
              loudness_ceiling_db=LOUDNESS_CEILING_DB,
              loudness_scale_db=LOUDNESS_SCALE_DB,
              voiced_range_db=VOICED_RANGE_DB,
              min_voiced_hz=MIN_VOICED_HZ,
              min_confidence=MIN_CONFIDENCE,
              condition_center_midi=CONDITION_CENTER_MIDI,
              condition_scale_semitones=CONDITION_SCALE_SEMITONES)


def hz_to_midi(f0_hz):
  """MIDI pitch of frequencies (Hz); frequencies below ~16 Hz count as 16."""
  return units.hz_to_midi(np.maximum(np.asarray(f0_hz, np.float64),
                                     MIN_VOICED_HZ))


def scale_loudness(loudness_db):
  """dB -> loudness channel, [-80, 0] dB to [-1, 1] (clipped, see module)."""
  db = np.clip(np.asarray(loudness_db, np.float64), LOUDNESS_FLOOR_DB,
               LOUDNESS_CEILING_DB)
  return db / LOUDNESS_SCALE_DB + 1.0


def unscale_loudness(loudness):
  """Loudness channel -> dB, clipped to the range `scale_loudness` keeps."""
  db = (np.asarray(loudness, np.float64) - 1.0) * LOUDNESS_SCALE_DB
  return np.clip(db, LOUDNESS_FLOOR_DB, LOUDNESS_CEILING_DB)


def pitch_condition(midi_pitch):
  """MIDI pitch -> the model's condition input, (midi - 60) / 24."""
  return (np.asarray(midi_pitch, np.float64) -
          CONDITION_CENTER_MIDI) / CONDITION_SCALE_SEMITONES


def voiced_mask(f0_hz, loudness_db, f0_confidence=None):
  """Voiced frames of one window (see the module docstring).

  Args:
    f0_hz: [n_frames] f0, or None (generated envelopes: loudness only).
    loudness_db: [n_frames] loudness in dB.
    f0_confidence: [n_frames] or None.

  Returns:
    [n_frames] bool.
  """
  loudness_db = np.asarray(loudness_db, np.float64)
  voiced = ((loudness_db > LOUDNESS_FLOOR_DB) &
            (loudness_db >= loudness_db.max() - VOICED_RANGE_DB))
  if f0_hz is not None:
    voiced &= np.asarray(f0_hz) >= MIN_VOICED_HZ
  if f0_confidence is not None and len(f0_confidence):
    voiced &= np.asarray(f0_confidence) >= MIN_CONFIDENCE
  return voiced


def normalize_window(f0_hz, loudness_db, f0_confidence=None):
  """One window of controls -> (envelope, midi_pitch).

  Frames without an f0 estimate (below MIN_VOICED_HZ) take the pitch of the
  nearest frame that has one, so that they add no jumps to the contour.

  Args:
    f0_hz: [n_frames] f0 in Hz.
    loudness_db: [n_frames] loudness in dB (ddsp's compute_loudness).
    f0_confidence: Optional [n_frames] confidence of the f0 estimate.

  Returns:
    (envelope [n_frames, 2] float32, median voiced MIDI pitch float), or None
    when the window has no voiced frame (silence).
  """
  f0_hz = np.asarray(f0_hz, np.float64)
  voiced = voiced_mask(f0_hz, loudness_db, f0_confidence)
  if not voiced.any():
    return None
  midi = hz_to_midi(f0_hz)
  has_f0 = f0_hz >= MIN_VOICED_HZ
  if not has_f0.all():
    frames = np.arange(len(midi))
    midi = np.interp(frames, frames[has_f0], midi[has_f0])
  median = float(np.median(midi[voiced]))
  relative = np.clip(midi - median, -F0_CLIP_SEMITONES, F0_CLIP_SEMITONES)
  envelope = np.stack([relative / F0_SCALE_SEMITONES,
                       scale_loudness(loudness_db)], axis=-1)
  return envelope.astype(np.float32), median


def denormalize(envelopes, midi_pitch, recenter=True):
  """Envelopes -> (MIDI pitch, loudness in dB), frame by frame.

  Args:
    envelopes: [..., n_frames, 2] envelopes (model outputs).
    midi_pitch: The condition: a number or [...] MIDI pitches.
    recenter: Shift each window's relative pitch so that the median over its
      voiced frames (by loudness, see `voiced_mask`) is exactly 0: the median
      voiced pitch of the result is then exactly `midi_pitch`. Without it,
      the model's small offset from 0 remains.

  Returns:
    (midi [..., n_frames], loudness_db [..., n_frames]), float64; MIDI is
    clipped to [units.MIN_MIDI, units.MAX_MIDI].
  """
  envelopes = np.asarray(envelopes, np.float64)
  relative = envelopes[..., 0] * F0_SCALE_SEMITONES
  loudness_db = unscale_loudness(envelopes[..., 1])
  if recenter:
    flat_rel = relative.reshape(-1, relative.shape[-1]).copy()
    flat_db = loudness_db.reshape(flat_rel.shape)
    for i in range(len(flat_rel)):
      voiced = voiced_mask(None, flat_db[i])
      frames = flat_rel[i][voiced] if voiced.any() else flat_rel[i]
      flat_rel[i] -= np.median(frames)
    relative = flat_rel.reshape(relative.shape)
  pitch = np.asarray(midi_pitch, np.float64)[..., np.newaxis]
  midi = np.clip(pitch + relative, units.MIN_MIDI, units.MAX_MIDI)
  return midi, loudness_db


def to_controls(envelopes, midi_pitch, recenter=True):
  """Envelopes -> (f0_hz, loudness_db) on ddsp's scales.

  Args:
    envelopes: [..., n_frames, 2] envelopes.
    midi_pitch: A number or [...] MIDI pitches (the condition).
    recenter: See `denormalize`.

  Returns:
    (f0_hz [..., n_frames], loudness_db [..., n_frames]), float32.
  """
  midi, loudness_db = denormalize(envelopes, midi_pitch, recenter)
  return (units.midi_to_hz(midi).astype(np.float32),
          loudness_db.astype(np.float32))


def median_voiced_midi(f0_hz, loudness_db):
  """Median MIDI pitch of the loudness-voiced frames of one window."""
  voiced = voiced_mask(f0_hz, loudness_db)
  midi = hz_to_midi(f0_hz)
  return float(np.median(midi[voiced] if voiced.any() else midi))
