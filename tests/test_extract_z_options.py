# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""ddsp_generative_extract_z runs with the preparation pipeline's options."""

import os

import conftest
from ddsp_generative.core import z_dataset
from ddsp_generative.data_preparation import extract_z_lib
from ddsp_generative.data_preparation import prepare_tfrecord_lib


def test_default_options_are_the_preparation_pipelines():
  assert extract_z_lib.resolve_pipeline_options([]) == (
      prepare_tfrecord_lib.default_pipeline_options())
  assert extract_z_lib.resolve_pipeline_options('') == (
      prepare_tfrecord_lib.default_pipeline_options())
  assert extract_z_lib.resolve_pipeline_options(
      '--runner=DirectRunner,--direct_num_workers=1') == [
          '--runner=DirectRunner', '--direct_num_workers=1']


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
