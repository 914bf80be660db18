# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Tests for the ddsp_generative_fit_prior CLI on a real z dataset."""

import json
import os
import subprocess
import sys

import conftest
from ddsp_generative.priors import fitting
from ddsp_generative import priors
import gin
import numpy as np
import pytest

CENTERS = np.array([[6., 0., 0., 0.],
                    [0., 6., 0., 0.],
                    [0., 0., 6., 6.]])
METADATA = {
    'frame_rate': 250,
    'model_dir': '/models/ae',
    'model_step': 777,
    'model_fingerprint': 'fp-777',
    'source_tfrecord_pattern': '/data/train.tfrecord*',
}
CANDIDATES = 'GaussianMixturePrior.candidate_n_components = [1, 2, 3, 4, 5]'

pytestmark = pytest.mark.usefixtures('clear_gin')


@pytest.fixture(scope='module')
def z_pattern(tmp_path_factory):
  """A z dataset of 12 examples, each visiting the 3 clusters in turn."""
  rng = np.random.default_rng(0)
  examples = []
  for _ in range(12):
    labels = np.repeat(rng.permutation(3), 80)
    z = CENTERS[labels] + 0.5 * rng.normal(size=(len(labels), 4))
    examples.append({'z': z.astype(np.float32),
                     'f0_hz': np.full(len(labels), 220.0, np.float32),
                     'loudness_db': np.full(len(labels), -20.0, np.float32)})
  return conftest.write_z_pattern(tmp_path_factory.mktemp('z'), examples,
                                  METADATA)


def run_main(expect_ok=True, **flag_values):
  """Runs the CLI in its own process with --name=value flags."""
  args = []
  for name, value in flag_values.items():
    values = value if isinstance(value, list) else [value]
    args += [f'--{name}={v}' for v in values]
  return conftest.run_cli('ddsp_generative.fit_prior', *args,
                          expect_ok=expect_ok)


def test_main_fits_and_saves(z_pattern, tmp_path):
  output = str(tmp_path / 'prior.json')
  printed = run_main(z_dataset=z_pattern, output=output, prior='gmm',
                     gin_param=[CANDIDATES], holdout_fraction=0.25,
                     seed=1).stdout
  assert 'components: 3' in printed
  assert 'held-out NLL/frame' in printed and output in printed
  prior = priors.load_prior(output)
  assert prior.num_components == 3
  assert (prior.z_dims, prior.model_fingerprint, prior.model_step) == (
      4, 'fp-777', 777)
  info = prior.fit_info
  assert info['holdout_split'] == 'examples'
  assert info['n_heldout_frames'] == 3 * 240
  assert info['n_fit_frames'] == 9 * 240
  assert np.isfinite(info['heldout_nll_per_frame'])
  assert info['heldout_nll_per_frame'] == pytest.approx(
      info['train_nll_per_frame'], abs=0.5)
  assert info['z_dataset']['frame_rate'] == 250
  with open(output) as f:
    record = json.load(f)
  assert record['kind'] == 'prior' and record['format_version'] == 1
  assert record['provenance']['seed'] == 1
  assert 'candidate_n_components' in record['provenance']['gin_config']


def test_refuses_to_overwrite_without_flag(z_pattern, tmp_path):
  output = str(tmp_path / 'prior.json')
  run_main(z_dataset=z_pattern, output=output, prior='gmm',
           gin_param=['GaussianMixturePrior.n_components = 3'])
  with open(output) as f:
    before = f.read()
  failed = run_main(expect_ok=False, z_dataset=z_pattern, output=output,
                    prior='gmm',
                    gin_param=['GaussianMixturePrior.n_components = 2'])
  assert '--overwrite' in failed.stderr
  with open(output) as f:
    assert f.read() == before
  run_main(z_dataset=z_pattern, output=output, overwrite=True, prior='gmm',
           gin_param=['GaussianMixturePrior.n_components = 2'])
  assert priors.load_prior(output).num_components == 2


def test_max_frames_and_standard_normal(z_pattern, tmp_path):
  output = str(tmp_path / 'normal.json')
  prior, summary = fitting.fit_prior(
      z_pattern, output, prior_name='standard_normal', max_frames=100,
      holdout_fraction=0.0)
  assert isinstance(prior, priors.StandardNormalPrior)
  assert summary['n_fit_frames'] == 100
  assert summary['heldout_nll_per_frame'] is None
  assert 'n/a' in fitting.format_summary(summary)
  assert priors.load_prior(output).model_fingerprint == 'fp-777'


def test_split_holdout_one_example_holds_out_frames():
  rng = np.random.default_rng(0)
  train, heldout, split = fitting.split_holdout(
      [{'z': np.arange(40.).reshape(20, 2)}], 0.25, rng)
  assert split == 'frames'
  assert (len(train), len(heldout)) == (15, 5)
  assert not set(train[:, 0]) & set(heldout[:, 0])
  with pytest.raises(ValueError, match='holdout_fraction'):
    fitting.split_holdout([{'z': np.zeros([3, 2])}], 1.0, rng)


def test_command_line(z_pattern, tmp_path):
  output = str(tmp_path / 'cli_prior.json')
  command = [sys.executable, '-m', 'ddsp_generative.fit_prior',
             f'--z_dataset={z_pattern}', f'--output={output}',
             '--prior=gmm', f'--gin_param={CANDIDATES}', '--max_frames=1500']
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', CUDA_VISIBLE_DEVICES='')
  result = subprocess.run(command, capture_output=True, text=True, env=env,
                          timeout=120, check=False)
  assert result.returncode == 0, result.stderr[-2000:]
  assert 'components: 3' in result.stdout
  assert priors.load_prior(output).fit_info['n_fit_frames'] == 1500


def test_temporal_prior_chosen_by_gin(z_pattern, tmp_path):
  output = str(tmp_path / 'hmm.json')
  printed = run_main(
      z_dataset=z_pattern, output=output, holdout_fraction=0.25,
      default_mode='component',
      gin_param=['prior_to_fit.prior_class = @HiddenMarkovPrior',
                 'HiddenMarkovPrior.n_components = 3']).stdout
  assert 'Fitted a hmm prior' in printed
  assert 'independent, component*, temporal' in printed
  assert 'whole examples as sampled' in printed
  prior = priors.load_prior(output)
  assert isinstance(prior, priors.HiddenMarkovPrior)
  assert prior.default_mode == 'component'
  info = prior.fit_info
  assert len(info['heldout_examples']) == 3
  # Knowing the current cluster (from the past) is worth ~log(3) nats.
  assert info['heldout_sequence_nll_per_frame'] < (
      info['heldout_nll_per_frame'] - 0.5)
  with open(output) as f:
    assert '@HiddenMarkovPrior' in json.load(f)['provenance']['gin_config']


def test_conditional_prior_gets_whole_examples(z_pattern, tmp_path):
  output = str(tmp_path / 'conditional.json')
  gin.parse_config(['ConditionalMixturePrior.n_components = 3'])
  prior, summary = fitting.fit_prior(
      z_pattern, output, prior_name='conditional', max_frames=1000, seed=0)
  assert summary['conditions'] == ['f0_hz', 'loudness_db']
  assert summary['default_mode'] == 'temporal'
  # Whole examples (240 frames each), the last one cut: 1000 frames.
  assert summary['n_fit_frames'] == 1000
  assert 'samples z given: f0_hz, loudness_db' in (
      fitting.format_summary(summary))
  # This dataset's controls are constant (220 Hz, -20 dB): still usable.
  controls = {'f0_hz': np.full(30, 220.0), 'loudness_db': np.full(30, -20.0)}
  loaded = priors.load_prior(output)
  for mode in loaded.SAMPLE_MODES:
    z = loaded.sample(30, seed=0, mode=mode, batch_size=2, **controls)
    assert np.all(np.isfinite(z))
    np.testing.assert_array_equal(
        z, prior.sample(30, seed=0, mode=mode, batch_size=2, **controls))


def test_prior_name_and_gin_must_agree():
  gin.parse_config(['prior_to_fit.prior_class = @HiddenMarkovPrior'])
  with pytest.raises(ValueError, match='disagrees'):
    fitting.make_prior('gmm')
  assert type(fitting.make_prior(None)).TYPE == 'hmm'
  assert isinstance(fitting.make_prior('hmm'), priors.HiddenMarkovPrior)
  gin.clear_config()
  assert isinstance(fitting.make_prior(None),
                    priors.ConditionalNetworkPrior)


def test_subsample_sequences_keeps_whole_examples():
  rng = np.random.default_rng(0)
  sequences = [{'z': np.full([10, 2], i, np.float32)} for i in range(5)]
  kept = fitting.subsample_sequences(sequences, 25, rng)
  assert [len(s['z']) for s in kept] == [10, 10, 5]
  for s in kept:
    assert len(np.unique(s['z'])) == 1  # Frames of one example, in order.
  assert fitting.subsample_sequences(sequences, None, rng) == sequences
