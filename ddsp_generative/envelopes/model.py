# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""EnvelopeVae: a conditional VAE over fixed-length (f0, loudness) envelopes.

After report 003 (3 s windows at 250 Hz, a 64-d latent, conv1d encoder and
decoder, beta-weighted KL), with the conditional decoder it proposes: the
decoder is given the window's MIDI pitch, and pitch is modelled relative to
it (`normalize`), so a sample can be asked for at any pitch.

  encoder: [n_frames, 2] -> Conv1D(c, k, stride s) + LayerNorm + LeakyReLU,
           per (c, s) in zip(channels, strides) -> flatten, concat condition
           -> Dense(hidden_units) -> z_mean, z_logvar [latent_dims]
  decoder: concat(z, condition) -> Dense(hidden_units) -> Dense(L0 * c)
           -> per (c, s) reversed: UpSampling1D(s) + Conv1D(c, k)
           + LayerNorm + LeakyReLU -> crop to n_frames -> Conv1D(2, k)

Upsampling + convolution rather than transposed convolutions, as 003 ended
with (no checkerboard artefacts). LayerNorm, not 003's BatchNorm: the same
output in training and inference, whatever the batch size.

Loss per window: reconstruction = sum over frames and both channels of the
squared error; KL(q(z|x) || N(0, I)) summed over latent dimensions;
total = reconstruction + beta * KL. beta = 1 would be the ELBO of a Gaussian
likelihood of variance 0.5 per value; the default beta = 0.01 corresponds to
a standard deviation of 0.07 (0.85 semitone of pitch, 2.8 dB of loudness),
precise enough to keep vibrato and note shapes while the KL keeps the
latent close to N(0, I) for sampling (report 003 also settled on 0.01).
"""

import gin
import numpy as np
import tensorflow as tf

from ddsp_generative.core import seeds
from ddsp_generative.envelopes import normalize

tfkl = tf.keras.layers


def slerp(z_a, z_b, t):
  """Spherical interpolation, linear where the vectors are (anti)parallel.

  Args:
    z_a: [latent_dims].
    z_b: [latent_dims].
    t: [n_steps] positions in [0, 1].

  Returns:
    [n_steps, latent_dims]; row i is z_a at t=0 and z_b at t=1.
  """
  z_a, z_b = np.asarray(z_a, np.float64), np.asarray(z_b, np.float64)
  t = np.asarray(t, np.float64)[:, np.newaxis]
  cos = np.dot(z_a, z_b) / max(np.linalg.norm(z_a) * np.linalg.norm(z_b),
                               1e-12)
  omega = np.arccos(np.clip(cos, -1.0, 1.0))
  if np.sin(omega) < 1e-6:
    return (1.0 - t) * z_a + t * z_b
  return (np.sin((1.0 - t) * omega) * z_a + np.sin(t * omega) * z_b) / np.sin(
      omega)


@gin.register(module='ddsp_generative.envelopes')
class EnvelopeVae(tf.keras.Model):
  """Conditional VAE over [n_frames, 2] envelopes (see module docstring)."""

  def __init__(self, n_frames=750, latent_dims=64, channels=(32, 64, 128, 128),
               strides=(2, 2, 4, 4), kernel_size=5, hidden_units=256,
               beta=0.01, frame_rate=250, name='envelope_vae'):
    """Builds the layers.

    Args:
      n_frames: Frames per window (750: 3 s at 250 Hz).
      latent_dims: Size of z.
      channels: Channels of the encoder's convolutions (the decoder's, in
        reverse order).
      strides: Stride of each encoder convolution (the decoder's upsampling
        factors, in reverse order); same length as channels.
      kernel_size: Width of every convolution.
      hidden_units: Width of the dense layers around z.
      beta: Weight of the KL term of the loss.
      frame_rate: Frame rate (Hz) of the envelopes it is trained on; control
        sources refuse other rates.
      name: Keras name.
    """
    super().__init__(name=name)
    if len(channels) != len(strides) or not channels:
      raise ValueError(f'channels {channels} and strides {strides} must be '
                       'non-empty and of the same length.')
    self.n_frames = int(n_frames)
    self.latent_dims = int(latent_dims)
    self.channels = tuple(int(c) for c in channels)
    self.strides = tuple(int(s) for s in strides)
    self.kernel_size = int(kernel_size)
    self.hidden_units = int(hidden_units)
    self.beta = float(beta)
    self.frame_rate = int(frame_rate)
    lengths = [self.n_frames]
    for s in self.strides:
      lengths.append(-(-lengths[-1] // s))  # 'same' padding: ceil.
    self.bottleneck_frames = lengths[-1]

    def conv_block(c, stride=1):
      return [tfkl.Conv1D(c, self.kernel_size, strides=stride,
                          padding='same'),
              tfkl.LayerNormalization(), tfkl.LeakyReLU(0.2)]

    enc = []
    for c, s in zip(self.channels, self.strides):
      enc += conv_block(c, s)
    self.encoder_convs = tf.keras.Sequential(enc + [tfkl.Flatten()],
                                             name='encoder_convs')
    self.encoder_dense = tf.keras.Sequential([
        tfkl.Dense(self.hidden_units), tfkl.LeakyReLU(0.2),
        tfkl.Dense(2 * self.latent_dims)], name='encoder_dense')
    self.decoder_dense = tf.keras.Sequential([
        tfkl.Dense(self.hidden_units), tfkl.LeakyReLU(0.2),
        tfkl.Dense(self.bottleneck_frames * self.channels[-1]),
        tfkl.LeakyReLU(0.2),
        tfkl.Reshape((self.bottleneck_frames, self.channels[-1]))],
                                              name='decoder_dense')
    dec = []
    for c, s in reversed(list(zip(self.channels, self.strides))):
      dec += [tfkl.UpSampling1D(s)] + conv_block(c)
    self.decoder_convs = tf.keras.Sequential(dec, name='decoder_convs')
    self.decoder_out = tfkl.Conv1D(2, self.kernel_size, padding='same',
                                   name='decoder_out')

  def get_config(self):
    """The constructor arguments (JSON-serialisable), as saved."""
    return dict(n_frames=self.n_frames, latent_dims=self.latent_dims,
                channels=list(self.channels), strides=list(self.strides),
                kernel_size=self.kernel_size, hidden_units=self.hidden_units,
                beta=self.beta, frame_rate=self.frame_rate)

  def build_all(self):
    """Creates every weight (needed before `load_weights`)."""
    self(dict(envelopes=tf.zeros([1, self.n_frames, 2]),
              midi_pitch=tf.fill([1], 60.0)))

  def _condition(self, midi_pitch, batch_size):
    midi_pitch = tf.cast(midi_pitch, tf.float32)
    midi_pitch = tf.broadcast_to(tf.reshape(midi_pitch, [-1]), [batch_size])
    scaled = ((midi_pitch - normalize.CONDITION_CENTER_MIDI) /
              normalize.CONDITION_SCALE_SEMITONES)
    return scaled[:, tf.newaxis]

  def encode(self, envelopes, midi_pitch):
    """The posterior q(z | envelope, pitch).

    Args:
      envelopes: [batch, n_frames, 2] normalised envelopes.
      midi_pitch: [batch] (or a number) MIDI pitch of each window.

    Returns:
      (z_mean, z_logvar), each [batch, latent_dims].
    """
    envelopes = tf.convert_to_tensor(envelopes, tf.float32)
    if envelopes.shape[1] != self.n_frames or envelopes.shape[2] != 2:
      raise ValueError(f'Expected envelopes [batch, {self.n_frames}, 2], got '
                       f'{envelopes.shape}.')
    batch_size = tf.shape(envelopes)[0]
    features = self.encoder_convs(envelopes)
    features = tf.concat(
        [features, self._condition(midi_pitch, batch_size)], axis=-1)
    z_mean, z_logvar = tf.split(self.encoder_dense(features), 2, axis=-1)
    return z_mean, tf.clip_by_value(z_logvar, -12.0, 8.0)

  def decode(self, z, midi_pitch):
    """Envelopes from latents, given the pitch.

    Args:
      z: [batch, latent_dims].
      midi_pitch: [batch] (or a number) requested MIDI pitch.

    Returns:
      [batch, n_frames, 2] normalised envelopes.
    """
    z = tf.convert_to_tensor(z, tf.float32)
    if z.shape[-1] != self.latent_dims:
      raise ValueError(f'Expected z [batch, {self.latent_dims}], got '
                       f'{z.shape}.')
    inputs = tf.concat([z, self._condition(midi_pitch, tf.shape(z)[0])],
                       axis=-1)
    x = self.decoder_convs(self.decoder_dense(inputs))
    return self.decoder_out(x[:, :self.n_frames])

  def call(self, inputs, training=None):
    """Encodes and decodes a batch.

    Args:
      inputs: Dict with 'envelopes' [batch, n_frames, 2], 'midi_pitch'
        [batch] and optionally 'noise' [batch, latent_dims]: standard normal
        noise for the reparameterised sample z = mean + std * noise. Without
        it z is the posterior mean (deterministic reconstruction).
      training: Unused (no layer behaves differently).

    Returns:
      Dict with 'envelopes' [batch, n_frames, 2] (reconstruction), 'z',
      'z_mean', 'z_logvar' [batch, latent_dims].
    """
    del training
    z_mean, z_logvar = self.encode(inputs['envelopes'], inputs['midi_pitch'])
    z = z_mean
    if inputs.get('noise') is not None:
      z = z_mean + tf.exp(0.5 * z_logvar) * inputs['noise']
    return dict(envelopes=self.decode(z, inputs['midi_pitch']), z=z,
                z_mean=z_mean, z_logvar=z_logvar)

  def compute_losses(self, envelopes, outputs):
    """Loss terms, averaged over the batch.

    Args:
      envelopes: [batch, n_frames, 2] targets.
      outputs: Dict from `call`.

    Returns:
      Dict of scalars: 'reconstruction' (squared error summed per window),
      'kl' (nats per window), 'total' (reconstruction + beta * kl) and 'mse'
      (per value, for reading).
    """
    squared = tf.square(tf.cast(envelopes, tf.float32) - outputs['envelopes'])
    reconstruction = tf.reduce_mean(tf.reduce_sum(squared, axis=[1, 2]))
    z_mean, z_logvar = outputs['z_mean'], outputs['z_logvar']
    kl = tf.reduce_mean(tf.reduce_sum(
        0.5 * (tf.exp(z_logvar) + tf.square(z_mean) - 1.0 - z_logvar),
        axis=-1))
    return dict(reconstruction=reconstruction, kl=kl,
                total=reconstruction + self.beta * kl,
                mse=tf.reduce_mean(squared))

  def reconstruct(self, envelopes, midi_pitch):
    """Decodes the posterior means: [batch, n_frames, 2] -> same shape."""
    z_mean, _ = self.encode(envelopes, midi_pitch)
    return self.decode(z_mean, midi_pitch)

  def sample_z(self, n, seed=0, temperature=1.0):
    """[n, latent_dims] z ~ N(0, temperature^2 I), the same for a seed."""
    return temperature * tf.random.stateless_normal(
        [int(n), self.latent_dims], seed=seeds.stateless_seed(int(seed)))

  def sample(self, n, midi_pitch=60.0, seed=0, temperature=1.0):
    """New envelopes from the prior N(0, I).

    Args:
      n: Number of envelopes.
      midi_pitch: Requested MIDI pitch: a number or [n].
      seed: Integer seed; the same seed gives the same envelopes.
      temperature: Scale of the prior's standard deviation (< 1: more
        typical, less varied envelopes).

    Returns:
      [n, n_frames, 2] normalised envelopes (see `to_controls`).
    """
    return self.decode(self.sample_z(n, seed, temperature), midi_pitch)

  def interpolate(self, env_a, env_b, n_steps, midi_pitch_a=60.0,
                  midi_pitch_b=None, method='slerp'):
    """Decodes points between the latent means of two envelopes.

    Args:
      env_a: [n_frames, 2] first envelope (normalised).
      env_b: [n_frames, 2] second envelope.
      n_steps: Number of points, endpoints included (>= 2).
      midi_pitch_a: MIDI pitch (condition) of env_a.
      midi_pitch_b: MIDI pitch of env_b; default midi_pitch_a. The pitch is
        interpolated linearly along with z.
      method: 'slerp' (spherical, keeps the norm typical of N(0, I)) or
        'lerp' (linear).

    Returns:
      (envelopes [n_steps, n_frames, 2], midi_pitch [n_steps]); the first
      and last are the reconstructions of env_a and env_b.
    """
    if int(n_steps) < 2:
      raise ValueError(f'n_steps must be at least 2, got {n_steps}.')
    if method not in ('slerp', 'lerp'):
      raise ValueError(f"method must be 'slerp' or 'lerp', got {method!r}.")
    midi_pitch_b = midi_pitch_a if midi_pitch_b is None else midi_pitch_b
    pitches = np.array([midi_pitch_a, midi_pitch_b], np.float32)
    z_mean, _ = self.encode(np.stack([env_a, env_b]), pitches)
    z_a, z_b = z_mean.numpy()
    t = np.linspace(0.0, 1.0, int(n_steps))
    if method == 'slerp':
      z = slerp(z_a, z_b, t)
    else:
      z = (1.0 - t)[:, None] * z_a + t[:, None] * z_b
    z[0], z[-1] = z_a, z_b  # Exact endpoints.
    midi = ((1.0 - t) * pitches[0] + t * pitches[1]).astype(np.float32)
    return self.decode(z.astype(np.float32), midi), midi

  def to_controls(self, envelopes, midi_pitch, recenter=True):
    """Envelopes -> (f0_hz, loudness_db): see `normalize.to_controls`.

    Args:
      envelopes: [..., n_frames, 2] (a tensor or array).
      midi_pitch: A number or [...] MIDI pitches.
      recenter: Make each window's median voiced pitch exactly midi_pitch.

    Returns:
      (f0_hz, loudness_db), each [..., n_frames] float32 arrays.
    """
    return normalize.to_controls(np.asarray(envelopes), midi_pitch, recenter)

  def sample_controls(self, n, midi_pitch=60.0, seed=0, temperature=1.0):
    """`sample` then `to_controls`: (f0_hz, loudness_db), each [n, n_frames]."""
    envelopes = self.sample(n, midi_pitch, seed, temperature)
    return self.to_controls(envelopes, midi_pitch)
