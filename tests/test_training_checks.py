"""Bad input to training and evaluation: clear errors before any work."""

import os

import gin
import numpy as np
import pytest
import tensorflow as tf

from conftest import run_ddsp_run
from ddsp_generative import gin_path
from ddsp_generative.core import tfrecords
import ddsp_generative.training  # pylint: disable=unused-import
from ddsp_generative.training import gin_checks


def _write_records(path, secs, sample_rate=16000, frame_rate=250, n=2):
  """ddsp-schema TFRecords without a metadata JSON beside them."""
  def floats(values):
    return tf.train.Feature(float_list=tf.train.FloatList(value=values))
  n_frames = int(secs * frame_rate)
  with tf.io.TFRecordWriter(path) as writer:
    for _ in range(n):
      example = tf.train.Example(features=tf.train.Features(feature={
          'audio': floats(np.zeros(int(secs * sample_rate))),
          'audio_16k': floats(np.zeros(int(secs * 16000))),
          'f0_hz': floats(np.full(n_frames, 220.0)),
          'f0_confidence': floats(np.ones(n_frames)),
          'loudness_db': floats(np.full(n_frames, -30.0)),
      }))
      writer.write(example.SerializeToString())
  return path


def test_metadata_geometry_mismatch_names_the_difference(tiny_tfrecords):
  with pytest.raises(tfrecords.DatasetMismatchError) as error:
    tfrecords.check_geometry(tiny_tfrecords, 16000, 250, 64000, 1000)
  message = str(error.value)
  assert 'n_samples: 16000 in the data' in message
  assert 'metadata_train.json' in message
  assert 'EXAMPLE_SECS' in message
  # The matching geometry passes.
  tfrecords.check_geometry(tiny_tfrecords, 16000, 250, 16000, 250)


def test_geometry_is_inferred_without_metadata(tmp_path):
  pattern = _write_records(str(tmp_path / 'two_secs.tfrecord'), secs=2)
  [(source, geometry)] = tfrecords.dataset_geometry(pattern)
  assert source.startswith('first example of')
  assert geometry == {'sample_rate': 16000, 'frame_rate': 250,
                      'example_secs': 2.0, 'n_samples': 32000,
                      'n_frames': 500}
  with pytest.raises(tfrecords.DatasetMismatchError,
                     match='n_frames: 500 in the data'):
    tfrecords.check_geometry(pattern, 16000, 250, 16000, 250)
  with pytest.raises(tfrecords.DatasetMismatchError,
                     match='sample_rate: 16000 in the data'):
    tfrecords.check_geometry(pattern, 22050, 250, 32000, 500)


def test_missing_tfrecords_are_a_clear_error(tmp_path):
  with pytest.raises(tfrecords.DatasetMismatchError,
                     match='No TFRecords match'):
    tfrecords.check_geometry(str(tmp_path / 'nope*'), 16000, 250,
                                   16000, 250)


def _provider(bindings, tiny_tfrecords):
  gin.clear_config()
  gin_path.add_gin_search_paths()
  with gin.unlock_config():
    gin.parse_config_files_and_bindings(
        ['gin/harmonic.gin', 'gin/sizes/tiny.gin'],
        [f"TFRecordProvider.file_pattern = '{tiny_tfrecords}'"] + bindings)
  try:
    return gin.query_parameter('train.data_provider').scoped_configurable_fn()
  finally:
    gin.clear_config()


def test_provider_checks_data_and_model_geometry(tiny_tfrecords):
  assert _provider([], tiny_tfrecords) is not None
  with pytest.raises(tfrecords.DatasetMismatchError,
                     match='N_SAMPLES=32000'):
    _provider(['N_SAMPLES = 32000'], tiny_tfrecords)
  with pytest.raises(tfrecords.DatasetMismatchError,
                     match='n_samples: 16000 in the data'):
    _provider(['EXAMPLE_SECS = 2', 'N_SAMPLES = 32000', 'TIME_STEPS = 500'],
              tiny_tfrecords)


def test_unknown_gin_bindings_are_listed():
  gin_path.add_gin_search_paths()
  problems = gin_checks.unknown_bindings(
      ['gin/harmonic_noise_vae_z.gin'],
      ['VaeMfccRnnEncodr.beta = 0.1', 'checked_tfrecord_provider.n_sample = 1',
       'batch_size = 3', "TFRecordProvider.file_pattern = 'x*'"])
  assert len(problems) == 2, problems
  assert "No configurable matching 'VaeMfccRnnEncodr'" in problems[0]
  assert 'n_sample' in problems[1]
  assert gin_checks.unknown_bindings(['gin/no_such_file.gin'])


@pytest.mark.parametrize('experiment', gin_path.experiment_gin_files())
def test_shipped_configs_bind_only_known_names(experiment):
  gin_path.add_gin_search_paths()
  sizes = [f for f in gin_path.shipped_gin_files()
           if f.startswith('gin/sizes/')]
  assert gin_checks.unknown_bindings([experiment] + sizes) == []


def _has_checkpoint(save_dir):
  return any(name.startswith('ckpt-') for name in os.listdir(save_dir))


def test_ddsp_run_rejects_mismatched_tfrecords_before_training(
    tmp_path, tiny_tfrecords):
  # The tiny TFRecords hold 1 s examples; the config asks for 2 s.
  result = run_ddsp_run(
      str(tmp_path), tiny_tfrecords, num_steps=5, check=False,
      extra=['--gin_param=EXAMPLE_SECS=2', '--gin_param=N_SAMPLES=32000',
             '--gin_param=TIME_STEPS=500'])
  assert result.returncode != 0
  assert 'DatasetMismatchError' in result.stderr
  assert 'n_samples: 16000 in the data' in result.stderr
  assert not _has_checkpoint(str(tmp_path))


def test_ddsp_run_rejects_unknown_gin_names_before_training(
    tmp_path, tiny_tfrecords):
  # ddsp_run parses with skip_unknown=True: alone, it would train with the
  # default beta. (A misspelt parameter of a known Keras layer already fails
  # in Keras, which rejects unknown keyword arguments.)
  result = run_ddsp_run(str(tmp_path), tiny_tfrecords, num_steps=5,
                        check=False,
                        extra=['--gin_param=VaeMfccRnnEncodr.beta=0.1'])
  assert result.returncode != 0
  assert 'GinConfigError' in result.stderr
  assert "No configurable matching 'VaeMfccRnnEncodr'" in result.stderr
  assert not _has_checkpoint(str(tmp_path))
