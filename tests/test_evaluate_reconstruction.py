"""Reconstruction evaluation: metrics, the CLI's report and its bad input."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

import conftest
from ddsp_generative.evaluation import reconstruction as lib
from ddsp_generative.sampling import model_io
from ddsp_generative.core import features
from ddsp_generative.core import tfrecords
from ddsp_generative.core import units
from ddsp_generative.evaluation import metrics

CLI = 'ddsp_generative.evaluate_reconstruction'


def test_metrics_on_known_signals():
  t = np.arange(16000) / 16000.0
  tone = (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)[None]
  assert lib.spectral_distance(tone, tone)[0] == pytest.approx(0.0, abs=1e-6)
  quieter = 0.5 * tone
  assert lib.spectral_distance(tone, quieter)[0] > 0.1
  loudness = features.loudness_db(np.concatenate([tone, quieter]), 16000, 250, 250)
  assert loudness.shape == (2, 250)
  # Half the amplitude: 6 dB quieter in the middle of the tone.
  assert np.median(loudness[0] - loudness[1]) == pytest.approx(6.02, abs=0.1)

  deviation = units.cents([220.0, 233.08, 440.0, 0.0],
                          [220.0, 220.0, 220.0, 220.0])
  np.testing.assert_allclose(deviation[:3], [0.0, 100.0, 1200.0], atol=0.1)
  assert np.isnan(deviation[3])
  accuracy, median, frames = metrics.f0_agreement([0.0, 10.0, -49.0, 100.0,
                                                   np.nan])
  assert (accuracy, median, frames) == (0.75, 29.5, 4)
  assert metrics.f0_agreement([np.nan]) == (None, None, 0)


def test_cli_writes_report_and_figure(tiny_model_dir, tiny_tfrecords,
                                      tmp_path):
  output = str(tmp_path / 'eval' / 'report.json')
  result = conftest.run_cli(
      CLI, f'--model_dir={tiny_model_dir}',
      f'--eval_tfrecord_pattern={tiny_tfrecords}', f'--output={output}',
      '--max_examples=8', '--batch_size=3', '--f0_estimator=yin',
      '--c2st_folds=2')
  assert output in result.stdout
  with open(output) as f:
    report = json.load(f)
  assert report['kind'] == 'reconstruction_evaluation'
  assert report['format_version'] == 2
  assert report['model']['step'] == 10
  assert report['n_examples'] == 8 and len(report['per_example']) == 8
  # Absolute: half A's resynthesis against real half B, beside A vs B.
  realism = report['realism']
  assert realism['real_clips']['n_clips'] == 8 and realism['folds'] == 2
  assert list(realism['sets']) == ['resynthesis']
  resynthesis = realism['sets']['resynthesis']
  assert resynthesis['paired'] and resynthesis['n_clips'] == 4
  for row in (realism['floor'], resynthesis):
    assert 0 <= row['c2st']['logistic_regression'] <= 1
    assert 0 <= row['c2st']['random_forest'] <= 1
    assert row['frechet'] >= 0
  ltas = os.path.join(os.path.dirname(output), report['ltas_figure'])
  assert ltas == str(tmp_path / 'eval' / 'report_ltas.png')
  assert ltas in result.stdout
  with open(ltas, 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'
  metrics = report['metrics']
  assert metrics['spectral_distance']['mean'] > 0
  assert metrics['loudness_l1_db']['mean'] >= 0
  assert metrics['f0_frames_evaluated'] > 0
  assert 0.0 <= metrics['f0_accuracy_50_cents'] <= 1.0
  assert metrics['f0_median_abs_cents'] >= 0
  # The estimator on the recordings themselves: the ceiling.
  assert report['f0_consistency_of_target']['f0_accuracy_50_cents'] > 0.5
  assert report['settings']['f0_estimator'] == 'yin'
  figure = os.path.join(os.path.dirname(output), report['figure'])
  with open(figure, 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'
  # An existing report is not replaced silently.
  again = conftest.run_cli(
      CLI, f'--model_dir={tiny_model_dir}',
      f'--eval_tfrecord_pattern={tiny_tfrecords}', f'--output={output}',
      expect_ok=False)
  assert '--overwrite' in again.stderr


def test_mismatched_tfrecords_fail_before_any_resynthesis(
    tiny_model_dir, tmp_path, monkeypatch):
  path = str(tmp_path / 'long.tfrecord')
  with tf.io.TFRecordWriter(path) as writer:
    floats = lambda n: tf.train.Feature(  # pylint: disable=g-long-lambda
        float_list=tf.train.FloatList(value=np.zeros(n)))
    writer.write(tf.train.Example(features=tf.train.Features(feature={
        'audio': floats(32000), 'audio_16k': floats(32000),
        'f0_hz': floats(500), 'loudness_db': floats(500)})).SerializeToString())
  trained = model_io.load_model(tiny_model_dir)

  def fail(*unused_args, **unused_kwargs):
    raise AssertionError('resynthesis started')

  monkeypatch.setattr(trained, 'reconstruct', fail)
  with pytest.raises(tfrecords.DatasetMismatchError,
                     match='n_samples: 32000 in the data'):
    lib.evaluate(trained, path, progress=False)


def test_missing_checkpoint_is_a_clear_error(tmp_path, tiny_tfrecords):
  result = conftest.run_cli(
      CLI, f'--model_dir={tmp_path}', f'--eval_tfrecord_pattern={tiny_tfrecords}',
      expect_ok=False)
  assert 'No checkpoint' in result.stderr
