# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Apache Beam pipeline: run a trained encoder over TFRecords -> z dataset.

Reads TFRecords in ddsp's schema (from ddsp_generative_prepare_tfrecord),
batches examples, runs the model's preprocessor + encoder (loaded once per
worker), and writes a z dataset (`ddsp_generative.core.z_dataset`): per example z
[frames, z_dims] with f0_hz and loudness_db [frames] at the model's frame rate,
then the metadata JSON naming the model, its step and fingerprint.

Shards are written to a temporary folder and moved into place only when the
pipeline succeeded; the metadata is written last. With no Beam options, it
runs like the preparation pipeline (`beam_runner.default_options()`: the
DirectRunner on every core), falling back to one in-memory worker if
multi-processing fails.
"""

import glob
import os
import shutil

from absl import logging
import apache_beam as beam
import numpy as np

from ddsp_generative.core import artifacts
from ddsp_generative.core import z_dataset
from ddsp_generative.data_preparation import beam_runner

COUNTER_NAMESPACE = 'extract-z'
_DDSP_KEYS = ('audio', 'f0_hz', 'loudness_db')


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
  return {k: np.array(features[k].float_list.value, np.float32)
          for k in _DDSP_KEYS}


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
    lengths = {tuple(len(ex[k]) for k in _DDSP_KEYS) for ex in batch}
    if len(lengths) != 1:
      raise ValueError(f'Examples of different lengths in one batch: {lengths}.')
    stacked = {k: np.stack([ex[k] for ex in batch]) for k in _DDSP_KEYS}
    out = self._trained.encode(stacked['audio'], stacked['f0_hz'],
                               stacked['loudness_db'])
    beam.metrics.Metrics.counter(COUNTER_NAMESPACE, 'batches-encoded').inc()
    for i in range(len(batch)):
      beam.metrics.Metrics.counter(COUNTER_NAMESPACE, 'examples-encoded').inc()
      beam.metrics.Metrics.counter(COUNTER_NAMESPACE, 'frames').inc(
          out['z'].shape[1])
      beam.metrics.Metrics.distribution(COUNTER_NAMESPACE, 'z-dims').update(
          out['z'].shape[2])
      yield {'z': out['z'][i], 'f0_hz': out['f0_hz'][i],
             'loudness_db': out['loudness_db'][i]}


def _existing_outputs(output_path):
  prefix = z_dataset.tfrecord_prefix(output_path)
  found = glob.glob(glob.escape(prefix) + '-*-of-*')
  metadata = z_dataset.z_metadata_path(output_path)
  return found + ([metadata] if os.path.exists(metadata) else [])


def _run_pipeline(options, input_files, tmp_prefix, model_dir, checkpoint,
                  batch_size, num_shards):
  """Runs the Beam pipeline to completion; returns its counters."""
  def build(pipeline):
    _ = (
        pipeline
        | 'list_files' >> beam.Create(input_files)
        | 'read_tfrecords' >> beam.io.ReadAllFromTFRecord()
        | 'parse_examples' >> beam.Map(_parse_ddsp_example)
        | 'batch' >> beam.BatchElements(min_batch_size=1,
                                        max_batch_size=batch_size)
        | 'encode' >> beam.ParDo(EncodeBatch(model_dir, checkpoint))
        | 'serialize' >> beam.Map(z_dataset.serialize_example)
        | 'write' >> beam.io.WriteToTFRecord(tmp_prefix,
                                             num_shards=num_shards))

  return beam_runner.counters(beam_runner.run(options, build),
                              COUNTER_NAMESPACE)


def extract_z(input_tfrecord_pattern, output_path, model_dir, checkpoint=None,
              batch_size=8, num_shards=0, overwrite=False,
              pipeline_options=()):
  """Runs the pipeline and writes the z dataset.

  Args:
    input_tfrecord_pattern: ddsp TFRecords, e.g. 'data/train.tfrecord*'.
    output_path: z dataset TFRecord prefix, e.g. 'data/z.tfrecord'.
    model_dir: ddsp_run --save_dir of the trained model.
    checkpoint: Optional checkpoint path; default the latest.
    batch_size: Examples per encoder call.
    num_shards: Output shards (0: let the runner decide).
    overwrite: Replace an existing z dataset at output_path.
    pipeline_options: Beam pipeline options (list of command-line strings,
      or one comma-separated string); empty for the preparation pipeline's
      defaults (`beam_runner.default_options()`).

  Returns:
    The metadata dict written.
  """
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  input_files = sorted(tf.io.gfile.glob(input_tfrecord_pattern))
  if not input_files:
    raise FileNotFoundError(
        f'No TFRecords match {input_tfrecord_pattern!r}: make them with '
        'ddsp_generative_prepare_tfrecord.')
  existing = _existing_outputs(output_path)
  if existing and not overwrite:
    raise FileExistsError(
        f'A z dataset already exists at {output_path} ({existing[0]}): pass '
        '--overwrite to replace it.')
  # Fail early (and cheaply) on a missing or broken model.
  trained = model_io.load_model(model_dir, checkpoint)
  if trained.z_dims is None:
    raise model_io.ModelLoadError(
        f'The model in {model_dir} has no z encoder, so it has no z to '
        'extract: train it with e.g. gin/harmonic_noise_z.gin.')

  prefix = z_dataset.tfrecord_prefix(output_path)
  out_dir = os.path.dirname(os.path.abspath(prefix))
  options, explicit = beam_runner.resolve_options(pipeline_options)
  shards = []

  def new_shards(tmp_dir):
    shards.extend(sorted(glob.glob(
        glob.escape(os.path.join(tmp_dir, os.path.basename(prefix))) +
        '-*-of-*')))
    return shards

  with artifacts.staged_output(out_dir, files=new_shards, replaces=existing,
                               prefix='.tmp-extract-z-') as tmp_dir:
    tmp_prefix = os.path.join(tmp_dir, os.path.basename(prefix))

    def empty_tmp_dir():
      shutil.rmtree(tmp_dir, ignore_errors=True)
      os.makedirs(tmp_dir)

    options, counters = beam_runner.run_with_fallback(
        lambda o: _run_pipeline(
            o, input_files=input_files, tmp_prefix=tmp_prefix,
            model_dir=model_dir, checkpoint=checkpoint,
            batch_size=batch_size, num_shards=num_shards),
        options, not explicit, before_retry=empty_tmp_dir)
    n_examples = int(counters.get('examples-encoded', 0))
    n_frames = int(counters.get('frames', 0))
    if n_examples == 0:
      raise ValueError(f'No examples in {input_tfrecord_pattern!r}.')

  metadata = z_dataset.write_z_metadata(output_path, {
      'frame_rate': trained.frame_rate,
      'sample_rate': trained.sample_rate,
      'z_dims': trained.z_dims,
      'n_examples': n_examples,
      'n_frames': n_frames,
      'model_dir': os.path.abspath(model_dir),
      'model_step': trained.step,
      'model_checkpoint': os.path.basename(trained.checkpoint_path),
      'model_fingerprint': trained.fingerprint,
      'source_tfrecord_pattern': input_tfrecord_pattern,
      'shards': [os.path.basename(s) for s in shards],
  }, extra_provenance={'pipeline_options': list(options),
                       'batch_size': int(batch_size)})
  logging.info('Wrote %d examples (%d frames, z_dims=%d) to %s.', n_examples,
               n_frames, trained.z_dims, prefix)
  return metadata
