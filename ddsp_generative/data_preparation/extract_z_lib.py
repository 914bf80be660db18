# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Apache Beam pipeline: run a trained encoder over TFRecords -> z dataset.

Reads TFRecords in ddsp's schema (from ddsp_generative_prepare_tfrecord),
batches examples, runs the model's preprocessor + encoder (loaded once per
worker), and writes a z dataset (`ddsp_generative.core.z_dataset`): per example z
[frames, z_dims] with f0_hz and loudness_db [frames] at the model's frame rate,
then the metadata JSON naming the model, its step and fingerprint, the rates,
and every shard with its counts.

Everything that can be checked is checked before anything is written, each
failure a one-line `UserError` naming the fix: the flags (`ParameterError`,
a usage error), the output (an existing or incomplete z dataset needs
`overwrite`; another run writing it: `publish.OutputBusyError`), the model
(missing, not a ddsp_run model, no z encoder), the input TFRecords (none,
an incomplete set, corrupt or truncated shards, counts other than their
metadata's, records without ddsp's features or with NaN/Inf) and their
sample and frame rates against the model's.

Output goes through the one publish protocol (`core.publish.output_set`):
under the output's lock, the shards and the metadata are written to a
staging folder and published only when the pipeline succeeded, the old
metadata removed first and the new metadata moved in last. With no Beam
options, it runs like the preparation pipeline
(`beam_runner.default_options()`: the DirectRunner on every core), falling
back to one in-memory worker if multi-processing fails.
"""

import hashlib
import json
import math
import os

from absl import logging
import apache_beam as beam
import numpy as np

from ddsp_generative.core import artifacts
from ddsp_generative.core import descriptors
from ddsp_generative.core import errors
from ddsp_generative.core import filesystem
from ddsp_generative.core import publish
from ddsp_generative.core import tfrecords
from ddsp_generative.core import z_dataset
from ddsp_generative.data_preparation import beam_runner
from ddsp_generative.data_preparation import extract_z_checks

COUNTER_NAMESPACE = 'extract-z'
# num_shards=0: about this many z examples per shard (4 s examples at 250 Hz
# with 16 z dims: about 140 MB).
EXAMPLES_PER_SHARD = 2000
_DDSP_KEYS = ('audio', 'f0_hz', 'loudness_db')
# The checks that need no model or Beam live in `extract_z_checks`.
MAX_BATCH_SIZE = extract_z_checks.MAX_BATCH_SIZE
ParameterError = extract_z_checks.ParameterError
OutputExistsError = extract_z_checks.OutputExistsError
validate_parameters = extract_z_checks.validate_parameters
refuse_existing = extract_z_checks.refuse_existing
_existing_outputs = extract_z_checks.existing_outputs


def _parse_ddsp_example(record):
  """ddsp TFRecord bytes -> dict of float32 numpy arrays."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  example = tf.train.Example.FromString(record)
  features = example.features.feature
  missing = [k for k in _DDSP_KEYS if k not in features]
  if missing:
    raise ValueError(f'TFRecord example lacks {missing}: not ddsp schema '
                     '(make it with ddsp_generative_prepare_tfrecord).')
  beam.metrics.Metrics.counter(COUNTER_NAMESPACE, 'examples-read').inc()
  # The timbre descriptors too, where present: a model that decodes from
  # them (gin/harmonic_noise_descriptors_z.gin) encodes with them.
  return {k: np.array(features[k].float_list.value, np.float32)
          for k in _DDSP_KEYS + descriptors.DESCRIPTOR_KEYS if k in features}


def _parse_with_id(record):
  """ddsp TFRecord bytes -> (SHA-1 of the bytes, parsed example)."""
  return hashlib.sha1(record).hexdigest(), _parse_ddsp_example(record)


def _batch_key(id_and_example, n_batches):
  """A whole-number batch key from the example's hash (any runner, any run)."""
  return int(id_and_example[0][:12], 16) % n_batches


def _split_batch(key_and_examples, batch_size):
  """(key, [(id, example)]) -> batches of <= batch_size, in the ids' order.

  Batches are a function of the records' bytes, not of a runner's bundles,
  so every runner encodes the same batches (the same floating-point sums).
  """
  examples = sorted(key_and_examples[1], key=lambda ie: ie[0])
  for i in range(0, len(examples), batch_size):
    yield examples[i:i + batch_size]


class EncodeBatch(beam.DoFn):
  """Loads the model once per worker and encodes batches of examples."""

  def __init__(self, model_dir, checkpoint=None):
    super().__init__()
    self._model_dir = model_dir
    self._checkpoint = checkpoint
    self._trained = None

  def setup(self):
    from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
    self._trained = model_io.load_model(self._model_dir, self._checkpoint)

  def process(self, batch):
    """[(id, example)] -> (id, z record) per example."""
    ids = [i for i, _ in batch]
    batch = [ex for _, ex in batch]
    lengths = {tuple(len(ex[k]) for k in _DDSP_KEYS) for ex in batch}
    if len(lengths) != 1:
      raise ValueError(f'Examples of different lengths in one batch: {lengths}.')
    stacked = {k: np.stack([ex[k] for ex in batch]) for k in _DDSP_KEYS}
    missing = [k for k in self._trained.descriptors
               if any(k not in ex for ex in batch)]
    if missing:
      raise tfrecords.DatasetMismatchError(
          f'The model decodes from {", ".join(missing)}, which these '
          'TFRecords lack: prepare them again with '
          'ddsp_generative_prepare_tfrecord (it stores the descriptors unless '
          '--nodescriptors).')
    out = self._trained.encode(
        stacked['audio'], stacked['f0_hz'], stacked['loudness_db'],
        descriptors={k: np.stack([ex[k] for ex in batch])
                     for k in self._trained.descriptors})
    beam.metrics.Metrics.counter(COUNTER_NAMESPACE, 'batches-encoded').inc()
    for i in range(len(batch)):
      beam.metrics.Metrics.counter(COUNTER_NAMESPACE, 'examples-encoded').inc()
      beam.metrics.Metrics.counter(COUNTER_NAMESPACE, 'frames').inc(
          out['z'].shape[1])
      beam.metrics.Metrics.distribution(COUNTER_NAMESPACE, 'z-dims').update(
          out['z'].shape[2])
      yield ids[i], {'z': out['z'][i], 'f0_hz': out['f0_hz'][i],
                     'loudness_db': out['loudness_db'][i]}, ids[0]


# ----------------------------------------------------------- Checks ----
def _refuse_busy(directory, name, what):
  """Fails at once if another run holds the output's lock (creates nothing).

  The lock is taken for real only once the inputs and model are checked;
  this early look spares a second run that work.
  """
  if not filesystem.is_url(directory) and os.path.exists(
      publish.lock_path(directory, name)):
    with publish.lock(directory, name, what=what):
      pass


def input_files(input_tfrecord_pattern):
  """The TFRecords a pattern matches, checked as a data set (no reading).

  Raises:
    tfrecords.DatasetMismatchError: No match, an incomplete set, shards of
      other sizes than their metadata's.
  """
  files = []
  if input_tfrecord_pattern:
    try:
      files = filesystem.glob(input_tfrecord_pattern)
    except OSError as e:
      raise tfrecords.DatasetMismatchError(
          f'Cannot list --input_tfrecord_filepatterns='
          f'{input_tfrecord_pattern!r}: {e}') from e
  files = sorted(tfrecords.visible_files(files))
  if not files:
    raise tfrecords.DatasetMismatchError(
        f'No TFRecords match --input_tfrecord_filepatterns='
        f'{input_tfrecord_pattern!r}: make them with '
        'ddsp_generative_prepare_tfrecord.')
  tfrecords.check_files(files)
  return files


def verify_inputs(files):
  """Reads every input record: ddsp's features, finite, consistent lengths.

  Args:
    files: TFRecord paths (from `input_files`).

  Returns:
    Number of examples.

  Raises:
    tfrecords.CorruptDatasetError: A corrupt or truncated shard, counts
      other than the metadata's, NaN/Inf values.
    tfrecords.DatasetMismatchError: Records without ddsp's features, or of
      different lengths.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  spec = {k: tf.io.VarLenFeature(tf.float32) for k in _DDSP_KEYS}

  def parse(serialized):
    parsed = tf.io.parse_single_example(serialized, spec)
    return {k: tf.sparse.to_dense(v) for k, v in parsed.items()}

  expected = tfrecords.expected_counts(files)
  lengths, n = None, 0
  for path in files:
    for i, ex in enumerate(tfrecords.iterate_file(path, parse,
                                                  expected[path])):
      missing = [k for k in _DDSP_KEYS if not len(ex[k])]
      if missing:
        raise tfrecords.DatasetMismatchError(
            f'Record {i} of {path} lacks {missing}: not ddsp\'s TFRecord '
            'schema. Make the TFRecords with ddsp_generative_prepare_tfrecord.')
      bad = [k for k in _DDSP_KEYS if not np.all(np.isfinite(ex[k]))]
      if bad:
        raise tfrecords.CorruptDatasetError(
            f'Record {i} of {path} holds NaN or Inf in {bad}. Re-run '
            'ddsp_generative_prepare_tfrecord with --overwrite (it drops such '
            'examples).')
      shape = tuple(len(ex[k]) for k in _DDSP_KEYS)
      if lengths is None:
        lengths = (shape, path)
      elif shape != lengths[0]:
        raise tfrecords.DatasetMismatchError(
            f'Record {i} of {path} has {dict(zip(_DDSP_KEYS, shape))} values, '
            f'the records of {lengths[1]} '
            f'{dict(zip(_DDSP_KEYS, lengths[0]))}: examples of one data set '
            'must have one length. Encode TFRecords made by one '
            'ddsp_generative_prepare_tfrecord run.')
      n += 1
  if not n:
    raise tfrecords.DatasetMismatchError(
        f'The TFRecords {files[0]}{" ..." if len(files) > 1 else ""} hold no '
        'example.')
  return n


def check_rates(input_tfrecord_pattern, trained):
  """The TFRecords' (sample_rate, frame_rate), refused unless the model's.

  Args:
    input_tfrecord_pattern: The TFRecords.
    trained: The loaded model (`model_io.TrainedModel`).

  Returns:
    (sample_rate, frame_rate) of the data: the model's.

  Raises:
    tfrecords.DatasetMismatchError: Naming both rates and the fix.
  """
  want = (trained.sample_rate, trained.frame_rate)
  for source, geometry in tfrecords.dataset_geometry(input_tfrecord_pattern):
    have = (geometry.get('sample_rate'), geometry.get('frame_rate'))
    if None in have:
      n_samples, n_frames = geometry.get('n_samples'), geometry.get('n_frames')
      if n_samples and n_frames and abs(
          n_samples / n_frames - trained.hop_size) > 1:
        raise tfrecords.DatasetMismatchError(
            f'The TFRecords {input_tfrecord_pattern!r} have {n_samples} audio '
            f'samples per {n_frames} frames ({source}), the model in '
            f'{trained.model_dir} {trained.hop_size} per frame: encode '
            'TFRecords made at the model\'s rates.')
      logging.warning('The rates of %s are unknown (%s): assuming the '
                      "model's, %d Hz and %d Hz.", input_tfrecord_pattern,
                      source, *want)
      continue
    if tuple(int(x) for x in have) != want:
      raise tfrecords.DatasetMismatchError(
          f'The TFRecords {input_tfrecord_pattern!r} hold {have[0]} Hz audio '
          f'with {have[1]} Hz frames ({source}) but the model in '
          f'{trained.model_dir} was trained on {want[0]} Hz audio with '
          f'{want[1]} Hz frames: extract z with a model trained on these '
          'TFRecords, or make TFRecords at the model\'s rates with '
          f'ddsp_generative_prepare_tfrecord --sample_rate={want[0]} '
          f'--frame_rate={want[1]}.')
  return want


def load_checked_model(model_dir, checkpoint=None):
  """Loads the model, any failure as a one-line `model_io.ModelLoadError`."""
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  try:
    trained = model_io.load_model(model_dir, checkpoint)
  except errors.UserError:
    raise
  except Exception as e:  # pylint: disable=broad-except
    # A garbage model dir fails anywhere in gin, Keras or the checkpoint.
    detail = ' '.join(str(e).split())[:300] or type(e).__name__
    raise model_io.ModelLoadError(
        f'Cannot load a model from --model_dir={model_dir}'
        + (f' --checkpoint={checkpoint}' if checkpoint else '') +
        f' ({type(e).__name__}: {detail}): pass the --save_dir of a ddsp_run '
        'training run.') from e
  if trained.z_dims is None:
    raise model_io.ModelLoadError(
        f'The model in {model_dir} has no z encoder, so it has no z to '
        'extract: train it with e.g. gin/harmonic_noise_z.gin.')
  return trained


# ----------------------------------------------------------- Pipeline ----
def _serialize(encoded, n_shards):
  """(id, z record, batch id) -> (shard, (id, bytes, n_frames, batch id))."""
  example_id, z, batch_id = encoded
  return (int(example_id[:12], 16) % n_shards,
          (example_id, z_dataset.serialize_example(z), int(len(z['z'])),
           batch_id))


def _batches_path(shard_path):
  """The JSON beside a shard listing the batches its examples came in."""
  directory, name = filesystem.split(shard_path)
  return filesystem.join(directory, f'.batches-{name}.json')


def _write_shard(shard_and_records, tmp_prefix, n_shards):
  """Writes one shard, records in the order of their ids; returns its counts.

  Not Beam's WriteToTFRecord: its side inputs make Beam's DaskRunner run
  the whole pipeline again for each of them. The names are Beam's
  ('<prefix>-00000-of-00002').
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  shard, records = shard_and_records
  records = sorted(records, key=lambda r: r[0])
  path = f'{tmp_prefix}-{shard:05d}-of-{n_shards:05d}'
  with artifacts.atomic_path(path) as tmp, tf.io.TFRecordWriter(
      tmp) as writer:
    for record in records:
      writer.write(record[1])
  with artifacts.atomic_path(_batches_path(path)) as tmp:
    with open(tmp, 'w') as f:
      json.dump(sorted({r[3] for r in records}), f)
  return path


def _n_batches(shards):
  """Batches encoded, from the lists `_write_shard` left (then removed)."""
  batches = set()
  for shard in shards:
    with filesystem.open(_batches_path(shard), 'r') as f:
      batches.update(json.load(f))
    filesystem.remove(_batches_path(shard))
  return len(batches)


def _run_pipeline(options, input_files, tmp_prefix, model_dir, checkpoint,  # pylint: disable=redefined-outer-name
                  batch_size, num_shards, n_inputs):
  """Runs the Beam pipeline to completion.

  Batches and shards are functions of the records' bytes (their SHA-1):
  every runner encodes the same batches and writes the same shards. No
  side input, and the last stage depends on every other (Beam's DaskRunner
  computes only the graph under the last stage).

  Returns:
    Beam's counters ({} on a runner without metrics: the metadata's are
    counted in the output).
  """
  n_batches = max(1, math.ceil(n_inputs / batch_size))
  n_shards = num_shards or max(1, math.ceil(n_inputs / EXAMPLES_PER_SHARD))

  def build(pipeline):
    _ = (
        pipeline
        | 'list_files' >> beam.Create(input_files)
        | 'read_tfrecords' >> beam.FlatMap(tfrecords.iterate_file)
        | 'parse_examples' >> beam.Map(_parse_with_id)
        | 'batch_keys' >> beam.WithKeys(
            lambda ie: _batch_key(ie, n_batches))
        | 'group_batches' >> beam.GroupByKey()
        | 'batch' >> beam.FlatMap(_split_batch, batch_size)
        | 'encode' >> beam.ParDo(EncodeBatch(model_dir, checkpoint))
        | 'serialize' >> beam.Map(_serialize, n_shards)
        | 'group_shards' >> beam.GroupByKey()
        | 'write' >> beam.Map(_write_shard, tmp_prefix, n_shards))

  result = beam_runner.run(options, build)
  return beam_runner.counters(result, COUNTER_NAMESPACE)


def extract_z(input_tfrecord_pattern, output_path, model_dir, checkpoint=None,
              batch_size=8, num_shards=0, overwrite=False,
              pipeline_options=()):
  """Checks everything, runs the pipeline and publishes the z dataset.

  Args:
    input_tfrecord_pattern: ddsp TFRecords, e.g. 'data/train.tfrecord*'.
    output_path: z dataset TFRecord prefix, e.g. 'data/z.tfrecord'.
    model_dir: ddsp_run --save_dir of the trained model.
    checkpoint: Optional checkpoint path; default the latest.
    batch_size: Examples per encoder call.
    num_shards: Output shards (0: let the runner decide).
    overwrite: Replace an existing (or incomplete) z dataset at output_path.
    pipeline_options: Beam pipeline options (list of command-line strings,
      or one comma-separated string); empty for the preparation pipeline's
      defaults (`beam_runner.default_options()`).

  Returns:
    The metadata dict written.

  Raises:
    ParameterError: Bad batch_size, num_shards or output_path (exit 2).
    OutputExistsError: A z dataset is there and overwrite is False.
    publish.OutputBusyError: Another run writes the same output.
    model_io.ModelLoadError: No usable model with a z encoder.
    tfrecords.DatasetMismatchError: No, incomplete, corrupt or unusable
      TFRecords, or of other rates than the model's.
  """
  # Cheap checks first; nothing is written until every check passed.
  validate_parameters(output_path, batch_size, num_shards)
  files = input_files(input_tfrecord_pattern)
  if not overwrite:
    refuse_existing(output_path)
  prefix = filesystem.abspath(z_dataset.tfrecord_prefix(output_path))
  out_dir, name = filesystem.split(prefix)
  # A URL that cannot be written fails here, in one line, before any work.
  filesystem.check_output_writable(output_path, '--output_path')
  what = f'The z dataset {output_path}'
  _refuse_busy(out_dir, name, what)
  trained = load_checked_model(model_dir, checkpoint)
  sample_rate, frame_rate = check_rates(input_tfrecord_pattern, trained)
  if trained.descriptors:  # Before any work: the TFRecords must hold them.
    from ddsp_generative.training import data as training_data  # pylint: disable=g-import-not-at-top
    training_data.check_descriptors(input_tfrecord_pattern,
                                    trained.descriptors)
  n_inputs = verify_inputs(files)
  options, explicit = beam_runner.resolve_options(pipeline_options)
  metadata_name = os.path.basename(z_dataset.z_metadata_path(output_path))

  with publish.output_set(out_dir, name, manifest=metadata_name,
                          replaces=lambda: _existing_outputs(prefix),
                          what=what) as staging:
    if not overwrite:  # Again, under the lock.
      refuse_existing(output_path)
    tmp_prefix = filesystem.join(staging, name)

    def empty_staging():
      for entry in filesystem.listdir(staging):
        path = filesystem.join(staging, entry)
        if filesystem.isdir(path):
          filesystem.rmtree(path)
        else:
          filesystem.remove(path)

    options, beam_counters = beam_runner.run_with_fallback(
        lambda o: _run_pipeline(
            o, input_files=files, tmp_prefix=tmp_prefix,
            model_dir=model_dir, checkpoint=checkpoint,
            batch_size=batch_size, num_shards=num_shards,
            n_inputs=n_inputs),
        options, not explicit, before_retry=empty_staging)
    shards = filesystem.glob(filesystem.escape(tmp_prefix) + '-*-of-*')
    counts = z_dataset.shard_counts(shards)
    n_examples = sum(c['n_examples'] for c in counts.values())
    n_frames = sum(c['n_frames'] for c in counts.values())
    # Counted from the output (the DaskRunner reports no metrics): every
    # example written was read and encoded; batches as `_run_pipeline` makes
    # them.
    counters = dict(sorted({
        'batches-encoded': _n_batches(shards),
        'examples-encoded': n_examples, 'examples-read': n_examples,
        'frames': n_frames}.items()))
    if beam_counters and beam_counters != counters:
      logging.warning('Beam reported other counters (%s) than the output '
                      'holds (%s, kept).', beam_counters, counters)
    if n_examples != n_inputs or n_examples != beam_counters.get(
        'examples-encoded', n_examples):
      raise RuntimeError(
          f'The pipeline wrote {n_examples} z examples for {n_inputs} input '
          f'examples (counters: {counters}); nothing was published.')
    metadata = z_dataset.write_z_metadata(tmp_prefix, {
        'frame_rate': frame_rate,
        'sample_rate': sample_rate,
        'z_dims': trained.z_dims,
        'n_examples': n_examples,
        'n_frames': n_frames,
        'model_dir': filesystem.abspath(model_dir),
        'model_step': trained.step,
        'model_checkpoint': os.path.basename(trained.checkpoint_path),
        'model_fingerprint': trained.fingerprint,
        'source_tfrecord_pattern': input_tfrecord_pattern,
        'source_tfrecord_files': [filesystem.abspath(f) for f in files],
        'shards': [os.path.basename(s) for s in shards],
        'shard_counts': counts,
        'counters': counters,
    }, extra_provenance={'pipeline_options': list(options),
                         'batch_size': int(batch_size)})
  logging.info('Wrote %d examples (%d frames, z_dims=%d) to %s.', n_examples,
               n_frames, trained.z_dims, prefix)
  return metadata
