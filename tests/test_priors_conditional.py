# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Tests for the conditional prior: z given the requested f0 and loudness."""

import inspect
import json

from ddsp_generative import priors
from ddsp_generative.priors import fitting
from ddsp_generative.priors import markov
import gin
import numpy as np
import pytest
import synthetic_z

MODES = ('independent', 'component', 'temporal')


@pytest.fixture(scope='module')
def data():
  return synthetic_z.conditional_examples(n_examples=24, n_frames=300,
                                          seed=0)


@pytest.fixture(scope='module')
def prior(data):
  return priors.ConditionalMixturePrior(
      candidate_n_components=(2, 3, 4, 6)).fit(
          data, model_fingerprint='model-c', model_step=3, seed=0)


def constant_controls(midi, loudness_db, n_frames):
  return (np.full(n_frames, synthetic_z.midi_to_hz(midi)),
          np.full(n_frames, float(loudness_db)))


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('midi,loudness_db', [(50.0, -35.0), (70.0, -20.0),
                                              (60.0, -30.0)])
def test_samples_follow_the_requested_controls(prior, mode, midi,
                                               loudness_db):
  f0_hz, ld = constant_controls(midi, loudness_db, 200)
  z = prior.sample(200, seed=1, mode=mode, batch_size=16, f0_hz=f0_hz,
                   loudness_db=ld)
  assert z.shape == (16, 200, 4)
  expected = synthetic_z.conditional_mean(midi, loudness_db)
  np.testing.assert_allclose(z.reshape(-1, 4).mean(0), expected, atol=0.2)


def test_low_and_high_pitch_differ_as_in_the_data(prior, data):
  frames = {k: np.concatenate([s[k] for s in data])
            for k in ('z', 'f0_hz', 'loudness_db')}
  midi = priors.condition_features(frames['f0_hz'],
                                   frames['loudness_db'])[:, 0]
  means, data_means = {}, {}
  for pitch in (50.0, 70.0):
    near = np.abs(midi - pitch) < 1.0
    data_means[pitch] = frames['z'][near].mean(0)
    f0_hz = synthetic_z.midi_to_hz(midi[near])
    z = prior.sample(int(near.sum()), seed=2, mode='temporal', batch_size=4,
                     f0_hz=f0_hz, loudness_db=frames['loudness_db'][near])
    means[pitch] = z.reshape(-1, 4).mean(0)
    np.testing.assert_allclose(means[pitch], data_means[pitch], atol=0.25)
  # Pitch moves z as it does in the data (by about [1.5, -1.7, 1, 1.8]).
  np.testing.assert_allclose(means[70.0] - means[50.0],
                             data_means[70.0] - data_means[50.0], atol=0.3)
  assert means[70.0][0] - means[50.0][0] > 1.0


def test_conditioning_follows_a_pitch_glide(prior):
  """Timbre follows the controls frame by frame within one clip."""
  midi = np.linspace(50.0, 70.0, 400)
  f0_hz, ld = synthetic_z.midi_to_hz(midi), np.full(400, -30.0)
  z = prior.sample(400, seed=3, mode='temporal', batch_size=16, f0_hz=f0_hz,
                   loudness_db=ld)
  expected = synthetic_z.conditional_mean(midi, ld)
  for part in (slice(20, 100), slice(300, 380)):
    np.testing.assert_allclose(z[:, part].mean((0, 1)),
                               expected[part].mean(0), atol=0.3)


def test_temporal_mode_is_smooth_like_the_data(prior, data):
  f0_hz = np.stack([s['f0_hz'] for s in data[:12]])
  ld = np.stack([s['loudness_db'] for s in data[:12]])
  data_ac = markov.lag1_autocorrelation([s['z'] for s in data[:12]])
  temporal = prior.sample(300, seed=4, mode='temporal', batch_size=12,
                          f0_hz=f0_hz, loudness_db=ld)
  np.testing.assert_allclose(markov.lag1_autocorrelation(temporal), data_ac,
                             atol=0.06)
  independent = prior.sample(300, seed=4, mode='independent', batch_size=12,
                             f0_hz=f0_hz, loudness_db=ld)
  # Frame-by-frame sampling keeps only the controls' own smoothness.
  assert np.all(markov.lag1_autocorrelation(independent) < data_ac - 0.05)


def test_conditional_likelihood_is_sharper(prior):
  heldout = synthetic_z.conditional_examples(n_examples=4, seed=5)
  frames = {k: np.concatenate([s[k] for s in heldout])
            for k in ('z', 'f0_hz', 'loudness_db')}
  marginal = prior.log_prob(frames['z'])
  conditional = prior.log_prob(frames['z'], f0_hz=frames['f0_hz'],
                               loudness_db=frames['loudness_db'])
  assert marginal.shape == conditional.shape == (len(frames['z']),)
  assert conditional.mean() > marginal.mean() + 1.0
  # Whole examples given their controls (and past) score better still.
  assert prior.sequence_nll_per_frame(heldout) < -conditional.mean()


def test_save_load_gives_the_same_samples(prior, tmp_path):
  path = str(tmp_path / 'conditional.json')
  prior.save(path)
  with open(path) as f:
    record = json.load(f)
  assert record['type'] == 'conditional'
  assert record['conditions'] == ['f0_hz', 'loudness_db']
  k = prior.num_components
  assert np.asarray(record['params']['joint_means']).shape == (k, 6)
  loaded = priors.load_prior(path)
  assert isinstance(loaded, priors.ConditionalMixturePrior)
  assert loaded.CONDITIONS == ('f0_hz', 'loudness_db')
  f0_hz, ld = constant_controls(62.0, -25.0, 60)
  for mode in MODES:
    np.testing.assert_array_equal(
        loaded.sample(60, seed=9, mode=mode, batch_size=2, f0_hz=f0_hz,
                      loudness_db=ld),
        prior.sample(60, seed=9, mode=mode, batch_size=2, f0_hz=f0_hz,
                     loudness_db=ld))
  z = np.zeros([5, 4])
  np.testing.assert_array_equal(loaded.log_prob(z), prior.log_prob(z))


def test_controls_are_required_and_checked(prior):
  with pytest.raises(ValueError, match='f0_hz= and loudness_db='):
    prior.sample(10, seed=0)
  with pytest.raises(ValueError, match=r'\[2, 10\] or \[10\]'):
    prior.sample(10, batch_size=2, f0_hz=np.full(9, 220.0),
                 loudness_db=np.full(9, -30.0))
  with pytest.raises(ValueError, match='same shape'):
    prior.sample(10, f0_hz=np.full(10, 220.0), loudness_db=np.zeros(9))
  with pytest.raises(ValueError, match='load_sequences'):
    priors.ConditionalMixturePrior(n_components=2).fit(np.zeros([50, 4]))


def test_controls_outside_the_training_range_are_clipped(prior):
  low, high = prior.condition_range[0]
  f0_far, ld = constant_controls(high + 20.0, -30.0, 30)
  f0_edge, _ = constant_controls(high, -30.0, 30)
  np.testing.assert_allclose(
      prior.sample(30, seed=0, f0_hz=f0_far, loudness_db=ld),
      prior.sample(30, seed=0, f0_hz=f0_edge, loudness_db=ld), atol=1e-5)
  assert low < 50.0


def test_one_control_track_for_a_batch(prior):
  f0_hz, ld = constant_controls(60.0, -30.0, 25)
  z = prior.sample(25, seed=0, batch_size=3, f0_hz=f0_hz[None],
                   loudness_db=ld[None])
  assert z.shape == (3, 25, 4)
  assert not np.array_equal(z[0], z[1])


def test_gin_binds_its_own_parameters_with_the_hmm_signature():
  # The constructor is HiddenMarkovPrior's; gin still registers every
  # parameter under ConditionalMixturePrior, saves its defaults in the
  # operative config (as a prior's 'gin_config' records it), keeps the HMM's
  # bindings to the HMM and rejects unknown parameters when parsing.
  try:
    gin.parse_config(['HiddenMarkovPrior.em_iterations = 3',
                      'ConditionalMixturePrior.tol = 0.5'])
    prior = fitting.make_prior('conditional')
    assert isinstance(prior, priors.ConditionalMixturePrior)
    assert prior.em_iterations == 20 and prior.tol == 0.5
    assert prior.condition_range is None
    operative = gin.operative_config_str()
    for name in inspect.signature(priors.HiddenMarkovPrior).parameters:
      assert f'ConditionalMixturePrior.{name} = ' in operative, name
    with pytest.raises(ValueError, match="doesn't have a parameter"):
      gin.parse_config(['ConditionalMixturePrior.n_componentz = 3'])
  finally:
    gin.clear_config()
