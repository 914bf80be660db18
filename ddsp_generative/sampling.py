# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Sampling library: controls + prior + decoder -> WAV, PNG and JSON files.

`python -m ddsp_generative.sample` is its command line.
"""

import os

import gin
import numpy as np
from tqdm import tqdm

from ddsp_generative import artifacts
from ddsp_generative import audio_io
from ddsp_generative import controls
from ddsp_generative import plotting

SAMPLE_FORMAT_VERSION = 1
DEFAULT_PRIOR_NAME = 'prior.json'


@gin.configurable
def control_source(source=None):
  """The control generator (gin root); default a 2 s middle-C Note."""
  if source is not None:
    return source
  # The gin-configured Note (gin.register leaves the plain class unbound).
  return gin.get_configurable(controls.Note)()


def sample_paths(save_dir, index):
  stem = os.path.join(save_dir, f'sample_{index:03d}')
  return {'wav': stem + '.wav', 'png': stem + '.png', 'json': stem + '.json'}


def describe_controls(source):
  return {'type': type(source).__name__,
          'settings': dict(getattr(source, 'config', {}))}


def describe_prior(prior, path=None):
  if prior is None:
    return None
  return {'path': None if path is None else os.path.abspath(path),
          'type': prior.TYPE, 'z_dims': prior.z_dims,
          'model_fingerprint': prior.model_fingerprint,
          'model_step': prior.model_step,
          'conditions': list(prior.CONDITIONS)}


def prior_conditions(prior, f0_hz, loudness_db):
  """The controls a conditional prior samples z given, as `sample` kwargs.

  Args:
    prior: A Prior; its `CONDITIONS` name the controls it needs (e.g.
      ('f0_hz', 'loudness_db')), empty for priors over z alone.
    f0_hz: [n_frames] requested f0.
    loudness_db: [n_frames] requested loudness.

  Returns:
    dict of [1, n_frames] arrays, one per condition ({} for none).
  """
  available = {'f0_hz': f0_hz, 'loudness_db': loudness_db}
  missing = [c for c in prior.CONDITIONS if c not in available]
  if missing:
    raise ValueError(f'The {prior.TYPE} prior conditions on {missing}, which '
                     'the control sources do not generate.')
  return {c: np.asarray(available[c], np.float32)[np.newaxis]
          for c in prior.CONDITIONS}


def generate(trained, prior, source, n_samples=1, seed=0, mode=None,
             save_dir='samples', overwrite=False, progress=True,
             prior_path=None):
  """Samples audio files; returns a list of dicts of the paths written.

  Args:
    trained: `model_io.TrainedModel`.
    prior: A prior from `ddsp_generative.priors` matching the model; a
      prior with `CONDITIONS` samples z given the generated f0/loudness.
    source: Control generator with `generate(frame_rate)`.
    n_samples: Number of files.
    seed: Sample i uses seed + i for the prior.
    mode: Prior sampling mode; None for the prior's default.
    save_dir: Output directory.
    overwrite: Replace existing files instead of failing.
    progress: Show a progress bar.
    prior_path: Where the prior was loaded from, for the sidecar.

  Returns:
    List of {'wav', 'png', 'json'} paths, one per sample.
  """
  if prior is not None:
    mode = mode or prior.default_mode
  f0_hz, loudness_db = source.generate(trained.frame_rate)
  n_frames = len(f0_hz)
  os.makedirs(save_dir, exist_ok=True)
  planned = [sample_paths(save_dir, i) for i in range(n_samples)]
  existing = [p for paths in planned for p in paths.values()
              if os.path.exists(p)]
  if existing and not overwrite:
    raise FileExistsError(
        f'{len(existing)} sample files already exist in {save_dir} (e.g. '
        f'{existing[0]}): pass --overwrite or choose another --save_dir.')
  written = []
  for i in tqdm(range(n_samples), desc='sampling', unit='file',
                disable=not progress):
    sample_seed = seed + i
    z = None
    if trained.z_dims is not None:
      z = prior.sample(n_frames, seed=sample_seed, mode=mode, batch_size=1,
                       **prior_conditions(prior, f0_hz, loudness_db))
    audio = trained.decode(f0_hz[np.newaxis], loudness_db[np.newaxis], z,
                           seed=sample_seed)[0]
    paths = planned[i]
    audio_io.write_wav(paths['wav'], audio, trained.sample_rate)
    plotting.save_spectrogram(
        paths['png'], audio, trained.sample_rate, f0_hz, trained.frame_rate,
        title=f'{os.path.basename(paths["wav"])}  seed={sample_seed}  '
              f'mode={mode}  step={trained.step}')
    artifacts.write_json(paths['json'], 'sample', SAMPLE_FORMAT_VERSION, {
        'audio': os.path.basename(paths['wav']),
        'spectrogram': os.path.basename(paths['png']),
        'seed': sample_seed,
        'sample_rate': trained.sample_rate,
        'duration_secs': len(audio) / trained.sample_rate,
        'peak': float(np.max(np.abs(audio))),
        'model': trained.info(),
        'prior': describe_prior(prior, prior_path),
        'prior_mode': mode,
        'prior_conditioned_on': (None if prior is None else
                                 list(prior.CONDITIONS) or None),
        'controls': describe_controls(source),
        'gin_config': gin.config_str(),
    })
    written.append(paths)
  return written
