# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Tests for the network conditional prior: z given the controls by a conv net.

The synthetic z is a nonlinear function of the controls plus AR(1) noise:

  z[:, 0] = 2 sin(0.25 midi)              (one period over the pitch range)
  z[:, 1] = tanh((loudness_db + 30) / 6)  (saturating in loudness)
  z[:, 2] = exp(-frames since onset / 10) (the note's attack)
  z[:, 3] = 0                             (noise only)

plus independent AR(1) noise (coefficient 0.9, std 0.15) in every dimension.
Notes last 20-60 frames at MIDI 55-80 with a fast, wide vibrato and a
tremolo, so z's mean moves every frame: copying z_{t-1} (as the mixture
prior's AR(1) on z does) does not predict it, the controls do.
"""

import base64
import json

from ddsp_generative.priors import fitting
from ddsp_generative import priors
from ddsp_generative.core import z_dataset
from ddsp_generative.core.units import midi_to_hz  # pylint: disable=g-importing-member
from ddsp_generative.priors import markov
from ddsp_generative.priors import network
import gin
import numpy as np
import pytest

RHO = 0.9
NOISE_STD = 0.15
Z_DIMS = 4
NOISE_DIM = 3  # z's dimension with no dependence on the controls.
CONTROL_DIMS = [0, 1, 2]
MODES = ('temporal', 'independent', 'mean')
# Tiny but able to learn the data: 2 * (2 * 32) + 4 * 3 * 32 * 32 weights,
# seeing 15 frames on each side (the attack term needs the onset in view).
TINY = dict(channels=32, dilations=(1, 2, 4, 8), train_steps=1000,
            batch_size=8, segment_frames=64)
METADATA = {
    'frame_rate': 250,
    'model_dir': '/models/ae',
    'model_step': 12,
    'model_fingerprint': 'fp-net',
    'source_tfrecord_pattern': '/data/train.tfrecord*',
}


def note_controls(rng, n_frames):
  """Controls of consecutive notes and each frame's frames since its onset.

  Args:
    rng: np.random.Generator.
    n_frames: Frames to make.

  Returns:
    (midi, loudness_db, since_onset): float64 [n_frames] each.
  """
  midi, loudness_db, since_onset = [], [], []
  while len(midi) < n_frames:
    length = int(rng.integers(20, 61))
    t = np.arange(length)
    pitch, peak = rng.uniform(55.0, 80.0), rng.uniform(-40.0, -15.0)
    midi += list(pitch + 2.0 * np.sin(2 * np.pi * t / rng.uniform(6, 12) +
                                      rng.uniform(0, 2 * np.pi)))
    loudness_db += list(peak - 20.0 * np.exp(-t / 2.0) - 0.15 * t +
                        3.0 * np.sin(2 * np.pi * t / rng.uniform(6, 12)))
    since_onset += list(t)
  return (np.array(midi[:n_frames]), np.array(loudness_db[:n_frames]),
          np.array(since_onset[:n_frames], np.float64))


def true_mean(midi, loudness_db, since_onset):
  """The noiseless z: [n_frames] controls -> [n_frames, Z_DIMS]."""
  return np.stack([2.0 * np.sin(0.25 * midi),
                   np.tanh((loudness_db + 30.0) / 6.0),
                   np.exp(-since_onset / 10.0),
                   np.zeros_like(midi)], -1)


def make_examples(n_examples, seed):
  """Examples of 100-150 frames: dicts with 'z' [n_frames, Z_DIMS], 'f0_hz'
  and 'loudness_db' [n_frames] (float32)."""
  rng = np.random.default_rng(seed)
  examples = []
  for _ in range(n_examples):
    n_frames = int(rng.integers(100, 151))
    midi, loudness_db, since_onset = note_controls(rng, n_frames)
    mean = true_mean(midi, loudness_db, since_onset)
    noise = np.zeros([n_frames, Z_DIMS])
    r = NOISE_STD * rng.normal(size=Z_DIMS)
    for t in range(n_frames):
      r = RHO * r + np.sqrt(1.0 - RHO ** 2) * NOISE_STD * rng.normal(
          size=Z_DIMS)
      noise[t] = r
    examples.append({'z': (mean + noise).astype(np.float32),
                     'f0_hz': midi_to_hz(midi).astype(np.float32),
                     'loudness_db': loudness_db.astype(np.float32)})
  return examples


@pytest.fixture(scope='module')
def data():
  return make_examples(48, seed=0)


@pytest.fixture(scope='module')
def heldout():
  return make_examples(12, seed=1)


@pytest.fixture(scope='module')
def prior(data):
  return priors.ConditionalNetworkPrior(**TINY).fit(
      data, model_fingerprint='model-net', model_step=5, seed=0)


def stacked_controls(examples, n_frames):
  """[batch, n_frames] f0_hz and loudness_db of the examples' first frames."""
  return (np.stack([s['f0_hz'][:n_frames] for s in examples]),
          np.stack([s['loudness_db'][:n_frames] for s in examples]))


def r_squared(z, prediction):
  return 1.0 - ((z - prediction) ** 2).mean(0) / z.var(0)


def linear_prediction(train, test):
  """Least-squares z on [1, midi, loudness]: the best linear mean."""
  def design(examples):
    c = np.concatenate([priors.condition_features(s['f0_hz'],
                                                  s['loudness_db'])
                        for s in examples])
    return np.concatenate([np.ones([len(c), 1]), c], -1)
  coef, *_ = np.linalg.lstsq(design(train),
                             np.concatenate([s['z'] for s in train]),
                             rcond=None)
  return design(test) @ coef


# ------------------------------------------------------------ Fit quality.
def test_conditional_mean_explains_the_nonlinear_dependence(prior, data,
                                                            heldout):
  examples = heldout
  z = np.concatenate([s['z'] for s in examples])
  mean = np.concatenate([
      prior.conditional_mean_and_scale(s['f0_hz'], s['loudness_db'])[0][0]
      for s in examples])
  r2 = r_squared(z, mean)
  # Measured (fit seeds 0-2): [0.970-0.972, 0.929-0.932, 0.57-0.60], the
  # noiseless z [0.989, 0.951, 0.772]; the attack term is hardest (the onset
  # must be within the 15 frames seen).
  np.testing.assert_array_less([0.9, 0.85, 0.35], r2[CONTROL_DIMS])
  assert r2[NOISE_DIM] < 0.05  # Nothing to explain.
  # A linear regression on the controls explains far less of dims 0 and 2
  # (measured R^2 -0.05 and 0.02; 0.86 for the near-linear tanh).
  linear_r2 = r_squared(z, linear_prediction(data, examples))
  assert r2[0] > linear_r2[0] + 0.8
  assert r2[2] > linear_r2[2] + 0.3


def test_heldout_nll_beats_mixture_and_gaussian_priors(prior, data, heldout):
  examples = heldout
  nll = prior.sequence_nll_per_frame(examples)
  linear = priors.ConditionalMixturePrior(n_components=1).fit(data, seed=0)
  mixture = priors.ConditionalMixturePrior(n_components=2).fit(data, seed=0)
  z = np.concatenate([s['z'] for s in examples])
  frame_gaussian = prior.nll_per_frame(z)
  # Measured (fit seeds 0-2): network -3.12..-3.29, mixture -2.70,
  # linear-Gaussian -1.64, moment-matched frame Gaussian +2.69 nats/frame.
  assert nll < mixture.sequence_nll_per_frame(examples) - 0.2
  assert nll < linear.sequence_nll_per_frame(examples) - 1.0
  assert nll < frame_gaussian - 5.0


def test_unconditional_log_prob_is_the_moment_matched_gaussian(prior, data):
  frames = np.concatenate([s['z'] for s in data]).astype(np.float64)
  np.testing.assert_allclose(prior.distribution.mean(), frames.mean(0),
                             atol=1e-5)
  np.testing.assert_allclose(prior.distribution.covariance(),
                             np.cov(frames, rowvar=False), atol=1e-5)
  assert prior.log_prob(frames[:7]).shape == (7,)


# ------------------------------------------------------ Residual dynamics.
def heldout_residuals(prior, examples):
  out = []
  for s in examples:
    mean, scale = prior.conditional_mean_and_scale(s['f0_hz'],
                                                   s['loudness_db'])
    out.append((s['z'] - mean[0]) / scale[0])
  return out


def test_ar_matrix_recovers_the_residual_dynamics(prior, heldout):
  a = prior.ar_matrix
  assert a.shape == (Z_DIMS, Z_DIMS)
  # The noise-only dimension's residual is the AR(1) noise (0.891-0.895).
  assert a[NOISE_DIM, NOISE_DIM] == pytest.approx(RHO, abs=0.05)
  # The others' also hold the network's error, but follow the held-out
  # residuals' lag-1 autocorrelation (measured within 0.055 of it).
  data_ac = markov.lag1_autocorrelation(heldout_residuals(prior, heldout))
  np.testing.assert_allclose(np.diag(a), data_ac, atol=0.1)
  assert np.all(np.diag(a) > 0.6)
  # The noises are independent: off-diagonals measured below 0.03.
  assert np.max(np.abs(a - np.diag(np.diag(a)))) < 0.06
  assert prior.fit_info['ar_spectral_radius'] == pytest.approx(
      np.max(np.abs(np.linalg.eigvals(a))))


def test_temporal_samples_have_the_residual_dynamics(prior, heldout):
  examples = heldout
  f0_hz, ld = stacked_controls(examples, 100)
  mean, scale = prior.conditional_mean_and_scale(f0_hz, ld)
  data_ac = markov.lag1_autocorrelation(heldout_residuals(prior, examples))
  stationary_std = np.sqrt(np.diag(
      prior.stationary_scale_tril @ prior.stationary_scale_tril.T))
  acs = {}
  for mode in ('temporal', 'independent'):
    z = prior.sample(100, seed=3, mode=mode, batch_size=len(examples),
                     f0_hz=f0_hz, loudness_db=ld)
    residual = (z - mean) / scale
    acs[mode] = markov.lag1_autocorrelation(residual)
    np.testing.assert_allclose(residual.reshape(-1, Z_DIMS).std(0),
                               stationary_std, rtol=0.25)
  # Measured: temporal [0.74-0.75, 0.80-0.81, 0.87, 0.88-0.89] (within 0.03
  # of the AR diagonal), held-out data [0.71-0.73, 0.87-0.89, 0.85-0.86,
  # 0.88], independent within 0.03 of 0; residual stds 0.92-1.09 of the
  # stationary ones.
  np.testing.assert_allclose(acs['temporal'], np.diag(prior.ar_matrix),
                             atol=0.06)
  np.testing.assert_allclose(acs['temporal'], data_ac, atol=0.12)
  np.testing.assert_allclose(acs['independent'], 0.0, atol=0.1)


def test_dynamics_improve_the_sequence_likelihood(prior, heldout):
  examples = heldout
  frame_nll = -np.mean(np.concatenate([
      prior.log_prob(s['z'], f0_hz=s['f0_hz'], loudness_db=s['loudness_db'])
      for s in examples]))
  # Measured: -3.12..-3.29 with the dynamics, -0.42..-0.57 frame by frame.
  assert prior.sequence_nll_per_frame(examples) < frame_nll - 1.5


# ------------------------------------------------------------------ Modes.
@pytest.mark.parametrize('mode', MODES)
def test_sample_shapes_and_batched_controls(prior, heldout, mode):
  examples = heldout
  f0_hz, ld = stacked_controls(examples[:3], 40)
  z = prior.sample(40, seed=0, mode=mode, batch_size=3, f0_hz=f0_hz,
                   loudness_db=ld)
  assert z.shape == (3, 40, Z_DIMS) and z.dtype == np.float32
  assert np.all(np.isfinite(z))
  # One control track [n_frames] is used for every clip of the batch.
  one = prior.sample(40, seed=0, mode=mode, batch_size=3, f0_hz=f0_hz[0],
                     loudness_db=ld[0])
  tiled = prior.sample(40, seed=0, mode=mode, batch_size=3,
                       f0_hz=np.tile(f0_hz[:1], [3, 1]),
                       loudness_db=np.tile(ld[:1], [3, 1]))
  np.testing.assert_array_equal(one, tiled)
  assert np.array_equal(one[0], one[1]) == (mode == 'mean')


def test_each_clip_follows_its_own_controls(prior, heldout):
  examples = heldout
  f0_hz, ld = stacked_controls(examples[:2], 50)
  both = prior.sample(50, mode='mean', batch_size=2, f0_hz=f0_hz,
                      loudness_db=ld)
  for i in range(2):
    alone = prior.sample(50, mode='mean', f0_hz=f0_hz[i], loudness_db=ld[i])
    np.testing.assert_allclose(both[i], alone[0], atol=1e-4)
  assert np.abs(both[0] - both[1]).max() > 0.5


def test_mean_mode_is_the_deterministic_conditional_mean(prior, heldout):
  s = heldout[0]
  mean, scale = prior.conditional_mean_and_scale(s['f0_hz'], s['loudness_db'])
  assert mean.shape == scale.shape == (1, len(s['z']), Z_DIMS)
  assert np.all(scale > 0)
  z = prior.sample(len(s['z']), seed=0, mode='mean', f0_hz=s['f0_hz'],
                   loudness_db=s['loudness_db'])
  np.testing.assert_allclose(z, mean, rtol=1e-6, atol=1e-6)
  np.testing.assert_array_equal(
      z, prior.sample(len(s['z']), seed=123, mode='mean', f0_hz=s['f0_hz'],
                      loudness_db=s['loudness_db']))


@pytest.mark.parametrize('mode', ('temporal', 'independent'))
def test_seeds(prior, mode):
  f0_hz, ld = np.full(30, 330.0), np.full(30, -25.0)
  def draw(seed):
    return prior.sample(30, seed=seed, mode=mode, batch_size=2, f0_hz=f0_hz,
                        loudness_db=ld)
  np.testing.assert_array_equal(draw(7), draw(7))
  assert not np.allclose(draw(7), draw(8))


def test_default_mode_is_temporal(prior):
  assert prior.default_mode == 'temporal'
  assert prior.SAMPLE_MODES == MODES
  assert prior.CONDITIONS == ('f0_hz', 'loudness_db')
  f0_hz, ld = np.full(30, 330.0), np.full(30, -25.0)
  np.testing.assert_array_equal(
      prior.sample(30, seed=4, f0_hz=f0_hz, loudness_db=ld),
      prior.sample(30, seed=4, mode='temporal', f0_hz=f0_hz, loudness_db=ld))


# ------------------------------------------------------------ Save / load.
def test_save_load_round_trip(prior, heldout, tmp_path):
  examples = heldout
  path = str(tmp_path / 'net.json')
  prior.save(path)
  with open(path) as f:
    record = json.load(f)
  assert record['kind'] == 'prior' and record['type'] == 'conditional_net'
  assert record['conditions'] == ['f0_hz', 'loudness_db']
  assert record['config']['channels'] == 32
  assert record['config']['dilations'] == [1, 2, 4, 8]
  weights = record['params']['weights']
  assert set(weights) == {'in_kernel', 'in_bias', 'out_kernel', 'out_bias'} | {
      f'block{i}_{k}' for i in range(4) for k in ('kernel', 'bias')}
  assert weights['in_kernel']['shape'] == [1, 2, 32]
  assert weights['block2_kernel']['shape'] == [3, 32, 32]
  assert weights['out_kernel']['shape'] == [1, 32, 2 * Z_DIMS]
  for w in weights.values():
    assert w['dtype'] == 'float32'
    assert len(base64.b64decode(w['base64'])) == 4 * np.prod(w['shape'])
  np.testing.assert_array_equal(
      np.frombuffer(base64.b64decode(weights['block2_kernel']['base64']),
                    '<f4').reshape(3, 32, 32),
      prior.weights['block2_kernel'])

  loaded = priors.load_prior(path)
  assert isinstance(loaded, priors.ConditionalNetworkPrior)
  assert (loaded.z_dims, loaded.model_fingerprint, loaded.model_step) == (
      Z_DIMS, 'model-net', 5)
  assert loaded.get_config() == prior.get_config()
  f0_hz, ld = stacked_controls(examples[:2], 60)
  for mode in MODES:
    np.testing.assert_array_equal(
        loaded.sample(60, seed=9, mode=mode, batch_size=2, f0_hz=f0_hz,
                      loudness_db=ld),
        prior.sample(60, seed=9, mode=mode, batch_size=2, f0_hz=f0_hz,
                     loudness_db=ld))
  assert loaded.sequence_nll_per_frame(examples) == pytest.approx(
      prior.sequence_nll_per_frame(examples), rel=1e-12)
  z = examples[0]['z']
  np.testing.assert_array_equal(loaded.log_prob(z), prior.log_prob(z))


@pytest.mark.parametrize('key,value', [('channels', 16), ('kernel_size', 5),
                                       ('dilations', [1, 2, 4])])
def test_config_that_disagrees_with_the_weights_is_refused(prior, tmp_path,
                                                           key, value):
  path = str(tmp_path / 'net.json')
  prior.save(path)
  with open(path) as f:
    record = json.load(f)
  record['config'][key] = value
  with open(path, 'w') as f:
    json.dump(record, f)
  with pytest.raises(priors.PriorMismatchError, match='refit'):
    priors.load_prior(path)


# ----------------------------------------------------------------- Errors.
def test_controls_are_required_and_checked(prior):
  with pytest.raises(ValueError, match='f0_hz'):
    prior.sample(10, seed=0)
  with pytest.raises(ValueError, match='f0_hz'):
    prior.sample(10, seed=0, f0_hz=np.full(10, 220.0))
  with pytest.raises(ValueError, match=r'\[1, 10\] or \[10\]'):
    prior.sample(10, f0_hz=np.full(9, 220.0), loudness_db=np.full(9, -30.0))
  with pytest.raises(ValueError, match=r'\[2, 10\] or \[10\]'):
    prior.sample(10, batch_size=2, f0_hz=np.full([3, 10], 220.0),
                 loudness_db=np.full([3, 10], -30.0))
  with pytest.raises(ValueError, match='same shape'):
    prior.sample(10, f0_hz=np.full(10, 220.0), loudness_db=np.zeros(9))


def test_fit_needs_examples_with_controls():
  with pytest.raises(ValueError, match='load_sequences'):
    priors.ConditionalNetworkPrior(**TINY).fit(np.zeros([50, Z_DIMS]))
  with pytest.raises(ValueError, match='loudness_db'):
    priors.ConditionalNetworkPrior(**TINY).fit(
        [{'z': np.zeros([50, Z_DIMS]), 'f0_hz': np.full(50, 220.0)}])


def test_unfitted_prior_and_even_kernel_are_refused():
  with pytest.raises(ValueError, match='not fitted'):
    priors.ConditionalNetworkPrior().sample(10, f0_hz=np.full(10, 220.0),
                                            loudness_db=np.full(10, -30.0))
  for kernel_size in (2, 4, 0):
    with pytest.raises(ValueError, match='odd'):
      priors.ConditionalNetworkPrior(kernel_size=kernel_size)
  assert priors.ConditionalNetworkPrior(kernel_size=5, dilations=(1, 3)
                                       ).receptive_radius == 8
  # No training steps would leave nothing to save (NaN losses): refused.
  for bad in ({'train_steps': 0}, {'batch_size': 0}, {'channels': 0},
              {'segment_frames': 0}):
    with pytest.raises(ValueError, match=f'{list(bad)[0]}.*0'):
      priors.ConditionalNetworkPrior(**bad)


# --------------------------------------------------------------- Controls.
def test_controls_outside_the_training_range_are_clipped(prior):
  (low_midi, high_midi), (low_db, high_db) = prior.condition_range
  assert 52.0 < low_midi < 55.0 and 80.0 < high_midi < 83.0
  def mean_at(midi, loudness_db):
    return prior.sample(20, mode='mean', f0_hz=np.full(20, midi_to_hz(midi)),
                        loudness_db=np.full(20, loudness_db))
  np.testing.assert_allclose(mean_at(high_midi + 20.0, -30.0),
                             mean_at(high_midi, -30.0), atol=1e-5)
  np.testing.assert_allclose(mean_at(low_midi - 20.0, low_db - 30.0),
                             mean_at(low_midi, low_db), atol=1e-5)
  # Not because z ignores pitch: 2 sin(0.25 midi) differs by ~1.8 here.
  assert np.abs(mean_at(high_midi, -30.0) - mean_at(high_midi - 6.0, -30.0)
                )[..., 0].min() > 0.8


# ----------------------------------------------------------- log_prob(z|c).
def test_conditional_log_prob(prior, heldout):
  s = heldout[0]
  log_p = prior.log_prob(s['z'], f0_hz=s['f0_hz'],
                         loudness_db=s['loudness_db'])
  assert log_p.shape == (len(s['z']),) and np.all(np.isfinite(log_p))
  shifted = prior.log_prob(s['z'] + s['z'].std(0), f0_hz=s['f0_hz'],
                           loudness_db=s['loudness_db'])
  # Measured: mean 1.05-1.32 on z, -18.6..-22.8 one std away, every frame.
  assert np.mean(log_p > shifted) > 0.95
  assert log_p.mean() > shifted.mean() + 10.0
  # A batch of clips gives one value per frame of each.
  batched = prior.log_prob(np.stack([s['z'], s['z']]),
                           f0_hz=np.stack([s['f0_hz'], s['f0_hz']]),
                           loudness_db=np.stack([s['loudness_db']] * 2))
  assert batched.shape == (2, len(s['z']))
  np.testing.assert_allclose(batched[1], log_p, atol=1e-4)  # float32 net.
  # Sharper than the moment-matched marginal (measured mean -2.49).
  assert log_p.mean() > prior.log_prob(s['z']).mean() + 2.0


# ---------------------------------------------------------- fit_prior CLI.
@pytest.fixture
def tiny_net_gin():
  gin.clear_config()
  gin.parse_config(['ConditionalNetworkPrior.train_steps = 200',
                    'ConditionalNetworkPrior.channels = 8',
                    'ConditionalNetworkPrior.dilations = (1, 2)',
                    'ConditionalNetworkPrior.batch_size = 4',
                    'ConditionalNetworkPrior.segment_frames = 32'])
  yield
  gin.clear_config()


def test_fit_prior_end_to_end(tiny_net_gin, tmp_path):
  del tiny_net_gin
  examples = make_examples(10, seed=2)
  pattern = str(tmp_path / 'z.tfrecord')
  z_dataset.write_z_dataset(pattern, examples, METADATA)
  output = str(tmp_path / 'net.json')
  prior, summary = fitting.fit_prior(
      pattern + '*', output, prior_name='conditional_net',
      holdout_fraction=0.2, seed=0)
  assert isinstance(prior, priors.ConditionalNetworkPrior)
  assert summary['type'] == 'conditional_net'
  assert summary['conditions'] == ['f0_hz', 'loudness_db']
  assert summary['default_mode'] == 'temporal'
  assert summary['holdout_split'] == 'examples'
  assert summary['n_fit_frames'] + summary['n_heldout_frames'] == sum(
      len(s['z']) for s in examples)
  seq_nll = summary['heldout_sequence_nll_per_frame']
  assert np.isfinite(seq_nll)
  # Given controls and past, even this tiny net beats the moment-matched
  # frame Gaussian (measured 1.38 against 2.72 nats per frame).
  assert seq_nll < summary['heldout_nll_per_frame'] - 0.5
  assert 'samples z given: f0_hz, loudness_db' in (
      fitting.format_summary(summary))

  loaded = priors.load_prior(output)
  assert (loaded.channels, loaded.dilations, loaded.train_steps) == (
      8, (1, 2), 200)
  assert loaded.fit_info['receptive_radius_frames'] == 3
  assert (loaded.z_dims, loaded.model_fingerprint, loaded.model_step) == (
      Z_DIMS, 'fp-net', 12)
  with open(output) as f:
    assert 'ConditionalNetworkPrior.train_steps = 200' in json.load(f)[
        'provenance']['gin_config']
  f0_hz, ld = stacked_controls(examples[:2], 50)
  for mode in MODES:
    z = loaded.sample(50, seed=0, mode=mode, batch_size=2, f0_hz=f0_hz,
                      loudness_db=ld)
    assert z.shape == (2, 50, Z_DIMS) and np.all(np.isfinite(z))
    np.testing.assert_array_equal(
        z, prior.sample(50, seed=0, mode=mode, batch_size=2, f0_hz=f0_hz,
                        loudness_db=ld))


def test_shifted_conv1d_equals_dilated_conv1d():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  x = tf.constant(rng.normal(size=(2, 37, 5)), tf.float32)
  for kernel_size in (1, 3, 5):
    kernel = tf.constant(rng.normal(size=(kernel_size, 5, 4)), tf.float32)
    for dilation in (1, 2, 8, 32):
      expected = tf.nn.conv1d(x, kernel, 1, 'SAME', dilations=dilation)
      got = network.shifted_conv1d(x, kernel, dilation)
      np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-5)
