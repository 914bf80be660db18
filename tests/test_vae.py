"""The KL-regularised z encoder, its model and its KL in ddsp's trainer."""

import os

from ddsp.training import models
from ddsp.training import train_util
from ddsp.training import trainers
import gin
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from ddsp_generative import gin_path
from ddsp_generative.sampling import model_io
import ddsp_generative.training  # pylint: disable=unused-import
from ddsp_generative.training import encoders

Z_DIMS = 3


def _encoder(**kwargs):
  # z_time_steps=250 on 1 s: 63 z frames (MFCC hop 256).
  return encoders.VaeMfccRnnEncoder(rnn_channels=8, z_dims=Z_DIMS,
                                    z_time_steps=250, **kwargs)


def _features(n_frames=63, seed=0):
  rng = np.random.default_rng(seed)
  return {'audio': tf.constant(0.1 * rng.normal(size=[2, 16000]), tf.float32),
          'f0_scaled': tf.zeros([2, n_frames, 1])}


def _posterior(mean, logvar):
  return {encoders.POSTERIOR_MEAN_KEY: tf.constant(mean, tf.float32),
          encoders.POSTERIOR_LOGVAR_KEY: tf.constant(logvar, tf.float32)}


def test_gaussian_kl_matches_closed_form():
  rng = np.random.default_rng(0)
  mean = rng.normal(size=[4, 5, Z_DIMS]).astype(np.float32)
  logvar = rng.normal(size=[4, 5, Z_DIMS]).astype(np.float32)
  expected = tfp.distributions.kl_divergence(
      tfp.distributions.Normal(mean, np.exp(0.5 * logvar)),
      tfp.distributions.Normal(0.0, 1.0)).numpy()
  np.testing.assert_allclose(encoders.gaussian_kl(mean, logvar).numpy(),
                             expected, rtol=1e-5, atol=1e-6)
  assert float(tf.reduce_max(encoders.gaussian_kl(
      tf.zeros([3]), tf.zeros([3])))) == 0.0


def test_mean_at_inference_sample_while_training():
  encoder = _encoder()
  features = _features()
  default = encoder(features)  # Keras' default: training=None.
  again = encoder(features, training=False)
  np.testing.assert_array_equal(default['z'], default['z_mean'])
  np.testing.assert_array_equal(default['z'], again['z'])
  assert default['z'].shape == (2, 63, Z_DIMS)

  tf.random.set_seed(0)
  sampled = encoder(features, training=True)
  resampled = encoder(features, training=True)
  assert not np.allclose(sampled['z'], resampled['z'])
  # z = mean + exp(logvar / 2) * eps with eps ~ N(0, I) (no resampling here).
  eps = ((sampled['z'] - sampled['z_mean']) /
         tf.exp(0.5 * sampled['z_logvar'])).numpy()
  assert abs(eps.mean()) < 0.2 and abs(eps.std() - 1.0) < 0.2


def test_z_follows_the_model_frame_rate():
  outputs = _encoder()(_features(n_frames=250))
  for key in ('z', 'z_mean', 'z_logvar'):
    assert outputs[key].shape == (2, 250, Z_DIMS)
  assert outputs[encoders.POSTERIOR_MEAN_KEY].shape == (2, 63, Z_DIMS)


def test_kl_loss_beta_capacity_and_free_bits():
  rng = np.random.default_rng(1)
  mean = rng.normal(size=[2, 10, Z_DIMS])
  logvar = rng.normal(size=[2, 10, Z_DIMS])
  kl = float(np.sum(np.mean(encoders.gaussian_kl(mean, logvar), axis=(0, 1))))
  outputs = _posterior(mean, logvar)

  loss = _encoder(beta=0.5).get_losses_dict(outputs)['kl_loss']
  np.testing.assert_allclose(float(loss), 0.5 * kl, rtol=1e-5)
  nats = _encoder(beta=0.5).get_metrics_dict(outputs)['kl_nats']
  np.testing.assert_allclose(float(nats), kl, rtol=1e-5)

  # Capacity: beta * |KL - C|, pushing the KL towards C from both sides.
  for capacity in (kl - 1.0, kl + 2.0):
    loss = _encoder(beta=2.0, capacity=capacity).get_losses_dict(outputs)
    np.testing.assert_allclose(float(loss['kl_loss']),
                               2.0 * abs(kl - capacity), rtol=1e-4)

  # Free bits: dimensions below the floor cost the floor (no gradient).
  prior_like = _posterior(np.zeros([2, 10, Z_DIMS]), np.zeros([2, 10, Z_DIMS]))
  loss = _encoder(free_bits=0.25).get_losses_dict(prior_like)['kl_loss']
  np.testing.assert_allclose(float(loss), 0.25 * Z_DIMS)
  zero_mean = tf.Variable(tf.zeros([2, 10, Z_DIMS]))
  with tf.GradientTape() as tape:
    loss = _encoder(free_bits=0.25).get_losses_dict({
        encoders.POSTERIOR_MEAN_KEY: zero_mean,
        encoders.POSTERIOR_LOGVAR_KEY: tf.zeros([2, 10, Z_DIMS])})['kl_loss']
  assert float(tf.reduce_max(tf.abs(tape.gradient(loss, zero_mean)))) == 0.0


@pytest.mark.parametrize('kwargs', [{'beta': -1.0}, {'capacity': -1.0},
                                    {'capacity': 1.0, 'free_bits': 0.1}])
def test_bad_settings_are_rejected(kwargs):
  with pytest.raises(ValueError):
    _encoder(**kwargs)


def test_kl_in_trainer_losses_and_total(tiny_tfrecords, monkeypatch):
  gin.clear_config()
  gin_path.add_gin_search_paths()
  with gin.unlock_config():
    gin.parse_config_file(os.path.join('optimization', 'base.gin'))
    gin.parse_config_files_and_bindings(
        ['gin/harmonic_noise_vae_z.gin', 'gin/sizes/tiny.gin'],
        [f"TFRecordProvider.file_pattern = '{tiny_tfrecords}'",
         'VaeMfccRnnEncoder.beta = 0.5'])
  provider = gin.query_parameter('train.data_provider').scoped_configurable_fn()
  seen = []
  call = encoders.VaeMfccRnnEncoder.call

  def spy(self, audio, f0_scaled, training=None):
    seen.append(training)
    return call(self, audio, f0_scaled, training=training)

  monkeypatch.setattr(encoders.VaeMfccRnnEncoder, 'call', spy)
  strategy = train_util.get_strategy()
  with strategy.scope():
    model = models.get_model()
    trainer = trainers.Trainer(model, strategy)
  batches = iter(trainer.distribute_dataset(
      provider.get_batch(batch_size=2, shuffle=False, repeats=1)))
  trainer.build(next(batches))
  seen.clear()
  losses = {k: float(v) for k, v in trainer.train_step(batches).items()}
  gin.clear_config()

  # ddsp calls self.encoder(features) without `training`: Keras passes the
  # model's training=True on, so the encoder samples while training.
  assert seen and all(t is True for t in seen)
  assert set(losses) == {'spectral_loss', 'kl_loss', 'kl_nats', 'total_loss'}
  np.testing.assert_allclose(losses['kl_loss'], 0.5 * losses['kl_nats'],
                             rtol=1e-4)
  # kl_nats is logged, not optimised.
  np.testing.assert_allclose(
      losses['total_loss'], losses['spectral_loss'] + losses['kl_loss'],
      rtol=1e-5)


def test_trained_vae_encodes_its_posterior_mean(tiny_vae_model_dir):
  trained = model_io.load_model(tiny_vae_model_dir)
  assert trained.z_dims == 4  # gin/sizes/tiny.gin
  rng = np.random.default_rng(0)
  audio = 0.1 * rng.normal(size=[2, 16000]).astype(np.float32)
  f0 = np.full([2, 250], 220.0, np.float32)
  ld = np.full([2, 250], -30.0, np.float32)
  first = trained.encode(audio, f0, ld)
  second = trained.encode(audio, f0, ld)
  np.testing.assert_array_equal(first['z'], second['z'])
  assert first['z_logvar'].shape == first['z'].shape == (2, 250, 4)
  decoded = trained.decode(f0, ld, first['z'], seed=0)
  assert decoded.shape == (2, 16000) and np.all(np.isfinite(decoded))
  assert 'VaeMfccRnnEncoder.beta' in trained.operative_config
