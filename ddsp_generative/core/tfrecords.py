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

Every reader checks the data set first (`match_files`, cheap: a listing and
the sizes): when metadata describes the shards, the shards it lists must be
exactly those present, each of the size it records; shards with no
metadata beside the lock file or staging leftovers of the publish protocol
(`core.publish`) are an incomplete set, left by a run killed while
publishing (`IncompleteDatasetError`). Reading (`read_examples`,
`count_records`) also refuses a corrupt or truncated shard and example
counts that disagree with the metadata (`CorruptDatasetError`). Each error
is one line naming the shard and the fix: re-run the command that made it
with --overwrite.
"""

import json
import os
import re

import numpy as np

from ddsp_generative.core import errors
from ddsp_generative.core import features
from ddsp_generative.core import filesystem
from ddsp_generative.core import publish

METADATA_KIND = 'tfrecord_metadata'
FEATURE_KEYS = ('audio', 'audio_16k', 'f0_hz', 'f0_confidence', 'loudness_db')
PRODUCER = 'ddsp_generative_prepare_tfrecord'
# Bytes a TFRecord adds around each record: length (8), two CRCs (4 + 4).
RECORD_OVERHEAD = 16
_SHARD_SUFFIX = re.compile(r'(-train|-eval)?-\d+-of-\d+$')


class DatasetMismatchError(errors.UserError, ValueError):
  """TFRecords are missing or do not match the expected geometry."""


class CorruptDatasetError(DatasetMismatchError):
  """A shard is corrupt or truncated, or disagrees with its metadata."""


class IncompleteDatasetError(DatasetMismatchError):
  """Shards without their metadata, or metadata listing missing shards."""


class OutputExistsError(errors.UserError, FileExistsError):
  """A data set (complete or not) is already where a run would write one."""


def refuse_existing(existing, prefix, metadata_path, what, output_flag):
  """Raises OutputExistsError saying what is there and what to do.

  Args:
    existing: The data set's files found at the output (shards, and its
      metadata if there); nothing is raised when empty.
    prefix: The output's TFRecord prefix.
    metadata_path: Its metadata JSON's path.
    what: The data set's kind, e.g. 'TFRecord dataset', 'z dataset'.
    output_flag: The output flag, e.g. '--output_path'.
  """
  if not existing:
    return
  if metadata_path in existing:
    raise OutputExistsError(
        f'A {what} already exists at {prefix} ({len(existing)} file(s), e.g. '
        f'{existing[0]}): pass --overwrite to replace it, or choose another '
        f'{output_flag}.')
  directory, name = filesystem.split(filesystem.abspath(prefix))
  leftovers = publish.stale_entries(directory, name)
  raise OutputExistsError(
      f'An incomplete {what} is at {prefix}: {len(existing)} shard(s) (e.g. '
      f'{existing[0]}) but no {filesystem.basename(metadata_path)}'
      + (f', and {len(leftovers)} leftover(s) of its staging'
         if leftovers else '') +
      ' (a run was interrupted while publishing). Pass --overwrite to '
      f'replace it (its leftovers are removed), or choose another '
      f'{output_flag}.')


def shard_pattern(prefix):
  """Regex of the shard names of a TFRecord prefix (any split)."""
  return re.compile(re.escape(prefix) + _SHARD_SUFFIX.pattern)


def _fix(producer):
  return f'Re-run {producer} with --overwrite to make it again.'


def visible_files(paths):
  """Paths that are data files: no JSON, folders or hidden (dot) names."""
  return [p for p in paths
          if not p.endswith('.json') and not filesystem.basename(
              p).startswith('.') and not filesystem.isdir(p)]


def match_files(file_pattern):
  """Files matching a TFRecord pattern, checked as a data set.

  Args:
    file_pattern: e.g. 'data/train.tfrecord*'.

  Returns:
    Sorted paths.

  Raises:
    DatasetMismatchError: No file matches.
    IncompleteDatasetError, CorruptDatasetError: See `check_files`.
  """
  files = sorted(filesystem.glob(file_pattern)) if file_pattern else []
  files = visible_files(files)
  if not files:
    raise DatasetMismatchError(
        f'No TFRecords match {file_pattern!r}. Make them with '
        'ddsp_generative_prepare_tfrecord and pass e.g. '
        "--gin_param=\"TFRecordProvider.file_pattern='data/train.tfrecord*'\".")
  check_files(files)
  return files


def listed_shards(record):
  """{shard basename: counts dict} of every split a metadata record lists.

  Counts hold 'n_examples' and 'n_bytes' when the metadata records them
  (prepare_tfrecord since format 2 with shard counts); else {}.
  """
  shards = {}
  splits = record.get('splits') or {}
  try:
    for split in splits.values():
      counts = split.get('shard_counts') or {}
      for name in split.get('shards') or ():
        shards[name] = dict(counts.get(name) or {})
  except (AttributeError, TypeError, ValueError) as e:
    raise CorruptDatasetError(
        f'The metadata of {record.get("tfrecord_prefix")!r} is malformed '
        f'(its splits: {e}). {_fix(PRODUCER)}') from e
  return shards


def check_shard_set(metadata_path, listed, present, producer=PRODUCER):
  """Raises unless the shards a metadata lists are those present.

  The one set check of TFRecord and z datasets.

  Args:
    metadata_path: The metadata JSON (its folder holds the shards).
    listed: {shard basename: counts dict} the metadata lists; counts with
      'n_bytes' are checked against the file's size.
    present: Basenames of the data set's shards in that folder.
    producer: The command that makes the data set, for the fix.

  Raises:
    IncompleteDatasetError: Listed shards are missing.
    CorruptDatasetError: A shard it does not list, or one of another size.
  """
  directory = filesystem.dirname(filesystem.abspath(metadata_path))
  absent = sorted(set(listed) - set(present))
  if absent:
    raise IncompleteDatasetError(
        f'{metadata_path} lists {len(listed)} shard(s) of which '
        f'{len(listed) - len(absent)} exist (missing: '
        f'{filesystem.join(directory, absent[0])}'
        f'{f" and {len(absent) - 1} more" if len(absent) > 1 else ""}): the '
        f'data set is incomplete. {_fix(producer)}')
  extra = sorted(set(present) - set(listed))
  if extra:
    raise CorruptDatasetError(
        f'{filesystem.join(directory, extra[0])} is not one of the '
        f'{len(listed)} shard(s) {metadata_path} lists (left by another '
        f'run): remove it, or re-run {producer} with --overwrite.')
  for name, counts in sorted(listed.items()):
    path = filesystem.join(directory, name)
    size = filesystem.getsize(path)
    want = (counts or {}).get('n_bytes')
    if want is not None and size != want:
      raise CorruptDatasetError(
          f'Shard {path} is {size} bytes but {metadata_path} says {want}: it '
          f'was truncated or modified. {_fix(producer)}')


def _check_listed(metadata_path, record):
  """Raises unless the shards a TFRecord metadata lists are those present."""
  listed = listed_shards(record)
  prefix = record.get('tfrecord_prefix')
  if not listed or not prefix:
    return
  directory = filesystem.dirname(filesystem.abspath(metadata_path))
  pattern = shard_pattern(prefix)
  check_shard_set(metadata_path, listed,
                  [name for name in filesystem.listdir(directory)
                   if pattern.match(name)])


def unpublished(directory, prefix):
  """Whether the publish protocol left traces of `prefix` in `directory`.

  Its lock file (held by a run now, or left by a killed one: a finished
  run removes it) or staging leftovers: shards of such a prefix without
  metadata are an incomplete set (a run was killed while publishing, after
  the old metadata was removed, or is publishing now).
  """
  return bool(filesystem.exists(publish.lock_path(directory, prefix)) or
              publish.stale_entries(directory, prefix))


def _check_unpublished(files, metadata_name, producer=PRODUCER):
  """Raises IncompleteDatasetError for shards a killed publish left."""
  for path in files:
    directory, name = filesystem.split(filesystem.abspath(path))
    prefix = _SHARD_SUFFIX.sub('', name)
    if prefix != name and unpublished(directory, prefix):
      raise IncompleteDatasetError(
          f'{path} is part of an incomplete data set: {prefix}* in '
          f'{directory} has no {metadata_name(prefix)} (a run was '
          f'interrupted while publishing). {_fix(producer)}')


def _tfrecord_metadata_name(prefix):
  base = prefix[:-len('.tfrecord')] if prefix.endswith('.tfrecord') else prefix
  return f'metadata_{base}.json'


def check_files(files):
  """Checks TFRecord files as a data set (a listing and sizes; no reading).

  Args:
    files: TFRecord paths.

  Raises:
    IncompleteDatasetError: Metadata lists shards that are missing, or
      shards have no metadata where a run was interrupted publishing them.
    CorruptDatasetError: A shard the metadata does not list, or one of
      another size than it records.
  """
  found, missing = find_metadata(files)
  for path, record in found.items():
    _check_listed(path, record)
  _check_unpublished(missing, _tfrecord_metadata_name)


def _read_metadata(path):
  try:
    with filesystem.open(path, 'r') as f:
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
    directory, basename = filesystem.split(path)
    if directory not in cache:
      records = {}
      for candidate in sorted(filesystem.glob(
          filesystem.join(filesystem.escape(directory), 'metadata_*.json'))):
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


def _first_example_features(path):
  """The feature map of a file's first tf.train.Example, or None if empty.

  Raises:
    CorruptDatasetError: The file cannot be read.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  try:
    with filesystem.local_copy(path) as local:
      records = list(
          tf.data.TFRecordDataset(local).take(1).as_numpy_iterator())
  except tf.errors.OpError as e:
    raise CorruptDatasetError(
        f'Cannot read TFRecord {path}: {_op_message(e)}. {_fix(PRODUCER)}'
    ) from e
  if not records:
    return None
  return tf.train.Example.FromString(records[0]).features.feature


def geometry_from_record(path):
  """Geometry inferred from the feature lengths of a file's first example.

  Args:
    path: A TFRecord file in ddsp's schema.

  Returns:
    Geometry dict; the rates are None when 'audio_16k' is missing.

  Raises:
    DatasetMismatchError: Empty file, or not ddsp's schema.
  """
  feature = _first_example_features(path)
  if feature is None:
    raise DatasetMismatchError(f'TFRecord {path} holds no example.')
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


def dataset_features(file_pattern):
  """Names of the features the TFRecords of a pattern hold.

  From their metadata JSON ('features', the union over the shards'
  metadata), else from the first record of the first file.

  Args:
    file_pattern: TFRecord file pattern (or URL).

  Returns:
    Set of feature names.

  Raises:
    DatasetMismatchError: No file matches, or an unreadable first record.
  """
  files = match_files(file_pattern)
  found, missing = find_metadata(files)
  names = set()
  for record in found.values():
    names.update(record.get('features') or ())
  if not missing and names:
    return names
  names.update(_first_example_features((missing or files)[0]) or ())
  return names


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


def _op_message(error):
  """The first line of a TensorFlow error, without its op details."""
  message = getattr(error, 'message', None) or str(error)
  message = re.sub(r'\{\{function_node [^}]*\}\}\s*', '', message)
  message = re.sub(r'\s*\[Op:[^\]]*\].*$', '', message, flags=re.S)
  return ' '.join(message.split()) or type(error).__name__


def iterate_file(path, parse=None, expected_records=None, producer=PRODUCER,
                 max_records=None):
  """Yields the records of one TFRecord file, refusing corrupt ones.

  The one loop over a file's records: TensorFlow's reader stops silently at
  a record cut short, so the bytes read are compared with the file's size.

  Args:
    path: An uncompressed TFRecord file.
    parse: Optional graph function serialized -> features (`tf.data.map`).
    expected_records: Records the file must hold (from its metadata), or
      None.
    producer: The command that makes the file, for the fix in errors.
    max_records: Stop after this many (no end-of-file checks then).

  Yields:
    Each record (bytes), or its parsed features as numpy values.

  Raises:
    CorruptDatasetError: A corrupt record, a truncated file, a record that
      does not parse, or a count other than `expected_records`.
  """
  # tf.data reads TensorFlow's filesystems only: a URL is read from a copy.
  with filesystem.local_copy(path) as local:
    yield from _iterate_local(local, path, parse, expected_records, producer,
                              max_records)


def _iterate_local(local, path, parse, expected_records, producer,
                   max_records):
  """`iterate_file` on a local file `local`; `path` names it in errors."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  dataset = tf.data.TFRecordDataset(local)
  if parse is None:
    dataset = dataset.map(lambda r: (tf.strings.length(r), r))
  else:
    dataset = dataset.map(lambda r: (tf.strings.length(r), parse(r)))
  n, n_bytes = 0, 0
  try:
    for length, value in dataset.as_numpy_iterator():
      n += 1
      n_bytes += int(length) + RECORD_OVERHEAD
      yield value
      if max_records is not None and n >= max_records:
        return
  except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as e:
    raise CorruptDatasetError(
        f'TFRecord shard {path} is corrupt (record {n}: {_op_message(e)}). '
        f'{_fix(producer)}') from e
  size = os.path.getsize(local)
  if n_bytes != size:
    raise CorruptDatasetError(
        f'TFRecord shard {path} is truncated: its last record is cut short '
        f'(the {n} whole record(s) end at byte {n_bytes} of {size}). '
        f'{_fix(producer)}')
  if expected_records is not None and n != expected_records:
    raise CorruptDatasetError(
        f'TFRecord shard {path} holds {n} example(s) but its metadata says '
        f'{expected_records}. {_fix(producer)}')


def expected_counts(files):
  """{path: examples its metadata records} for the files that have one."""
  found, _ = find_metadata(files)
  counts = {}
  for metadata_path, record in found.items():
    directory = filesystem.dirname(filesystem.abspath(metadata_path))
    for name, shard in listed_shards(record).items():
      if shard.get('n_examples') is not None:
        counts[filesystem.join(directory, name)] = int(shard['n_examples'])
  return {f: counts.get(filesystem.abspath(f)) for f in files}


def count_records(file_pattern, producer=PRODUCER):
  """Reads every record of the matched files; {path: number of records}.

  Raises:
    DatasetMismatchError: No match, an incomplete set (see `match_files`).
    CorruptDatasetError: A corrupt or truncated file, or counts other than
      the metadata's.
  """
  files = match_files(file_pattern)
  expected = expected_counts(files)
  return {path: sum(1 for _ in iterate_file(path, None, expected[path],
                                            producer))
          for path in files}


def read_examples(file_pattern, keys=FEATURE_KEYS, max_examples=None,
                  text_keys=()):
  """Yields the examples of ddsp TFRecords, in file order: the one parser.

  Args:
    file_pattern: TFRecord file pattern.
    keys: Float features to read.
    max_examples: Yield at most this many (None: all).
    text_keys: Bytes features to read as text (e.g. 'instrument', the label
      `prepare_tfrecord --instrument` writes).

  Yields:
    Dicts of key -> float32 [n] arrays, each of its own length (empty where
    the example lacks the feature), and text_key -> str ('' where absent).

  Raises:
    DatasetMismatchError: No file matches the pattern, or an incomplete set
      (see `match_files`).
    CorruptDatasetError: A corrupt or truncated file, or example counts
      other than the metadata's (raised while iterating).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  files = match_files(file_pattern)
  expected = expected_counts(files)
  spec = {k: tf.io.VarLenFeature(tf.float32) for k in keys}
  spec.update({k: tf.io.FixedLenFeature([], tf.string, default_value='')
               for k in text_keys})

  def parse(serialized):
    parsed = tf.io.parse_single_example(serialized, spec)
    return {k: (v if k in text_keys else tf.sparse.to_dense(v))
            for k, v in parsed.items()}

  left = max_examples or None
  for path in files:
    for example in iterate_file(path, parse, expected[path],
                                max_records=left):
      for key in text_keys:
        example[key] = example[key].decode()
      yield example
      if left is not None:
        left -= 1
    if left is not None and left <= 0:
      return


def read_arrays(file_pattern, n_samples, n_frames, max_examples=None,
                text_keys=(), frame_keys=()):
  """Reads fixed-size ddsp TFRecord examples into stacked numpy arrays.

  Args:
    file_pattern: TFRecord file pattern.
    n_samples: Audio samples per example.
    n_frames: Feature frames per example.
    max_examples: Read at most this many (None: all).
    text_keys: Text features to read too (e.g. 'instrument').
    frame_keys: Other frame-level float features to read too (e.g. the
      timbre descriptors of `core.descriptors`), [n_frames] each.

  Returns:
    Dict of 'audio' [n, n_samples], 'f0_hz', 'f0_confidence' (ones where the
    TFRecords have none) and 'loudness_db' [n, n_frames] float32 arrays, each
    frame key's [n, n_frames], and each text key's [n] array of str.

  Raises:
    DatasetMismatchError: No example, or one of another size (or lacking a
      frame key).
  """
  lengths = {'audio': n_samples, 'f0_hz': n_frames, 'f0_confidence': n_frames,
             'loudness_db': n_frames}
  lengths.update({k: n_frames for k in frame_keys})
  rows = []
  for i, ex in enumerate(read_examples(file_pattern, tuple(lengths),
                                       max_examples, text_keys)):
    if not len(ex['f0_confidence']):
      ex['f0_confidence'] = np.ones(n_frames, np.float32)
    for key, n in lengths.items():
      if key in frame_keys and not len(ex[key]):
        raise DatasetMismatchError(
            f'Example {i} of {file_pattern!r} lacks {key!r}: prepare the '
            'TFRecords again with ddsp_generative_prepare_tfrecord (it '
            'stores the descriptors unless --nodescriptors).')
      if len(ex[key]) != n:
        raise DatasetMismatchError(
            f'Example {i} of {file_pattern!r} has {len(ex[key])} {key!r} '
            f'values, not {n}.')
    rows.append(ex)
  if not rows:
    raise DatasetMismatchError(f'No examples in {file_pattern!r}.')
  return {k: np.stack([r[k] for r in rows]) if k in lengths else
          np.array([r[k] for r in rows]) for k in list(lengths) +
          list(text_keys)}


def read_checked_arrays(file_pattern, sample_rate, frame_rate, n_samples,
                        n_frames, expected_from, max_examples=None,
                        text_keys=(), frame_keys=()):
  """`check_geometry`, then `read_arrays`: examples that fit a model.

  Args:
    file_pattern: TFRecord file pattern.
    sample_rate: Expected audio sample rate (Hz).
    frame_rate: Expected feature frame rate (Hz).
    n_samples: Audio samples per example.
    n_frames: Feature frames per example.
    expected_from: Where the expectation comes from, for the message.
    max_examples: Read at most this many (None: all).
    text_keys: Text features to read too (`read_arrays`).
    frame_keys: Other frame-level features to read too (`read_arrays`).

  Returns:
    The dict of `read_arrays`.

  Raises:
    DatasetMismatchError: No TFRecords, or of another geometry.
  """
  check_geometry(file_pattern, sample_rate, frame_rate, n_samples, n_frames,
                 expected_from=expected_from)
  return read_arrays(file_pattern, n_samples, n_frames, max_examples,
                     text_keys, frame_keys)


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
