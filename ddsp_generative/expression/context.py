# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""What the expression model sees of the notes, and what it learns to play.

Notes are [n_notes, >= 5] arrays in `segmentation`'s columns (onset, offset,
pitch, level, release; seconds from the start of the phrase); the offset
(where the sound ends) is not used, so MIDI notes (onset, note-off as the
release, pitch, a level from the velocity) give the same context.

Per frame t (at the model's rate) the context describes the note last
started at or before t, note k:

  0 in_note        1 while t < release_k (held), else 0 (released, ringing
                   or a rest)
  1 since_onset    t - onset_k, seconds, clipped to CLIP_SECS, / CLIP_SECS
  2 until_release  release_k - t (0 once released), likewise
  3 since_release  t - release_k once released (0 before), likewise
  4 until_next     onset_{k+1} - t (CLIP_SECS when none), likewise
  5 level          (level_k - LEVEL_CENTER_DB) / LEVEL_SCALE_DB
  6 pitch          (pitch_k - 60) / 24
  7 from_prev      (pitch_k - pitch_{k-1}) / 12, clipped to [-1, 1], where
                   note k-1 is released within LEGATO_SECS of onset_k (else 0)
  8 to_next        (pitch_{k+1} - pitch_k) / 12 likewise
  9 slur_in        1 where note k starts within LEGATO_SECS of k-1's release
 10 slur_out       1 where note k+1 starts within LEGATO_SECS of release_k
 11 before_first   1 before the first onset (context of note 0 otherwise)

The targets: the f0 deviation from pitch_k in semitones (clipped to
+-MAX_DEVIATION; masked where the f0 is not confident, the frame is silent
or before the first note) and the loudness, scaled by `scale_loudness`.
"""

import numpy as np

from ddsp_generative.core import units
from ddsp_generative.expression.segmentation import LEVEL
from ddsp_generative.expression.segmentation import OFFSET  # pylint: disable=unused-import
from ddsp_generative.expression.segmentation import ONSET
from ddsp_generative.expression.segmentation import PITCH
from ddsp_generative.expression.segmentation import RELEASE

N_CONTEXT = 12
CLIP_SECS = 2.0
LEGATO_SECS = 0.1
LEVEL_CENTER_DB = -30.0
LEVEL_SCALE_DB = 20.0
LOUDNESS_FLOOR_DB = -100.0
LOUDNESS_CENTER_DB = -50.0
LOUDNESS_SCALE_DB = 30.0
MAX_DEVIATION = 6.0  # Semitones.
MIN_CONFIDENCE = 0.5
SILENT_DB = -70.0
# A played line ends this long after its last note-off: the release rings.
RELEASE_TAIL_SECS = 0.5


def constants():
  """The constants a saved model was trained with (checked on loading)."""
  return dict(n_context=N_CONTEXT, clip_secs=CLIP_SECS,
              legato_secs=LEGATO_SECS, level_center_db=LEVEL_CENTER_DB,
              level_scale_db=LEVEL_SCALE_DB,
              loudness_floor_db=LOUDNESS_FLOOR_DB,
              loudness_center_db=LOUDNESS_CENTER_DB,
              loudness_scale_db=LOUDNESS_SCALE_DB,
              max_deviation=MAX_DEVIATION, min_confidence=MIN_CONFIDENCE,
              silent_db=SILENT_DB)


def scale_loudness(loudness_db):
  """dB -> the model's scale (about [-1.7, 1.7] over [-100, 0] dB)."""
  loudness_db = np.maximum(np.asarray(loudness_db, np.float64),
                           LOUDNESS_FLOOR_DB)
  return (loudness_db - LOUDNESS_CENTER_DB) / LOUDNESS_SCALE_DB


def unscale_loudness(scaled):
  """The model's scale -> dB, floored at LOUDNESS_FLOOR_DB."""
  return np.maximum(np.asarray(scaled, np.float64) * LOUDNESS_SCALE_DB +
                    LOUDNESS_CENTER_DB, LOUDNESS_FLOOR_DB)


def note_index(notes, times):
  """[n_frames] index of the last note started at or before each time; -1
  before the first."""
  if not len(notes):
    return np.full(len(times), -1)
  return np.searchsorted(notes[:, ONSET], times, side='right') - 1


def features(notes, times):
  """Context of each frame (module docstring).

  Args:
    notes: float [n_notes, >= 5], sorted by onset.
    times: float [n_frames] frame times in seconds (same origin).

  Returns:
    (context float32 [n_frames, N_CONTEXT], note ids int32 [n_frames]: the
    index of note k, 0 before the first note).
  """
  notes = np.asarray(notes, np.float64)
  times = np.asarray(times, np.float64)
  n = len(times)
  out = np.zeros((n, N_CONTEXT), np.float32)
  if not len(notes):
    out[:, 4] = 1.0
    out[:, 11] = 1.0
    return out, np.zeros(n, np.int32)
  k = note_index(notes, times)
  before = k < 0
  k = np.maximum(k, 0)
  onset, release = notes[k, ONSET], notes[k, RELEASE]
  has_next = k + 1 < len(notes)
  next_k = np.minimum(k + 1, len(notes) - 1)
  next_onset = np.where(has_next, notes[next_k, ONSET], np.inf)
  prev_k = np.maximum(k - 1, 0)
  slur_in = (k > 0) & (onset - notes[prev_k, RELEASE] <= LEGATO_SECS)
  slur_out = has_next & (next_onset - release <= LEGATO_SECS)
  clip = lambda x: np.clip(x, 0.0, CLIP_SECS) / CLIP_SECS
  held = times < release
  out[:, 0] = held & ~before
  out[:, 1] = np.where(before, 0.0, clip(times - onset))
  out[:, 2] = np.where(held, clip(release - times), 0.0)
  out[:, 3] = np.where(held | before, 0.0, clip(times - release))
  out[:, 4] = np.where(has_next, clip(np.where(has_next, next_onset, 0.0) -
                                      times), 1.0)
  out[:, 5] = (notes[k, LEVEL] - LEVEL_CENTER_DB) / LEVEL_SCALE_DB
  out[:, 6] = (notes[k, PITCH] - 60.0) / 24.0
  out[:, 7] = np.where(slur_in, np.clip(
      (notes[k, PITCH] - notes[prev_k, PITCH]) / 12.0, -1, 1), 0.0)
  out[:, 8] = np.where(slur_out, np.clip(
      (notes[next_k, PITCH] - notes[k, PITCH]) / 12.0, -1, 1), 0.0)
  out[:, 9] = slur_in
  out[:, 10] = slur_out
  out[:, 11] = before
  return out, k.astype(np.int32)


def frame_targets(notes, times, f0_hz, loudness_db, f0_confidence=None):
  """The values the model learns at `times`, and where the f0 counts.

  Args:
    notes: float [n_notes, >= 5].
    times: float [n_frames] times of the control frames.
    f0_hz: [n_frames].
    loudness_db: [n_frames].
    f0_confidence: Optional [n_frames].

  Returns:
    (targets float32 [n_frames, 2]: f0 deviation from the current note's
    pitch in semitones and the scaled loudness; f0 mask float32 [n_frames]:
    1 where the deviation counts).
  """
  f0_hz = np.asarray(f0_hz, np.float64)
  loudness_db = np.asarray(loudness_db, np.float64)
  k = note_index(notes, times)
  pitch = np.asarray(notes, np.float64)[np.maximum(k, 0), PITCH] if len(
      notes) else np.full(len(times), 60.0)
  midi = units.hz_to_midi(np.maximum(f0_hz, 1.0))
  deviation = np.clip(midi - pitch, -MAX_DEVIATION, MAX_DEVIATION)
  mask = (k >= 0) & (f0_hz > 0) & (loudness_db > SILENT_DB) & (
      np.abs(midi - pitch) < MAX_DEVIATION)
  if f0_confidence is not None:
    mask &= np.asarray(f0_confidence) >= MIN_CONFIDENCE
  out = np.stack([np.where(mask, deviation, 0.0),
                  scale_loudness(loudness_db)], axis=1)
  return out.astype(np.float32), mask.astype(np.float32)
