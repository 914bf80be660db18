# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The z dataset: a DDSP encoder's latents with the controls they align with.

A z dataset is one or more TFRecord files of `tf.train.Example`s, one per
example (clip), each holding

  'z':           float list, [n_frames * z_dims] (row-major [n_frames, z_dims])
  'f0_hz':       float list, [n_frames]
  'loudness_db': float list, [n_frames]
  'n_frames':    int64, 1 value
  'z_dims':      int64, 1 value

at the model's frame rate, plus a metadata JSON written beside them (see
`z_metadata_path`; kind='z_dataset', format_version=1) that says which model
produced z, lists the shards ('shards', with per-shard 'shard_counts') and
counts the examples and frames. A Beam pipeline can write the records as
shards with `serialize_example` and then the metadata with
`write_z_metadata`, both into the staging folder of `core.publish`;
small datasets are written in one call with `write_z_dataset` (which
publishes the same way).

Readers check the set before and while reading (one-line `UserError`s
naming the shard and the fix, re-running ddsp_generative_extract_z with
--overwrite): the shards the metadata lists must be exactly those present
(of the recorded sizes); shards without metadata next to the publish
protocol's lock or staging leftovers are an incomplete set (a run was
killed while publishing); a corrupt or truncated shard, and example or
frame counts other than the metadata's, are refused.

Example:

  write_z_dataset('data/z.tfrecord', examples, {
      'frame_rate': 250, 'model_dir': 'runs/ae', 'model_step': 30000,
      'model_fingerprint': 'ab12...', 'source_tfrecord_pattern':
      'data/train.tfrecord*'})
  frames = load_frames('data/z.tfrecord*')  # frames['z']: [N, z_dims]
"""

import re

from ddsp_generative.core import artifacts
from ddsp_generative.core import errors
from ddsp_generative.core import filesystem
from ddsp_generative.core import publish
from ddsp_generative.core import tfrecords
import numpy as np

KIND = 'z_dataset'
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
FEATURES = ('z', 'f0_hz', 'loudness_db')
# Metadata keys the writer must be given; the rest are computed from the data.
REQUIRED_METADATA = ('frame_rate', 'model_dir', 'model_step',
                     'model_fingerprint', 'source_tfrecord_pattern')
COMPUTED_METADATA = ('z_dims', 'n_examples', 'n_frames')

PRODUCER = 'ddsp_generative_extract_z'

_GLOB_CHARS = re.compile(r'[*?\[]')
_SHARD_SUFFIX = re.compile(r'-\d+-of-\d+$')

CorruptDatasetError = tfrecords.CorruptDatasetError
IncompleteDatasetError = tfrecords.IncompleteDatasetError


class NoZDatasetError(errors.UserError, FileNotFoundError):
  """No z dataset TFRecords match a path or pattern."""


# ------------------------------------------------------------------ Paths.
def tfrecord_prefix(path_or_pattern):
  """The TFRecord prefix of a z dataset path, shard name or glob pattern.

  Args:
    path_or_pattern: e.g. 'data/z.tfrecord', 'data/z.tfrecord*' or
      'data/z.tfrecord-00001-of-00004'.

  Returns:
    e.g. 'data/z.tfrecord'.
  """
  prefix = _GLOB_CHARS.split(path_or_pattern, maxsplit=1)[0]
  prefix = _SHARD_SUFFIX.sub('', prefix)
  return prefix.rstrip('-')


def z_metadata_path(path_or_pattern):
  """Path of the metadata JSON written beside a z dataset's TFRecords.

  Like `artifacts.tfrecord_metadata_path`, the name starts with 'metadata_',
  not with the TFRecord prefix, so a pattern 'data/z.tfrecord*' never matches
  it; its '.z_dataset.json' suffix keeps it apart from an audio dataset's
  metadata in the same folder.

  Args:
    path_or_pattern: TFRecord prefix, shard or pattern, e.g.
      'data/z.tfrecord*'.

  Returns:
    e.g. 'data/metadata_z.z_dataset.json'.

  Raises:
    ValueError: The name would start with the TFRecord prefix (a prefix such
      as 'meta').
  """
  directory, base = filesystem.split(tfrecord_prefix(path_or_pattern))
  if base.endswith('.tfrecord'):
    base = base[:-len('.tfrecord')]
  name = f'metadata_{base}.z_dataset.json'
  prefix_base = filesystem.basename(tfrecord_prefix(path_or_pattern))
  if prefix_base and name.startswith(prefix_base):
    raise ValueError(
        f'Cannot name z dataset metadata for {path_or_pattern!r}: '
        f'{name!r} would match the TFRecord pattern. Choose another prefix.')
  return filesystem.join(directory, name)


def _matching_files(path_or_pattern):
  """Data files a path, prefix or pattern matches (no JSON, no dot names)."""
  if _GLOB_CHARS.search(path_or_pattern):
    files = filesystem.glob(path_or_pattern)
  else:
    files = [path_or_pattern] if filesystem.isfile(path_or_pattern) else []
    files += filesystem.glob(filesystem.escape(path_or_pattern) + '-*-of-*')
  metadata = filesystem.abspath(z_metadata_path(path_or_pattern))
  return sorted({f for f in tfrecords.visible_files(files)
                 if filesystem.abspath(f) != metadata})


def dataset_files(path_or_pattern):
  """Every file of the z dataset at a path's prefix (whatever it matches)."""
  return _matching_files(tfrecord_prefix(path_or_pattern))


def _metadata_or_none(path_or_pattern):
  path = z_metadata_path(path_or_pattern)
  return read_z_metadata(path_or_pattern) if filesystem.exists(path) else None


def check_set(path_or_pattern, metadata=None):
  """Checks the files of a z dataset against its metadata (no reading).

  Args:
    path_or_pattern: TFRecord file, prefix or glob pattern.
    metadata: Its metadata dict, or None to read it if it exists.

  Raises:
    IncompleteDatasetError: Listed shards are missing, or there are shards
      but no metadata where a run was interrupted while publishing.
    CorruptDatasetError: A shard the metadata does not list, or one of
      another size than it records.
  """
  prefix = filesystem.abspath(tfrecord_prefix(path_or_pattern))
  directory, name = filesystem.split(prefix)
  if not name:
    return
  metadata = metadata or _metadata_or_none(path_or_pattern)
  metadata_path = z_metadata_path(path_or_pattern)
  present = {filesystem.basename(f) for f in dataset_files(prefix)}
  if metadata is None:
    if present and tfrecords.unpublished(directory, name):
      raise IncompleteDatasetError(
          f'The z dataset {prefix} is incomplete: {len(present)} shard(s) '
          f'but no {filesystem.basename(metadata_path)} (a run was interrupted '
          f'while publishing). Re-run {PRODUCER} with --overwrite.')
    return
  listed = metadata.get('shards') or []
  counts = metadata.get('shard_counts') or {}
  if not isinstance(listed, list) or not isinstance(counts, dict):
    raise CorruptDatasetError(
        f'{metadata_path} is malformed (its shards or shard_counts are not a '
        f'list and a dict). Re-run {PRODUCER} with --overwrite.')
  if listed:
    tfrecords.check_shard_set(metadata_path,
                              {shard: counts.get(shard) for shard in listed},
                              present, PRODUCER)


def list_files(path_or_pattern):
  """TFRecord files of a z dataset, sorted, checked as a set (`check_set`).

  Args:
    path_or_pattern: A file, a prefix (with shards named
      '<prefix>-NNNNN-of-NNNNN') or a glob pattern.

  Returns:
    Sorted list of paths (the metadata JSON is never included).

  Raises:
    NoZDatasetError: Nothing matches (a FileNotFoundError).
    IncompleteDatasetError, CorruptDatasetError: See `check_set`.
  """
  files = _matching_files(path_or_pattern)
  if not files:
    raise NoZDatasetError(
        f'No z dataset TFRecords match {path_or_pattern!r}. Create them with '
        'ddsp_generative_extract_z.')
  check_set(path_or_pattern)
  return files


# ------------------------------------------------------------- Examples.
def _check_example(example, index=None):
  """Returns the example as float32 arrays after checking its shapes."""
  where = '' if index is None else f' (example {index})'
  missing = [k for k in FEATURES if k not in example]
  if missing:
    raise ValueError(f'z dataset example{where} lacks {missing}.')
  z = np.asarray(example['z'], np.float32)
  if z.ndim != 2:
    raise ValueError(f'z must be [frames, z_dims]{where}; got {z.shape}.')
  out = {'z': z}
  for key in ('f0_hz', 'loudness_db'):
    value = np.asarray(example[key], np.float32).reshape(-1)
    if value.shape[0] != z.shape[0]:
      raise ValueError(f'{key} has {value.shape[0]} frames but z has '
                       f'{z.shape[0]}{where}: they must be aligned.')
    out[key] = value
  return out


def serialize_example(example):
  """Serializes one example to a `tf.train.Example` byte string.

  Args:
    example: dict with 'z': [n_frames, z_dims], 'f0_hz': [n_frames],
      'loudness_db': [n_frames].

  Returns:
    bytes, for a TFRecord (e.g. `beam.io.WriteToTFRecord`).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  ex = _check_example(example)
  n_frames, z_dims = ex['z'].shape

  def floats(x):
    return tf.train.Feature(float_list=tf.train.FloatList(value=x.reshape(-1)))

  def ints(x):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(x)]))

  feature = {k: floats(ex[k]) for k in FEATURES}
  feature.update(n_frames=ints(n_frames), z_dims=ints(z_dims))
  return tf.train.Example(
      features=tf.train.Features(feature=feature)).SerializeToString()


def parse_example(serialized):
  """Parses a serialized example (graph-compatible, for `tf.data.map`).

  Args:
    serialized: scalar string Tensor.

  Returns:
    dict of Tensors: 'z' [n_frames * z_dims] (flat), 'f0_hz' [n_frames],
    'loudness_db' [n_frames], 'n_frames' [], 'z_dims' [].
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  spec = {
      'z': tf.io.FixedLenSequenceFeature([], tf.float32, allow_missing=True),
      'f0_hz': tf.io.FixedLenSequenceFeature([], tf.float32,
                                             allow_missing=True),
      'loudness_db': tf.io.FixedLenSequenceFeature([], tf.float32,
                                                   allow_missing=True),
      'n_frames': tf.io.FixedLenFeature([], tf.int64),
      'z_dims': tf.io.FixedLenFeature([], tf.int64),
  }
  return tf.io.parse_single_example(serialized, spec)


# ------------------------------------------------------------- Metadata.
def write_z_metadata(path_or_pattern, metadata, extra_provenance=None):
  """Writes the metadata JSON beside a z dataset's TFRecords.

  Args:
    path_or_pattern: The dataset's TFRecord prefix or pattern.
    metadata: dict with REQUIRED_METADATA and COMPUTED_METADATA keys
      (z_dims, n_examples, n_frames); other keys are kept.
    extra_provenance: Optional dict added to the provenance record.

  Returns:
    The dict written.
  """
  missing = [k for k in REQUIRED_METADATA + COMPUTED_METADATA
             if k not in metadata]
  if missing:
    raise ValueError(f'z dataset metadata lacks {missing}.')
  payload = dict(metadata)
  payload['tfrecord_prefix'] = filesystem.basename(
      tfrecord_prefix(path_or_pattern))
  return artifacts.write_json(z_metadata_path(path_or_pattern), KIND,
                              FORMAT_VERSION, payload, extra_provenance)


def read_z_metadata(path_or_pattern):
  """Reads (and checks the kind and version of) a z dataset's metadata.

  Raises:
    IncompleteDatasetError: It is missing beside shards an interrupted run
      left (see `check_set`).
    artifacts.ArtifactError: It is missing, of another kind or version.
  """
  path = z_metadata_path(path_or_pattern)
  if not filesystem.exists(path):
    check_set(path_or_pattern)
  return artifacts.read_json(path, KIND, SUPPORTED_VERSIONS)


# --------------------------------------------------------- Write / read.
def shard_counts(paths):
  """{basename: {'n_examples', 'n_frames', 'n_bytes'}} of written shards.

  Reads every shard (checking it), for the metadata: what readers check
  the shards against.

  Args:
    paths: TFRecord files of z examples.
  """
  counts = {}
  for path in paths:
    n_examples = n_frames = 0
    for ex in tfrecords.iterate_file(path, parse_example, producer=PRODUCER):
      n_examples += 1
      n_frames += int(ex['n_frames'])
    counts[filesystem.basename(path)] = {'n_examples': n_examples,
                                      'n_frames': n_frames,
                                      'n_bytes': filesystem.getsize(path)}
  return counts


def write_z_dataset(path, examples, metadata, extra_provenance=None):
  """Writes examples to one TFRecord file and its metadata JSON, published.

  Through `publish.output_set`: the file and its metadata appear together
  (the metadata last) and replace any z dataset at the same prefix (its
  shards too); a second writer of the same path fails at once.

  Args:
    path: TFRecord path, e.g. 'data/z.tfrecord'.
    examples: Iterable of dicts: 'z' [n_frames, z_dims], 'f0_hz' [n_frames],
      'loudness_db' [n_frames] (n_frames may vary between examples).
    metadata: dict with REQUIRED_METADATA keys ('frame_rate', 'model_dir',
      'model_step', 'model_fingerprint', 'source_tfrecord_pattern'); z_dims,
      n_examples and n_frames are computed (and checked if given).
    extra_provenance: Optional dict added to the metadata's provenance.

  Returns:
    The metadata dict written.
  """
  missing = [k for k in REQUIRED_METADATA if k not in metadata]
  if missing:
    raise ValueError(f'z dataset metadata lacks {missing}.')
  z_dims, n_examples, n_frames = None, 0, 0
  directory, name = filesystem.split(filesystem.abspath(path))
  metadata_name = filesystem.basename(z_metadata_path(path))
  def replaces():
    return dataset_files(filesystem.join(directory, name))

  with publish.output_set(directory, name, manifest=metadata_name,
                          replaces=replaces) as stage:
    staged = filesystem.join(stage, name)
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    with artifacts.atomic_path(staged) as tmp, tf.io.TFRecordWriter(
        tmp) as writer:
      for i, example in enumerate(examples):
        ex = _check_example(example, i)
        if z_dims is not None and ex['z'].shape[1] != z_dims:
          raise ValueError(f'Example {i} has z_dims={ex["z"].shape[1]}; '
                           f'earlier examples have {z_dims}.')
        z_dims = ex['z'].shape[1]
        n_examples += 1
        n_frames += ex['z'].shape[0]
        writer.write(serialize_example(ex))
    if n_examples == 0:
      raise ValueError('write_z_dataset got no examples.')
    computed = {'z_dims': z_dims, 'n_examples': n_examples,
                'n_frames': n_frames}
    for key, value in computed.items():
      if metadata.get(key) not in (None, value):
        raise ValueError(f'metadata says {key}={metadata[key]} but the '
                         f'examples have {key}={value}.')
    return write_z_metadata(staged, {
        **metadata, **computed, 'shards': [name],
        'shard_counts': {name: {'n_examples': n_examples,
                                'n_frames': n_frames,
                                'n_bytes': filesystem.getsize(staged)}}},
                            extra_provenance)


def _check_count(what, have, want, where, metadata_path):
  if want is not None and int(have) != int(want):
    raise CorruptDatasetError(
        f'{where} holds {have} {what} but {metadata_path} says {want}: '
        f'truncated or modified. Re-run {PRODUCER} with --overwrite.')


def load_sequences(path_or_pattern, metadata=None):
  """Reads every example of a z dataset, in file order, checking it.

  When metadata exists, each shard's examples and frames must match its
  'shard_counts', and, when the whole set is read, the totals must match
  'n_examples' and 'n_frames'.

  Args:
    path_or_pattern: TFRecord file, prefix or glob pattern.
    metadata: The dataset's metadata dict, or None to read it if it exists.

  Returns:
    List of dicts: 'z' float32 [n_frames, z_dims], 'f0_hz' [n_frames],
    'loudness_db' [n_frames].

  Raises:
    NoZDatasetError, IncompleteDatasetError, CorruptDatasetError: With the
      shard and the fix.
  """
  metadata = metadata or _metadata_or_none(path_or_pattern)
  files = _matching_files(path_or_pattern)
  if not files:
    raise NoZDatasetError(
        f'No z dataset TFRecords match {path_or_pattern!r}. Create them with '
        'ddsp_generative_extract_z.')
  check_set(path_or_pattern, metadata)
  metadata_path = z_metadata_path(path_or_pattern)
  counts = (metadata or {}).get('shard_counts') or {}
  sequences, total_frames = [], 0
  for path in files:
    want = counts.get(filesystem.basename(path)) or {}
    n_frames_file = 0
    for ex in tfrecords.iterate_file(path, parse_example,
                                     want.get('n_examples'), PRODUCER):
      n_frames, z_dims = int(ex['n_frames']), int(ex['z_dims'])
      if (ex['z'].size != n_frames * z_dims or ex['f0_hz'].size != n_frames
          or ex['loudness_db'].size != n_frames):
        raise CorruptDatasetError(
            f'Corrupt z dataset example in {path}: n_frames={n_frames}, '
            f'z_dims={z_dims} but sizes z={ex["z"].size}, '
            f'f0_hz={ex["f0_hz"].size}, loudness_db={ex["loudness_db"].size}. '
            f'Re-run {PRODUCER} with --overwrite.')
      n_frames_file += n_frames
      sequences.append({'z': ex['z'].reshape(n_frames, z_dims),
                        'f0_hz': ex['f0_hz'],
                        'loudness_db': ex['loudness_db']})
    _check_count('frames', n_frames_file, want.get('n_frames'), path,
                 metadata_path)
    total_frames += n_frames_file
  whole = metadata is not None and (
      {filesystem.basename(f) for f in files} ==
      set(metadata.get('shards') or
          [filesystem.basename(f) for f in dataset_files(path_or_pattern)]))
  if whole:
    where = f'The z dataset {tfrecord_prefix(path_or_pattern)}'
    _check_count('examples', len(sequences), metadata.get('n_examples'),
                 where, metadata_path)
    _check_count('frames', total_frames, metadata.get('n_frames'), where,
                 metadata_path)
  if len({s['z'].shape[1] for s in sequences}) > 1:
    raise CorruptDatasetError(
        f'Examples in {path_or_pattern!r} differ in z_dims. Re-run '
        f'{PRODUCER} with --overwrite.')
  return sequences


def frames_from_sequences(sequences):
  """Concatenates per-example sequences into frames.

  Args:
    sequences: List of dicts as returned by `load_sequences`.

  Returns:
    dict: 'z' [N, z_dims], 'f0_hz' [N], 'loudness_db' [N], and
    'example_index' int64 [N] (the example each frame came from).
  """
  if not sequences:
    raise ValueError('No examples to concatenate.')
  frames = {k: np.concatenate([s[k] for s in sequences]) for k in FEATURES}
  frames['example_index'] = np.concatenate([
      np.full(s['z'].shape[0], i, np.int64) for i, s in enumerate(sequences)])
  return frames


def load_frames(path_or_pattern):
  """Reads a z dataset with all frames concatenated.

  Args:
    path_or_pattern: TFRecord file, prefix or glob pattern.

  Returns:
    dict: 'z' float32 [N, z_dims], 'f0_hz' [N], 'loudness_db' [N],
    'example_index' int64 [N].
  """
  return frames_from_sequences(load_sequences(path_or_pattern))


def read_z_dataset(path_or_pattern, stacked=False):
  """Reads a z dataset and its metadata.

  Args:
    path_or_pattern: TFRecord file, prefix or glob pattern.
    stacked: If True, return frames concatenated (as `load_frames`) instead
      of a list of examples.

  Returns:
    (examples, metadata): examples as `load_sequences` (or `load_frames` when
    stacked), metadata the checked metadata dict.
  """
  metadata = read_z_metadata(path_or_pattern)
  sequences = load_sequences(path_or_pattern, metadata)
  if sequences and sequences[0]['z'].shape[1] != metadata.get('z_dims'):
    raise CorruptDatasetError(
        f'{path_or_pattern!r} holds z_dims={sequences[0]["z"].shape[1]} but '
        f'its metadata says z_dims={metadata.get("z_dims")}. Re-run '
        f'{PRODUCER} with --overwrite.')
  if stacked:
    return frames_from_sequences(sequences), metadata
  return sequences, metadata
