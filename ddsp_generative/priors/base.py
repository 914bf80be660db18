# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The Prior contract, its registry, saving/loading and compatibility checks.

A `Prior` has a small contract:

  prior.fit(z)                          # z: [N, z_dims] or per-example list
  z = prior.sample(n_frames, seed=0)    # [batch, n_frames, z_dims]
  prior.log_prob(z)                     # [N, z_dims] -> [N]
  prior.save('prior.json'); load_prior('prior.json')

Priors are JSON artefacts (kind='prior', format_version=1), never pickles, and
record the z dimension and the fingerprint and step of the model whose encoder
produced the z they were fitted on; `check_compatible` checks them against the
model a prior is used with. A subclass is saved under its `TYPE` name
(`register_type`), which `load_prior` dispatches on.

A subclass adds a sampling mode by listing it in `SAMPLE_MODES` and defining
`_sample_<mode>(n_frames, batch_size, seed, **mode_kwargs)`. A prior whose
samples follow the requested controls lists them in `CONDITIONS` (e.g.
('f0_hz', 'loudness_db')): the sampler then passes them to `sample` as
keyword arguments.
"""

from absl import logging
from ddsp_generative.core import artifacts
from ddsp_generative.core import errors
import numpy as np
import tensorflow as tf

KIND = 'prior'
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
FIT_HINT = ('fit a prior on z extracted from this model with '
            'ddsp_generative_extract_z + ddsp_generative_fit_prior')

_PRIOR_TYPES = {}


class PriorMismatchError(errors.UserError, ValueError):
  """A prior does not fit the model (or the z) it is used with."""


def register_type(name):
  """Class decorator: the saved 'type' name `load_prior` dispatches on."""
  def decorator(cls):
    cls.TYPE = name
    _PRIOR_TYPES[name] = cls
    return cls
  return decorator


def prior_types():
  """Names of the registered prior types, e.g. ['gmm', 'hmm', ...]."""
  return sorted(_PRIOR_TYPES)


def get_prior_class(name):
  """The Prior subclass saved under type `name` (e.g. 'gmm', 'hmm')."""
  if name not in _PRIOR_TYPES:
    raise ValueError(f'Unknown prior type {name!r}; known types: '
                     f'{prior_types()}.')
  return _PRIOR_TYPES[name]


def stateless_seed(seed=None):
  """An int32 [2] stateless seed from an int (fresh entropy for None)."""
  state = np.random.SeedSequence(seed).generate_state(2) & 0x7FFFFFFF
  return tf.constant(state.astype(np.int32))


def numpy_rng(seed):
  """A NumPy Generator from a stateless seed (as `sample` passes it)."""
  return np.random.default_rng(np.asarray(seed).astype(np.int64).tolist())


def _split_by_example(frames):
  """A `load_frames` dict -> list of per-example dicts."""
  index = np.asarray(frames['example_index'])
  keys = [k for k in ('z', 'f0_hz', 'loudness_db') if k in frames]
  return [{k: np.asarray(frames[k])[index == i] for k in keys}
          for i in np.unique(index)]


def as_frames(z):
  """Normalizes the z a prior is fitted on.

  Args:
    z: [N, z_dims] array; a list of [n_frames, z_dims] arrays; a list of
      example dicts with 'z' (as `z_dataset.load_sequences` returns, with
      'f0_hz' and 'loudness_db'); or a dict with 'z' (as
      `z_dataset.load_frames` returns: split back into examples by its
      'example_index').

  Returns:
    (frames, sequences): frames float32 [N, z_dims]; sequences a list of
    example dicts (each with 'z' [n_frames, z_dims] and any controls) or None
    if z was frames.
  """
  sequences = None
  if isinstance(z, dict):
    if 'example_index' in z:
      z = _split_by_example(z)
    else:
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
  # Controls `sample` (and the sampler) must pass, e.g. ('f0_hz',
  # 'loudness_db'); empty for priors over z alone.
  CONDITIONS = ()

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
        Temporal priors learn from the frame order within each sequence;
        conditional priors need each sequence's 'f0_hz' and 'loudness_db'.
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
      **mode_kwargs: Options of the mode (e.g. `component=` for 'component')
        and, for a prior with `CONDITIONS`, the controls (e.g. `f0_hz=`,
        `loudness_db=`: [batch_size, n_frames] or [n_frames]).

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
    """Log density of z frames (nats), each frame on its own.

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

  def sequence_nll_per_frame(self, sequences):
    """Negative log likelihood per frame of whole examples, as sampled.

    Frames are independent under this base class, so this is
    `nll_per_frame` of the concatenated frames; temporal priors score each
    example's z given its past, conditional priors given its controls.

    Args:
      sequences: List of example dicts with 'z' [n_frames, z_dims] (and
        'f0_hz', 'loudness_db' [n_frames] for a conditional prior).

    Returns:
      float, nats per frame.
    """
    _, sequences = as_frames(list(sequences))
    return self.nll_per_frame(np.concatenate([s['z'] for s in sequences]))

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
        'conditions': list(self.CONDITIONS),
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
