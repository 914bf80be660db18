# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Loudness dips at legato transitions, measured on the training notes.

A squared error on the loudness cannot teach the depth of the dip where a
bowed note hands over to the next: the dip's timing varies by tens of
milliseconds from transition to transition, so the curve that minimises
the error is an average, shallower than any one dip (the expression model
dipped 0.82x the recordings' depth on its own training convention). As for
the vibrato (`vibrato`), the statistic is measured on the training controls
and the model is fitted to it directly, leaving the timing free.

A legato transition is a next note starting within `context.LEGATO_SECS`
of a note's release. Its dip is what `evaluation.expression_stats` measures:
the median loudness of the BEFORE_SECS before the release minus the lowest
loudness within AROUND_SECS of the next onset, measured on the controls at
their own frame rate and expressed in `context.scale_loudness` units.

Per model frame, the targets hold:

* 0: the id (1, 2, ...) of the transition whose "before" window holds the
  frame, 0 for none;
* 1: the id of the transition whose "around" window holds the frame;
* 2: on the "around" frames, the measured dip (scaled units).

`window` renumbers the ids of a training window and drops the transitions
whose windows are cut by its edges; `ExpressionVae.losses_of` compares the
model's dip (the mean of its "before" frames minus the minimum of its
"around" frames) with the measured one.
"""

import numpy as np

from ddsp_generative.expression import context

BEFORE_SECS = 0.1
AROUND_SECS = 0.05
N_TARGETS = 3  # before id, around id, measured dip


def _windows(notes, onset_column, release_column):
  """[(release, next onset)] of the legato transitions of sorted notes."""
  notes = np.asarray(notes, np.float64)
  out = []
  for k in range(len(notes) - 1):
    release, next_onset = notes[k, release_column], notes[k + 1,
                                                          onset_column]
    if next_onset - release <= context.LEGATO_SECS:
      out.append((release, next_onset))
  return out


def targets(loudness_db, frame_rate, notes, times, onset_column=0,
            release_column=4):
  """Per-model-frame dip targets of a phrase (module docstring).

  Args:
    loudness_db: [n] the phrase's loudness at the controls' rate (dB).
    frame_rate: Frames per second of loudness_db.
    notes: [n_notes, >= 5] (segmentation's columns), sorted by onset.
    times: [t] the model frames' times (s).
    onset_column: Column of the onsets in notes.
    release_column: Column of the releases (note-offs) in notes.

  Returns:
    float32 [t, N_TARGETS]: before id, around id, measured dip.
  """
  loudness_db = np.asarray(loudness_db, np.float64)
  times = np.asarray(times, np.float64)
  out = np.zeros((len(times), N_TARGETS), np.float32)
  n = len(loudness_db)
  frame = lambda secs: int(np.clip(round(secs * frame_rate), 0, n))
  ids = 0
  for release, next_onset in _windows(notes, onset_column, release_column):
    before = loudness_db[frame(release - BEFORE_SECS):frame(release)]
    around = loudness_db[frame(next_onset - AROUND_SECS):
                         frame(next_onset + AROUND_SECS)]
    in_before = (times >= release - BEFORE_SECS) & (times < release)
    in_around = (times >= next_onset - AROUND_SECS) & (
        times < next_onset + AROUND_SECS)
    # Windows that overlap an earlier transition's keep the earlier one's.
    in_before &= out[:, 0] == 0
    in_around &= out[:, 1] == 0
    if not (len(before) and len(around) and in_before.any() and
            in_around.any()):
      continue
    ids += 1
    dip_db = float(np.median(before) - around.min())
    out[in_before, 0] = ids
    out[in_around, 1] = ids
    out[in_around, 2] = dip_db / context.LOUDNESS_SCALE_DB
  return out


def window(phrase_targets, start, width, max_transitions):
  """The targets of frames [start, start + width), ids renumbered.

  Transitions whose "before" or "around" frames are not all inside the
  window are dropped (ids 0); the rest are numbered 1, 2, ... in order,
  at most max_transitions - 1 of them.

  Args:
    phrase_targets: [t, N_TARGETS] from `targets`.
    start: First frame of the window.
    width: Frames in the window.
    max_transitions: Segments per window in the loss (id 0 included).

  Returns:
    float32 [width, N_TARGETS].
  """
  part = np.array(phrase_targets[start:start + width], np.float32)
  before, around = part[:, 0].astype(int), part[:, 1].astype(int)
  # Frames per id in the whole phrase; a window holds ids of the phrase.
  full_before = np.bincount(phrase_targets[:, 0].astype(int))
  full_around = np.bincount(phrase_targets[:, 1].astype(int))
  kept = 0
  new_before = np.zeros(len(part), np.float32)
  new_around = np.zeros(len(part), np.float32)
  for i in np.unique(np.concatenate([before, around])):
    if i == 0 or kept >= max_transitions - 1:
      continue
    if (np.sum(before == i) == full_before[i] and
        np.sum(around == i) == full_around[i]):
      kept += 1
      new_before[before == i] = kept
      new_around[around == i] = kept
  part[:, 0], part[:, 1] = new_before, new_around
  part[new_around == 0, 2] = 0.0
  return part
