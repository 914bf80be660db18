# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""ddsp_generative_extract_z runs with the preparation pipeline's options."""

import os

import apache_beam as beam
import conftest
from ddsp_generative.core import z_dataset
from ddsp_generative.data_preparation import beam_runner


def test_options_resolve_to_the_defaults_unless_given():
  assert beam_runner.resolve_options([]) == (beam_runner.default_options(),
                                             False)
  assert beam_runner.resolve_options('') == (beam_runner.default_options(),
                                             False)
  assert beam_runner.resolve_options(
      '--runner=DirectRunner,--direct_num_workers=1') == (
          ['--runner=DirectRunner', '--direct_num_workers=1'], True)
  assert beam_runner.default_options(n_cpus=1) == list(
      beam_runner.IN_MEMORY_OPTIONS)
  assert '--direct_num_workers=3' in beam_runner.default_options(n_cpus=3)


def test_direct_runner_is_the_local_fn_api_runner_not_prism():
  from apache_beam.runners.portability.fn_api_runner import fn_runner  # pylint: disable=g-import-not-at-top
  pipeline = beam_runner.make_pipeline(beam_runner.IN_MEMORY_OPTIONS)
  assert isinstance(pipeline.runner, fn_runner.FnApiRunner)
  assert isinstance(beam_runner.make_pipeline([]).runner,
                    fn_runner.FnApiRunner)
  values = []

  def build(p):
    counted = p | beam.Create([1, 2, 3]) | beam.Map(_count)
    _ = counted | beam.Map(values.append)

  result = beam_runner.run(beam_runner.IN_MEMORY_OPTIONS, build)
  assert beam_runner.counters(result, 'test-beam-runner') == {'items': 3}
  assert beam_runner.counters(result, 'no-such-namespace') == {}


def _count(x):
  beam.metrics.Metrics.counter('test-beam-runner', 'items').inc()
  return x


def test_metadata_records_options_model_and_version(tiny_prior_path,
                                                     tiny_model_dir):
  z_path = os.path.join(os.path.dirname(tiny_prior_path), 'z.tfrecord')
  metadata = z_dataset.read_z_metadata(z_path)
  assert metadata['format_version'] == z_dataset.FORMAT_VERSION
  assert metadata['model_dir'] == os.path.abspath(tiny_model_dir)
  assert metadata['model_step'] == 10
  assert len(metadata['model_fingerprint']) == 16
  assert metadata['provenance']['pipeline_options'] == list(
      conftest.BEAM_OPTIONS)
  assert metadata['provenance']['batch_size'] == 4
