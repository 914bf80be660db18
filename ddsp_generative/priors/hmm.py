# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Temporal prior: a hidden Markov model over components with AR(1) dynamics.

An autoregressive HMM over z sequences. A hidden component s_t follows a
Markov chain (transition matrix A, first state drawn from the stationary
component weights); within component k, z follows affine AR(1) dynamics:

  z_0 ~ N(mu_k, S_k)
  z_t = W_k^T [z_{t-1}, 1] + e_t,   e_t ~ N(0, Q_k)

so the frame-to-frame correlation of sampled z matches the data's. A switch
of component pulls z towards the new component smoothly instead of jumping.
`ConditionalMixturePrior` extends the same model with controls c_t (pitch,
loudness) in the regression and a Gaussian p(c_t | s_t) per component.

Fitting: a Gaussian mixture (scikit-learn, the number of components chosen by
BIC or held-out likelihood) on the z frames gives the initial posteriors,
then EM (forward-backward over every example, in batches) maximizes the
likelihood of z (given the controls, if any) and refines the transitions, the
AR dynamics and each component's moments. The component moments (weights,
means, scale_tril) make it a `GaussianMixturePrior` too, so 'independent' and
'component' sampling and the per-frame `log_prob` work as for the GMM;
'temporal' (the default) samples whole trajectories. `sequence_nll_per_frame`
scores examples under the full temporal model (forward algorithm).

Temporal sampling uses a NumPy Generator seeded from the stateless seed, so
the same seed gives the same samples after saving and loading. A stream
(`Prior.stream`) continues the chain from the state and the AR dynamics from
the z its previous block ended in.
"""

from absl import logging
from ddsp_generative.priors import base
from ddsp_generative.priors import gaussian
from ddsp_generative.priors import gmm
from ddsp_generative.priors import markov
import gin
import numpy as np


@gin.register(module='ddsp_generative.priors')
@base.register_type('hmm')
class HiddenMarkovPrior(gmm.GaussianMixturePrior):
  """Hidden Markov model over mixture components with AR(1) dynamics."""

  SAMPLE_MODES = ('independent', 'component', 'temporal')

  def __init__(self,
               n_components=None,
               candidate_n_components=gmm.DEFAULT_CANDIDATE_N_COMPONENTS,
               reg_covar=1e-6,
               max_iter=200,
               n_init=1,
               selection='bic',
               em_iterations=20,
               tol=1e-4,
               transition_pseudocount=1.0,
               ridge=1e-5,
               max_spectral_radius=0.995,
               init_max_frames=200_000,
               chunk_frames=1000,
               default_mode='temporal'):
    """Constructor.

    Args:
      n_components: Number of hidden components; None picks it among
        `candidate_n_components` by `selection` (on the initial mixture).
      candidate_n_components: Component counts tried when n_components is
        None.
      reg_covar: Added to covariance diagonals.
      max_iter: EM iterations of the initial (scikit-learn) mixture.
      n_init: Restarts of the initial mixture.
      selection: 'bic' or 'heldout', as for GaussianMixturePrior.
      em_iterations: Maximum EM (forward-backward) iterations of the HMM.
      tol: Stop when the log likelihood per frame improves less than this.
      transition_pseudocount: Added to every expected transition count.
      ridge: Relative ridge on the AR regressions (diagonal loading).
      max_spectral_radius: AR matrices are shrunk to at most this spectral
        radius, so long trajectories stay stable.
      init_max_frames: The initial mixture is fitted on at most this many
        frames (drawn at random); EM uses them all.
      chunk_frames: Examples are cut into chunks of at most this many frames
        for EM (bounds the length of the recursions).
      default_mode: Sampling mode used when `sample(mode=None)`.
    """
    super().__init__(
        n_components=n_components,
        candidate_n_components=candidate_n_components,
        covariance_type='full', reg_covar=reg_covar, max_iter=max_iter,
        n_init=n_init, selection=selection, default_mode=default_mode)
    self.em_iterations = int(em_iterations)
    self.tol = float(tol)
    self.transition_pseudocount = float(transition_pseudocount)
    self.ridge = float(ridge)
    self.max_spectral_radius = base.checked_spectral_radius(
        max_spectral_radius)
    self.init_max_frames = int(init_max_frames)
    self.chunk_frames = None if chunk_frames is None else int(chunk_frames)
    self.transition_matrix = None
    self.ar_coefficients = self.ar_scale_tril = None
    self.joint_means = self.joint_scale_tril = None
    self._cache = None

  def get_config(self):
    config = super().get_config()
    config.pop('covariance_type')
    config.update({
        'em_iterations': self.em_iterations,
        'tol': self.tol,
        'transition_pseudocount': self.transition_pseudocount,
        'ridge': self.ridge,
        'max_spectral_radius': self.max_spectral_radius,
        'init_max_frames': self.init_max_frames,
        'chunk_frames': self.chunk_frames,
    })
    return config

  # ------------------------------------------------------------ Controls.
  @property
  def n_conditions(self):
    """Number of control features c_t the model conditions on (0 here)."""
    return 0

  def _conditions_of(self, example):
    """[n_frames, n_conditions] control features of an example dict."""
    return np.zeros([len(example['z']), 0])

  def _as_model_sequences(self, sequences):
    return [{'z': np.asarray(s['z'], np.float64),
             'c': np.asarray(self._conditions_of(s), np.float64)}
            for s in sequences]

  # ----------------------------------------------------------------- Fit.
  def _fit(self, frames, sequences, seed):
    if sequences is None:
      logging.warning('%s got frames, not examples: their order is taken as '
                      'one sequence in time.', type(self).__name__)
      sequences = [{'z': frames}]
    seqs = self._as_model_sequences(sequences)
    z_dims = frames.shape[1]
    self._dims = (z_dims, seqs[0]['c'].shape[1])
    # The initial mixture clusters standardized [z, c] (or z alone).
    n_cols = self._init_columns()

    def init_features(z, c):
      return (np.concatenate([z, c], -1)[..., :n_cols] - shift) / scale

    joint = np.concatenate([np.concatenate([s['z'], s['c']], 1)
                            for s in seqs])[:, :n_cols]
    shift, scale = joint.mean(0), joint.std(0)
    scale[scale < 1e-8] = 1.0
    rng = np.random.default_rng(seed)
    init_sequences = None
    if len(joint) > self.init_max_frames:
      init_frames = joint[np.sort(rng.choice(
          len(joint), self.init_max_frames, replace=False))]
    else:
      init_frames = joint
      init_sequences = [{'z': init_features(s['z'], s['c'])} for s in seqs]
    mixture = self._fit_mixture((init_frames - shift) / scale, seed,
                                init_sequences)
    batches = markov.make_batches(seqs, self.chunk_frames)

    # Initial posteriors: the mixture's responsibilities, frame by frame.
    stats = None
    for batch in batches:
      features = init_features(batch['z'], batch['c'])
      n_batch, n_time, dims = features.shape
      gamma = mixture.predict_proba(features.reshape(-1, dims)).reshape(
          n_batch, n_time, -1) * batch['mask'][..., None]
      xi = np.einsum('bti,btj->ij', gamma[:, :-1], gamma[:, 1:])
      stats = self._accumulate(stats, batch, gamma, xi)
    self._m_step(stats)

    curve, converged = [], False
    for _ in range(self.em_iterations):
      stats, log_likelihood, n_frames = None, 0.0, 0
      for batch in batches:
        gamma, xi, seq_ll = markov.forward_backward(
            self._emission_log_lik(batch, include_c=False), self.weights,
            self.transition_matrix, batch['mask'])
        stats = self._accumulate(stats, batch, gamma, xi)
        log_likelihood += float(seq_ll.sum())
        n_frames += int(batch['mask'].sum())
      curve.append(log_likelihood / n_frames)
      self._m_step(stats)
      logging.info('HMM EM iteration %d: log likelihood %.4f per frame.',
                   len(curve), curve[-1])
      if len(curve) > 1 and curve[-1] - curve[-2] < self.tol:
        converged = True
        break
    stay = np.diag(self.transition_matrix)
    self.fit_info.update({
        'n_sequences': len(seqs),
        'em_log_likelihood_per_frame': curve,
        'em_converged': converged,
        'em_n_iter': len(curve),
        'mean_component_duration_frames': float(
            np.sum(self.weights / np.maximum(1.0 - stay, 1e-12))),
        'data_lag1_autocorrelation': markov.lag1_autocorrelation(
            [s['z'] for s in seqs]).tolist(),
    })

  def _init_columns(self):
    """How many leading columns of [z, c] the initial mixture clusters."""
    return None

  def _features(self, z, c):
    """Regressors of frames 1..T-1: [z_{t-1}, c_t, c_{t-1}, 1]."""
    ones = np.ones(z.shape[:-2] + (z.shape[-2] - 1, 1))
    return np.concatenate([z[..., :-1, :], c[..., 1:, :], c[..., :-1, :],
                           ones], -1)

  def _accumulate(self, stats, batch, gamma, xi):
    """Adds a batch's expected sufficient statistics to stats."""
    z, c = batch['z'], batch['c']
    k = gamma.shape[-1]
    joint = np.concatenate([z, c], -1).reshape(-1, z.shape[-1] + c.shape[-1])
    g = gamma.reshape(-1, k)
    new = {'n0': g.sum(0), 's1': g.T @ joint,
           's2': np.stack([(joint * g[:, i, None]).T @ joint
                           for i in range(k)]),
           'xi': xi}
    feats = self._features(z, c)
    feats = feats.reshape(-1, feats.shape[-1])
    target = z[:, 1:].reshape(-1, z.shape[-1])
    g = gamma[:, 1:].reshape(-1, k)
    weighted = [feats * g[:, i, None] for i in range(k)]
    new.update({'nr': g.sum(0),
                'sff': np.stack([w.T @ feats for w in weighted]),
                'sfz': np.stack([w.T @ target for w in weighted]),
                'szz': np.stack([(target * g[:, i, None]).T @ target
                                 for i in range(k)])})
    if stats is None:
      return new
    return {key: stats[key] + value for key, value in new.items()}

  def _m_step(self, stats):
    """Sets the parameters from expected sufficient statistics."""
    z_dims, _ = self._dims
    n0 = stats['n0'] + 1e-10
    k, dims = stats['s1'].shape
    self.weights = n0 / n0.sum()
    means = stats['s1'] / n0[:, None]
    cov = (stats['s2'] / n0[:, None, None] -
           means[:, :, None] * means[:, None, :] +
           self.reg_covar * np.eye(dims))
    self.joint_means = means
    self.joint_scale_tril = gaussian.safe_cholesky(cov)
    counts = stats['xi'] + self.transition_pseudocount / k
    self.transition_matrix = counts / counts.sum(-1, keepdims=True)

    n_features = stats['sff'].shape[-1]
    split = gaussian.condition(means, self.joint_scale_tril, z_dims)
    coefficients = np.zeros([k, n_features, z_dims])
    noise_cov = np.zeros([k, z_dims, z_dims])
    for i in range(k):
      nr, sff, sfz = stats['nr'][i], stats['sff'][i], stats['sfz'][i]
      if nr < n_features + 1:
        # Too few consecutive frames in this component: no dynamics, the
        # component's own Gaussian given the controls.
        coefficients[i] = self._static_coefficients(split, i, n_features)
        cov_i = split['x_given_c_scale_tril'][i]
        noise_cov[i] = cov_i @ cov_i.T
        continue
      loading = self.ridge * np.diag(sff) + 1e-9 * nr
      w = np.linalg.solve(sff + np.diag(loading), sfz)
      phi = w[:z_dims].T
      radius = gaussian.spectral_radius(phi)
      if radius > self.max_spectral_radius:
        w[:z_dims] *= self.max_spectral_radius / radius
      resid = (stats['szz'][i] - w.T @ sfz - sfz.T @ w + w.T @ sff @ w) / nr
      coefficients[i] = w
      noise_cov[i] = resid + self.reg_covar * np.eye(z_dims)
    self.ar_coefficients = coefficients
    self.ar_scale_tril = gaussian.safe_cholesky(noise_cov)
    self._set_marginal()

  def _static_coefficients(self, split, i, n_features):
    """Regression weights of z_t = mu + G (c_t - mu_c) (no dynamics)."""
    z_dims, n_cond = self._dims
    w = np.zeros([n_features, z_dims])
    gain = split['gain'][i]
    w[z_dims:z_dims + n_cond] = gain.T
    w[-1] = split['x_means'][i] - gain @ split['c_means'][i]
    return w

  def _set_marginal(self):
    """The per-frame mixture over z: the z block of the joint moments."""
    z_dims = self._dims[0]
    self.means = self.joint_means[:, :z_dims]
    self.scale_tril = self.joint_scale_tril[:, :z_dims, :z_dims]
    self._cache = None
    self._distribution = None

  # ---------------------------------------------------------- Likelihood.
  def _prepared(self):
    """Cached conditional split of the joint component Gaussians."""
    if self._cache is None:
      self._cache = gaussian.condition(self.joint_means,
                                       self.joint_scale_tril, self._dims[0])
    return self._cache

  def _emission_log_lik(self, batch, include_z=True, include_c=True):
    """[batch, time, K] emission log likelihoods (padding: any).

    Args:
      batch: dict with 'z' [batch, time, z_dims], 'c' [batch, time, n_c].
      include_z: Include log p(z_t | s_t = k, z_{t-1}, c_t, c_{t-1}).
      include_c: Include log p(c_t | s_t = k).

    Returns:
      [batch, time, K].
    """
    z, c = batch['z'], batch['c']
    split = self._prepared()
    out = np.zeros(z.shape[:2] + (len(self.weights),))
    feats = self._features(z, c) if z.shape[1] > 1 else None
    for i in range(len(self.weights)):
      if c.shape[-1] and include_c:
        out[..., i] += gaussian.mvn_log_pdf(c, split['c_means'][i],
                                            split['c_scale_tril'][i])
      if not include_z:
        continue
      mean0 = split['x_means'][i] + (c[:, 0] - split['c_means'][i]) @ (
          split['gain'][i].T)
      out[:, 0, i] += gaussian.mvn_log_pdf(
          z[:, 0], mean0, split['x_given_c_scale_tril'][i])
      if feats is not None:
        out[:, 1:, i] += gaussian.mvn_log_pdf(
            z[:, 1:], feats @ self.ar_coefficients[i], self.ar_scale_tril[i])
    return out

  def sequence_nll_per_frame(self, sequences):
    """NLL per frame of whole examples under the temporal model.

    Args:
      sequences: List of example dicts with 'z' [n_frames, z_dims] (and the
        controls of a conditional prior).

    Returns:
      float: -log p(z_{1:T} [| controls]) summed over examples, per frame.
    """
    self._check_fitted()
    _, sequences = base.as_frames(list(sequences))
    self._check_z(sequences[0]['z'])
    total, n_frames = 0.0, 0
    for batch in markov.make_batches(self._as_model_sequences(sequences)):
      _, _, _, log_lik = markov.forward(
          self._emission_log_lik(batch), self.weights,
          self.transition_matrix, batch['mask'])
      total += float(log_lik.sum())
      if batch['c'].shape[-1]:
        _, _, _, log_lik_c = markov.forward(
            self._emission_log_lik(batch, include_z=False), self.weights,
            self.transition_matrix, batch['mask'])
        total -= float(log_lik_c.sum())
      n_frames += int(batch['mask'].sum())
    return -total / n_frames

  # ------------------------------------------------------------ Sampling.
  def _sample_temporal(self, n_frames, batch_size, seed):
    """Component paths from the Markov chain, z by the AR dynamics."""
    return self._temporal(n_frames, batch_size, seed)[0]

  def _temporal(self, n_frames, batch_size, seed, previous=None):
    """z [batch, n_frames, z_dims] and its end state (see `_end_state`).

    Args:
      n_frames: Frames to sample.
      batch_size: Clips.
      seed: Stateless seed.
      previous: None to start clips, or the end state of their previous
        block (a stream's): the chain and the AR dynamics continue from it.

    Returns:
      (z, state).
    """
    rng = base.numpy_rng(seed)
    start = self.weights if previous is None else (
        self.transition_matrix[previous['state']])
    states = markov.sample_chain(rng, start, self.transition_matrix,
                                 n_frames, batch_size)
    c = np.zeros([batch_size, n_frames, 0])
    z = self._sample_given_states(rng, states, c, previous)
    return z, self._end_state(states, z, c)

  def _stream_temporal(self, n_frames, seed, state, conditions, lookahead):
    """A stream's block: the chain and the AR dynamics carry on."""
    del conditions, lookahead
    return self._temporal(n_frames, 1, seed, state)

  @staticmethod
  def _end_state(states, z, c):
    """What the next block continues from: the last state, z and controls."""
    return {'state': states[:, -1].copy(), 'z': np.array(z[:, -1]),
            'c': np.array(c[:, -1])}

  def _ar_offsets(self, states, feats, eps):
    """Everything of z_t = z_{t-1} Phi_s + offset_t but the recursion.

    Args:
      states: int [batch, T] the components of the frames.
      feats: [batch, T, n_features - z_dims] the frames' regressors without
        z_{t-1} (controls and the constant).
      eps: [batch, T, z_dims] standard normal noise.

    Returns:
      [batch, T, z_dims] offsets.
    """
    z_dims = self.z_dims
    offset = np.empty(states.shape + (z_dims,))
    for i in range(len(self.weights)):
      sel = states == i
      if np.any(sel):
        offset[sel] = (feats[sel] @ self.ar_coefficients[i, z_dims:] +
                       eps[sel] @ self.ar_scale_tril[i].T)
    return offset

  def _sample_given_states(self, rng, states, c, previous=None):
    """z [batch, time, z_dims] along component paths, given controls c.

    Args:
      rng: np.random.Generator.
      states: int [batch, time] component paths.
      c: [batch, time, n_conditions] control features.
      previous: None (the first frame from its component's Gaussian given
        c), or a previous block's end state: every frame then follows the
        AR dynamics from its last z and controls.

    Returns:
      float64 [batch, time, z_dims].
    """
    split = self._prepared()
    z_dims = self.z_dims
    n_batch, n_time = states.shape
    eps = rng.standard_normal([n_batch, n_time, z_dims])
    phi = self.ar_coefficients[:, :z_dims]  # [K, z_dims (in), z_dims (out)]
    if previous is not None:
      c_ext = np.concatenate([previous['c'][:, None], c], 1)
      feats = self._features(np.zeros([n_batch, n_time + 1, 0]), c_ext)
      offset = self._ar_offsets(states, feats, eps)
      return np.stack([
          markov.linear_recursion(previous['z'][b], phi[states[b]],
                                  offset[b]) for b in range(n_batch)])
    z = np.empty([n_batch, n_time, z_dims])
    s0 = states[:, 0]
    mean0 = split['x_means'][s0] + np.einsum(
        'bij,bj->bi', split['gain'][s0], c[:, 0] - split['c_means'][s0])
    z[:, 0] = mean0 + np.einsum('bij,bj->bi',
                                split['x_given_c_scale_tril'][s0], eps[:, 0])
    if n_time == 1:
      return z
    # z_t = z_{t-1} Phi_s + offset_t: everything but the recursion at once.
    feats = self._features(np.zeros([n_batch, n_time, 0]), c)
    offset = self._ar_offsets(states[:, 1:], feats, eps[:, 1:])
    for b in range(n_batch):
      z[b, 1:] = markov.linear_recursion(z[b, 0], phi[states[b, 1:]],
                                         offset[b])
    return z

  # ------------------------------------------------------- Serialization.
  def _get_params(self):
    return {'weights': self.weights, 'means': self.means,
            'scale_tril': self.scale_tril,
            'transition_matrix': self.transition_matrix,
            'ar_coefficients': self.ar_coefficients,
            'ar_scale_tril': self.ar_scale_tril}

  def _checked_dynamics(self, params, checked):
    """Adds the checked Markov chain and AR dynamics to `checked`.

    transition_matrix [K, K] (stochastic rows), ar_coefficients [K,
    n_features, z_dims] whose AR matrices (the first z_dims rows) are stable,
    ar_scale_tril [K, z_dims, z_dims] (Cholesky factors).
    """
    k, d = len(checked['weights']), self.z_dims
    n_features = d + 2 * self.n_conditions + 1
    transition = base.checked_array(params, 'transition_matrix', [k, k])
    base.check_probabilities('transition_matrix', transition)
    coefficients = base.checked_array(params, 'ar_coefficients',
                                      [k, n_features, d])
    base.check_stable('ar_coefficients', coefficients[:, :d])
    noise = base.checked_array(params, 'ar_scale_tril', [k, d, d])
    base.check_scale_tril('ar_scale_tril', noise)
    checked.update({'transition_matrix': transition,
                    'ar_coefficients': coefficients,
                    'ar_scale_tril': noise})
    return checked

  def _checked_params(self, params):
    return self._checked_dynamics(params, super()._checked_params(params))

  def _set_params(self, params):
    checked = self._checked_params(params)
    self.weights = checked['weights']
    self.means = checked['means']
    self.scale_tril = checked['scale_tril']
    self.transition_matrix = checked['transition_matrix']
    self.ar_coefficients = checked['ar_coefficients']
    self.ar_scale_tril = checked['ar_scale_tril']
    self.joint_means, self.joint_scale_tril = self.means, self.scale_tril
    self._dims = (self.means.shape[1], 0)
    self._cache = None
