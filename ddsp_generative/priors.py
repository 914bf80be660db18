# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Priors over a DDSP autoencoder's latent z, to sample z with no input audio.

A `Prior` has a small contract:

  prior.fit(z)                          # z: [N, z_dims] or per-example list
  z = prior.sample(n_frames, seed=0)    # [batch, n_frames, z_dims]
  prior.log_prob(z)                     # [N, z_dims] -> [N]
  prior.save('prior.json'); load_prior('prior.json')

Priors are JSON artefacts (kind='prior', format_version=1), never pickles, and
record the z dimension and the fingerprint and step of the model whose encoder
produced the z they were fitted on; `check_compatible` checks them against the
model a prior is used with.

Sampling modes of `GaussianMixturePrior`: 'independent' draws every frame
from the mixture (noisy: the component changes from frame to frame);
'component' draws one component per clip and every frame from it (smoother;
`component=k` picks it). A subclass adds a mode by listing it in
`SAMPLE_MODES` and defining `_sample_<mode>(n_frames, batch_size, seed,
**mode_kwargs)`; temporal ('hmm') and conditional (z given f0/loudness) modes
are planned, so `_fit` also gets the per-example sequences when given.

Sampling is deterministic for a given integer seed: it uses stateless TFP
seeds, so a saved and reloaded prior gives the same samples.
"""

from absl import logging
from ddsp_generative import artifacts
import gin
import numpy as np
from sklearn import mixture
import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

KIND = 'prior'
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
FIT_HINT = ('fit a prior on z extracted from this model with '
            'ddsp_generative_extract_z + ddsp_generative_fit_prior')
DEFAULT_CANDIDATE_N_COMPONENTS = (1, 2, 4, 6, 8, 10, 12, 16, 20, 24, 32)
COVARIANCE_TYPES = ('full', 'tied', 'diag', 'spherical')

_PRIOR_TYPES = {}


class PriorMismatchError(ValueError):
  """A prior does not fit the model (or the z) it is used with."""


def _register_type(name):
  """Class decorator: the saved 'type' name `load_prior` dispatches on."""
  def decorator(cls):
    cls.TYPE = name
    _PRIOR_TYPES[name] = cls
    return cls
  return decorator


def prior_types():
  """Names of the registered prior types, e.g. ['gmm', 'standard_normal']."""
  return sorted(_PRIOR_TYPES)


def get_prior_class(name):
  """The Prior subclass saved under type `name` ('gmm', 'standard_normal')."""
  if name not in _PRIOR_TYPES:
    raise ValueError(f'Unknown prior type {name!r}; known types: '
                     f'{prior_types()}.')
  return _PRIOR_TYPES[name]


def stateless_seed(seed=None):
  """An int32 [2] stateless seed from an int (fresh entropy for None)."""
  state = np.random.SeedSequence(seed).generate_state(2) & 0x7FFFFFFF
  return tf.constant(state.astype(np.int32))


def as_frames(z):
  """Normalizes the z a prior is fitted on.

  Args:
    z: [N, z_dims] array; a list of [n_frames, z_dims] arrays; a list of
      example dicts with 'z' (as `z_dataset.load_sequences` returns); or a
      dict with 'z' (as `z_dataset.load_frames` returns).

  Returns:
    (frames, sequences): frames float32 [N, z_dims]; sequences a list of
    example dicts (each with 'z' [n_frames, z_dims]) or None if z was frames.
  """
  sequences = None
  if isinstance(z, dict):
    z = z['z']
  if isinstance(z, (list, tuple)):
    sequences = [s if isinstance(s, dict) else {'z': s} for s in z]
    sequences = [{**s, 'z': np.asarray(s['z'], np.float32)} for s in sequences]
    if any(s['z'].ndim != 2 for s in sequences):
      raise ValueError('Each z sequence must be [n_frames, z_dims].')
    if len({s['z'].shape[1] for s in sequences}) > 1:
      raise ValueError('z sequences differ in z_dims.')
    frames = np.concatenate([s['z'] for s in sequences]) if sequences else (
        np.zeros([0, 0], np.float32))
  else:
    frames = np.asarray(z, np.float32)
    if frames.ndim != 2:
      raise ValueError(f'z must be [N, z_dims]; got shape {frames.shape}.')
  if frames.shape[0] == 0:
    raise ValueError('Cannot fit a prior on no frames.')
  if not np.all(np.isfinite(frames)):
    raise ValueError('z holds NaN or infinite values.')
  return frames, sequences


class Prior:
  """Base class: a distribution over z frames that can be fitted and saved."""

  TYPE = None
  SAMPLE_MODES = ('independent',)

  def __init__(self, default_mode='independent'):
    self._check_mode(default_mode)
    self.default_mode = default_mode
    self.z_dims = None
    self.model_fingerprint = None
    self.model_step = None
    self.fit_info = {}
    self._distribution = None

  # ------------------------------------------------------------ Contract.
  def fit(self, z, model_fingerprint=None, model_step=None, seed=None):
    """Fits the prior.

    Args:
      z: [N, z_dims] frames, or per-example sequences (see `as_frames`).
      model_fingerprint: Fingerprint of the model whose encoder produced z.
      model_step: Training step of that model.
      seed: Optional int seed for the fitting procedure.

    Returns:
      self.
    """
    frames, sequences = as_frames(z)
    self._fit(frames, sequences, seed)
    self.z_dims = int(frames.shape[1])
    self.model_fingerprint = model_fingerprint
    self.model_step = None if model_step is None else int(model_step)
    self.fit_info['n_fit_frames'] = int(frames.shape[0])
    self.fit_info['fit_seed'] = seed
    self._distribution = None
    return self

  def sample(self, n_frames, seed=None, mode=None, batch_size=1,
             **mode_kwargs):
    """Samples z clips.

    Args:
      n_frames: Frames per clip.
      seed: Optional int; the same seed gives the same samples.
      mode: One of `SAMPLE_MODES`; None for `default_mode`.
      batch_size: Number of clips.
      **mode_kwargs: Options of the mode (e.g. `component=` for 'component').

    Returns:
      float32 [batch_size, n_frames, z_dims].
    """
    self._check_fitted()
    mode = mode or self.default_mode
    self._check_mode(mode)
    if int(n_frames) < 1 or int(batch_size) < 1:
      raise ValueError(f'n_frames ({n_frames}) and batch_size ({batch_size}) '
                       'must be >= 1.')
    sampler = getattr(self, f'_sample_{mode}')
    z = sampler(int(n_frames), int(batch_size), stateless_seed(seed),
                **mode_kwargs)
    return np.asarray(z, np.float32)

  def log_prob(self, z):
    """Log density of z frames (nats).

    Args:
      z: [N, z_dims] (or [..., z_dims]).

    Returns:
      float64 [N] (or [...]).
    """
    z = self._check_z(z)
    return np.asarray(self.distribution.log_prob(z))

  def nll_per_frame(self, z):
    """Mean negative log likelihood per frame (nats) of z: [N, z_dims]."""
    return float(-np.mean(self.log_prob(z)))

  @property
  def distribution(self):
    """The TFP distribution over one z frame (event shape [z_dims])."""
    self._check_fitted()
    if self._distribution is None:
      self._distribution = self._make_distribution()
    return self._distribution

  # ------------------------------------------------------- Serialization.
  def get_config(self):
    """Constructor arguments (JSON-serializable)."""
    return {'default_mode': self.default_mode}

  def to_dict(self):
    """A JSON-serializable description that `from_dict` restores."""
    self._check_fitted()
    return {
        'type': self.TYPE,
        'z_dims': self.z_dims,
        'model_fingerprint': self.model_fingerprint,
        'model_step': self.model_step,
        'config': self.get_config(),
        'params': self._get_params(),
        'fit_info': self.fit_info,
    }

  @classmethod
  def from_dict(cls, record):
    """Restores a prior from `to_dict()` output (or a loaded prior file)."""
    prior_cls = get_prior_class(record.get('type'))
    if not issubclass(prior_cls, cls):
      raise PriorMismatchError(f'The record holds a {record["type"]!r} prior, '
                               f'not a {cls.__name__}.')
    prior = prior_cls(**record.get('config', {}))
    prior.z_dims = int(record['z_dims'])
    prior.model_fingerprint = record.get('model_fingerprint')
    prior.model_step = record.get('model_step')
    prior.fit_info = dict(record.get('fit_info') or {})
    # pylint: disable-next=protected-access
    prior._set_params(record.get('params') or {})
    return prior

  def save(self, path, extra_provenance=None):
    """Writes the prior as a versioned JSON artefact; returns the record."""
    return artifacts.write_json(path, KIND, FORMAT_VERSION, self.to_dict(),
                                extra_provenance)

  @classmethod
  def load(cls, path):
    """Reads a prior saved with `save` (of this class or a subclass)."""
    return cls.from_dict(artifacts.read_json(path, KIND, SUPPORTED_VERSIONS))

  # --------------------------------------------------------- Subclasses.
  def _fit(self, frames, sequences, seed):
    raise NotImplementedError

  def _make_distribution(self):
    raise NotImplementedError

  def _get_params(self):
    return {}

  def _set_params(self, params):
    del params

  def _sample_independent(self, n_frames, batch_size, seed):
    return self.distribution.sample([batch_size, n_frames], seed=seed)

  # ------------------------------------------------------------- Checks.
  def _check_mode(self, mode):
    if mode not in self.SAMPLE_MODES:
      raise ValueError(
          f'Unknown sampling mode {mode!r} for {type(self).__name__}; valid '
          f'modes: {list(self.SAMPLE_MODES)}.')

  def _check_fitted(self):
    if self.z_dims is None:
      raise ValueError(f'{type(self).__name__} is not fitted: call fit() or '
                       'load a saved prior.')

  def _check_z(self, z):
    self._check_fitted()
    z = np.asarray(z, np.float64)
    if z.ndim < 1 or z.shape[-1] != self.z_dims:
      raise PriorMismatchError(
          f'prior has z_dims={self.z_dims} but z has shape {z.shape}.')
    return z


@gin.register
@_register_type('gmm')
class GaussianMixturePrior(Prior):
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
               default_mode='component'):
    """Constructor.

    Args:
      n_components: Number of mixture components; None picks it by BIC among
        `candidate_n_components`.
      candidate_n_components: Component counts tried when n_components is
        None (counts above the number of frames are skipped).
      covariance_type: 'full', 'tied', 'diag' or 'spherical'.
      reg_covar: Added to covariance diagonals (scikit-learn's reg_covar).
      max_iter: EM iterations per fit.
      n_init: EM restarts per fit (the best is kept).
      default_mode: Sampling mode used when `sample(mode=None)`.
    """
    super().__init__(default_mode=default_mode)
    if covariance_type not in COVARIANCE_TYPES:
      raise ValueError(f'covariance_type must be one of {COVARIANCE_TYPES}; '
                       f'got {covariance_type!r}.')
    self.n_components = None if n_components is None else int(n_components)
    self.candidate_n_components = sorted({int(k)
                                          for k in candidate_n_components})
    self.covariance_type = covariance_type
    self.reg_covar = float(reg_covar)
    self.max_iter = int(max_iter)
    self.n_init = int(n_init)
    self.weights = self.means = self.scale_tril = None

  def get_config(self):
    return {**super().get_config(),
            'n_components': self.n_components,
            'candidate_n_components': self.candidate_n_components,
            'covariance_type': self.covariance_type,
            'reg_covar': self.reg_covar,
            'max_iter': self.max_iter,
            'n_init': self.n_init}

  def _fit(self, frames, sequences, seed):
    del sequences
    if self.n_components is not None:
      candidates = [self.n_components]
    else:
      candidates = [k for k in self.candidate_n_components
                    if k <= frames.shape[0]]
    if not candidates or min(candidates) < 1:
      raise ValueError(f'No usable component count in {candidates} for '
                       f'{frames.shape[0]} frames.')
    bic_curve, best, best_bic = [], None, np.inf
    for k in candidates:
      gmm = mixture.GaussianMixture(
          n_components=k, covariance_type=self.covariance_type,
          reg_covar=self.reg_covar, max_iter=self.max_iter,
          n_init=self.n_init, random_state=seed).fit(frames)
      bic = float(gmm.bic(frames))
      bic_curve.append({'n_components': k, 'bic': bic})
      logging.info('GMM with %d components: BIC %.1f', k, bic)
      if bic < best_bic:
        best, best_bic = gmm, bic
    self.weights = best.weights_.astype(np.float64)
    self.means = best.means_.astype(np.float64)
    self.scale_tril = np.linalg.cholesky(self._full_covariances(best))
    self.fit_info.update({
        'n_components': int(best.n_components),
        'bic_curve': bic_curve,
        'converged': bool(best.converged_),
        'n_iter': int(best.n_iter_),
        'lower_bound': float(best.lower_bound_),
    })

  def _full_covariances(self, gmm):
    """[n_components, z_dims, z_dims] covariances of any covariance type."""
    k, d = gmm.means_.shape
    cov = np.asarray(gmm.covariances_, np.float64)
    if self.covariance_type == 'tied':
      return np.broadcast_to(cov, [k, d, d]).copy()
    if self.covariance_type == 'diag':
      return cov[:, :, None] * np.eye(d)
    if self.covariance_type == 'spherical':
      return cov[:, None, None] * np.eye(d)
    return cov

  @property
  def num_components(self):
    """Number of mixture components of the fitted prior."""
    self._check_fitted()
    return int(self.weights.shape[0])

  def _get_params(self):
    return {'weights': self.weights, 'means': self.means,
            'scale_tril': self.scale_tril}

  def _set_params(self, params):
    self.weights = np.asarray(params['weights'], np.float64)
    self.means = np.asarray(params['means'], np.float64)
    self.scale_tril = np.asarray(params['scale_tril'], np.float64)

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

  def _sample_component(self, n_frames, batch_size, seed, component=None):
    """One component per clip (drawn, or `component`: int or [batch_size])."""
    component_seed, frame_seed = tfp.random.split_seed(seed, n=2)
    if component is None:
      components = self.distribution.mixture_distribution.sample(
          batch_size, seed=component_seed)
    else:
      components = np.broadcast_to(np.asarray(component), [batch_size])
      if (not np.issubdtype(components.dtype, np.integer) or
          np.any(components < 0) or
          np.any(components >= self.num_components)):
        raise ValueError(f'component must be an integer in [0, '
                         f'{self.num_components}); got {component!r}.')
    clips = tfd.MultivariateNormalTriL(
        loc=tf.gather(self.means, components),
        scale_tril=tf.gather(self.scale_tril, components))
    z = clips.sample(n_frames, seed=frame_seed)  # [n_frames, batch, z_dims]
    return tf.transpose(z, [1, 0, 2])


@gin.register
@_register_type('standard_normal')
class StandardNormalPrior(Prior):
  """N(0, I) over z frames: the prior of a VAE encoder's z."""

  def __init__(self, z_dims=None):
    """Constructor.

    Args:
      z_dims: z dimension; None takes it from the data given to `fit`.
    """
    super().__init__()
    self.z_dims = None if z_dims is None else int(z_dims)

  def get_config(self):
    return {'z_dims': self.z_dims}

  def _fit(self, frames, sequences, seed):
    del sequences, seed
    if self.z_dims is not None and frames.shape[1] != self.z_dims:
      raise PriorMismatchError(f'prior has z_dims={self.z_dims} but z has '
                               f'z_dims={frames.shape[1]}.')

  def _make_distribution(self):
    return tfd.MultivariateNormalDiag(loc=np.zeros(self.z_dims, np.float64),
                                      scale_diag=np.ones(self.z_dims))


def load_prior(path):
  """Loads a prior saved with `Prior.save`, whatever its type."""
  return Prior.load(path)


def check_compatible(prior, z_dims, model_fingerprint=None):
  """Checks that a prior can be used with a model.

  Args:
    prior: A fitted Prior.
    z_dims: z dimension the model's encoder outputs (and decoder reads).
    model_fingerprint: The model's fingerprint, if known.

  Raises:
    PriorMismatchError: The z dimensions differ. A differing fingerprint only
      logs a warning (e.g. the same architecture trained further).
  """
  prior._check_fitted()  # pylint: disable=protected-access
  if int(prior.z_dims) != int(z_dims):
    raise PriorMismatchError(
        f"prior has z_dims={prior.z_dims} but the model's encoder outputs "
        f'z_dims={z_dims}: {FIT_HINT}')
  if (model_fingerprint and prior.model_fingerprint and
      model_fingerprint != prior.model_fingerprint):
    logging.warning(
        'The prior was fitted on z from model %s (step %s) but is used with '
        'model %s: z dimensions match, but the latent space may differ; if '
        'samples sound wrong, %s.', prior.model_fingerprint, prior.model_step,
        model_fingerprint, FIT_HINT)
