# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Network conditional prior: z given the pitch and loudness around each frame.

A DDSP encoder's z is mostly a *nonlinear* function of the controls: on the
rendered-violin default model a 16-nearest-neighbour regression of z on
(pitch, loudness) explains 43-61% of each dimension's variance, a linear one
1-11%; decoding z drawn with no regard to the controls (even another real
clip's z) closes about half of the Fréchet-distance gap between random z
and resynthesis (`benchmarks/z_control_dependence.py`). This prior models it
directly:

  c_t   = [MIDI pitch, loudness dB]  (standardised)
  mu_t, sigma_t = f(c_{t-R..t+R})    a dilated 1-D conv net (non-causal: the
                                     whole control sequence is known when
                                     sampling; R = receptive-field radius)
  z_t   = m + s * (mu_t + sigma_t * e_t)         (m, s: z's mean and std)
  e_t   = A e_{t-1} + u_t,  u_t ~ N(0, Q),  e_1 ~ N(0, S),  S = A S A^T + Q

so z follows the notes' pitch, dynamics and onsets (mu), with
heteroscedastic spread (sigma) and the residual's own frame-to-frame
dynamics (A, Q: a vector AR(1) fitted by least squares on the standardised
residuals of the training examples).

Sampling modes (all need `f0_hz` and `loudness_db`, [batch, n_frames] or
[n_frames]; controls outside the training range are clipped to it):

* 'temporal' (default): e by the AR(1) dynamics above;
* 'independent': e_t ~ N(0, S) independently per frame (the right
  per-frame distribution, no dynamics);
* 'mean': e = 0, the conditional mean of z (deterministic).

Likelihoods: `sequence_nll_per_frame` is the exact -log p(z_{1:T} | c_{1:T})
per frame (nats, in z's units); `log_prob(z, f0_hz=, loudness_db=)` the
per-frame conditional density N(z_t; mean_t, s sigma_t S sigma_t s).
`log_prob(z)` without controls uses `distribution`, a Gaussian with the
training frames' mean and covariance (a moment-matched stand-in for the
marginal, which has no closed form; it sets e.g. the random-z scale of
`evaluation.generation`).

Streams (`Prior.stream`, for clips sampled block by block): the net is
non-causal, so a block's frames see R frames of controls on each side; the
stream carries the last R frames of controls and the residual's AR(1) state
and noise generator, and takes the next R frames of controls as `lookahead`
(`PriorStream.lookahead_frames`); with it, blocks equal one long sample (up
to float rounding), without it a block's last R frames see its end as the
clip's end. Memory per block is bounded by the block (+ 2R frames).

Fitting: Adam on the per-frame Gaussian NLL of the standardised z (random
crops of `segment_frames` from the examples), then the AR(1) on the
residuals. The weights are saved in the prior's JSON as base64 float32
arrays (never a pickle).
"""

import base64
import binascii

from absl import logging
from ddsp_generative.priors import base
from ddsp_generative.priors import conditional
from ddsp_generative.priors import gaussian
from ddsp_generative.priors import markov
import gin
import numpy as np
from scipy import linalg
import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions


def encode_array(array):
  """A float32 array -> JSON-able {'dtype', 'shape', 'base64'}."""
  array = np.ascontiguousarray(array, '<f4')
  return {'dtype': 'float32', 'shape': list(array.shape),
          'base64': base64.b64encode(array.tobytes()).decode('ascii')}


def decode_array(record):
  """Inverse of `encode_array`."""
  if record.get('dtype') != 'float32':
    raise ValueError(f'Unsupported weight dtype {record.get("dtype")!r}.')
  data = np.frombuffer(base64.b64decode(record['base64'], validate=True),
                       '<f4')
  return data.reshape(record['shape']).astype(np.float32)


def receptive_radius(kernel_size, dilations):
  """Frames on each side of t that mu_t and sigma_t see."""
  return sum((kernel_size - 1) // 2 * d for d in dilations)


def weight_shapes(n_inputs, n_outputs, channels, kernel_size, dilations):
  """{name: shape} of the conv net's weights, in initialisation order."""
  shapes = {'in_kernel': [1, n_inputs, channels], 'in_bias': [channels]}
  for i, _ in enumerate(dilations):
    shapes[f'block{i}_kernel'] = [kernel_size, channels, channels]
    shapes[f'block{i}_bias'] = [channels]
  shapes['out_kernel'] = [1, channels, 2 * n_outputs]
  shapes['out_bias'] = [2 * n_outputs]
  return shapes


def init_weights(rng, n_inputs, n_outputs, channels, kernel_size, dilations):
  """He-initialised weights of the conv net (dict of float32 arrays).

  Biases start at zero; the residual branches' kernels at half and the
  output kernel at a tenth of He's scale, so that the stack starts near the
  identity and the output near N(0, 1).
  """
  gains = {'in': 1.0, 'block': 0.5, 'out': 0.1}
  weights = {}
  for name, shape in weight_shapes(n_inputs, n_outputs, channels,
                                   kernel_size, dilations).items():
    if name.endswith('_bias'):
      weights[name] = np.zeros(shape, np.float32)
      continue
    fan_in = int(np.prod(shape[:-1]))
    he = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(
        np.float32)
    weights[name] = gains[name.split('_')[0].rstrip('0123456789')] * he
  return weights


def shifted_conv1d(x, kernel, dilation):
  """A 'SAME' dilated 1-D convolution as a sum of shifted matmuls.

  Equals `tf.nn.conv1d(x, kernel, 1, 'SAME', dilations=dilation)` for odd
  kernel sizes, but its gradient runs on every CPU: TensorFlow's CPU kernel
  for the filter gradient of a dilated convolution exists only with oneDNN,
  which TensorFlow enables by default only on CPUs with AVX-512 VNNI or AMX
  (elsewhere: "CPU implementations do not yet support dilation rates larger
  than 1").

  Args:
    x: float32 [batch, n_frames, channels_in].
    kernel: float32 [kernel_size, channels_in, channels_out].
    dilation: int.

  Returns:
    float32 [batch, n_frames, channels_out].
  """
  kernel_size = int(kernel.shape[0])
  pad = (kernel_size - 1) // 2 * dilation
  n_frames = tf.shape(x)[1]
  padded = tf.pad(x, [[0, 0], [pad, pad], [0, 0]])
  out = 0.0
  for i in range(kernel_size):
    tap = padded[:, i * dilation:i * dilation + n_frames, :]
    out += tf.einsum('btc,cd->btd', tap, kernel[i])
  return out


def network(weights, c, dilations, min_scale, differentiable=False):
  """The conv net: standardised controls -> (mu, sigma).

  Args:
    weights: Dict of tensors/arrays as made by `init_weights`.
    c: float32 [batch, n_frames, n_inputs] standardised controls.
    dilations: Dilation of each residual block.
    min_scale: Floor added to sigma.
    differentiable: Compute the dilated convolutions with `shifted_conv1d`,
      whose gradient works on every CPU (training); False uses
      `tf.nn.conv1d` (sampling and scoring: the same numbers as before).

  Returns:
    (mu, sigma): float32 [batch, n_frames, z_dims] each.
  """
  h = tf.nn.conv1d(c, weights['in_kernel'], 1, 'SAME') + weights['in_bias']
  for i, dilation in enumerate(dilations):
    kernel = weights[f'block{i}_kernel']
    if differentiable:
      conv = shifted_conv1d(h, kernel, dilation)
    else:
      conv = tf.nn.conv1d(h, kernel, 1, 'SAME', dilations=dilation)
    h += tf.nn.relu(conv + weights[f'block{i}_bias'])
  out = tf.nn.conv1d(tf.nn.relu(h), weights['out_kernel'], 1, 'SAME') + (
      weights['out_bias'])
  mu, raw_scale = tf.split(out, 2, axis=-1)
  return mu, tf.nn.softplus(raw_scale + 0.5413) + min_scale  # softplus(.)=1.


@gin.register(module='ddsp_generative.priors')
@base.register_type('conditional_net')
class ConditionalNetworkPrior(base.Prior):
  """z given the controls by a dilated conv net, with AR(1) residuals."""

  SAMPLE_MODES = ('temporal', 'independent', 'mean')
  CONDITIONS = ('f0_hz', 'loudness_db')

  def __init__(self,
               channels=48,
               kernel_size=3,
               dilations=(1, 2, 4, 8, 16, 32),
               train_steps=3000,
               batch_size=16,
               segment_frames=250,
               learning_rate=2e-3,
               final_learning_rate=1e-4,
               min_scale=1e-3,
               ridge=1e-5,
               max_spectral_radius=0.995,
               default_mode='temporal'):
    """Constructor.

    Args:
      channels: Width of the conv net.
      kernel_size: Odd kernel size of the dilated convolutions.
      dilations: Dilation of each residual block; with kernel_size 3 the
        defaults see 63 frames on each side (0.25 s at 250 frames/s).
      train_steps: Adam steps.
      batch_size: Crops per step.
      segment_frames: Frames per crop (examples shorter than this are used
        whole, all crops then as long as the shortest example).
      learning_rate: Initial Adam learning rate.
      final_learning_rate: Learning rate at the last step (exponential
        decay).
      min_scale: Floor of sigma (in units of z's standard deviation).
      ridge: Relative ridge of the residual AR(1) regression.
      max_spectral_radius: The AR matrix is shrunk to at most this spectral
        radius so long samples stay stable.
      default_mode: Sampling mode used when `sample(mode=None)`.
    """
    super().__init__(default_mode=default_mode)
    if int(kernel_size) < 1 or int(kernel_size) % 2 == 0:
      raise ValueError(f'kernel_size must be odd; got {kernel_size}.')
    sizes = {'channels': channels, 'train_steps': train_steps,
             'batch_size': batch_size, 'segment_frames': segment_frames}
    too_small = {k: v for k, v in sizes.items() if int(v) < 1}
    if too_small:
      raise ValueError(f'These must be >= 1: {too_small}.')
    self.channels = int(channels)
    self.kernel_size = int(kernel_size)
    self.dilations = tuple(int(d) for d in dilations)
    self.train_steps = int(train_steps)
    self.batch_size = int(batch_size)
    self.segment_frames = int(segment_frames)
    self.learning_rate = float(learning_rate)
    self.final_learning_rate = float(final_learning_rate)
    self.min_scale = float(min_scale)
    self.ridge = float(ridge)
    self.max_spectral_radius = base.checked_spectral_radius(
        max_spectral_radius)
    self.weights = None
    self.c_mean = self.c_std = self.condition_range = None
    self.z_mean = self.z_std = self.z_cov = None
    self.ar_matrix = self.ar_scale_tril = self.stationary_scale_tril = None

  def get_config(self):
    return {
        'channels': self.channels, 'kernel_size': self.kernel_size,
        'dilations': list(self.dilations), 'train_steps': self.train_steps,
        'batch_size': self.batch_size, 'segment_frames': self.segment_frames,
        'learning_rate': self.learning_rate,
        'final_learning_rate': self.final_learning_rate,
        'min_scale': self.min_scale, 'ridge': self.ridge,
        'max_spectral_radius': self.max_spectral_radius,
        'default_mode': self.default_mode,
    }

  @property
  def receptive_radius(self):
    return receptive_radius(self.kernel_size, self.dilations)

  # ----------------------------------------------------------------- Fit.
  def _fit(self, frames, sequences, seed):
    if sequences is None:
      raise ValueError(f'{type(self).__name__} needs examples with z, f0_hz '
                       'and loudness_db (z_dataset.load_sequences), not bare '
                       'z frames.')
    cs = [conditional.example_conditions(type(self).__name__, s)
          for s in sequences]
    c_all = np.concatenate(cs)
    self.condition_range = np.stack([c_all.min(0), c_all.max(0)], -1)
    self.c_mean = c_all.mean(0)
    self.c_std = np.maximum(c_all.std(0), 1e-3)
    self.z_mean = frames.astype(np.float64).mean(0)
    self.z_std = np.maximum(frames.astype(np.float64).std(0), 1e-6)
    self.z_cov = np.atleast_2d(np.cov(frames.astype(np.float64), rowvar=False))
    zs = [((s['z'] - self.z_mean) / self.z_std).astype(np.float32)
          for s in sequences]
    cs = [((c - self.c_mean) / self.c_std).astype(np.float32) for c in cs]
    rng = np.random.default_rng(seed)
    losses = self._train(zs, cs, rng)
    if not np.all(np.isfinite(losses)):
      first = int(np.argmax(~np.isfinite(losses)))
      raise base.PriorFitError(
          f'Training the {self.TYPE} prior diverged (NaN or infinite loss at '
          f'step {first + 1} of {len(losses)}), so nothing was saved: lower '
          'ConditionalNetworkPrior.learning_rate (now '
          f'{self.learning_rate:g}) with --gin_param.')
    self._fit_residual_dynamics(zs, cs)
    self.fit_info.update({
        'train_loss_first_100': float(np.mean(losses[:100])),
        'train_loss_last_100': float(np.mean(losses[-100:])),
        'receptive_radius_frames': self.receptive_radius,
        'condition_features': list(conditional.CONDITION_FEATURES),
        'n_weights': int(sum(w.size for w in self.weights.values())),
        'ar_spectral_radius': gaussian.spectral_radius(self.ar_matrix),
    })

  def _train(self, zs, cs, rng):
    """Adam on the per-frame Gaussian NLL; returns the losses per step."""
    lengths = np.array([len(z) for z in zs])
    seg = int(min(self.segment_frames, lengths.min()))
    weights = {k: tf.Variable(v) for k, v in init_weights(
        rng, cs[0].shape[1], zs[0].shape[1], self.channels, self.kernel_size,
        self.dilations).items()}
    decay = (self.final_learning_rate / self.learning_rate) ** (
        1.0 / max(self.train_steps, 1))
    schedule = tf.keras.optimizers.schedules.ExponentialDecay(
        self.learning_rate, 1, decay)
    optimizer = tf.keras.optimizers.Adam(schedule)
    variables = list(weights.values())
    dilations, min_scale = self.dilations, self.min_scale

    @tf.function
    def step(c, z):
      with tf.GradientTape() as tape:
        mu, sigma = network(weights, c, dilations, min_scale,
                            differentiable=True)
        loss = tf.reduce_mean(0.5 * tf.square((z - mu) / sigma) +
                              tf.math.log(sigma)) + 0.5 * np.log(2 * np.pi)
      optimizer.apply_gradients(zip(tape.gradient(loss, variables),
                                    variables))
      return loss

    losses = []
    log_every = max(self.train_steps // 10, 1)
    for i in range(self.train_steps):
      pick = rng.integers(0, len(zs), self.batch_size)
      starts = rng.integers(0, lengths[pick] - seg + 1)
      c = np.stack([cs[j][s:s + seg] for j, s in zip(pick, starts)])
      z = np.stack([zs[j][s:s + seg] for j, s in zip(pick, starts)])
      losses.append(float(step(tf.constant(c), tf.constant(z))))
      if (i + 1) % log_every == 0:
        logging.info('conditional_net prior: step %d/%d, NLL/dim %.3f',
                     i + 1, self.train_steps,
                     np.mean(losses[-log_every:]))
    self.weights = {k: v.numpy() for k, v in weights.items()}
    return np.array(losses)

  def _standardized_residuals(self, z, c):
    """e = (z - mu) / sigma for standardised z, c [n, dims]."""
    mu, sigma = self._mu_sigma(c[None])
    return (z - mu[0]) / sigma[0]

  def _fit_residual_dynamics(self, zs, cs):
    """Least-squares vector AR(1) on the residuals, with its stationary law."""
    es = [self._standardized_residuals(z, c) for z, c in zip(zs, cs)]
    d = zs[0].shape[1]
    x = np.concatenate([e[:-1] for e in es if len(e) > 1])
    y = np.concatenate([e[1:] for e in es if len(e) > 1])
    if len(x) <= d:
      raise ValueError('Too few frames to fit the residual dynamics.')
    xtx = x.T @ x
    xtx += self.ridge * np.trace(xtx) / d * np.eye(d)
    a = np.linalg.solve(xtx, x.T @ y)  # Row-vector convention: e_t = e a.
    radius = gaussian.spectral_radius(a)
    if radius > self.max_spectral_radius:
      a *= self.max_spectral_radius / radius
    u = y - x @ a
    q = np.cov(u, rowvar=False).reshape(d, d)
    e_all = np.concatenate(es)
    s = np.cov(e_all, rowvar=False).reshape(d, d)
    # Stationary covariance of the fitted AR(1): S = a^T S a + Q.
    stationary = linalg.solve_discrete_lyapunov(a.T, q)
    self.ar_matrix = a
    self.ar_scale_tril = gaussian.safe_cholesky(q)
    self.stationary_scale_tril = gaussian.safe_cholesky(stationary)
    self.fit_info['residual_std'] = np.sqrt(np.diag(s)).tolist()

  # ------------------------------------------------------------ Network.
  def _mu_sigma(self, c_standardized):
    mu, sigma = network(self.weights, tf.constant(c_standardized, tf.float32),
                        self.dilations, self.min_scale)
    return mu.numpy().astype(np.float64), sigma.numpy().astype(np.float64)

  def _controls(self, n_frames, batch_size, f0_hz, loudness_db):
    """Requested controls -> standardised, clipped [batch, n_frames, 2]."""
    c = conditional.requested_conditions(
        type(self).__name__, f0_hz, loudness_db, n_frames, batch_size,
        self.condition_range)
    return (c - self.c_mean) / self.c_std

  def conditional_mean_and_scale(self, f0_hz, loudness_db):
    """mean_t and the per-dimension scale s * sigma_t of z given controls.

    Args:
      f0_hz: [batch, n_frames] or [n_frames] requested f0 (Hz).
      loudness_db: Same shape, requested loudness (dB).

    Returns:
      (mean, scale): float64 [batch, n_frames, z_dims] each.
    """
    self._check_fitted()
    shape = np.shape(f0_hz)
    n_frames = shape[-1]
    batch = shape[0] if len(shape) == 2 else 1
    c = self._controls(n_frames, batch, f0_hz, loudness_db)
    mu, sigma = self._mu_sigma(c)
    return self.z_mean + self.z_std * mu, self.z_std * sigma

  # ------------------------------------------------------------ Sampling.
  def _sample(self, n_frames, batch_size, seed, f0_hz, loudness_db, mode):
    c = self._controls(n_frames, batch_size, f0_hz, loudness_db)
    mu, sigma = self._mu_sigma(c)
    rng = None if mode == 'mean' else base.numpy_rng(seed)
    e = self._residuals(mode, rng, mu.shape[:2])
    return self.z_mean + self.z_std * (mu + sigma * e)

  def _residuals(self, mode, rng, shape, previous=None):
    """The standardised residuals e [batch, n_frames, z_dims] of a mode.

    Args:
      mode: 'temporal' (AR(1)), 'independent' (e_t ~ N(0, S)) or 'mean' (0).
      rng: np.random.Generator (None for 'mean').
      shape: (batch, n_frames).
      previous: None, or [batch, z_dims] the residual of the frame before
        (a stream's previous block): 'temporal' continues from it.

    Returns:
      float64 [batch, n_frames, z_dims].
    """
    batch_size, n_frames = shape
    d = self.z_dims
    if mode == 'mean':
      return np.zeros([batch_size, n_frames, d])
    eps = rng.standard_normal([batch_size, n_frames, d])
    if mode == 'independent':
      return eps @ self.stationary_scale_tril.T
    if previous is not None:
      return markov.constant_linear_recursion(
          previous, self.ar_matrix, eps @ self.ar_scale_tril.T)
    e = np.empty_like(eps)
    e[:, 0] = eps[:, 0] @ self.stationary_scale_tril.T
    if n_frames > 1:
      e[:, 1:] = markov.constant_linear_recursion(
          e[:, 0], self.ar_matrix, eps[:, 1:] @ self.ar_scale_tril.T)
    return e

  # -------------------------------------------------------------- Stream.
  def _stream_lookahead(self, mode):
    del mode
    return self.receptive_radius

  def _stream(self, mode, n_frames, seed, state, conditions, lookahead):
    """One block of a stream, in any mode.

    mu_t and sigma_t see the controls R = `receptive_radius` frames around
    t: the net runs on the block's controls with the last R frames of the
    clip's controls before it (carried in the state) and the `lookahead`
    frames after it, so that the block's frames get what one call on the
    whole clip gives them. Without lookahead the block's last R frames see
    its end as the clip's end. The residual's noise comes from one
    generator seeded by the first block's seed and carried along, and the
    AR(1) continues from the previous block's last residual: with the
    lookahead, blocks [n] then [m] equal one `sample(n + m)` (up to float
    rounding of the convolutions and the recursion).
    """
    c = self._controls(n_frames, 1, conditions.get('f0_hz'),
                       conditions.get('loudness_db'))
    parts = [c]
    if state is not None:
      parts.insert(0, state['c'])
    if lookahead is not None:
      n_ahead = int(np.shape(lookahead['f0_hz'])[0])
      if n_ahead:
        parts.append(self._controls(n_ahead, 1, lookahead['f0_hz'],
                                    lookahead['loudness_db']))
    start = 0 if state is None else state['c'].shape[1]
    window = np.concatenate(parts, 1) if len(parts) > 1 else c
    mu, sigma = self._mu_sigma(window)
    mu = mu[:, start:start + n_frames]
    sigma = sigma[:, start:start + n_frames]
    if mode == 'mean':
      rng = None
    else:
      rng = base.numpy_rng(seed) if state is None else state['rng']
    e = self._residuals(mode, rng, (1, n_frames),
                        None if state is None else state['e'])
    radius = self.receptive_radius
    end = start + n_frames
    new_state = {'c': np.array(window[:, max(0, end - radius):end]
                               if radius else window[:, :0]),
                 'e': np.array(e[:, -1]), 'rng': rng}
    return self.z_mean + self.z_std * (mu + sigma * e), new_state

  def _stream_temporal(self, n_frames, seed, state, conditions, lookahead):
    return self._stream('temporal', n_frames, seed, state, conditions,
                        lookahead)

  def _stream_independent(self, n_frames, seed, state, conditions,
                          lookahead):
    return self._stream('independent', n_frames, seed, state, conditions,
                        lookahead)

  def _stream_mean(self, n_frames, seed, state, conditions, lookahead):
    return self._stream('mean', n_frames, seed, state, conditions, lookahead)

  def _sample_temporal(self, n_frames, batch_size, seed, f0_hz=None,
                       loudness_db=None):
    return self._sample(n_frames, batch_size, seed, f0_hz, loudness_db,
                        'temporal')

  def _sample_independent(self, n_frames, batch_size, seed, f0_hz=None,
                          loudness_db=None):
    return self._sample(n_frames, batch_size, seed, f0_hz, loudness_db,
                        'independent')

  def _sample_mean(self, n_frames, batch_size, seed, f0_hz=None,
                   loudness_db=None):
    return self._sample(n_frames, batch_size, seed, f0_hz, loudness_db,
                        'mean')

  # --------------------------------------------------------- Likelihoods.
  def _make_distribution(self):
    return tfd.MultivariateNormalTriL(
        loc=self.z_mean, scale_tril=gaussian.safe_cholesky(self.z_cov))

  def log_prob(self, z, f0_hz=None, loudness_db=None):
    """Log density of z frames: moment-matched marginal, or given controls.

    Args:
      z: [..., n_frames, z_dims]; with controls, [n_frames, z_dims] or
        [batch, n_frames, z_dims] (frames in time order: mu and sigma see
        the controls around each frame).
      f0_hz: Optional [n_frames] or [batch, n_frames] controls; with
        loudness_db, each frame's conditional density
        log N(z_t; mean_t, s sigma_t S sigma_t s) is returned.
      loudness_db: Optional, the same shape.

    Returns:
      float64 [...] (one value per frame).
    """
    if f0_hz is None and loudness_db is None:
      return super().log_prob(z)
    z = self._check_z(z)
    mean, scale = self.conditional_mean_and_scale(f0_hz, loudness_db)
    if z.ndim == 2:
      mean, scale = mean[0], scale[0]
    e = (z - mean) / scale
    return (gaussian.mvn_log_pdf(e, 0.0, self.stationary_scale_tril) -
            np.log(scale).sum(-1))

  def sequence_nll_per_frame(self, sequences):
    """-log p(z_{1:T} | c_{1:T}) per frame (nats), residual dynamics included.

    Args:
      sequences: List of example dicts with 'z' [n_frames, z_dims],
        'f0_hz' and 'loudness_db' [n_frames].

    Returns:
      float.
    """
    self._check_fitted()
    _, sequences = base.as_frames(list(sequences))
    total, n = 0.0, 0
    for s in sequences:
      z = self._check_z(s['z'])
      mean, scale = self.conditional_mean_and_scale(s['f0_hz'],
                                                    s['loudness_db'])
      e = (z - mean[0]) / scale[0]
      log_p = gaussian.mvn_log_pdf(e[0], 0.0, self.stationary_scale_tril)
      if len(e) > 1:
        log_p += gaussian.mvn_log_pdf(e[1:], e[:-1] @ self.ar_matrix,
                                      self.ar_scale_tril).sum()
      total -= log_p - np.log(scale[0]).sum()
      n += len(z)
    return float(total / n)

  # ------------------------------------------------------- Serialization.
  def _get_params(self):
    return {
        'weights': {k: encode_array(v) for k, v in self.weights.items()},
        'c_mean': self.c_mean, 'c_std': self.c_std,
        'condition_range': self.condition_range,
        'z_mean': self.z_mean, 'z_std': self.z_std, 'z_cov': self.z_cov,
        'ar_matrix': self.ar_matrix, 'ar_scale_tril': self.ar_scale_tril,
        'stationary_scale_tril': self.stationary_scale_tril,
    }

  def _checked_params(self, params):
    """The conv net's weights (matching `weight_shapes`) and the moments."""
    checked = super()._checked_params(params)
    d, n_c = self.z_dims, len(conditional.CONDITION_FEATURES)
    weights = params.get('weights')
    if not isinstance(weights, dict):
      raise base.InvalidPriorError(
          "parameter 'weights' is not a JSON object of encoded arrays")
    expected = weight_shapes(n_c, d, self.channels, self.kernel_size,
                             self.dilations)
    decoded, bad = {}, {}
    for name in weights:
      if name not in expected:
        bad[name] = (None, 'unexpected')
    for name, shape in expected.items():
      if name not in weights:
        bad[name] = (tuple(shape), 'missing')
        continue
      try:
        decoded[name] = decode_array(weights[name])
      except (KeyError, TypeError, ValueError, AttributeError,
              binascii.Error) as e:
        raise base.InvalidPriorError(
            f'parameter weights[{name!r}] cannot be decoded '
            f'({" ".join(str(e).split())})') from e
      if decoded[name].shape != tuple(shape):
        bad[name] = (tuple(shape), decoded[name].shape)
    if bad:
      raise base.InvalidPriorError(
          "parameter 'weights' does not match the saved config (expected "
          f'vs saved shapes: {bad})')
    for name, array in decoded.items():
      if not np.all(np.isfinite(array)):
        raise base.InvalidPriorError(
            f'parameter weights[{name!r}] holds '
            f'{int((~np.isfinite(array)).sum())} NaN or infinite value(s)')
    checked['weights'] = decoded
    shapes = {'c_mean': [n_c], 'c_std': [n_c], 'condition_range': [n_c, 2],
              'z_mean': [d], 'z_std': [d], 'z_cov': [d, d],
              'ar_matrix': [d, d], 'ar_scale_tril': [d, d],
              'stationary_scale_tril': [d, d]}
    for key, shape in shapes.items():
      checked[key] = base.checked_array(params, key, shape)
    base.check_positive('c_std', checked['c_std'])
    base.check_positive('z_std', checked['z_std'])
    base.check_range('condition_range', checked['condition_range'])
    base.check_covariance('z_cov', checked['z_cov'])
    base.check_stable('ar_matrix', checked['ar_matrix'])
    base.check_scale_tril('ar_scale_tril', checked['ar_scale_tril'])
    base.check_scale_tril('stationary_scale_tril',
                          checked['stationary_scale_tril'])
    return checked

  def _set_params(self, params):
    checked = self._checked_params(params)
    self.weights = checked.pop('weights')
    for key, value in checked.items():
      setattr(self, key, value)
