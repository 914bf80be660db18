# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Fitting a prior on a z dataset: the library behind ddsp_generative_fit_prior.

Holds out whole examples, optionally subsamples frames, fits the prior class
configured by gin and saves it with the z dataset's model fingerprint, step and
z_dims.
"""

import os

from ddsp_generative import priors
from ddsp_generative import z_dataset
import gin
import numpy as np


def split_holdout(sequences, holdout_fraction, rng):
  """Splits z into training and held-out frames.

  Args:
    sequences: List of example dicts with 'z': [n_frames, z_dims].
    holdout_fraction: Fraction in [0, 1) held out: of examples if there are
      at least two, otherwise of the frames of the only example.
    rng: np.random.Generator.

  Returns:
    (train [N, z_dims], heldout [M, z_dims] or None, split) where split is
    'examples', 'frames' or 'none'.
  """
  if not 0.0 <= holdout_fraction < 1.0:
    raise ValueError(f'holdout_fraction must be in [0, 1); got '
                     f'{holdout_fraction}.')
  all_z = [s['z'] for s in sequences]
  if holdout_fraction == 0.0:
    return np.concatenate(all_z), None, 'none'
  if len(all_z) >= 2:
    n_held = min(len(all_z) - 1,
                 max(1, int(round(holdout_fraction * len(all_z)))))
    held = set(rng.permutation(len(all_z))[:n_held].tolist())
    train = [z for i, z in enumerate(all_z) if i not in held]
    heldout = [z for i, z in enumerate(all_z) if i in held]
    return np.concatenate(train), np.concatenate(heldout), 'examples'
  z = all_z[0]
  n_held = min(len(z) - 1, max(1, int(round(holdout_fraction * len(z)))))
  if n_held < 1:
    raise ValueError('Cannot hold out frames of a one-frame z dataset.')
  order = rng.permutation(len(z))
  return z[np.sort(order[n_held:])], z[np.sort(order[:n_held])], 'frames'


def subsample(z, max_frames, rng):
  """At most `max_frames` rows of z: [N, z_dims], drawn without replacement."""
  if max_frames is None or len(z) <= max_frames:
    return z
  if max_frames < 1:
    raise ValueError(f'max_frames must be >= 1; got {max_frames}.')
  return z[np.sort(rng.choice(len(z), size=max_frames, replace=False))]


def fit_prior(z_dataset_pattern, output, prior_name='gmm', seed=0,
              max_frames=None, holdout_fraction=0.1, overwrite=False):
  """Fits a prior (configured by the parsed gin bindings) and saves it.

  Args:
    z_dataset_pattern: TFRecord pattern or prefix of a z dataset.
    output: Path of the prior JSON.
    prior_name: Prior type, a key of the priors registry ('gmm',
      'standard_normal').
    seed: Seed of the holdout split, the subsampling and the fit.
    max_frames: Optional cap on the training (and held-out) frames.
    holdout_fraction: See `split_holdout`.
    overwrite: Whether to replace an existing `output`.

  Returns:
    (prior, summary): the fitted Prior and a dict of what was done.

  Raises:
    FileExistsError: `output` exists and overwrite is False.
  """
  if os.path.exists(output) and not overwrite:
    raise FileExistsError(f'{output} exists; pass --overwrite to replace it.')
  sequences, metadata = z_dataset.read_z_dataset(z_dataset_pattern)
  rng = np.random.default_rng(seed)
  train, heldout, split = split_holdout(sequences, holdout_fraction, rng)
  train = subsample(train, max_frames, rng)
  if heldout is not None:
    heldout = subsample(heldout, max_frames, rng)

  prior_cls = gin.get_configurable(priors.get_prior_class(prior_name))
  prior = prior_cls()
  prior.fit(train, model_fingerprint=metadata.get('model_fingerprint'),
            model_step=metadata.get('model_step'), seed=seed)

  heldout_nll = None if heldout is None else prior.nll_per_frame(heldout)
  prior.fit_info.update({
      'train_nll_per_frame': prior.nll_per_frame(train),
      'heldout_nll_per_frame': heldout_nll,
      'n_heldout_frames': 0 if heldout is None else int(len(heldout)),
      'holdout_fraction': float(holdout_fraction),
      'holdout_split': split,
      'max_frames': max_frames,
      'z_dataset': {
          'pattern': z_dataset_pattern,
          'metadata_path': z_dataset.z_metadata_path(z_dataset_pattern),
          **{k: metadata.get(k) for k in (
              'frame_rate', 'model_dir', 'model_step', 'model_fingerprint',
              'n_examples', 'n_frames', 'z_dims', 'source_tfrecord_pattern')},
      },
  })
  prior.save(output, extra_provenance={
      'seed': seed, 'prior': prior_name,
      'gin_config': gin.operative_config_str()})
  summary = {
      'type': prior.TYPE, 'path': output, 'z_dims': prior.z_dims,
      'n_components': prior.fit_info.get('n_components'),
      'n_fit_frames': prior.fit_info['n_fit_frames'],
      'n_heldout_frames': prior.fit_info['n_heldout_frames'],
      'holdout_split': split,
      'train_nll_per_frame': prior.fit_info['train_nll_per_frame'],
      'heldout_nll_per_frame': heldout_nll,
  }
  return prior, summary


def format_summary(summary):
  """A few human-readable lines about a fitted prior."""
  lines = [f'Fitted a {summary["type"]} prior (z_dims={summary["z_dims"]}) '
           f'on {summary["n_fit_frames"]} frames.']
  if summary['n_components'] is not None:
    lines.append(f'  components: {summary["n_components"]}')
  lines.append(f'  train NLL/frame: {summary["train_nll_per_frame"]:.3f} nats')
  if summary['heldout_nll_per_frame'] is None:
    lines.append('  held-out NLL/frame: n/a (--holdout_fraction=0)')
  else:
    lines.append(f'  held-out NLL/frame: '
                 f'{summary["heldout_nll_per_frame"]:.3f} nats on '
                 f'{summary["n_heldout_frames"]} frames (split by '
                 f'{summary["holdout_split"]})')
  lines.append(f'  saved to {summary["path"]}')
  return '\n'.join(lines)
