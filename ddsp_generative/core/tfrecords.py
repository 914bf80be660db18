# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Check that TFRecords match the geometry a model or config expects.

A DDSP model is built for one sample rate, frame rate and example length.
TFRecords of another geometry fail deep inside tf.data or the loss (or, for
the frame count, silently resample), so training and evaluation check first:

* the metadata JSON that `ddsp_generative_prepare_tfrecord` writes beside the
  TFRecords (`artifacts.tfrecord_metadata_path`) gives the geometry when it
  lists the matched shards;
* otherwise the lengths of the first record's 'audio', 'audio_16k' and
  'f0_hz' features are read (and the rates inferred from them).
"""

import glob
import json
import os

import numpy as np

from ddsp_generative.core import errors
from ddsp_generative.core import features

METADATA_KIND = 'tfrecord_metadata'
FEATURE_KEYS = ('audio', 'audio_16k', 'f0_hz', 'f0_confidence', 'loudness_db')


class DatasetMismatchError(errors.UserError, ValueError):
  """TFRecords are missing or do not match the expected geometry."""


def match_files(file_pattern):
  """Files matching a TFRecord pattern, with a clear error when none do."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  files = sorted(tf.io.gfile.glob(file_pattern)) if file_pattern else []
  files = [f for f in files if not f.endswith('.json')]
  if not files:
    raise DatasetMismatchError(
        f'No TFRecords match {file_pattern!r}. Make them with '
        'ddsp_generative_prepare_tfrecord and pass e.g. '
        "--gin_param=\"TFRecordProvider.file_pattern='data/train.tfrecord*'\".")
  return files


def _read_metadata(path):
  try:
    with open(path) as f:
      record = json.load(f)
  except (OSError, ValueError):
    return None
  if not isinstance(record, dict) or record.get('kind') != METADATA_KIND:
    return None
  return record


def _describes(record, basename):
  """Whether a metadata record lists this shard (or its prefix matches)."""
  for split in (record.get('splits') or {}).values():
    if basename in (split.get('shards') or ()):
      return True
  prefix = record.get('tfrecord_prefix')
  return bool(prefix) and basename.startswith(prefix + '-')


def find_metadata(files):
  """Metadata JSON files describing the given TFRecord files.

  Args:
    files: TFRecord paths.

  Returns:
    (found, missing): found maps metadata path -> record for the metadata of
    any of the files; missing lists files no metadata describes.
  """
  found, missing, cache = {}, [], {}
  for path in files:
    directory, basename = os.path.split(path)
    if directory not in cache:
      records = {}
      for candidate in sorted(glob.glob(
          os.path.join(glob.escape(directory), 'metadata_*.json'))):
        record = _read_metadata(candidate)
        if record is not None:
          records[candidate] = record
      cache[directory] = records
    matches = [p for p, r in cache[directory].items() if _describes(r, basename)]
    if matches:
      found[matches[0]] = cache[directory][matches[0]]
    else:
      missing.append(path)
  return found, missing


def geometry_from_metadata(record):
  """Geometry dict from a metadata record."""
  sample_rate = record.get('sample_rate')
  frame_rate = record.get('frame_rate')
  example_secs = record.get('example_secs')
  n_samples = record.get('n_samples_per_example')
  if n_samples is None and None not in (sample_rate, example_secs):
    n_samples = int(round(example_secs * sample_rate))
  n_frames = record.get('n_frames_per_example')
  if n_frames is None and None not in (frame_rate, example_secs):
    n_frames = int(round(example_secs * frame_rate)) + int(
        bool(record.get('center')))
  return {'sample_rate': sample_rate, 'frame_rate': frame_rate,
          'example_secs': example_secs, 'n_samples': n_samples,
          'n_frames': n_frames}


def geometry_from_record(path):
  """Geometry inferred from the feature lengths of a file's first example.

  Args:
    path: A TFRecord file in ddsp's schema.

  Returns:
    Geometry dict; the rates are None when 'audio_16k' is missing.

  Raises:
    DatasetMismatchError: Empty file, or not ddsp's schema.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  try:
    records = list(tf.data.TFRecordDataset(path).take(1).as_numpy_iterator())
  except tf.errors.OpError as e:
    raise DatasetMismatchError(f'Cannot read TFRecord {path}: {e}') from e
  if not records:
    raise DatasetMismatchError(f'TFRecord {path} holds no example.')
  feature = tf.train.Example.FromString(records[0]).features.feature
  missing = [k for k in ('audio', 'f0_hz', 'loudness_db') if k not in feature]
  if missing:
    raise DatasetMismatchError(
        f'TFRecord {path} lacks {missing}: not ddsp\'s schema (make it with '
        'ddsp_generative_prepare_tfrecord).')
  n_samples = len(feature['audio'].float_list.value)
  n_frames = len(feature['f0_hz'].float_list.value)
  geometry = {'sample_rate': None, 'frame_rate': None, 'example_secs': None,
              'n_samples': n_samples, 'n_frames': n_frames}
  if 'audio_16k' in feature:
    secs = (len(feature['audio_16k'].float_list.value) /
            features.CREPE_SAMPLE_RATE)
    if secs > 0:
      geometry['example_secs'] = secs
      geometry['sample_rate'] = round(n_samples / secs)
      geometry['frame_rate'] = round(n_frames / secs)  # 'same' padding.
  return geometry


def dataset_geometry(file_pattern):
  """The geometry of the TFRecords matching a pattern.

  Args:
    file_pattern: e.g. 'data/train.tfrecord*'.

  Returns:
    List of (source, geometry) pairs, one per metadata file found and one for
    the first file no metadata describes; source names the metadata JSON or
    the inspected file.
  """
  files = match_files(file_pattern)
  found, missing = find_metadata(files)
  result = [(path, geometry_from_metadata(record))
            for path, record in found.items()]
  if missing:
    result.append((f'first example of {missing[0]}',
                   geometry_from_record(missing[0])))
  return result


def check_geometry(file_pattern, sample_rate, frame_rate, n_samples, n_frames,
                   expected_from='the gin config'):
  """Raises DatasetMismatchError unless the TFRecords match the geometry.

  Args:
    file_pattern: TFRecord file pattern.
    sample_rate: Expected audio sample rate (Hz).
    frame_rate: Expected feature frame rate (Hz).
    n_samples: Expected audio samples per example.
    n_frames: Expected f0/loudness frames per example.
    expected_from: Where the expectation comes from, for the message.

  Returns:
    The list returned by `dataset_geometry`.
  """
  expected = {'sample_rate': sample_rate, 'frame_rate': frame_rate,
              'n_samples': n_samples, 'n_frames': n_frames}
  geometries = dataset_geometry(file_pattern)
  problems = []
  for source, geometry in geometries:
    for key, want in expected.items():
      have = geometry.get(key)
      if have is not None and want is not None and int(have) != int(want):
        problems.append(f'{key}: {have} in the data ({source}), {want} in '
                        f'{expected_from}')
  if problems:
    secs = {g.get('example_secs') for _, g in geometries} - {None}
    want_secs = n_samples / sample_rate if sample_rate else None
    raise DatasetMismatchError(
        f'TFRecords {file_pattern!r} do not match {expected_from}: ' +
        '; '.join(problems) + '. ' +
        (f'The data has {sorted(secs)} s examples, the config {want_secs:g} s. '
         if secs and want_secs else '') +
        'Prepare the TFRecords with matching --sample_rate/--frame_rate/'
        '--example_secs, or configure the model for the data (the macros '
        'SAMPLE_RATE, FRAME_RATE, EXAMPLE_SECS, N_SAMPLES and TIME_STEPS of '
        'gin/common/audio.gin, e.g. --gin_file=gin/sizes/tiny.gin for 1 s '
        'examples).')
  return geometries


def read_examples(file_pattern, keys=FEATURE_KEYS, max_examples=None):
  """Yields the examples of ddsp TFRecords, in file order: the one parser.

  Args:
    file_pattern: TFRecord file pattern.
    keys: Float features to read.
    max_examples: Yield at most this many (None: all).

  Yields:
    Dicts of key -> float32 [n] arrays, each of its own length (empty where
    the example lacks the feature).

  Raises:
    DatasetMismatchError: No file matches the pattern.
    tf.errors.OpError: A file is not a TFRecord (raised while iterating).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  files = match_files(file_pattern)
  spec = {k: tf.io.VarLenFeature(tf.float32) for k in keys}

  def parse(serialized):
    parsed = tf.io.parse_single_example(serialized, spec)
    return {k: tf.sparse.to_dense(v) for k, v in parsed.items()}

  dataset = tf.data.TFRecordDataset(files).map(parse)
  if max_examples:
    dataset = dataset.take(max_examples)
  yield from dataset.as_numpy_iterator()


def read_arrays(file_pattern, n_samples, n_frames, max_examples=None):
  """Reads fixed-size ddsp TFRecord examples into stacked numpy arrays.

  Args:
    file_pattern: TFRecord file pattern.
    n_samples: Audio samples per example.
    n_frames: Feature frames per example.
    max_examples: Read at most this many (None: all).

  Returns:
    Dict of 'audio' [n, n_samples], 'f0_hz', 'f0_confidence' (ones where the
    TFRecords have none) and 'loudness_db' [n, n_frames] float32 arrays.

  Raises:
    DatasetMismatchError: No example, or one of another size.
  """
  lengths = {'audio': n_samples, 'f0_hz': n_frames, 'f0_confidence': n_frames,
             'loudness_db': n_frames}
  rows = []
  for i, ex in enumerate(read_examples(file_pattern, tuple(lengths),
                                       max_examples)):
    if not len(ex['f0_confidence']):
      ex['f0_confidence'] = np.ones(n_frames, np.float32)
    for key, n in lengths.items():
      if len(ex[key]) != n:
        raise DatasetMismatchError(
            f'Example {i} of {file_pattern!r} has {len(ex[key])} {key!r} '
            f'values, not {n}.')
    rows.append(ex)
  if not rows:
    raise DatasetMismatchError(f'No examples in {file_pattern!r}.')
  return {k: np.stack([r[k] for r in rows]) for k in lengths}


def read_checked_arrays(file_pattern, sample_rate, frame_rate, n_samples,
                        n_frames, expected_from, max_examples=None):
  """`check_geometry`, then `read_arrays`: examples that fit a model.

  Args:
    file_pattern: TFRecord file pattern.
    sample_rate: Expected audio sample rate (Hz).
    frame_rate: Expected feature frame rate (Hz).
    n_samples: Audio samples per example.
    n_frames: Feature frames per example.
    expected_from: Where the expectation comes from, for the message.
    max_examples: Read at most this many (None: all).

  Returns:
    The dict of `read_arrays`.

  Raises:
    DatasetMismatchError: No TFRecords, or of another geometry.
  """
  check_geometry(file_pattern, sample_rate, frame_rate, n_samples, n_frames,
                 expected_from=expected_from)
  return read_arrays(file_pattern, n_samples, n_frames, max_examples)


def default_f0_estimator(file_pattern):
  """The estimator that made the TFRecords' f0 (from their metadata), when
  it can run here; else 'pyin'."""
  from ddsp_generative import environment  # pylint: disable=g-import-not-at-top
  found, _ = find_metadata(match_files(file_pattern))
  for record in found.values():
    estimator = record.get('f0_estimator')
    if estimator in ('pyin', 'yin'):
      return estimator
    if estimator == 'crepe' and environment.crepe_available():
      return estimator
  return 'pyin'
