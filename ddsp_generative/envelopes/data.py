# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Envelope windows from TFRecords in ddsp's schema.

Each example's 'f0_hz' and 'loudness_db' (and 'f0_confidence' when present)
are read with tf.data and cut into windows of `n_frames`, normalised by
`normalize.normalize_window`:

* An example at least one window long gives windows every `hop_frames`
  frames (default: one window length), the last one ending at the
  example's end, as `ddsp_generative_prepare_tfrecord` cuts examples: a 4 s
  example gives two 3 s windows (0-3 s and 1-4 s).
* An example shorter than one window is **padded**, not joined to its
  neighbours: f0 holds its last value and the loudness falls to silence
  (LOUDNESS_FLOOR_DB), i.e. the phrase ends and the rest of the window is
  silent, as the 3 s single-note windows of report 003 are. Joining is not
  reliable: ddsp's TFRecords do not record which file and offset an example
  came from, their examples usually overlap (hop < length) and Beam does not
  keep their order. Train with examples at least as long as the window
  (e.g. `--example_secs=4` for 3 s windows) to avoid padding; the number of
  padded windows is reported.
* Windows without a voiced frame (silence) are skipped and counted.
"""

import numpy as np
import tensorflow as tf

from ddsp_generative.core import errors
from ddsp_generative.core import tfrecords
from ddsp_generative.envelopes import normalize

_FEATURES = ('f0_hz', 'loudness_db', 'f0_confidence')


class EnvelopeDataError(errors.UserError, ValueError):
  """TFRecords that give no envelope window."""


def read_controls(file_pattern):
  """The control features of every example matching a TFRecord pattern.

  All in memory, checked and trimmed to a common length per example (the
  lazy reader of any features is `tfrecords.read_examples`).

  Args:
    file_pattern: e.g. 'data/train.tfrecord*'.

  Returns:
    List of dicts with 'f0_hz' and 'loudness_db' ([n_frames] float32) and
    'f0_confidence' ([n_frames], or None when the TFRecords have none).

  Raises:
    tfrecords.DatasetMismatchError: No file matches the pattern.
    EnvelopeDataError: The files hold no example, or not ddsp's features.
  """
  files = tfrecords.match_files(file_pattern)
  examples = []
  try:
    for i, ex in enumerate(tfrecords.read_examples(file_pattern, _FEATURES)):
      if not len(ex['f0_hz']) or not len(ex['loudness_db']):
        raise EnvelopeDataError(
            f'Example {i} of {file_pattern!r} lacks f0_hz or loudness_db: '
            'not ddsp\'s schema (make the TFRecords with '
            'ddsp_generative_prepare_tfrecord).')
      n = min(len(ex['f0_hz']), len(ex['loudness_db']))
      confidence = ex['f0_confidence'][:n] if len(
          ex['f0_confidence']) >= n else None
      examples.append(dict(f0_hz=ex['f0_hz'][:n],
                           loudness_db=ex['loudness_db'][:n],
                           f0_confidence=confidence))
  except tf.errors.OpError as e:
    raise EnvelopeDataError(
        f'Cannot read the TFRecords {file_pattern!r}: {e.message}') from e
  if not examples:
    raise EnvelopeDataError(f'The TFRecords {file_pattern!r} ({len(files)} '
                            'files) hold no example.')
  return examples


def window_starts(n_total, n_frames, hop_frames):
  """Start frames of the windows of an example of n_total >= n_frames."""
  starts = list(range(0, n_total - n_frames + 1, hop_frames))
  if starts[-1] + n_frames < n_total:
    starts.append(n_total - n_frames)
  return starts


def _pad(values, n_frames, value):
  if value is None:
    return np.pad(values, (0, n_frames - len(values)), mode='edge')
  return np.pad(values, (0, n_frames - len(values)), constant_values=value)


def cut_windows(example, n_frames, hop_frames=None):
  """Cuts one example's controls into raw windows (padding a short one).

  Args:
    example: Dict from `read_controls`.
    n_frames: Frames per window.
    hop_frames: Frames between window starts; default n_frames.

  Returns:
    (windows, padded): a list of dicts like `example`, each [n_frames], and
    whether the (single) window was padded.
  """
  hop_frames = int(hop_frames or n_frames)
  n_total = len(example['f0_hz'])
  if n_total < n_frames:
    fills = dict(f0_hz=None, loudness_db=normalize.LOUDNESS_FLOOR_DB,
                 f0_confidence=0.0)
    window = {k: None if v is None else _pad(v, n_frames, fills[k])
              for k, v in example.items()}
    return [window], True
  windows = [{k: None if v is None else v[s:s + n_frames]
              for k, v in example.items()}
             for s in window_starts(n_total, n_frames, hop_frames)]
  return windows, False


def load_windows(file_pattern, n_frames, hop_frames=None):
  """Normalised envelope windows of every example matching a pattern.

  Args:
    file_pattern: TFRecord pattern, e.g. 'data/train.tfrecord*'.
    n_frames: Frames per window (e.g. 750: 3 s at 250 Hz).
    hop_frames: Frames between window starts within an example; default
      n_frames.

  Returns:
    Dict with 'envelopes' [n_windows, n_frames, 2] float32, 'midi_pitch'
    [n_windows] float32 (median voiced MIDI pitch of each window) and
    'stats' (counts of examples, windows, padded and silent windows).

  Raises:
    tfrecords.DatasetMismatchError: No file matches the pattern.
    EnvelopeDataError: No example, or every window is silent.
  """
  if int(n_frames) < 1:
    raise ValueError(f'n_frames must be positive, got {n_frames}.')
  examples = read_controls(file_pattern)
  envelopes, pitches = [], []
  stats = dict(examples=len(examples), windows=0, padded_windows=0,
               silent_windows=0, example_frames=sorted(
                   {len(ex['f0_hz']) for ex in examples}))
  for example in examples:
    windows, padded = cut_windows(example, int(n_frames), hop_frames)
    stats['padded_windows'] += int(padded)
    for window in windows:
      result = normalize.normalize_window(**window)
      if result is None:
        stats['silent_windows'] += 1
        continue
      envelopes.append(result[0])
      pitches.append(result[1])
  stats['windows'] = len(envelopes)
  if not envelopes:
    raise EnvelopeDataError(
        f'Every window of {file_pattern!r} is silent (no voiced frame): '
        'nothing to train on.')
  return dict(envelopes=np.stack(envelopes),
              midi_pitch=np.asarray(pitches, np.float32), stats=stats)


def make_dataset(windows, batch_size, seed=0):
  """An endless shuffled tf.data.Dataset of batches of windows.

  Args:
    windows: Dict from `load_windows`.
    batch_size: Windows per batch.
    seed: Shuffle seed.

  Returns:
    Dataset of dicts {'envelopes': [batch, n_frames, 2], 'midi_pitch':
    [batch]}, every batch full.
  """
  n = len(windows['envelopes'])
  dataset = tf.data.Dataset.from_tensor_slices(
      {'envelopes': windows['envelopes'],
       'midi_pitch': windows['midi_pitch']})
  dataset = dataset.shuffle(n, seed=seed, reshuffle_each_iteration=True)
  return dataset.repeat().batch(int(batch_size), drop_remainder=True)
