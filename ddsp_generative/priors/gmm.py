# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Gaussian mixture prior over z frames, fitted by EM (scikit-learn).

Sampling modes: 'independent' draws every frame from the mixture (noisy: the
component changes from frame to frame, seed 001's baseline); 'component'
draws one component per clip and every frame from it (smoother; seed 001's
improvement; `component=k` picks it).

Sampling is deterministic for a given integer seed: it uses stateless TFP
seeds, so a saved and reloaded prior gives the same samples. A stream
(`Prior.stream`) in 'component' mode keeps its first block's component for
the whole clip.
"""

from absl import logging
from ddsp_generative.priors import base
import gin
import numpy as np
from sklearn import mixture
import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

DEFAULT_CANDIDATE_N_COMPONENTS = (1, 2, 4, 6, 8, 10, 12, 16, 20, 24, 32)
COVARIANCE_TYPES = ('full', 'tied', 'diag', 'spherical')
SELECTIONS = ('bic', 'heldout')


def check_choices(covariance_type, selection):
  """Raises ValueError for an unknown covariance type or selection rule."""
  if covariance_type not in COVARIANCE_TYPES:
    raise ValueError(f'covariance_type must be one of {COVARIANCE_TYPES}; '
                     f'got {covariance_type!r}.')
  if selection not in SELECTIONS:
    raise ValueError(f'selection must be one of {SELECTIONS}; got '
                     f'{selection!r}.')


def full_covariances(gmm, covariance_type):
  """[n_components, dims, dims] covariances of a fitted sklearn mixture."""
  k, d = gmm.means_.shape
  cov = np.asarray(gmm.covariances_, np.float64)
  if covariance_type == 'tied':
    return np.broadcast_to(cov, [k, d, d]).copy()
  if covariance_type == 'diag':
    return cov[:, :, None] * np.eye(d)
  if covariance_type == 'spherical':
    return cov[:, None, None] * np.eye(d)
  return cov


def _selection_split(frames, sequences, holdout_fraction, rng):
  """Training and validation frames for choosing the number of components.

  Whole examples are held out when there are several (frames of one example
  are correlated), otherwise random frames.
  """
  if sequences is not None and len(sequences) >= 2:
    n_held = min(len(sequences) - 1,
                 max(1, int(round(holdout_fraction * len(sequences)))))
    held = set(rng.permutation(len(sequences))[:n_held].tolist())
    train = [s['z'] for i, s in enumerate(sequences) if i not in held]
    valid = [s['z'] for i, s in enumerate(sequences) if i in held]
    return np.concatenate(train), np.concatenate(valid)
  n_held = max(1, int(round(holdout_fraction * len(frames))))
  order = rng.permutation(len(frames))
  return frames[order[n_held:]], frames[order[:n_held]]


def fit_mixture(frames, n_components=None,
                candidate_n_components=DEFAULT_CANDIDATE_N_COMPONENTS,
                covariance_type='full', reg_covar=1e-6, max_iter=200,
                n_init=1, seed=None, selection='bic',
                selection_holdout=0.1, sequences=None):
  """Fits a Gaussian mixture by EM, choosing the number of components.

  Args:
    frames: [N, dims] data.
    n_components: Number of components; None chooses among
      `candidate_n_components` (counts above N are skipped).
    candidate_n_components: Counts tried when n_components is None.
    covariance_type: One of COVARIANCE_TYPES.
    reg_covar: Added to covariance diagonals.
    max_iter: EM iterations per fit.
    n_init: EM restarts per fit (the best is kept).
    seed: Optional int seed (k-means initialization).
    selection: 'bic' (lowest BIC on all frames) or 'heldout' (highest mean
      log likelihood of held-out frames, then refitted on all frames).
    selection_holdout: Fraction held out for selection='heldout'.
    sequences: Optional per-example dicts with 'z' (the same data as
      frames), so that 'heldout' holds out whole examples.

  Returns:
    (gmm, info): the fitted `sklearn.mixture.GaussianMixture` and a dict
    with 'n_components', 'selection', 'bic_curve' (one entry per candidate:
    'n_components', 'bic' and, for 'heldout', 'heldout_log_likelihood' per
    frame), 'converged', 'n_iter', 'lower_bound'.
  """
  check_choices(covariance_type, selection)
  if n_components is not None:
    candidates = [int(n_components)]
  else:
    candidates = sorted({int(k) for k in candidate_n_components
                         if int(k) <= frames.shape[0]})
  if not candidates or min(candidates) < 1:
    raise ValueError(f'No usable component count in {candidates} for '
                     f'{frames.shape[0]} frames.')

  def fit(k, data):
    return mixture.GaussianMixture(
        n_components=k, covariance_type=covariance_type,
        reg_covar=reg_covar, max_iter=max_iter, n_init=n_init,
        random_state=seed).fit(data)

  use_heldout = selection == 'heldout' and len(candidates) > 1
  if use_heldout:
    train, valid = _selection_split(frames, sequences, selection_holdout,
                                    np.random.default_rng(seed))
  curve, best, best_score = [], None, -np.inf
  for k in candidates:
    if use_heldout:
      if k > len(train):
        continue
      gmm = fit(k, train)
      entry = {'n_components': k, 'bic': float(gmm.bic(train)),
               'heldout_log_likelihood': float(gmm.score(valid))}
      score = entry['heldout_log_likelihood']
    else:
      gmm = fit(k, frames)
      entry = {'n_components': k, 'bic': float(gmm.bic(frames))}
      score = -entry['bic']
    curve.append(entry)
    logging.info('Mixture with %d components: %s', k, entry)
    if score > best_score:
      best, best_score = gmm, score
  if use_heldout:
    best = fit(best.n_components, frames)
  info = {
      'n_components': int(best.n_components),
      'selection': selection if len(candidates) > 1 else 'given',
      'bic_curve': curve,
      'converged': bool(best.converged_),
      'n_iter': int(best.n_iter_),
      'lower_bound': float(best.lower_bound_),
  }
  return best, info


@gin.register(module='ddsp_generative.priors')
@base.register_type('gmm')
class GaussianMixturePrior(base.Prior):
  """Gaussian mixture over z frames, fitted by EM (scikit-learn).

  Represented as `tfd.MixtureSameFamily(Categorical, MultivariateNormalTriL)`
  (float64); other covariance types are stored as full covariances.
  """

  SAMPLE_MODES = ('independent', 'component')

  def __init__(self,
               n_components=None,
               candidate_n_components=DEFAULT_CANDIDATE_N_COMPONENTS,
               covariance_type='full',
               reg_covar=1e-6,
               max_iter=200,
               n_init=1,
               selection='bic',
               default_mode='component'):
    """Constructor.

    Args:
      n_components: Number of mixture components; None picks it among
        `candidate_n_components` by `selection`.
      candidate_n_components: Component counts tried when n_components is
        None (counts above the number of frames are skipped).
      covariance_type: 'full', 'tied', 'diag' or 'spherical'.
      reg_covar: Added to covariance diagonals (scikit-learn's reg_covar).
      max_iter: EM iterations per fit.
      n_init: EM restarts per fit (the best is kept).
      selection: 'bic' (lowest BIC) or 'heldout' (highest likelihood of 10%
        of the examples held out).
      default_mode: Sampling mode used when `sample(mode=None)`.
    """
    super().__init__(default_mode=default_mode)
    check_choices(covariance_type, selection)
    self.n_components = None if n_components is None else int(n_components)
    self.candidate_n_components = sorted({int(k)
                                          for k in candidate_n_components})
    self.covariance_type = covariance_type
    self.reg_covar = float(reg_covar)
    self.max_iter = int(max_iter)
    self.n_init = int(n_init)
    self.selection = selection
    self.weights = self.means = self.scale_tril = None

  def get_config(self):
    return {**super().get_config(),
            'n_components': self.n_components,
            'candidate_n_components': self.candidate_n_components,
            'covariance_type': self.covariance_type,
            'reg_covar': self.reg_covar,
            'max_iter': self.max_iter,
            'n_init': self.n_init,
            'selection': self.selection}

  def _fit_mixture(self, frames, seed, sequences=None):
    """Fits the scikit-learn mixture of this prior's settings on frames."""
    gmm, info = fit_mixture(
        frames, self.n_components, self.candidate_n_components,
        self.covariance_type, self.reg_covar, self.max_iter, self.n_init,
        seed, self.selection, sequences=sequences)
    self.fit_info.update(info)
    return gmm

  def _fit(self, frames, sequences, seed):
    gmm = self._fit_mixture(frames, seed, sequences)
    self.weights = gmm.weights_.astype(np.float64)
    self.means = gmm.means_.astype(np.float64)
    self.scale_tril = np.linalg.cholesky(
        full_covariances(gmm, self.covariance_type))

  @property
  def num_components(self):
    """Number of mixture components of the fitted prior."""
    self._check_fitted()
    return int(self.weights.shape[0])

  def _get_params(self):
    return {'weights': self.weights, 'means': self.means,
            'scale_tril': self.scale_tril}

  def _checked_params(self, params):
    """The mixture's weights [K], means [K, D], scale_tril [K, D, D]."""
    checked = super()._checked_params(params)
    checked.update(base.checked_mixture(params, 'means', 'scale_tril',
                                        self.z_dims))
    return checked

  def _set_params(self, params):
    checked = self._checked_params(params)
    self.weights = checked['weights']
    self.means = checked['means']
    self.scale_tril = checked['scale_tril']

  def _make_distribution(self):
    return tfd.MixtureSameFamily(
        mixture_distribution=tfd.Categorical(probs=self.weights),
        components_distribution=tfd.MultivariateNormalTriL(
            loc=self.means, scale_tril=self.scale_tril))

  def predict(self, z):
    """Most probable component of each frame.

    Args:
      z: [N, z_dims].

    Returns:
      int [N], the argmax over components of the posterior.
    """
    z, dist = self._check_z(z), self.distribution
    joint = (dist.components_distribution.log_prob(z[..., None, :]) +
             tf.math.log_softmax(dist.mixture_distribution.logits_parameter()))
    return np.argmax(np.asarray(joint), axis=-1)

  def _check_components(self, component, batch_size):
    """[batch_size] component indices from an int or a list of them."""
    components = np.broadcast_to(np.asarray(component), [batch_size])
    if (not np.issubdtype(components.dtype, np.integer) or
        np.any(components < 0) or np.any(components >= self.num_components)):
      raise ValueError(f'component must be an integer in [0, '
                       f'{self.num_components}); got {component!r}.')
    return components

  def _draw_components(self, batch_size, seed, component=None):
    """[batch_size] components of the clips: drawn, or `component`'s."""
    component_seed, _ = tfp.random.split_seed(seed, n=2)
    if component is None:
      return np.asarray(self.distribution.mixture_distribution.sample(
          batch_size, seed=component_seed))
    return self._check_components(component, batch_size)

  def _sample_component(self, n_frames, batch_size, seed, component=None):
    """One component per clip (drawn, or `component`: int or [batch_size])."""
    _, frame_seed = tfp.random.split_seed(seed, n=2)
    components = self._draw_components(batch_size, seed, component)
    clips = tfd.MultivariateNormalTriL(
        loc=tf.gather(self.means, components),
        scale_tril=tf.gather(self.scale_tril, components))
    z = clips.sample(n_frames, seed=frame_seed)  # [n_frames, batch, z_dims]
    return tf.transpose(z, [1, 0, 2])

  def _stream_component(self, n_frames, seed, state, conditions, lookahead,
                        component=None):
    """A stream keeps the component its first block drew (or was given)."""
    del lookahead
    if state is None:
      state = {'component': self._draw_components(1, seed, component)}
    return self._sample_component(n_frames, 1, seed,
                                  component=state['component'],
                                  **conditions), state
