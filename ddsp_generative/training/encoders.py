# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""A probabilistic, KL-regularised z encoder (a VAE posterior over z).

`VaeMfccRnnEncoder` is ddsp's `MfccTimeDistributedRnnEncoder` (MFCC -> GRU ->
dense, the DDSP paper's z encoder) with a Gaussian posterior per z frame:

  q(z_t | audio) = N(mean_t, diag(exp(logvar_t)))

* while training it returns a reparameterised sample
  z_t = mean_t + exp(logvar_t / 2) * eps, eps ~ N(0, I);
* at inference (`training` False or None) it returns the mean, so encoding is
  deterministic and `model_io.TrainedModel.encode` gives the posterior mean;
* `get_losses_dict` gives its KL term to the prior N(0, I), weighted by beta,
  with an optional capacity (Burgess et al. 2018: beta * |KL - C|) or free
  bits (Kingma et al. 2016: beta * sum_d max(KL_d, lambda)); `models.
  VaeAutoencoder` adds it to ddsp's losses, so it enters `total_loss` and
  ddsp's trainer logs it to TensorBoard.

The KL is computed at the encoder's own rate (`z_time_steps` frames per
example) and is reported per z frame, in nats, summed over z dimensions.
"""

from ddsp.training import encoders
import gin
import tensorflow as tf

tfkl = tf.keras.layers

# Keys of the encoder outputs (all at the model's frame rate).
Z_KEY = 'z'
Z_MEAN_KEY = 'z_mean'
Z_LOGVAR_KEY = 'z_logvar'
# Posterior at the encoder's own rate, consumed by get_losses_dict.
POSTERIOR_MEAN_KEY = 'z_posterior_mean'
POSTERIOR_LOGVAR_KEY = 'z_posterior_logvar'
# Names in ddsp's losses dict (and TensorBoard's losses/ tab).
KL_LOSS_KEY = 'kl_loss'
KL_NATS_KEY = 'kl_nats'


def gaussian_kl(mean, logvar):
  """KL(N(mean, exp(logvar)) || N(0, 1)) per element, in nats.

  Args:
    mean: [...] posterior means.
    logvar: [...] posterior log-variances.

  Returns:
    [...] non-negative KL divergences.
  """
  return 0.5 * (tf.square(mean) + tf.exp(logvar) - 1.0 - logvar)


@gin.register(module='ddsp_generative.training.encoders')
class VaeMfccRnnEncoder(encoders.MfccTimeDistributedRnnEncoder):
  """MFCC -> GRU -> (mean, log-variance) per z frame; KL-regularised."""

  def __init__(self,
               rnn_channels=512,
               rnn_type='gru',
               z_dims=16,
               z_time_steps=125,
               beta=1.0,
               capacity=0.0,
               free_bits=0.0,
               **kwargs):
    """Constructor.

    Args:
      rnn_channels: Units of the GRU (or LSTM).
      rnn_type: 'gru' or 'lstm'.
      z_dims: Dimensions of z per frame.
      z_time_steps: z frames per example (63, 125, 250, 500 or 1000); z is
        then resampled to the model's frame rate, like ddsp's encoder.
      beta: Weight of the KL term in the total loss.
      capacity: Target KL C in nats per z frame; when > 0 the loss is
        beta * |KL - C| (a capacity-controlled beta-VAE).
      free_bits: Nats per z frame and dimension below which a dimension's KL
        is not penalised; when > 0 the loss is beta * sum_d max(KL_d, value).
      **kwargs: Keras layer arguments, e.g. name.

    Raises:
      ValueError: Negative beta, capacity or free_bits, or both capacity and
        free_bits set.
    """
    super().__init__(rnn_channels=rnn_channels, rnn_type=rnn_type,
                     z_dims=z_dims, z_time_steps=z_time_steps, **kwargs)
    if min(beta, capacity, free_bits) < 0:
      raise ValueError('beta, capacity and free_bits must be >= 0; got '
                       f'{beta}, {capacity}, {free_bits}.')
    if capacity > 0 and free_bits > 0:
      raise ValueError('Set either capacity or free_bits, not both.')
    self.z_dims = z_dims
    self.beta = float(beta)
    self.capacity = float(capacity)
    self.free_bits = float(free_bits)
    # Replaces the parent's Dense(z_dims): mean and log-variance per frame.
    self.dense_out = tfkl.Dense(2 * z_dims)

  def compute_posterior(self, audio):
    """Posterior parameters at the encoder's rate.

    Args:
      audio: [batch, n_samples].

    Returns:
      mean, logvar: [batch, z_time_steps, z_dims] each.
    """
    params = self.compute_z(audio)  # MFCC -> norm -> RNN -> dense.
    mean, logvar = tf.split(params, 2, axis=-1)
    return mean, logvar

  def call(self, audio, f0_scaled, training=None):
    """Encodes audio.

    Args:
      audio: [batch, n_samples].
      f0_scaled: [batch, n_frames, 1]; only its number of frames is used.
      training: True samples z from the posterior; False or None (Keras'
        default outside of training) returns the posterior mean.

    Returns:
      Dict with 'z' (sample or mean), 'z_mean', 'z_logvar' at the model's
      frame rate, [batch, n_frames, z_dims], and the posterior at the
      encoder's rate ('z_posterior_mean', 'z_posterior_logvar',
      [batch, z_time_steps, z_dims]) for `get_losses_dict`.
    """
    time_steps = int(f0_scaled.shape[1])
    mean, logvar = self.compute_posterior(audio)
    if training:
      z = mean + tf.exp(0.5 * logvar) * tf.random.normal(tf.shape(mean))
    else:
      z = mean
    return {
        Z_KEY: self.expand_z(z, time_steps),
        Z_MEAN_KEY: self.expand_z(mean, time_steps),
        Z_LOGVAR_KEY: self.expand_z(logvar, time_steps),
        POSTERIOR_MEAN_KEY: mean,
        POSTERIOR_LOGVAR_KEY: logvar,
    }

  def kl_per_dim(self, mean, logvar):
    """Mean KL per z frame of each dimension, [z_dims] (nats)."""
    return tf.reduce_mean(gaussian_kl(mean, logvar), axis=[0, 1])

  def get_losses_dict(self, outputs):
    """The KL loss term, from this encoder's outputs.

    Args:
      outputs: Dict holding 'z_posterior_mean' and 'z_posterior_logvar'.

    Returns:
      {'kl_loss': beta * regularised KL}: a scalar to add to the total loss.
    """
    kl_d = self.kl_per_dim(outputs[POSTERIOR_MEAN_KEY],
                           outputs[POSTERIOR_LOGVAR_KEY])
    if self.free_bits > 0:
      kl = tf.reduce_sum(tf.maximum(kl_d, self.free_bits))
    else:
      kl = tf.reduce_sum(kl_d)
    if self.capacity > 0:
      kl = tf.abs(kl - self.capacity)
    return {KL_LOSS_KEY: self.beta * kl}

  def get_metrics_dict(self, outputs):
    """Diagnostics logged beside the losses but not added to the total.

    Args:
      outputs: Dict holding 'z_posterior_mean' and 'z_posterior_logvar'.

    Returns:
      {'kl_nats': KL(q || N(0, I)) per z frame, summed over dimensions}.
    """
    kl_d = self.kl_per_dim(outputs[POSTERIOR_MEAN_KEY],
                           outputs[POSTERIOR_LOGVAR_KEY])
    return {KL_NATS_KEY: tf.reduce_sum(kl_d)}

