# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The note dataset: the training audio's phrases, their controls and notes.

`ddsp_generative_prepare_tfrecord` writes it beside the TFRecords
(`artifacts.tfrecord_notes_path`, e.g. data/notes_violin.json; the name does
not start with the TFRecord prefix, so `...violin.tfrecord*` never matches
it). A phrase is one chunk of a file (`--chunk_secs`, contiguous, in the
chunk's train/eval split): its frame-level controls as the TFRecords hold
them, and the notes `segmentation.Segmenter` found in them. Unlike the
TFRecords' overlapping examples, phrases keep their source and offset, so a
note and the controls that play it stay together.

A versioned JSON artefact (`core.artifacts.write_json`; loading it runs no
code):

  {'kind': 'note_dataset', 'format_version': 1, 'provenance': {...},
   'tfrecord_prefix', 'frame_rate', 'segmenter': {its parameters},
   'columns': ['onset_secs', 'offset_secs', 'pitch_midi', 'level_db',
               'release_secs'],
   'n_notes', 'splits': {split: {'n_phrases', 'n_notes', 'secs'}},
   'phrases': [{'path', 'chunk_index', 'split', 'start_secs', 'n_frames',
                'cut_start', 'cut_end', 'notes': [[onset, offset, pitch,
                level, release], ...], 'f0_hz', 'f0_confidence',
                'loudness_db'}]}

Note times are seconds from the phrase's start (frame i is at i /
frame_rate); `start_secs` is the phrase's offset in its file. `cut_start` /
`cut_end`: the first / last note touches the phrase's edge where the file
goes on (the chunk boundary may cut it).
"""

import dataclasses

import numpy as np

from ddsp_generative.core import artifacts
from ddsp_generative.core import errors
from ddsp_generative.expression import segmentation

KIND = 'note_dataset'
FORMAT_VERSION = 1
COLUMNS = ('onset_secs', 'offset_secs', 'pitch_midi', 'level_db',
           'release_secs')
CONTROLS = ('f0_hz', 'f0_confidence', 'loudness_db')
DECIMALS = {'f0_hz': 3, 'f0_confidence': 3, 'loudness_db': 2, 'notes': 4}


class NoteDatasetError(errors.UserError, ValueError):
  """A note dataset that is missing, of another kind, or inconsistent."""


def phrase(path, chunk_index, split, start_frame, frame_rate, controls,
           segmenter, last_chunk=False):
  """One phrase record: a chunk's controls and the notes found in them.

  Args:
    path: The source audio file.
    chunk_index: The chunk's index in its file.
    split: 'train', 'eval' or 'all'.
    start_frame: The chunk's first frame in the file.
    frame_rate: Frames per second.
    controls: dict of 'f0_hz', 'loudness_db' and optionally 'f0_confidence',
      each [n_frames].
    segmenter: A `segmentation.Segmenter`.
    last_chunk: The chunk ends its file (a note at its end is not cut).

  Returns:
    dict as in the module docstring (plain lists, rounded).
  """
  f0_hz = np.asarray(controls['f0_hz'], np.float64)
  loudness_db = np.asarray(controls['loudness_db'], np.float64)
  confidence = controls.get('f0_confidence')
  notes = segmenter.segment(f0_hz, loudness_db, frame_rate, confidence)
  n_frames = len(f0_hz)
  edge = 1.5 / frame_rate
  record = {
      'path': path, 'chunk_index': int(chunk_index), 'split': split,
      'start_secs': start_frame / frame_rate, 'n_frames': n_frames,
      'cut_start': bool(start_frame > 0 and len(notes) and
                        notes[0, segmentation.ONSET] < edge),
      'cut_end': bool(not last_chunk and len(notes) and
                      notes[-1, segmentation.OFFSET] >
                      n_frames / frame_rate - edge),
      'notes': np.round(notes, DECIMALS['notes']).tolist(),
  }
  for key in CONTROLS:
    values = controls.get(key)
    record[key] = (None if values is None else np.round(
        np.asarray(values, np.float64), DECIMALS[key]).tolist())
  return record


def write(path, phrases, frame_rate, segmenter, tfrecord_prefix,
          extra_provenance=None):
  """Writes the note dataset (module docstring) atomically.

  Args:
    path: Destination, e.g. `artifacts.tfrecord_notes_path(prefix)`.
    phrases: Iterable of `phrase` records (any order; sorted by path and
      chunk here).
    frame_rate: Frames per second of the controls.
    segmenter: The `segmentation.Segmenter` that found the notes.
    tfrecord_prefix: The TFRecords' file-name prefix.
    extra_provenance: Optional dict added to the provenance record.

  Returns:
    The dict written.
  """
  phrases = sorted(phrases, key=lambda p: (p['path'], p['chunk_index']))
  splits = {}
  for p in phrases:
    s = splits.setdefault(p['split'], {'n_phrases': 0, 'n_notes': 0,
                                       'secs': 0.0})
    s['n_phrases'] += 1
    s['n_notes'] += len(p['notes'])
    s['secs'] += p['n_frames'] / frame_rate
  return artifacts.write_json(
      path, KIND, FORMAT_VERSION,
      {'tfrecord_prefix': tfrecord_prefix, 'frame_rate': frame_rate,
       'segmenter': dataclasses.asdict(segmenter), 'columns': list(COLUMNS),
       'n_notes': sum(len(p['notes']) for p in phrases), 'splits': splits,
       'phrases': phrases},
      extra_provenance=extra_provenance, compact=True)


def read(path, split=None):
  """Reads and checks a note dataset.

  Args:
    path: A note dataset JSON file.
    split: Optional split name: only its phrases.

  Returns:
    dict with 'frame_rate', 'segmenter', 'phrases' (each with 'notes'
    float64 [n_notes, 5] and the controls as float32 [n_frames] arrays,
    'f0_confidence' None where the dataset has none) and the file's other
    keys.

  Raises:
    NoteDatasetError: The file is missing, not a note dataset, of an
      unsupported version, or inconsistent (lengths, note times).
  """
  record = artifacts.read_json(
      path, KIND, (FORMAT_VERSION,), error=NoteDatasetError,
      missing=(f'No note dataset at {path}: ddsp_generative_prepare_tfrecord '
               'writes one beside the TFRecords (notes_<prefix>.json).'))
  frame_rate = record.get('frame_rate')
  if not isinstance(frame_rate, (int, float)) or frame_rate <= 0:
    raise NoteDatasetError(f'{path}: frame_rate must be > 0, got '
                           f'{frame_rate!r}.')
  phrases = []
  for i, p in enumerate(record.get('phrases', [])):
    if split is not None and p.get('split') != split:
      continue
    phrases.append(_checked_phrase(p, frame_rate, f'{path}, phrase {i}'))
  if split is not None and not phrases:
    raise NoteDatasetError(
        f'{path} has no phrase in split {split!r} (it has: '
        f"{', '.join(sorted(record.get('splits', {}))) or 'none'}).")
  return dict(record, phrases=phrases)


def _checked_phrase(p, frame_rate, where):
  """A phrase with numpy arrays, or NoteDatasetError saying what is wrong."""
  try:
    n = int(p['n_frames'])
    out = dict(p, notes=np.asarray(p['notes'], np.float64).reshape(
        -1, len(COLUMNS)))
    for key in CONTROLS:
      out[key] = (None if p.get(key) is None else
                  np.asarray(p[key], np.float32))
  except (KeyError, TypeError, ValueError) as e:
    raise NoteDatasetError(f'{where}: malformed ({e}).') from e
  for key in CONTROLS:
    if out[key] is not None and out[key].shape != (n,):
      raise NoteDatasetError(f'{where}: {key} has {out[key].size} frames, '
                             f'n_frames says {n}.')
  if out['f0_hz'] is None or out['loudness_db'] is None:
    raise NoteDatasetError(f'{where}: lacks f0_hz or loudness_db.')
  notes = out['notes']
  onset, offset = notes[:, segmentation.ONSET], notes[:, segmentation.OFFSET]
  release = notes[:, segmentation.RELEASE]
  if not np.all(np.isfinite(notes)) or np.any(offset <= onset) or np.any(
      (release <= onset) | (release > offset + 1e-6)) or (
          len(notes) and (notes[:, segmentation.ONSET].min() < 0 or
                          notes[:, segmentation.OFFSET].max() >
                          n / frame_rate + 1e-6)):
    raise NoteDatasetError(f'{where}: notes outside the phrase, not finite, '
                           'not ending after they start or released outside '
                           'them.')
  return out
