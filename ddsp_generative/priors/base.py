# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The Prior contract, its registry, saving/loading and compatibility checks.

A `Prior` has a small contract:

  prior.fit(z)                          # z: [N, z_dims] or per-example list
  z = prior.sample(n_frames, seed=0)    # [batch, n_frames, z_dims]
  prior.log_prob(z)                     # [N, z_dims] -> [N]
  prior.save('prior.json'); load_prior('prior.json')

Priors are JSON artefacts (kind='prior', format_version=1), never pickles, and
record the z dimension, the frame (and sample) rate of the z they were fitted
on and the fingerprint and step of the model whose encoder produced it;
`check_compatible` checks them against the model a prior is used with. A
subclass is saved under its `TYPE` name (`register_type`), which `load_prior`
dispatches on.

Every prior is validated when it is fitted (before it can be saved) and when
it is loaded: each parameter must have its shape, be finite and valid
(probabilities summing to 1, stochastic transition rows, Cholesky factors
with a positive diagonal, positive scales) and every dynamics stable
(spectral radius < 1). Anything else raises `InvalidPriorError`, one line
naming the file, the parameter and the fix.

Long clips are sampled as a stream (`Prior.stream` -> `PriorStream.next`,
block by block, memory bounded by the block): the first block is exactly
`sample(...)[0]`; later blocks continue the same clip, temporal modes
carrying their state (see `PriorStream`).

A subclass adds a sampling mode by listing it in `SAMPLE_MODES` and defining
`_sample_<mode>(n_frames, batch_size, seed, **mode_kwargs)`, and, if the mode
carries state from one block of a stream to the next, `_stream_<mode>` (see
`Prior._stream_block`). A prior whose samples follow the requested controls
lists them in `CONDITIONS` (e.g. ('f0_hz', 'loudness_db')): the sampler then
passes them to `sample` (and `PriorStream.next`) as keyword arguments. A
subclass validates its saved parameters in `_checked_params`.
"""

import numbers

from absl import logging
from ddsp_generative.core import artifacts
from ddsp_generative.core import errors
from ddsp_generative.core import prior_files
from ddsp_generative.core import seeds
import numpy as np
import tensorflow as tf

KIND = 'prior'
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
FIT_HINT = ('fit a prior on z extracted from this model with '
            'ddsp_generative_extract_z + ddsp_generative_fit_prior')
# The fix named by every refusal of a prior's parameters.
REFIT_HINT = ('refit it with ddsp_generative_fit_prior on z extracted from '
              'the model it is used with')
# How far from 1 saved probabilities may sum (JSON keeps 17 digits).
PROBABILITY_TOLERANCE = 1e-6
# The rates a prior records of the z it was fitted on.
RATES = ('frame_rate', 'sample_rate')

_PRIOR_TYPES = {}


class PriorMismatchError(errors.UserError, ValueError):
  """A prior does not fit the model (or the z) it is used with."""


class InvalidPriorError(PriorMismatchError):
  """A prior's parameters (saved, or just fitted) are malformed or invalid."""


class PriorFitError(InvalidPriorError):
  """Fitting gave a prior with invalid parameters (nothing is saved)."""


class PriorDataError(errors.UserError, ValueError):
  """The z (or controls) given to `fit` cannot be fitted on."""


def _one_line(text):
  return ' '.join(str(text).split())


def register_type(name):
  """Class decorator: the saved 'type' name `load_prior` dispatches on.

  Args:
    name: One of `core.prior_files.TYPES` or `CLIP_TYPES` (where commands
      find the types without importing TensorFlow).

  Returns:
    The decorator.
  """
  if name not in prior_files.TYPES + prior_files.CLIP_TYPES:
    raise ValueError(f'Prior type {name!r} is not in core.prior_files.TYPES '
                     f'{prior_files.TYPES} or CLIP_TYPES: add it there.')

  def decorator(cls):
    cls.TYPE = name
    _PRIOR_TYPES[name] = cls
    return cls
  return decorator


def prior_types():
  """Names of the registered z prior types, e.g. ['gmm', 'hmm', ...]."""
  return sorted(t for t in _PRIOR_TYPES if t in prior_files.TYPES)


def get_prior_class(name):
  """The Prior subclass saved under type `name` (e.g. 'gmm', 'hmm')."""
  if not isinstance(name, str) or name not in _PRIOR_TYPES:
    raise InvalidPriorError(f'Unknown prior type {name!r}; known types: '
                            f'{prior_types()}.')
  return _PRIOR_TYPES[name]


stateless_seed = seeds.stateless_seed  # Its home is core.seeds.


def call_seed(seed, index):
  """The stateless seed of call `index` of a stream seeded with int `seed`.

  Call 0 gets `stateless_seed(seed)`, what `Prior.sample(seed=seed)` uses;
  later calls a seed spawned from (seed, index), distinct for every index.
  """
  if int(index) == 0:
    return stateless_seed(seed)
  state = np.random.SeedSequence(seed, spawn_key=(int(index),)).generate_state(
      2) & 0x7FFFFFFF
  return tf.constant(state.astype(np.int32))


def numpy_rng(seed):
  """A NumPy Generator from a stateless seed (as `sample` passes it)."""
  return np.random.default_rng(np.asarray(seed).astype(np.int64).tolist())


# ------------------------------------------------------------ Validation.
def _invalid(name, problem):
  return InvalidPriorError(f'parameter {name!r} {problem}')


def _shape_text(shape):
  return '[' + ', '.join('*' if s is None else str(s) for s in shape) + ']'


def checked_array(params, name, shape, dtype=np.float64):
  """params[name] as a finite numeric array of the expected shape.

  Args:
    params: Dict of parameters (as saved).
    name: The parameter's key.
    shape: Expected shape; None entries match any size.
    dtype: dtype of the returned array.

  Returns:
    np.ndarray of `dtype` and `shape`.

  Raises:
    InvalidPriorError: Missing, not numbers, another shape, NaN or inf.
  """
  if not isinstance(params, dict):
    raise InvalidPriorError(f"'params' is a {type(params).__name__}, not a "
                            'JSON object')
  if name not in params:
    raise _invalid(name, 'is missing')
  try:
    array = np.asarray(params[name])
  except (TypeError, ValueError) as e:
    raise _invalid(name, f'is not an array of numbers ({_one_line(e)})') from e
  if array.dtype.kind not in 'fiu':
    raise _invalid(name, 'is not an array of numbers')
  if array.ndim != len(shape) or any(
      want is not None and got != want
      for got, want in zip(array.shape, shape)):
    raise _invalid(name, f'has shape {_shape_text(array.shape)}, expected '
                         f'{_shape_text(shape)}')
  array = array.astype(dtype)
  bad = ~np.isfinite(array)
  if np.any(bad):
    raise _invalid(name, f'holds {int(bad.sum())} NaN or infinite value(s)')
  return array


def check_probabilities(name, probs):
  """Raises unless probs [..., K] lie in [0, 1] and sum to 1 along K."""
  if np.any(probs < 0) or np.any(probs > 1):
    raise _invalid(name, 'holds probabilities outside [0, 1]')
  error = np.abs(probs.sum(-1) - 1.0)
  if np.any(error > PROBABILITY_TOLERANCE):
    worst = int(np.argmax(error))
    total = float(np.ravel(probs.sum(-1))[worst])
    where = f' (row {worst})' if probs.ndim > 1 else ''
    raise _invalid(name, f'sums to {total:.6g}{where}, not 1')


def check_scale_tril(name, tril):
  """Raises unless tril [..., D, D] are Cholesky factors (lower, diag > 0)."""
  if np.any(np.triu(tril, 1) != 0):
    raise _invalid(name, 'is not lower triangular (Cholesky factors of '
                         'covariances)')
  diagonal = np.diagonal(tril, axis1=-2, axis2=-1)
  if diagonal.size and np.any(diagonal <= 0):
    raise _invalid(name, f'has a diagonal entry {diagonal.min():.4g} <= 0: '
                         'not the Cholesky factor of a positive definite '
                         'covariance')


def checked_mixture(params, means_key, scale_tril_key, dims):
  """A Gaussian mixture's checked parameters.

  Args:
    params: Dict of parameters (as saved).
    means_key: Key of the means, [K, dims].
    scale_tril_key: Key of their Cholesky factors, [K, dims, dims].
    dims: The Gaussians' dimension.

  Returns:
    {'weights': [K] probabilities, means_key: ..., scale_tril_key: ...}.

  Raises:
    InvalidPriorError: Naming the parameter and what is wrong with it.
  """
  weights = checked_array(params, 'weights', [None])
  if weights.size < 1:
    raise _invalid('weights', 'is empty')
  check_probabilities('weights', weights)
  k = len(weights)
  checked = {
      'weights': weights,
      means_key: checked_array(params, means_key, [k, dims]),
      scale_tril_key: checked_array(params, scale_tril_key, [k, dims, dims]),
  }
  check_scale_tril(scale_tril_key, checked[scale_tril_key])
  return checked


def check_positive(name, values):
  """Raises unless every value is > 0 (scales, variances)."""
  if values.size and np.any(values <= 0):
    raise _invalid(name, f'holds {values.min():.4g}; it must be > 0')


def check_covariance(name, cov):
  """Raises unless cov [..., D, D] is symmetric positive definite."""
  scale = max(float(np.max(np.abs(cov))) if cov.size else 0.0, 1e-300)
  if not np.allclose(cov, np.swapaxes(cov, -1, -2), rtol=1e-8,
                     atol=1e-12 * scale):
    raise _invalid(name, 'is not symmetric')
  try:
    np.linalg.cholesky(cov)
  except np.linalg.LinAlgError as e:
    raise _invalid(name, 'is not positive definite') from e


def check_stable(name, matrices):
  """Raises unless every AR matrix [..., D, D] has spectral radius < 1.

  For AR(1)/VAR(1) dynamics x_t = x_{t-1} A + ... the companion matrix is A
  itself; a radius >= 1 makes long samples grow without bound.
  """
  if matrices.size == 0:
    return
  radius = np.max(np.abs(np.linalg.eigvals(matrices)), axis=-1)
  if np.any(radius >= 1.0):
    worst = int(np.argmax(radius))
    where = f' (component {worst})' if np.ndim(radius) else ''
    raise _invalid(name, f'is unstable: spectral radius '
                         f'{float(np.ravel(radius)[worst]):.4g} >= 1{where}, '
                         'so samples would grow without bound')


def checked_spectral_radius(max_spectral_radius):
  """The bound AR matrices are shrunk to, as a float in (0, 1).

  Args:
    max_spectral_radius: A prior's `max_spectral_radius` argument.

  Returns:
    It, as a float.

  Raises:
    ValueError: It is not in (0, 1), so long samples would not stay stable.
  """
  value = float(max_spectral_radius)
  if not 0.0 < value < 1.0:
    raise ValueError('max_spectral_radius must be in (0, 1), so that long '
                     f'samples stay stable; got {max_spectral_radius}.')
  return value


def check_range(name, value_range):
  """Raises unless each row (min, max) of value_range [n, 2] has min <= max."""
  if np.any(value_range[..., 0] > value_range[..., 1]):
    raise _invalid(name, 'has a minimum above its maximum')


def _is_int(value):
  return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_positive_number(value):
  return (isinstance(value, numbers.Real) and not isinstance(value, bool) and
          np.isfinite(value) and value > 0)


def _split_by_example(frames):
  """A `load_frames` dict -> list of per-example dicts."""
  index = np.asarray(frames['example_index'])
  keys = [k for k in ('z', 'f0_hz', 'loudness_db') if k in frames]
  return [{k: np.asarray(frames[k])[index == i] for k in keys}
          for i in np.unique(index)]


def check_finite_data(sequences, frames=None):
  """Raises PriorDataError naming the first NaN/inf in z or the controls.

  Args:
    sequences: List of example dicts ('z' and any 'f0_hz', 'loudness_db'),
      or None to check `frames` alone.
    frames: [N, z_dims] z frames (used when sequences is None).
  """
  for key in ('z', 'f0_hz', 'loudness_db'):
    if sequences is None:
      arrays = [frames] if key == 'z' else []
    else:
      arrays = (s[key] for s in sequences if key in s)
    n_bad, first = 0, None
    for i, array in enumerate(arrays):
      bad = ~np.isfinite(np.asarray(array))
      if np.any(bad):
        n_bad += int(bad.sum())
        if first is None:
          first = (i, int(np.argwhere(bad)[0][0]))
    if n_bad:
      where = (f'frame {first[1]}' if sequences is None else
               f'example {first[0]}, frame {first[1]}')
      raise PriorDataError(
          f'{key} holds {n_bad} NaN or infinite value(s) (the first in '
          f'{where}): a prior cannot be fitted on it; re-extract the z '
          'dataset with ddsp_generative_extract_z.')


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

  Raises:
    PriorDataError: No frames, bad shapes, or NaN/inf in z or the controls.
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
      raise PriorDataError('Each z sequence must be [n_frames, z_dims].')
    if len({s['z'].shape[1] for s in sequences}) > 1:
      raise PriorDataError('z sequences differ in z_dims.')
    frames = np.concatenate([s['z'] for s in sequences]) if sequences else (
        np.zeros([0, 0], np.float32))
  else:
    frames = np.asarray(z, np.float32)
    if frames.ndim != 2:
      raise PriorDataError(
          f'z must be [N, z_dims]; got shape {frames.shape}.')
  if frames.shape[0] == 0:
    raise PriorDataError('Cannot fit a prior on no frames.')
  check_finite_data(sequences, frames)
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
    # Frames (and audio samples) per second of the z it was fitted on; None
    # if unknown (fitted on bare arrays, or an older prior file).
    self.frame_rate = None
    self.sample_rate = None
    self.fit_info = {}
    self._distribution = None

  # ------------------------------------------------------------ Contract.
  def fit(self, z, model_fingerprint=None, model_step=None, seed=None,
          frame_rate=None, sample_rate=None):
    """Fits the prior, then validates it (as loading does).

    Args:
      z: [N, z_dims] frames, or per-example sequences (see `as_frames`).
        Temporal priors learn from the frame order within each sequence;
        conditional priors need each sequence's 'f0_hz' and 'loudness_db'.
      model_fingerprint: Fingerprint of the model whose encoder produced z.
      model_step: Training step of that model.
      seed: Optional int seed for the fitting procedure.
      frame_rate: Frames per second of z (the z dataset's), if known.
      sample_rate: Audio sample rate of that model, if known.

    Returns:
      self.

    Raises:
      PriorDataError: z (or the controls) hold NaN/inf or have bad shapes.
      PriorFitError: The fit gave non-finite, invalid or unstable parameters;
        the prior is left unfitted.
    """
    frames, sequences = as_frames(z)
    try:
      self._fit(frames, sequences, seed)
    except np.linalg.LinAlgError as e:
      self.z_dims = None  # Unusable: neither sampled nor saved.
      raise PriorFitError(
          f'Fitting the {self.TYPE} prior failed ({_one_line(e)}), so nothing '
          'was saved: check the z dataset, or fit with other settings or '
          'another --prior.') from e
    self.z_dims = int(frames.shape[1])
    self.model_fingerprint = model_fingerprint
    self.model_step = None if model_step is None else int(model_step)
    self.frame_rate = None if frame_rate is None else float(frame_rate)
    self.sample_rate = None if sample_rate is None else float(sample_rate)
    self.fit_info['n_fit_frames'] = int(frames.shape[0])
    self.fit_info['fit_seed'] = seed
    self._distribution = None
    try:
      self._checked_params(self._get_params())
    except InvalidPriorError as e:
      self.z_dims = None  # Unusable: neither sampled nor saved.
      raise PriorFitError(
          f'Fitting the {self.TYPE} prior gave invalid parameters ({e}), so '
          'nothing was saved: check the z dataset (re-extract it with '
          'ddsp_generative_extract_z) or fit with other settings or another '
          '--prior.') from e
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

  def stream(self, seed=None, mode=None, **mode_kwargs):
    """A stream sampling one long clip block by block (see `PriorStream`).

    Args:
      seed: Optional int; None draws one (fresh entropy).
      mode: One of `SAMPLE_MODES`; None for `default_mode`.
      **mode_kwargs: Options of the mode (e.g. `component=`), not controls:
        those go to each `PriorStream.next`.

    Returns:
      A `PriorStream`.
    """
    return PriorStream(self, seed, mode, mode_kwargs)

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
        'frame_rate': self.frame_rate,
        'sample_rate': self.sample_rate,
        'conditions': list(self.CONDITIONS),
        'config': self.get_config(),
        'params': self._get_params(),
        'fit_info': self.fit_info,
    }

  @classmethod
  def from_dict(cls, record, source=None):
    """Restores and validates a prior from `to_dict()` output (or a file).

    Args:
      record: The dict.
      source: Where it came from (e.g. the file's path), named in errors.

    Returns:
      The prior (of the class its 'type' names).

    Raises:
      InvalidPriorError: A field or parameter is missing, malformed, not
        finite, invalid or unstable (one line naming source and the field).
      PriorMismatchError: The record holds a prior of another class.
    """
    where = source or 'the prior record'

    def invalid(problem):
      return InvalidPriorError(f'{where}: {problem}; {REFIT_HINT}.')

    if not isinstance(record, dict):
      raise invalid('is not a JSON object')
    name = record.get('type')
    if not isinstance(name, str) or name not in _PRIOR_TYPES:
      raise invalid(f'Unknown prior type {name!r} (known types: '
                    f'{prior_types()})')
    prior_cls = _PRIOR_TYPES[name]
    if not issubclass(prior_cls, cls):
      raise PriorMismatchError(f'{where} holds a {name!r} prior, not a '
                               f'{cls.__name__}.')
    z_dims = record.get('z_dims')
    if not _is_int(z_dims) or z_dims < 1:
      raise invalid(f"'z_dims' is {z_dims!r}, not a positive integer")
    fingerprint = record.get('model_fingerprint')
    if fingerprint is not None and not isinstance(fingerprint, str):
      raise invalid(f"'model_fingerprint' is {fingerprint!r}, not a string")
    step = record.get('model_step')
    if step is not None and (not _is_int(step) or step < 0):
      raise invalid(f"'model_step' is {step!r}, not an integer >= 0")
    for key in ('config', 'params', 'fit_info'):
      if record.get(key) is not None and not isinstance(record[key], dict):
        raise invalid(f"{key!r} is a {type(record[key]).__name__}, not a "
                      'JSON object')
    rates = _record_rates(record)
    for key, value in rates.items():
      if value is not None and not _is_positive_number(value):
        raise invalid(f'{key!r} is {value!r}, not a positive number')
    try:
      prior = prior_cls(**(record.get('config') or {}))
    except (TypeError, ValueError) as e:
      raise invalid(f"its {name} 'config' is invalid ({_one_line(e)})") from e
    prior.z_dims = int(z_dims)
    prior.model_fingerprint = fingerprint
    prior.model_step = step
    prior.frame_rate = None if rates['frame_rate'] is None else float(
        rates['frame_rate'])
    prior.sample_rate = None if rates['sample_rate'] is None else float(
        rates['sample_rate'])
    prior.fit_info = dict(record.get('fit_info') or {})
    try:
      # pylint: disable-next=protected-access
      prior._set_params(record.get('params') or {})
    except InvalidPriorError as e:
      raise invalid(f'{name} prior {_one_line(e)}') from e
    except (KeyError, TypeError, ValueError, IndexError, AttributeError,
            np.linalg.LinAlgError) as e:
      raise invalid(f"{name} prior has invalid 'params' "
                    f'({type(e).__name__}: {_one_line(e)})') from e
    return prior

  def save(self, path, extra_provenance=None):
    """Writes the prior as a versioned JSON artefact; returns the record."""
    return artifacts.write_json(path, KIND, FORMAT_VERSION, self.to_dict(),
                                extra_provenance)

  @classmethod
  def load(cls, path):
    """Reads and validates a prior saved with `save` (see `from_dict`)."""
    return cls.from_dict(artifacts.read_json(path, KIND, SUPPORTED_VERSIONS),
                         source=path)

  # --------------------------------------------------------- Subclasses.
  def _fit(self, frames, sequences, seed):
    raise NotImplementedError

  def _make_distribution(self):
    raise NotImplementedError

  def _get_params(self):
    return {}

  def _checked_params(self, params):
    """Validates saved parameters (z_dims set); returns them as arrays.

    Raises:
      InvalidPriorError: Naming the parameter and what is wrong with it.
    """
    if not isinstance(params, dict):
      raise InvalidPriorError(f"'params' is a {type(params).__name__}, not "
                              'a JSON object')
    return {}

  def _set_params(self, params):
    self._checked_params(params)

  def _sample_independent(self, n_frames, batch_size, seed):
    return self.distribution.sample([batch_size, n_frames], seed=seed)

  # ------------------------------------------------------------- Stream.
  def _stream_lookahead(self, mode):
    """Frames of the following controls a block's last frames depend on."""
    del mode
    return 0

  def _stream_block(self, mode, n_frames, seed, state, conditions, lookahead,
                    **mode_kwargs):
    """One block of a stream.

    A mode without state draws each block on its own from the block's seed
    (`_sample_<mode>` with batch 1). A mode with state defines
    `_stream_<mode>(n_frames, seed, state, conditions, lookahead,
    **mode_kwargs) -> (z [1, n_frames, z_dims], state)`; with state None (the
    first block) and no lookahead its z must equal `_sample_<mode>`'s.

    Args:
      mode: The sampling mode.
      n_frames: Frames of the block.
      seed: The block's stateless seed (`call_seed`).
      state: What the previous block left (None for the first).
      conditions: The block's controls ({name: [n_frames] or [1, n_frames]}).
      lookahead: None, or {name: [k]} controls of the frames that follow.
      **mode_kwargs: Options of the mode.

    Returns:
      (float32 [n_frames, z_dims], the state for the next block).
    """
    stateful = getattr(self, f'_stream_{mode}', None)
    if stateful is not None:
      z, state = stateful(n_frames, seed, state, conditions, lookahead,
                          **mode_kwargs)
    else:
      z = getattr(self, f'_sample_{mode}')(n_frames, 1, seed, **mode_kwargs,
                                           **conditions)
    return np.asarray(z, np.float32)[0], state

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


def _record_rates(record):
  """{'frame_rate', 'sample_rate'} of a prior record (None if unknown).

  Priors saved before the rates were recorded at the top level still have
  the z dataset's in fit_info['z_dataset'] (written by `fitting.fit_prior`).
  """
  z_info = record.get('fit_info')
  z_info = z_info.get('z_dataset') if isinstance(z_info, dict) else None
  z_info = z_info if isinstance(z_info, dict) else {}
  rates = {}
  for key in RATES:
    value = record.get(key)
    rates[key] = z_info.get(key) if value is None else value
  return rates


class PriorStream:
  """One long clip's z, sampled block by block with bounded memory.

  Made by `Prior.stream(seed, mode, **mode_kwargs)`; `next(n_frames,
  **conditions)` returns the clip's next `n_frames` frames:

  * The first call returns exactly `prior.sample(n_frames, seed=seed,
    mode=mode, batch_size=1, **mode_kwargs, **conditions)[0]` (called
    without `lookahead`), so a clip sampled in one call is unchanged.
  * Later calls continue the same clip. Modes with state carry it: the
    clip's component ('component' modes), the hidden state and the last z
    and controls of the AR dynamics ('temporal' of the hmm and conditional
    priors), the last `receptive_radius` frames of controls and the
    residual's AR state (the network prior, all modes). Each call's draws
    come from `call_seed(seed, call index)` (the network prior's noise from
    one generator seeded by `seed`, carried along, so that its stream's
    noise is a long sample's), so the same seed and the same call lengths
    give the same z.
  * Memory per call is bounded by n_frames (plus the lookahead); the state
    does not grow with the number of calls (`state_nbytes`).

  Attributes:
    prior: The Prior.
    mode: The sampling mode.
    seed: The int seed (drawn at creation when None was given).
    calls: Calls made so far.
    frames: Frames returned so far.
    lookahead_frames: Frames of the following controls the prior's last
      frames of a block depend on (the network prior's receptive radius; 0
      for the others): pass them to `next` as `lookahead` when known.
  """

  def __init__(self, prior, seed=None, mode=None, mode_kwargs=None):
    prior._check_fitted()  # pylint: disable=protected-access
    mode = mode or prior.default_mode
    prior._check_mode(mode)  # pylint: disable=protected-access
    if seed is None:
      seed = int(np.random.SeedSequence().entropy)
    if not _is_int(seed) or seed < 0:
      raise ValueError(f'seed must be an integer >= 0 or None; got {seed!r}.')
    self.prior = prior
    self.mode = mode
    self.seed = int(seed)
    self.mode_kwargs = dict(mode_kwargs or {})
    overlap = set(self.mode_kwargs) & set(prior.CONDITIONS)
    if overlap:
      raise ValueError(f'Pass the controls {sorted(overlap)} to next(), not '
                       'to stream().')
    self.calls = 0
    self.frames = 0
    # pylint: disable-next=protected-access
    self.lookahead_frames = int(prior._stream_lookahead(mode))
    self._state = None

  def next(self, n_frames, lookahead=None, **conditions):
    """The clip's next frames.

    Args:
      n_frames: Frames to return, >= 1.
      lookahead: Optional, for a prior with `CONDITIONS`: {name: [k]} the
        controls of the k frames that follow these (up to
        `lookahead_frames` are used; fewer say the clip ends there). Only the
        network prior uses it: without it, its last `lookahead_frames` frames
        of a block see the block's end as the clip's end.
      **conditions: For a prior with `CONDITIONS`, exactly those controls of
        these n_frames frames, each [n_frames] (or [1, n_frames]).

    Returns:
      float32 [n_frames, z_dims].

    Raises:
      ValueError: n_frames < 1, or missing, unexpected or misshapen controls.
    """
    if not _is_int(n_frames) or n_frames < 1:
      raise ValueError(f'n_frames must be an integer >= 1; got {n_frames!r}.')
    n_frames = int(n_frames)
    conditions = self._checked_conditions(conditions, n_frames)
    lookahead = self._checked_lookahead(lookahead)
    # pylint: disable-next=protected-access
    z, self._state = self.prior._stream_block(
        self.mode, n_frames, call_seed(self.seed, self.calls), self._state,
        conditions, lookahead, **self.mode_kwargs)
    self.calls += 1
    self.frames += n_frames
    return z

  @property
  def state_nbytes(self):
    """Bytes of the arrays the stream carries from one call to the next."""
    def size(value):
      if isinstance(value, dict):
        return sum(size(v) for v in value.values())
      if isinstance(value, (list, tuple)):
        return sum(size(v) for v in value)
      return int(getattr(value, 'nbytes', 0))
    return size(self._state)

  def _checked_conditions(self, conditions, n_frames):
    wanted = set(self.prior.CONDITIONS)
    missing, extra = wanted - set(conditions), set(conditions) - wanted
    if missing or extra:
      raise ValueError(
          f'The {self.prior.TYPE} prior\'s stream needs exactly the controls '
          f'{list(self.prior.CONDITIONS)}; missing {sorted(missing)}, '
          f'unexpected {sorted(extra)}.')
    for name, value in conditions.items():
      if np.shape(value) not in ((n_frames,), (1, n_frames)):
        raise ValueError(f'{name} must be [{n_frames}] (the controls of '
                         f'these frames); got shape {np.shape(value)}.')
    return conditions

  def _checked_lookahead(self, lookahead):
    if not lookahead:
      return None
    wanted = set(self.prior.CONDITIONS)
    if set(lookahead) != wanted:
      raise ValueError(f'lookahead must hold exactly the controls '
                       f'{list(self.prior.CONDITIONS)}; got '
                       f'{sorted(lookahead)}.')
    shapes = {np.shape(v) for v in lookahead.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1:
      raise ValueError('lookahead controls must be [k] arrays of one length; '
                       f'got shapes {sorted(shapes)}.')
    if self.lookahead_frames == 0:
      return None
    return {k: np.asarray(v)[:self.lookahead_frames]
            for k, v in lookahead.items()}


def load_prior(path):
  """Loads and validates a prior saved with `Prior.save`, whatever its type.

  Raises:
    artifacts.ArtifactError: Missing, unreadable (bad JSON), another kind or
      an unsupported version.
    InvalidPriorError: A malformed, non-finite, invalid or unstable field or
      parameter (one line naming the file, the parameter and the fix).
  """
  return Prior.load(path)


def check_compatible(prior, z_dims, model_fingerprint=None, frame_rate=None,
                     sample_rate=None):
  """Checks that a prior can be used with a model.

  Args:
    prior: A fitted Prior.
    z_dims: z dimension the model's encoder outputs (and decoder reads).
    model_fingerprint: The model's fingerprint, if known.
    frame_rate: The model's frame rate (frames per second), if known.
    sample_rate: The model's audio sample rate, if known.

  Raises:
    PriorMismatchError: The z dimensions, the frame rates or the sample rates
      differ. A differing fingerprint only logs a warning (e.g. the same
      architecture trained further), and so does a prior that does not
      record its frame rate (an older file; one without a sample rate is
      taken to match).
  """
  prior._check_fitted()  # pylint: disable=protected-access
  if int(prior.z_dims) != int(z_dims):
    raise PriorMismatchError(
        f"prior has z_dims={prior.z_dims} but the model's encoder outputs "
        f'z_dims={z_dims}: {FIT_HINT}')
  for key, value, unit, what in (
      ('frame_rate', frame_rate, 'frames/s', 'z frames would play at the '
       'wrong speed'),
      ('sample_rate', sample_rate, 'Hz', 'it was fitted on another '
       "model's z")):
    if value is None:
      continue
    recorded = getattr(prior, key, None)
    if recorded is None and key == 'sample_rate':
      continue  # Older files record only the frame rate; it is what counts.
    if recorded is None:
      logging.warning(
          'The prior does not record the %s of the z it was fitted on (an '
          'older prior file): assuming the model\'s %g %s; to check it, %s.',
          key.replace('_', ' '), float(value), unit, FIT_HINT)
    elif not np.isclose(float(recorded), float(value), rtol=1e-9, atol=0):
      raise PriorMismatchError(
          f'prior was fitted on z at {key}={float(recorded):g} {unit} but '
          f'the model runs at {key}={float(value):g} {unit} ({what}): '
          f'{FIT_HINT}')
  if (model_fingerprint and prior.model_fingerprint and
      model_fingerprint != prior.model_fingerprint):
    logging.warning(
        'The prior was fitted on z from model %s (step %s) but is used with '
        'model %s: z dimensions match, but the latent space may differ; if '
        'samples sound wrong, %s.', prior.model_fingerprint, prior.model_step,
        model_fingerprint, FIT_HINT)
