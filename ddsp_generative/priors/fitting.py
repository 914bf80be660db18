# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Fitting a prior on a z dataset: the library behind ddsp_generative_fit_prior.

Holds out whole examples, optionally subsamples, fits the prior class chosen
by name or by gin and saves it with the z dataset's model fingerprint, step,
z_dims, frame rate and sample rate. Priors over frames get (subsampled)
frames; temporal and conditional priors get whole examples with their f0 and
loudness.

The output is written by the publish protocol (`core.publish`): the run holds
the output's lock from start to end (a second run writing the same prior is
refused at once), the prior is validated (`Prior.fit`) and staged, and only
then replaces the old file. A failed run publishes nothing.
"""


from ddsp_generative import priors
from ddsp_generative.core import control_ranges
from ddsp_generative.core import errors
from ddsp_generative.core import filesystem
from ddsp_generative.core import prior_files
from ddsp_generative.core import publish
from ddsp_generative.core import z_dataset
from ddsp_generative.priors import base
import gin
import numpy as np

# The prior whose samples sound closest to the real audio (benchmarks/
# RESULTS.md, 'Generation quality').
DEFAULT_PRIOR = prior_files.DEFAULT_TYPE


class PriorConfigError(errors.UsageError, ValueError):
  """The prior's configuration (--prior, gin bindings, the mode) is wrong."""


@gin.configurable(module='ddsp_generative.fit_prior_lib')
def prior_to_fit(prior_class=None):
  """Gin root choosing the prior class, e.g. `prior_to_fit.prior_class =
  @HiddenMarkovPrior` (the class's own bindings configure it).

  Args:
    prior_class: A prior class (a gin configurable reference), or None.

  Returns:
    prior_class.
  """
  return prior_class


def make_prior(prior_name=None):
  """A prior, configured by gin, chosen by name or by `prior_to_fit`.

  Args:
    prior_name: A registered prior type ('conditional_net', 'gmm', 'hmm',
      'conditional', 'standard_normal'), or None for the gin binding of
      `prior_to_fit.prior_class` (default 'conditional_net').

  Returns:
    An unfitted Prior.

  Raises:
    ValueError: prior_name and the gin binding name different classes.
  """
  bound = prior_to_fit()
  if prior_name is None and bound is None:
    prior_name = DEFAULT_PRIOR
  try:
    if prior_name is None:
      prior = bound()
    else:
      prior = gin.get_configurable(priors.get_prior_class(prior_name))()
  except (TypeError, ValueError) as e:
    if isinstance(e, errors.UserError):
      raise
    raise PriorConfigError(
        f'Cannot make the {prior_name or "gin-bound"} prior from its '
        f'configuration: {" ".join(str(e).split())} (check --gin_param and '
        '--gin_file).') from e
  if bound is not None and _plain_class(type(prior)) is not _plain_class(
      bound):
    raise PriorConfigError(
        f'--prior={prior_name} disagrees with the gin binding '
        f'prior_to_fit.prior_class = @{_plain_class(bound).__name__}: give '
        'one of them.')
  if not isinstance(prior, priors.Prior):
    raise PriorConfigError(f'{type(prior).__name__} is not a Prior.')
  return prior


def _plain_class(configurable_class):
  """The class behind a gin configurable reference to it."""
  for cls in getattr(configurable_class, '__mro__', ()):
    if issubclass(cls, priors.Prior) and cls.TYPE and (
        priors.get_prior_class(cls.TYPE) is cls):
      return cls
  return configurable_class


def uses_sequences(prior):
  """Whether a prior learns from whole examples (order or controls)."""
  return isinstance(prior, priors.HiddenMarkovPrior) or bool(prior.CONDITIONS)


def split_holdout_sequences(sequences, holdout_fraction, rng):
  """Splits examples into training and held-out examples.

  Args:
    sequences: List of example dicts with 'z': [n_frames, z_dims] (and the
      controls).
    holdout_fraction: Fraction in [0, 1) held out: of examples if there are
      at least two, otherwise the last frames of the only example.
    rng: np.random.Generator.

  Returns:
    (train, heldout, split, heldout_examples): lists of example dicts
    (heldout None if nothing is held out); split 'examples', 'frames' or
    'none'; heldout_examples the indices of the held-out examples.
  """
  if not 0.0 <= holdout_fraction < 1.0:
    raise ValueError(f'holdout_fraction must be in [0, 1); got '
                     f'{holdout_fraction}.')
  if holdout_fraction == 0.0:
    return list(sequences), None, 'none', []
  if len(sequences) >= 2:
    n_held = min(len(sequences) - 1,
                 max(1, int(round(holdout_fraction * len(sequences)))))
    held = sorted(rng.permutation(len(sequences))[:n_held].tolist())
    held_set = set(held)
    train = [s for i, s in enumerate(sequences) if i not in held_set]
    heldout = [sequences[i] for i in held]
    return train, heldout, 'examples', held
  seq = sequences[0]
  n = len(seq['z'])
  n_held = min(n - 1, max(1, int(round(holdout_fraction * n))))
  if n_held < 1:
    raise ValueError('Cannot hold out frames of a one-frame z dataset.')
  train = {k: v[:n - n_held] for k, v in seq.items()}
  heldout = {k: v[n - n_held:] for k, v in seq.items()}
  return [train], [heldout], 'frames', [0]


def split_holdout(sequences, holdout_fraction, rng):
  """Splits z into training and held-out frames.

  Args:
    sequences: List of example dicts with 'z': [n_frames, z_dims].
    holdout_fraction: See `split_holdout_sequences`.
    rng: np.random.Generator.

  Returns:
    (train [N, z_dims], heldout [M, z_dims] or None, split) where split is
    'examples', 'frames' (the last frames of a single example) or 'none'.
  """
  train, heldout, split, _ = split_holdout_sequences(sequences,
                                                     holdout_fraction, rng)
  heldout = None if heldout is None else np.concatenate(
      [s['z'] for s in heldout])
  return np.concatenate([s['z'] for s in train]), heldout, split


def subsample(z, max_frames, rng):
  """At most `max_frames` rows of z: [N, z_dims], drawn without replacement."""
  if max_frames is None or len(z) <= max_frames:
    return z
  if max_frames < 1:
    raise ValueError(f'max_frames must be >= 1; got {max_frames}.')
  return z[np.sort(rng.choice(len(z), size=max_frames, replace=False))]


def subsample_sequences(sequences, max_frames, rng):
  """Whole examples, drawn at random, up to `max_frames` frames in all.

  The last example drawn is cut to fit, so exactly max_frames frames are
  kept when there are more.
  """
  total = sum(len(s['z']) for s in sequences)
  if max_frames is None or total <= max_frames:
    return list(sequences)
  if max_frames < 1:
    raise ValueError(f'max_frames must be >= 1; got {max_frames}.')
  kept, n = [], 0
  for i in rng.permutation(len(sequences)):
    take = min(len(sequences[i]['z']), max_frames - n)
    kept.append({k: v[:take] for k, v in sequences[i].items()})
    n += take
    if n >= max_frames:
      break
  return kept


def fit_prior(z_dataset_pattern, output, prior_name=None, seed=0,
              max_frames=None, holdout_fraction=0.1, overwrite=False,
              default_mode=None):
  """Fits a prior (configured by the parsed gin bindings) and saves it.

  Holds the lock of `output` for the whole run (`publish.lock`); the prior
  is validated after fitting and published with `publish.output_set`, so a
  failed or refused run leaves the old file (if any) as it was.

  Args:
    z_dataset_pattern: TFRecord pattern or prefix of a z dataset.
    output: Path of the prior JSON.
    prior_name: Prior type, a key of the priors registry
      ('conditional_net', 'gmm', 'hmm', 'conditional', 'standard_normal');
      None for the gin binding `prior_to_fit.prior_class` (default
      'conditional_net').
    seed: Seed of the holdout split, the subsampling and the fit.
    max_frames: Optional cap on the training (and held-out) frames: random
      frames for frame priors, whole random examples for temporal and
      conditional ones.
    holdout_fraction: See `split_holdout_sequences`.
    overwrite: Whether to replace an existing `output`.
    default_mode: Optional sampling mode saved as the prior's default.

  Returns:
    (prior, summary): the fitted Prior and a dict of what was done.

  Raises:
    FileExistsError: `output` exists and overwrite is False.
    publish.OutputBusyError: Another run is writing `output`.
    PriorConfigError: Bad prior configuration or default_mode.
    priors.PriorDataError: NaN/inf in the z dataset's z or controls.
    priors.PriorFitError: The fit gave invalid or unstable parameters.
  """
  prior = make_prior(prior_name)
  if default_mode:
    try:
      prior._check_mode(default_mode)  # pylint: disable=protected-access
    except ValueError as e:
      raise PriorConfigError(str(e)) from e
    prior.default_mode = default_mode
  prior_files.check_output(output, overwrite)
  # Fails fast (missing or foreign metadata) before anything is written.
  z_dataset.read_z_metadata(z_dataset_pattern)
  directory, name = filesystem.split(filesystem.abspath(output))
  with publish.lock(directory, name, what=output):
    prior_files.check_output(output, overwrite)
    prior, summary = _fit_and_publish(
        prior, z_dataset_pattern, output, directory, name, seed, max_frames,
        holdout_fraction)
  return prior, summary


def _fit_and_publish(prior, z_dataset_pattern, output, directory, name, seed,
                     max_frames, holdout_fraction):
  """The body of `fit_prior`, under the output's lock."""
  sequences, metadata = z_dataset.read_z_dataset(z_dataset_pattern)
  base.check_finite_data(sequences)
  rng = np.random.default_rng(seed)
  train, heldout, split, heldout_examples = split_holdout_sequences(
      sequences, holdout_fraction, rng)
  if uses_sequences(prior):
    train = subsample_sequences(train, max_frames, rng)
    train_frames = np.concatenate([s['z'] for s in train])
    fit_data = train
  else:
    train_frames = subsample(np.concatenate([s['z'] for s in train]),
                             max_frames, rng)
    fit_data = train_frames
  if heldout is not None:
    heldout = subsample_sequences(heldout, max_frames, rng)

  prior.fit(fit_data, model_fingerprint=metadata.get('model_fingerprint'),
            model_step=metadata.get('model_step'), seed=seed,
            frame_rate=metadata.get('frame_rate'),
            sample_rate=metadata.get('sample_rate'))

  heldout_nll = heldout_seq_nll = None
  if heldout is not None:
    heldout_nll = prior.nll_per_frame(
        np.concatenate([s['z'] for s in heldout]))
    heldout_seq_nll = prior.sequence_nll_per_frame(heldout)
  prior.fit_info.update({
      'train_nll_per_frame': prior.nll_per_frame(train_frames),
      'heldout_nll_per_frame': heldout_nll,
      'heldout_sequence_nll_per_frame': heldout_seq_nll,
      'n_heldout_frames': 0 if heldout is None else int(
          sum(len(s['z']) for s in heldout)),
      'holdout_fraction': float(holdout_fraction),
      'holdout_split': split,
      'heldout_examples': heldout_examples,
      'max_frames': max_frames,
      # The controls the model was trained on (all the z dataset's frames),
      # kept with the prior in the model directory for the sampler.
      'training_controls': control_ranges.from_controls(
          np.concatenate([s['f0_hz'] for s in sequences]),
          np.concatenate([s['loudness_db'] for s in sequences])),
      'z_dataset': {
          'pattern': z_dataset_pattern,
          'metadata_path': z_dataset.z_metadata_path(z_dataset_pattern),
          **{k: metadata.get(k) for k in (
              'frame_rate', 'sample_rate', 'model_dir', 'model_step',
              'model_fingerprint', 'n_examples', 'n_frames', 'z_dims',
              'source_tfrecord_pattern')},
      },
  })
  with publish.output_set(directory, name, manifest=name,
                          what=output) as staging:
    prior.save(filesystem.join(staging, name), extra_provenance={
        'seed': seed, 'prior': prior.TYPE,
        'gin_config': gin.operative_config_str()})
  summary = {
      'type': prior.TYPE, 'path': output, 'z_dims': prior.z_dims,
      'n_components': prior.fit_info.get('n_components'),
      'default_mode': prior.default_mode,
      'modes': list(prior.SAMPLE_MODES),
      'conditions': list(prior.CONDITIONS),
      'n_fit_frames': prior.fit_info['n_fit_frames'],
      'n_heldout_frames': prior.fit_info['n_heldout_frames'],
      'holdout_split': split,
      'train_nll_per_frame': prior.fit_info['train_nll_per_frame'],
      'heldout_nll_per_frame': heldout_nll,
      'heldout_sequence_nll_per_frame': heldout_seq_nll,
  }
  return prior, summary


def format_summary(summary):
  """A few human-readable lines about a fitted prior."""
  lines = [f'Fitted a {summary["type"]} prior (z_dims={summary["z_dims"]}) '
           f'on {summary["n_fit_frames"]} frames.']
  if summary['n_components'] is not None:
    lines.append(f'  components: {summary["n_components"]}')
  modes = ', '.join(m + ('*' if m == summary['default_mode'] else '')
                    for m in summary['modes'])
  lines.append(f'  sampling modes: {modes} (* default)')
  if summary['conditions']:
    lines.append(f'  samples z given: {", ".join(summary["conditions"])}')
  lines.append(f'  train NLL/frame: {summary["train_nll_per_frame"]:.3f} nats')
  if summary['heldout_nll_per_frame'] is None:
    lines.append('  held-out NLL/frame: n/a (--holdout_fraction=0)')
  else:
    lines.append(f'  held-out NLL/frame: '
                 f'{summary["heldout_nll_per_frame"]:.3f} nats on '
                 f'{summary["n_heldout_frames"]} frames (split by '
                 f'{summary["holdout_split"]})')
    seq_nll = summary['heldout_sequence_nll_per_frame']
    if seq_nll is not None and not np.isclose(
        seq_nll, summary['heldout_nll_per_frame']):
      lines.append(f'  held-out NLL/frame of whole examples as sampled '
                   f'(given the past and controls): {seq_nll:.3f} nats')
  lines.append(f'  saved to {summary["path"]}')
  return '\n'.join(lines)
