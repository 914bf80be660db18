# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Melodies from a note dataset, and their symbols for the phrase model.

The notes `segmentation.Segmenter` found in the training audio (the note
dataset's phrases) are read as melodies (`training_sequences`): a file's
contiguous chunks joined, a note cut by a chunk boundary made whole again, a
rest longer than `max_rest_secs` ending a melody. `rhythm_symbols` and
`interval_symbols` give the viewpoints `phrases.PhraseModel` models: note
and rest lengths relative to the melody's unit (its median note length),
rounded to a ratio of RATIOS, and intervals in semitones.
"""

import dataclasses

import numpy as np

from ddsp_generative.expression import segmentation

# Note and rest lengths, in units of the melody's median note length.
RATIOS = (0.25, 1 / 3, 0.5, 2 / 3, 0.75, 1.0, 4 / 3, 1.5, 2.0, 8 / 3, 3.0,
          4.0, 6.0, 8.0)
N_RATIOS = len(RATIOS)
N_RHYTHM = 2 * N_RATIOS  # Symbols: notes 0..N_RATIOS-1, rests after them.
MAX_INTERVAL = 24
N_INTERVALS = 2 * MAX_INTERVAL + 1


@dataclasses.dataclass(frozen=True)
class Melody:
  """One training melody (`training_sequences`).

  Attributes:
    pitches: int [n_notes] MIDI pitches.
    lengths: [n_notes] seconds each note holds before the next event.
    rests: [n_notes] seconds of rest after each note (0: none).
    levels: [n_notes] levels (dB).
    source: The audio file.
  """
  pitches: np.ndarray
  lengths: np.ndarray
  rests: np.ndarray
  levels: np.ndarray
  source: str

  @property
  def unit(self):
    """The median note length (s): the melody's rhythmic unit."""
    return float(np.median(self.lengths))


def _joined_notes(phrases, frame_rate):
  """Per audio file, its contiguous chunks' notes on one time line.

  Yields:
    (path, notes [n, 5] in seconds from the first chunk's start), one per run
    of contiguous chunks; a note cut by a chunk boundary (`cut_end` then
    `cut_start`, same rounded pitch) is joined into one.
  """
  by_path = {}
  for p in phrases:
    by_path.setdefault(p['path'], []).append(p)
  for path in sorted(by_path):
    run, run_end, last_cut = [], None, False
    for p in sorted(by_path[path], key=lambda q: q['chunk_index']):
      start = float(p['start_secs'])
      if run_end is not None and abs(start - run_end) > 1.5 / frame_rate:
        yield path, np.array(run).reshape(-1, segmentation.N_COLUMNS)
        run, last_cut = [], False
      notes = np.array(p['notes'], np.float64).reshape(
          -1, segmentation.N_COLUMNS)
      notes[:, [segmentation.ONSET, segmentation.OFFSET,
                segmentation.RELEASE]] += start
      for k, note in enumerate(notes):
        if (k == 0 and last_cut and p.get('cut_start') and run and
            round(run[-1][segmentation.PITCH]) ==
            round(note[segmentation.PITCH])):
          run[-1][segmentation.OFFSET] = note[segmentation.OFFSET]
          run[-1][segmentation.RELEASE] = note[segmentation.RELEASE]
          run[-1][segmentation.LEVEL] = max(run[-1][segmentation.LEVEL],
                                            note[segmentation.LEVEL])
        else:
          run.append(list(note))
      last_cut = bool(p.get('cut_end'))
      run_end = start + p['n_frames'] / frame_rate
    if run:
      yield path, np.array(run).reshape(-1, segmentation.N_COLUMNS)


def training_sequences(phrases, frame_rate, rest_min_secs=0.12,
                       max_rest_secs=2.0, min_notes=2):
  """The melodies of note-dataset phrases (module docstring).

  Args:
    phrases: `note_dataset.read(...)['phrases']` (one split or all).
    frame_rate: The note dataset's frame rate.
    rest_min_secs: A silence between a note-off and the next onset at least
      this long is a rest; shorter ones are articulation.
    max_rest_secs: A longer silence ends the melody.
    min_notes: Melodies with fewer notes are dropped.

  Returns:
    List of `Melody`.
  """
  melodies = []
  for path, notes in _joined_notes(phrases, frame_rate):
    onset = notes[:, segmentation.ONSET]
    release = notes[:, segmentation.RELEASE]
    gaps = np.append(onset[1:] - release[:-1], np.inf)
    breaks = np.flatnonzero(gaps > max_rest_secs)
    first = 0
    for last in breaks:
      part = slice(first, last + 1)
      first = last + 1
      if last + 1 - part.start < min_notes:
        continue
      on, rel, gap = onset[part], release[part], gaps[part]
      lengths = np.append(np.diff(on), rel[-1] - on[-1])
      is_rest = gap >= rest_min_secs
      is_rest[-1] = False
      lengths[is_rest] = (rel - on)[is_rest]
      melodies.append(Melody(
          pitches=np.round(notes[part, segmentation.PITCH]).astype(int),
          lengths=np.maximum(lengths, 1e-3),
          rests=np.where(is_rest, gap, 0.0),
          levels=notes[part, segmentation.LEVEL].copy(), source=path))
  return melodies


def ratio_index(values):
  """Nearest `RATIOS` index (in log) of lengths already divided by the unit."""
  values = np.maximum(np.asarray(values, np.float64), 1e-6)
  return np.argmin(np.abs(np.log(values)[..., None] -
                          np.log(np.array(RATIOS))), axis=-1)


def rhythm_symbols(melody):
  """Rhythm events of a melody: note k -> k, a rest of ratio k -> N_RATIOS+k."""
  unit = melody.unit
  out = []
  for length, rest in zip(ratio_index(melody.lengths / unit),
                          melody.rests / unit):
    out.append(int(length))
    if rest > 0:
      out.append(N_RATIOS + int(ratio_index(rest)))
  return out


def interval_symbols(melody):
  """Intervals (semitones + MAX_INTERVAL) from the second note on."""
  return (np.clip(np.diff(melody.pitches), -MAX_INTERVAL, MAX_INTERVAL) +
          MAX_INTERVAL).astype(int).tolist()
