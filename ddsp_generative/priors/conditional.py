# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Conditional prior: z given the requested pitch and loudness.

A mixture over x = [z, c] with c = [MIDI pitch, loudness dB] (from f0_hz and
loudness_db, as the z dataset stores them), conditioned in closed form on the
requested c_t of every frame. For component k with joint mean [mu_z, mu_c]
and covariance [[S_zz, S_zc], [S_cz, S_cc]]:

  p(k | c_t)      ∝ w_k N(c_t; mu_c, S_cc)          (re-weighted components)
  p(z_t | c_t, k) = N(mu_z + G_k (c_t - mu_c), S_zz - G_k S_cz),
                    G_k = S_zc S_cc^-1

so timbre follows pitch and dynamics. Sampling modes, all needing `f0_hz`
and `loudness_db` ([batch, n_frames] or [n_frames]):

* 'independent': every frame from p(z_t | c_t) (a `tfd.MixtureSameFamily`
  per frame; the component may change from frame to frame);
* 'component': one component per clip (drawn with the clip's mean
  p(k | c_t), or `component=`), every frame from p(z_t | c_t, k);
* 'temporal' (default): the component path drawn from its posterior given
  the whole control sequence (forward filtering, backward sampling over the
  fitted Markov chain), then z by AR(1) dynamics that regress z_t on
  [z_{t-1}, c_t, c_{t-1}]: timbre follows the controls and moves as smoothly
  as in the data.

It is a `HiddenMarkovPrior` with c in its regression, fitted the same way: a
mixture over z initialises the components, then EM maximizes the likelihood
of z given c (states inferred from z's dynamics given the controls, an
input-output HMM); the components' joint moments of [z, c] then give
p(c | k) and the closed-form conditionals. (EM on the joint likelihood of
[z, c] instead let the components carve up the smooth controls rather than
z's dynamics: its held-out -log p(z | c) was 0.7 nats/frame worse on a tiny
model's z and 0.1 worse on synthetic data.) Requested controls outside the
range seen in training are clipped to it. `log_prob(z)` is the marginal density of
z frames; `log_prob(z, f0_hz=, loudness_db=)` the conditional density, and
`sequence_nll_per_frame` scores -log p(z_{1:T} | c_{1:T}) per frame.

A stream (`Prior.stream`) gets the controls block by block: 'component'
keeps the component drawn with its first block's controls; 'temporal' draws
each block's component path from its posterior given that block's controls
and the state the previous block ended in (the controls still to come are
unknown), and continues the AR dynamics from its last z.
"""

from absl import logging
from ddsp_generative.priors import base
from ddsp_generative.priors import gaussian
from ddsp_generative.priors import gmm
from ddsp_generative.priors import hmm
from ddsp_generative.priors import markov
from ddsp_generative.core import units
import gin
import numpy as np
import tensorflow_probability as tfp

tfd = tfp.distributions

CONDITION_FEATURES = ('midi_pitch', 'loudness_db')
MIN_F0_HZ = 8.1758  # MIDI 0.


def condition_features(f0_hz, loudness_db):
  """The control features the conditional prior models.

  Args:
    f0_hz: [...] fundamental frequency (Hz).
    loudness_db: [...] loudness (dB), the same shape.

  Returns:
    float64 [..., 2]: MIDI pitch (clipped to [0, 127]) and loudness dB.
  """
  f0_hz = np.asarray(f0_hz, np.float64)
  loudness_db = np.asarray(loudness_db, np.float64)
  if f0_hz.shape != loudness_db.shape:
    raise ValueError(f'f0_hz {f0_hz.shape} and loudness_db '
                     f'{loudness_db.shape} must have the same shape.')
  midi = units.hz_to_midi(np.maximum(f0_hz, MIN_F0_HZ))
  return np.stack([np.clip(midi, 0.0, 127.0), loudness_db], -1)


def example_conditions(prior_name, example):
  """A z dataset example's control features, for fitting a conditional prior.

  Args:
    prior_name: The prior's class name (for the error message).
    example: Dict with 'z', 'f0_hz' and 'loudness_db' (as
      `z_dataset.load_sequences` returns).

  Returns:
    float64 [n_frames, 2] (`condition_features`).

  Raises:
    ValueError: The example lacks f0_hz or loudness_db.
  """
  missing = [k for k in ('f0_hz', 'loudness_db') if k not in example]
  if missing:
    raise ValueError(
        f'{prior_name} needs each example\'s {missing} with its z: fit it on '
        'z_dataset.load_sequences(...) examples.')
  return condition_features(example['f0_hz'], example['loudness_db'])


def requested_conditions(prior_name, f0_hz, loudness_db, n_frames, batch_size,
                         condition_range):
  """Requested controls -> features clipped to the training range.

  Args:
    prior_name: The prior's class name (for the error message).
    f0_hz: [batch_size, n_frames] or [n_frames] requested f0 (Hz).
    loudness_db: The same shape, requested loudness (dB).
    n_frames: Frames to sample.
    batch_size: Clips to sample.
    condition_range: [2, 2] (min, max) of each feature in training.

  Returns:
    float64 [batch_size, n_frames, 2].

  Raises:
    ValueError: Missing controls or controls of the wrong shape.
  """
  if f0_hz is None or loudness_db is None:
    raise ValueError(
        f'{prior_name} samples z given the controls: pass f0_hz= and '
        'loudness_db= ([batch, n_frames] or [n_frames]).')
  c = condition_features(f0_hz, loudness_db)
  if c.ndim == 2:
    c = c[None]
  if c.ndim != 3 or c.shape[1] != n_frames or c.shape[0] not in (
      1, batch_size):
    raise ValueError(
        f'f0_hz and loudness_db must be [{batch_size}, {n_frames}] or '
        f'[{n_frames}]; got {np.shape(f0_hz)}.')
  c = np.broadcast_to(c, [batch_size, n_frames, c.shape[-1]])
  low, high = condition_range[:, 0], condition_range[:, 1]
  clipped = np.clip(c, low, high)
  if np.any(clipped != c):
    logging.info('Requested controls outside the training range '
                 '(pitch %.1f-%.1f MIDI, loudness %.1f-%.1f dB) are '
                 'clipped to it.', low[0], high[0], low[1], high[1])
  return clipped


@gin.register(module='ddsp_generative.priors')
@base.register_type('conditional')
class ConditionalMixturePrior(hmm.HiddenMarkovPrior):
  """Mixture over [z, pitch, loudness], sampled given the controls.

  Its constructor is `HiddenMarkovPrior`'s (gin registers it with the same
  parameters under this name); the number of components is chosen on the z
  frames, as for the HMM.
  """

  SAMPLE_MODES = ('independent', 'component', 'temporal')
  CONDITIONS = ('f0_hz', 'loudness_db')
  # [2, 2] (min, max) of each condition feature in training; set by fitting.
  condition_range = None

  @property
  def n_conditions(self):
    return len(CONDITION_FEATURES)

  def _conditions_of(self, example):
    return example_conditions(type(self).__name__, example)

  def _init_columns(self):
    return self._dims[0]  # Cluster z alone: components model z's dynamics.

  def _fit(self, frames, sequences, seed):
    if sequences is None:
      raise ValueError(f'{type(self).__name__} needs examples with z, f0_hz '
                       'and loudness_db (z_dataset.load_sequences), not bare '
                       'z frames.')
    super()._fit(frames, sequences, seed)
    c = np.concatenate([self._conditions_of(s) for s in sequences])
    self.condition_range = np.stack([c.min(0), c.max(0)], -1)
    self.fit_info['condition_features'] = list(CONDITION_FEATURES)

  # ------------------------------------------------------------ Controls.
  def _controls(self, n_frames, batch_size, f0_hz, loudness_db):
    """Requested controls -> clipped features [batch_size, n_frames, 2]."""
    return requested_conditions(type(self).__name__, f0_hz, loudness_db,
                                n_frames, batch_size, self.condition_range)

  def component_log_probs(self, c):
    """log p(k | c_t): [..., 2] features -> [..., K]."""
    split = self._prepared()
    log_w = np.log(self.weights) + np.stack([
        gaussian.mvn_log_pdf(c, split['c_means'][i],
                                 split['c_scale_tril'][i])
        for i in range(len(self.weights))], -1)
    return markov.log_normalize(log_w)

  def conditional_distribution(self, f0_hz, loudness_db):
    """p(z_t | f0_t, loudness_t) for every frame, in closed form.

    Args:
      f0_hz: [..., n_frames] requested f0 (Hz).
      loudness_db: [..., n_frames] requested loudness (dB).

    Returns:
      `tfd.MixtureSameFamily` with batch shape [..., n_frames] and event
      shape [z_dims] (float64).
    """
    self._check_fitted()
    c = condition_features(f0_hz, loudness_db)
    c = np.clip(c, self.condition_range[:, 0], self.condition_range[:, 1])
    return self._conditional_distribution(c)

  def _conditional_distribution(self, c):
    split = self._prepared()
    loc = split['x_means'] + np.einsum(
        'kij,...kj->...ki', split['gain'], c[..., None, :] - split['c_means'])
    return tfd.MixtureSameFamily(
        mixture_distribution=tfd.Categorical(
            logits=self.component_log_probs(c)),
        components_distribution=tfd.MultivariateNormalTriL(
            loc=loc, scale_tril=split['x_given_c_scale_tril']))

  def log_prob(self, z, f0_hz=None, loudness_db=None):
    """Log density of z frames: marginal, or given the controls.

    Args:
      z: [..., z_dims].
      f0_hz: Optional [...] controls of each frame; with loudness_db, the
        conditional density log p(z | f0, loudness) is returned.
      loudness_db: Optional [...].

    Returns:
      float64 [...].
    """
    if f0_hz is None and loudness_db is None:
      return super().log_prob(z)
    z = self._check_z(z)
    return np.asarray(
        self.conditional_distribution(f0_hz, loudness_db).log_prob(z))

  # ------------------------------------------------------------ Sampling.
  def _sample_independent(self, n_frames, batch_size, seed, f0_hz=None,
                          loudness_db=None):
    c = self._controls(n_frames, batch_size, f0_hz, loudness_db)
    return self._conditional_distribution(c).sample(seed=seed)

  def _draw_components(self, batch_size, seed, component=None, c=None):
    """[batch_size] clip components: drawn with the clips' mean p(k | c_t)."""
    component_seed, _ = tfp.random.split_seed(seed, n=2)
    if component is not None:
      return self._check_components(component, batch_size)
    mean_probs = np.exp(self.component_log_probs(c)).mean(1)  # [batch, K]
    return np.asarray(tfd.Categorical(probs=mean_probs).sample(
        seed=component_seed))

  def _sample_component(self, n_frames, batch_size, seed, component=None,
                        f0_hz=None, loudness_db=None):
    c = self._controls(n_frames, batch_size, f0_hz, loudness_db)
    _, frame_seed = tfp.random.split_seed(seed, n=2)
    k = self._draw_components(batch_size, seed, component, c)
    split = self._prepared()
    loc = split['x_means'][k][:, None] + np.einsum(
        'bij,btj->bti', split['gain'][k], c - split['c_means'][k][:, None])
    return tfd.MultivariateNormalTriL(
        loc=loc, scale_tril=split['x_given_c_scale_tril'][k][:, None]
    ).sample(seed=frame_seed)

  def _stream_component(self, n_frames, seed, state, conditions, lookahead,
                        component=None):
    """A stream keeps the component drawn with its first block's controls."""
    del lookahead
    if state is None:
      c = self._controls(n_frames, 1, conditions.get('f0_hz'),
                         conditions.get('loudness_db'))
      state = {'component': self._draw_components(1, seed, component, c)}
    return self._sample_component(n_frames, 1, seed,
                                  component=state['component'],
                                  **conditions), state

  def _sample_temporal(self, n_frames, batch_size, seed, f0_hz=None,
                       loudness_db=None):
    c = self._controls(n_frames, batch_size, f0_hz, loudness_db)
    return self._temporal_given(c, seed)[0]

  def _temporal_given(self, c, seed, previous=None):
    """z given control features c [batch, T, 2], and its end state.

    The component path is drawn from its posterior given the controls (and,
    continuing a stream, the state the previous block ended in), then z by
    the AR dynamics (from the previous block's last z, if any).
    """
    rng = base.numpy_rng(seed)
    split = self._prepared()
    log_lik = np.stack([
        gaussian.mvn_log_pdf(c, split['c_means'][i],
                                 split['c_scale_tril'][i])
        for i in range(len(self.weights))], -1)
    start = self.weights if previous is None else (
        self.transition_matrix[previous['state']])
    states = markov.sample_posterior_path(rng, log_lik, start,
                                          self.transition_matrix)
    z = self._sample_given_states(rng, states, c, previous)
    return z, self._end_state(states, z, c)

  def _stream_temporal(self, n_frames, seed, state, conditions, lookahead):
    """A stream's block: the path given the block's controls and the past."""
    del lookahead
    c = self._controls(n_frames, 1, conditions.get('f0_hz'),
                       conditions.get('loudness_db'))
    return self._temporal_given(c, seed, state)

  # ------------------------------------------------------- Serialization.
  def _get_params(self):
    return {'weights': self.weights, 'joint_means': self.joint_means,
            'joint_scale_tril': self.joint_scale_tril,
            'transition_matrix': self.transition_matrix,
            'ar_coefficients': self.ar_coefficients,
            'ar_scale_tril': self.ar_scale_tril,
            'condition_range': self.condition_range}

  def _checked_params(self, params):
    """Joint moments over [z, c], condition_range and the dynamics."""
    # Not the HMM's: the conditional prior saves joint moments instead.
    # pylint: disable-next=protected-access
    checked = base.Prior._checked_params(self, params)
    checked.update(base.checked_mixture(
        params, 'joint_means', 'joint_scale_tril',
        self.z_dims + len(CONDITION_FEATURES)))
    checked['condition_range'] = base.checked_array(
        params, 'condition_range', [len(CONDITION_FEATURES), 2])
    base.check_range('condition_range', checked['condition_range'])
    return self._checked_dynamics(params, checked)

  def _set_params(self, params):
    checked = self._checked_params(params)
    for key in ('weights', 'joint_means', 'joint_scale_tril',
                'transition_matrix', 'ar_coefficients', 'ar_scale_tril',
                'condition_range'):
      setattr(self, key, checked[key])
    self._dims = (self.z_dims, len(CONDITION_FEATURES))
    self._set_marginal()
