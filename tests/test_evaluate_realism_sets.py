"""The realism section's sets: pairing, too few clips, a model without z."""

import json
import os

import numpy as np
import pytest

import conftest
from ddsp_generative.core import errors
from ddsp_generative.evaluation import midi_set
from ddsp_generative.evaluation import realism_sets

CLI = 'ddsp_generative.evaluate_generation'
SR = 8000


def _tone(n_examples, secs, level=0.3, seed=0):
  """[n_examples, secs * SR] harmonic tones with a little noise."""
  rng = np.random.default_rng(seed)
  t = np.arange(int(secs * SR)) / SR
  f0 = rng.uniform(200.0, 400.0, [n_examples, 1])
  return (level * np.sin(2 * np.pi * f0 * t) +
          0.01 * rng.standard_normal([n_examples, len(t)])).astype(np.float32)


def test_paired_clips_are_cut_as_the_real_ones():
  real = _tone(3, 2.5)
  real[1, SR:2 * SR] = 0.0  # A silent second: dropped from the real clips.
  clips, index = realism_sets.real_clips(real, SR, folds=1)
  # 2 whole clips per example (the 0.5 s tails dropped), one silent.
  assert index.tolist() == [0, 1, 2, 4, 5]
  np.testing.assert_array_equal(clips[2], real[1, :SR])
  # A paired set keeps the same clips, even where it is silent itself.
  generated = _tone(3, 2.5, seed=1)
  generated[0] = 0.0
  paired = realism_sets.paired_clips(generated, SR, index)
  assert paired.shape == clips.shape
  np.testing.assert_array_equal(paired[0], np.zeros(SR, np.float32))
  np.testing.assert_array_equal(paired[3], generated[2, :SR])


def test_too_few_clips_name_the_fix():
  with pytest.raises(realism_sets.RealismSetsError) as raised:
    realism_sets.real_clips(_tone(6, 1.0), SR, folds=2,
                            more_examples='more eval examples (--n_examples)')
  message = str(raised.value)
  assert '>= 8 audible 1 s real clips for 2 folds' in message
  assert '6 eval examples give 6 of 6' in message
  assert '--c2st_folds' in message and '--n_examples' in message
  assert isinstance(raised.value, errors.UsageError)  # Exit status 2.
  real, index = realism_sets.real_clips(_tone(8, 1.0), SR, folds=2)
  with pytest.raises(realism_sets.RealismSetsError,
                     match="'midi' set has 3 audible 1 s clips.*--midi_pat"):
    realism_sets.section(
        real, index, {'midi': _tone(3, 1.0)}, SR, folds=2,
        more_clips={'midi': 'more MIDI files (--midi_pattern)'})


def test_real_recording_beside_the_midi_file(tmp_path):
  midi_path = str(tmp_path / 'tune.mid')
  assert midi_set.real_recording(midi_path) is None
  (tmp_path / 'tune.wav').write_bytes(b'')
  assert midi_set.real_recording(midi_path) == str(tmp_path / 'tune.wav')


@pytest.fixture(scope='module')
def tiny_no_z_model_dir(tmp_path_factory, tiny_tfrecords):
  """A tiny harmonic_noise model (no z encoder) trained 10 steps by ddsp_run."""
  save_dir = str(tmp_path_factory.mktemp('tiny_no_z_model'))
  conftest.run_ddsp_run(save_dir, tiny_tfrecords, num_steps=10,
                        gin_file='gin/harmonic_noise.gin')
  return save_dir


def test_model_without_z_needs_no_prior(tiny_no_z_model_dir, tiny_tfrecords,
                                        tmp_path):
  save_dir = str(tmp_path / 'generation')
  assert not os.path.exists(os.path.join(tiny_no_z_model_dir, 'prior.json'))
  result = conftest.run_cli(
      CLI, f'--model_dir={tiny_no_z_model_dir}',
      f'--eval_tfrecord_pattern={tiny_tfrecords}', f'--save_dir={save_dir}',
      '--n_examples=8', '--f0_estimator=yin', '--n_figure_examples=1',
      '--c2st_folds=2')
  assert 'A model without z' in result.stdout
  with open(os.path.join(save_dir, 'generation.json')) as f:
    report = json.load(f)
  assert report['model']['z_dims'] is None and report['priors'] == []
  assert list(report['sets']) == ['real', 'resynthesis']
  assert report['sets']['resynthesis']['kind'] == 'no_z'
  assert report['sets']['resynthesis']['metrics']['gap_closed'] is None
  assert report['best_mode'] is None
  assert report['settings']['random_z'] is None
  realism = report['realism']
  assert list(realism['sets']) == ['resynthesis']
  assert realism['kinds'] == {'resynthesis': 'no_z'}
  for row in (realism['floor'], realism['sets']['resynthesis']):
    assert 0 <= row['c2st']['logistic_regression'] <= 1
    assert 0 <= row['c2st']['random_forest'] <= 1
  assert os.path.isfile(os.path.join(save_dir, 'generation_ltas.png'))

  # Too few real clips for 5 folds: one line naming the fix, exit 2, before
  # any generation and with nothing written.
  fewer = conftest.run_cli(
      CLI, f'--model_dir={tiny_no_z_model_dir}',
      f'--eval_tfrecord_pattern={tiny_tfrecords}',
      f'--save_dir={tmp_path / "fewer"}', '--n_examples=4', expect_ok=False)
  assert fewer.returncode == 2
  error = [line for line in fewer.stderr.splitlines() if 'error:' in line]
  assert len(error) == 1 and '--c2st_folds' in error[0], fewer.stderr[-2000:]
  assert 'Traceback' not in fewer.stderr
  assert not os.path.exists(tmp_path / 'fewer' / 'generation.json')
