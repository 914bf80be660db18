# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Tests for the temporal prior (HMM over components + AR(1) dynamics)."""

import json
import logging
import os

from ddsp_generative import priors
from ddsp_generative.core import z_dataset
from ddsp_generative.priors import markov
from hmmlearn import hmm as hmmlearn_hmm
import numpy as np
import pytest
import synthetic_z


@pytest.fixture(scope='module')
def data():
  return synthetic_z.temporal_examples(n_examples=20, n_frames=300, seed=0)


@pytest.fixture(scope='module')
def heldout():
  return synthetic_z.temporal_examples(n_examples=5, n_frames=300, seed=1)


@pytest.fixture(scope='module')
def prior(data):
  return priors.HiddenMarkovPrior(candidate_n_components=range(1, 6)).fit(
      data, model_fingerprint='model-t', model_step=7, seed=0)


def test_fit_finds_sticky_components(prior):
  assert prior.num_components == 3
  assert prior.fit_info['bic_curve'][2]['n_components'] == 3
  # The data stays in a component with probability 0.98 per frame.
  np.testing.assert_allclose(np.diag(prior.transition_matrix), 0.98,
                             atol=0.015)
  np.testing.assert_allclose(prior.transition_matrix.sum(-1), 1.0)
  np.testing.assert_allclose(np.sort(prior.weights), [1 / 3] * 3, atol=0.1)
  curve = prior.fit_info['em_log_likelihood_per_frame']
  assert len(curve) >= 2
  assert all(b >= a - 1e-6 for a, b in zip(curve, curve[1:]))  # EM ascends.
  assert prior.fit_info['mean_component_duration_frames'] > 25
  assert prior.default_mode == 'temporal'


def test_temporal_samples_match_the_data_autocorrelation(prior, data):
  data_ac = markov.lag1_autocorrelation([s['z'] for s in data])
  np.testing.assert_allclose(prior.fit_info['data_lag1_autocorrelation'],
                             data_ac)
  temporal = prior.sample(400, seed=0, mode='temporal', batch_size=30)
  assert temporal.shape == (30, 400, 4)
  np.testing.assert_allclose(markov.lag1_autocorrelation(temporal), data_ac,
                             atol=0.05)
  # Seed 001's modes lose the frame-to-frame correlation.
  for mode in ('independent', 'component'):
    z = prior.sample(400, seed=0, mode=mode, batch_size=30)
    within = markov.lag1_autocorrelation(z - z.mean(1, keepdims=True))
    assert np.all(np.abs(within) < 0.1), (mode, within)
  # Trajectories stay near the data's components: marginal NLL is similar.
  frames = np.concatenate([s['z'] for s in data])
  assert prior.nll_per_frame(temporal.reshape(-1, 4)) == pytest.approx(
      prior.nll_per_frame(frames), abs=0.3)


def test_sequence_likelihood_beats_frames_alone(prior, data, heldout):
  gmm = priors.GaussianMixturePrior(n_components=3).fit(data, seed=0)
  frames = np.concatenate([s['z'] for s in heldout])
  assert prior.nll_per_frame(frames) == pytest.approx(
      gmm.nll_per_frame(frames), abs=0.1)
  sequence_nll = prior.sequence_nll_per_frame(heldout)
  assert sequence_nll < prior.nll_per_frame(frames) - 1.0
  # A GMM scores examples as independent frames.
  assert gmm.sequence_nll_per_frame(heldout) == pytest.approx(
      gmm.nll_per_frame(frames))


def test_forward_algorithm_matches_hmmlearn(prior, heldout):
  """With no AR dynamics the model is a Gaussian HMM: same likelihood."""
  static = priors.HiddenMarkovPrior.from_dict(prior.to_dict())
  k, d = static.means.shape
  coefficients = np.zeros_like(static.ar_coefficients)
  coefficients[:, -1] = static.means  # z_t = mu_k + noise.
  static.ar_coefficients = coefficients
  static.ar_scale_tril = static.scale_tril
  reference = hmmlearn_hmm.GaussianHMM(n_components=k, covariance_type='full',
                                       init_params='', params='')
  reference.startprob_ = static.weights
  reference.transmat_ = static.transition_matrix
  reference.means_ = static.means
  reference.covars_ = static.scale_tril @ np.swapaxes(static.scale_tril, 1, 2)
  z = [s['z'].astype(np.float64) for s in heldout]
  expected = reference.score(np.concatenate(z), lengths=[len(s) for s in z])
  n_frames = sum(len(s) for s in z)
  assert -static.sequence_nll_per_frame(heldout) * n_frames == (
      pytest.approx(expected, rel=1e-9))
  assert d == 4


def test_save_load_gives_the_same_samples(prior, tmp_path):
  path = str(tmp_path / 'hmm.json')
  prior.save(path)
  with open(path) as f:
    record = json.load(f)
  assert (record['kind'], record['format_version'], record['type']) == (
      'prior', 1, 'hmm')
  assert np.asarray(record['params']['transition_matrix']).shape == (3, 3)
  assert np.asarray(record['params']['ar_coefficients']).shape == (3, 5, 4)
  loaded = priors.load_prior(path)
  assert isinstance(loaded, priors.HiddenMarkovPrior)
  assert (loaded.model_fingerprint, loaded.model_step) == ('model-t', 7)
  assert loaded.get_config() == prior.get_config()
  for mode in prior.SAMPLE_MODES:
    first = loaded.sample(50, seed=11, mode=mode, batch_size=2)
    np.testing.assert_array_equal(
        first, prior.sample(50, seed=11, mode=mode, batch_size=2))
    assert not np.array_equal(
        first, prior.sample(50, seed=12, mode=mode, batch_size=2))
  z = np.concatenate([s['z'] for s in
                      synthetic_z.temporal_examples(2, 50, seed=3)])
  np.testing.assert_array_equal(loaded.log_prob(z), prior.log_prob(z))


def test_frames_are_one_sequence(caplog):
  z = synthetic_z.temporal_examples(1, 400, seed=2)[0]['z']
  with caplog.at_level(logging.WARNING):
    prior = priors.HiddenMarkovPrior(n_components=2, em_iterations=3).fit(z)
  assert 'one sequence' in caplog.text
  assert prior.sample(10, seed=0).shape == (1, 10, 4)


def test_fits_real_encoder_z(tiny_prior_path):
  """z from the tiny model's encoder, as ddsp_generative_extract_z wrote it."""
  z_path = os.path.join(os.path.dirname(tiny_prior_path), 'z.tfrecord')
  sequences, metadata = z_dataset.read_z_dataset(z_path)
  prior = priors.HiddenMarkovPrior(n_components=2).fit(
      sequences, model_fingerprint=metadata['model_fingerprint'], seed=0)
  n_frames = len(sequences[0]['z'])
  z = prior.sample(n_frames, seed=0, batch_size=8)
  assert z.shape == (8, n_frames, metadata['z_dims'])
  assert np.all(np.isfinite(z))
  data_ac = markov.lag1_autocorrelation([s['z'] for s in sequences])
  np.testing.assert_allclose(markov.lag1_autocorrelation(z), data_ac,
                             atol=0.1)
  assert np.isfinite(prior.sequence_nll_per_frame(sequences))


def _sequential_recursion(x0, matrices, offsets):
  x, out = np.asarray(x0, np.float64), []
  for a, b in zip(matrices, offsets):
    x = x @ a + b
    out.append(x)
  return np.array(out).reshape(np.shape(offsets))


@pytest.mark.parametrize('dims', [1, 3, 8])
@pytest.mark.parametrize('n_steps', [1, 7, 64, 65, 300])
def test_recursions_equal_the_sequential_loop(dims, n_steps):
  rng = np.random.default_rng(dims * 1000 + n_steps)
  a = rng.normal(size=[dims, dims])
  a *= 0.995 / np.max(np.abs(np.linalg.eigvals(a)))  # Stable.
  x0 = rng.normal(size=[2, dims])
  b = rng.normal(size=[2, n_steps, dims])
  expected = np.stack([_sequential_recursion(x0[i], [a] * n_steps, b[i])
                       for i in range(2)])
  # One matrix, batched, with blocks shorter, equal to and longer than T.
  for block in (1, 5, 64, 1000):
    np.testing.assert_allclose(
        markov.constant_linear_recursion(x0, a, b, block=block), expected,
        atol=1e-9)
  np.testing.assert_allclose(markov.constant_linear_recursion(x0[0], a, b[0]),
                             expected[0], atol=1e-9)
  # A matrix per step (the HMM's regimes).
  per_step = a * rng.uniform(0.5, 1.0, size=[n_steps, 1, 1])
  np.testing.assert_allclose(
      markov.linear_recursion(x0[0], per_step, b[0]),
      _sequential_recursion(x0[0], per_step, b[0]), atol=1e-9)
