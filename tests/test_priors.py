# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Tests for ddsp_generative.priors: real scikit-learn, TFP and files."""

import json
import logging

from ddsp_generative.core import artifacts
from ddsp_generative import priors
from ddsp_generative.priors import base as prior_base
import gin
import numpy as np
import pytest

CENTERS = np.array([[6., 0., 0., 0.],
                    [0., 6., 0., 0.],
                    [0., 0., 6., 6.]])


def clustered_z(n_frames=3000, seed=0):
  """Three well-separated clusters in 4-d: (z [N, 4], labels [N])."""
  rng = np.random.default_rng(seed)
  labels = rng.integers(0, len(CENTERS), n_frames)
  z = CENTERS[labels] + 0.5 * rng.normal(size=(n_frames, 4))
  return z.astype(np.float32), labels


def nearest_center(z):
  """Index of the true cluster nearest to each frame: [..., 4] -> [...]."""
  return np.argmin(((z[..., None, :] - CENTERS) ** 2).sum(-1), axis=-1)


@pytest.fixture(scope='module')
def gmm():
  z, _ = clustered_z()
  return priors.GaussianMixturePrior(
      candidate_n_components=range(1, 7)).fit(
          z, model_fingerprint='model-a', model_step=42, seed=0)


@pytest.fixture(autouse=True)
def clear_gin():
  yield
  gin.clear_config()


def test_bic_picks_three_components(gmm):
  assert gmm.num_components == 3
  assert gmm.fit_info['n_components'] == 3
  curve = gmm.fit_info['bic_curve']
  assert [c['n_components'] for c in curve] == [1, 2, 3, 4, 5, 6]
  assert min(curve, key=lambda c: c['bic'])['n_components'] == 3
  assert gmm.fit_info['n_fit_frames'] == 3000
  np.testing.assert_allclose(np.sort(gmm.weights), [1 / 3] * 3, atol=0.05)


@pytest.mark.parametrize('mode', ['independent', 'component'])
def test_sample_shape_and_determinism(gmm, mode):
  z = gmm.sample(20, seed=3, mode=mode, batch_size=5)
  assert z.shape == (5, 20, 4)
  assert z.dtype == np.float32
  np.testing.assert_array_equal(
      z, gmm.sample(20, seed=3, mode=mode, batch_size=5))
  assert not np.array_equal(z, gmm.sample(20, seed=4, mode=mode,
                                          batch_size=5))


def test_component_mode_stays_in_one_cluster(gmm):
  z = gmm.sample(40, seed=0, mode='component', batch_size=12)
  for clip in z:
    assert len(np.unique(gmm.predict(clip))) == 1
    assert len(np.unique(nearest_center(clip))) == 1
  # Different clips draw different components.
  assert len(np.unique(nearest_center(z[:, 0]))) > 1
  # The default mode is 'component'.
  np.testing.assert_array_equal(
      gmm.sample(40, seed=0, batch_size=12), z)


def test_independent_mode_mixes_clusters(gmm):
  z = gmm.sample(40, seed=0, mode='independent', batch_size=3)
  for clip in z:
    assert len(np.unique(gmm.predict(clip))) == 3


def test_given_component(gmm):
  for k in range(3):
    z = gmm.sample(30, seed=1, mode='component', component=k, batch_size=2)
    assert np.all(gmm.predict(z.reshape(-1, 4)) == k)
  z = gmm.sample(30, seed=1, mode='component', component=[2, 0],
                 batch_size=2)
  assert np.all(gmm.predict(z[0]) == 2) and np.all(gmm.predict(z[1]) == 0)
  with pytest.raises(ValueError, match='component must be'):
    gmm.sample(3, mode='component', component=3)


def test_unknown_mode_lists_valid_modes(gmm):
  with pytest.raises(ValueError, match=r"'hmm'.*\['independent', "
                     r"'component'\]"):
    gmm.sample(5, mode='hmm')


def test_log_prob(gmm):
  z, _ = clustered_z(100, seed=1)
  log_prob = gmm.log_prob(z)
  assert log_prob.shape == (100,)
  assert np.all(np.isfinite(log_prob))
  far = gmm.log_prob(np.full([1, 4], 30.0))
  assert far[0] < log_prob.min()
  assert gmm.nll_per_frame(z) == pytest.approx(-log_prob.mean())
  with pytest.raises(priors.PriorMismatchError, match='z_dims=4'):
    gmm.log_prob(np.zeros([3, 8]))


def test_save_load_round_trip(gmm, tmp_path):
  path = str(tmp_path / 'prior.json')
  gmm.save(path)
  loaded = priors.load_prior(path)
  assert isinstance(loaded, priors.GaussianMixturePrior)
  assert (loaded.z_dims, loaded.model_fingerprint, loaded.model_step) == (
      4, 'model-a', 42)
  assert loaded.get_config() == gmm.get_config()
  for mode in ('independent', 'component'):
    np.testing.assert_array_equal(
        loaded.sample(25, seed=7, mode=mode, batch_size=3),
        gmm.sample(25, seed=7, mode=mode, batch_size=3))
  z, _ = clustered_z(200, seed=2)
  np.testing.assert_array_equal(loaded.log_prob(z), gmm.log_prob(z))
  assert priors.GaussianMixturePrior.load(path).num_components == 3


def test_saved_file_is_versioned_json(gmm, tmp_path):
  path = str(tmp_path / 'prior.json')
  gmm.save(path, extra_provenance={'seed': 0})
  with open(path, 'rb') as f:
    raw = f.read()
  assert not raw.startswith(b'\x80')  # Not a pickle.
  record = json.loads(raw.decode('utf-8'))
  assert record['kind'] == 'prior'
  assert record['format_version'] == 1
  assert record['type'] == 'gmm'
  assert record['z_dims'] == 4
  assert record['model_fingerprint'] == 'model-a'
  assert record['model_step'] == 42
  assert record['provenance']['seed'] == 0
  assert np.asarray(record['params']['scale_tril']).shape == (3, 4, 4)
  assert len(record['fit_info']['bic_curve']) == 6


def test_load_refuses_other_files(tmp_path):
  path = str(tmp_path / 'other.json')
  artifacts.write_json(path, 'z_dataset', 1, {})
  with pytest.raises(artifacts.ArtifactError, match='not a prior'):
    priors.load_prior(path)
  artifacts.write_json(path, 'prior', 1, {'type': 'flow', 'z_dims': 4})
  with pytest.raises(ValueError, match="Unknown prior type 'flow'"):
    priors.load_prior(path)
  priors.StandardNormalPrior(z_dims=4).save(path)
  with pytest.raises(priors.PriorMismatchError):
    priors.GaussianMixturePrior.load(path)


@pytest.mark.parametrize('covariance_type',
                         ['diag', 'spherical', 'tied', 'full'])
def test_covariance_types(covariance_type, tmp_path):
  z, _ = clustered_z(600)
  prior = priors.GaussianMixturePrior(
      n_components=3, covariance_type=covariance_type).fit(z, seed=0)
  assert prior.fit_info['bic_curve'][0]['n_components'] == 3
  assert np.all(np.isfinite(prior.log_prob(z)))
  path = str(tmp_path / 'prior.json')
  prior.save(path)
  np.testing.assert_array_equal(priors.load_prior(path).log_prob(z),
                                prior.log_prob(z))


def test_check_compatible(gmm, caplog):
  message = ("prior has z_dims=4 but the model's encoder outputs z_dims=16: "
             'fit a prior on z extracted from this model with '
             'ddsp_generative_extract_z + ddsp_generative_fit_prior')
  with pytest.raises(priors.PriorMismatchError) as error:
    priors.check_compatible(gmm, 16, 'model-a')
  assert str(error.value) == message
  assert isinstance(error.value, ValueError)
  with caplog.at_level(logging.WARNING):
    priors.check_compatible(gmm, 4, 'model-a')
    assert not caplog.records
    priors.check_compatible(gmm, 4, 'model-b')
  assert 'model-a' in caplog.text and 'model-b' in caplog.text


def test_standard_normal_prior(tmp_path):
  prior = priors.StandardNormalPrior(z_dims=3)
  z = prior.sample(10, seed=0, batch_size=2)
  assert z.shape == (2, 10, 3)
  np.testing.assert_array_equal(z, prior.sample(10, seed=0, batch_size=2))
  x = np.array([[0., 0., 0.], [1., 2., -1.]])
  expected = -0.5 * (3 * np.log(2 * np.pi) + (x ** 2).sum(-1))
  np.testing.assert_allclose(prior.log_prob(x), expected)
  with pytest.raises(ValueError, match="valid modes: \\['independent'\\]"):
    prior.sample(10, mode='component')
  with pytest.raises(priors.PriorMismatchError):
    prior.fit(np.zeros([5, 4]))
  path = str(tmp_path / 'normal.json')
  prior.fit([np.zeros([5, 3]), np.ones([2, 3])], model_fingerprint='vae')
  prior.save(path)
  loaded = priors.load_prior(path)
  assert isinstance(loaded, priors.StandardNormalPrior)
  assert (loaded.z_dims, loaded.model_fingerprint) == (3, 'vae')
  np.testing.assert_array_equal(loaded.sample(4, seed=5), prior.sample(4,
                                                                       seed=5))


def test_unfitted_prior_raises():
  with pytest.raises(ValueError, match='not fitted'):
    priors.GaussianMixturePrior().sample(5)
  with pytest.raises(ValueError, match='not fitted'):
    priors.StandardNormalPrior().log_prob(np.zeros([1, 2]))


def test_gin_configures_the_prior():
  gin.parse_config([
      'GaussianMixturePrior.n_components = 2',
      "ddsp_generative.priors.GaussianMixturePrior.covariance_type = 'diag'",
  ])
  prior = gin.get_configurable(priors.GaussianMixturePrior)()
  assert isinstance(prior, priors.GaussianMixturePrior)
  assert (prior.n_components, prior.covariance_type) == (2, 'diag')
  # Direct construction is unaffected (gin.register).
  assert priors.GaussianMixturePrior().n_components is None


@pytest.mark.parametrize('prior_class', [priors.HiddenMarkovPrior,
                                         priors.ConditionalMixturePrior,
                                         priors.ConditionalNetworkPrior])
@pytest.mark.parametrize('radius', [0.0, 1.0, 1.5])
def test_every_ar_prior_bounds_its_spectral_radius_alike(prior_class,
                                                         radius):
  # One check (`base.checked_spectral_radius`) for every prior with AR
  # dynamics: the same message whichever prior is built.
  with pytest.raises(ValueError) as raised:
    prior_class(max_spectral_radius=radius)
  assert str(raised.value) == (
      'max_spectral_radius must be in (0, 1), so that long samples stay '
      f'stable; got {radius}.')
  assert prior_base.checked_spectral_radius(0.5) == 0.5
  assert prior_class(max_spectral_radius=0.9).max_spectral_radius == 0.9
