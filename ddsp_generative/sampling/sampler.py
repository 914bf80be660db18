# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Sampling library: controls + prior + decoder -> WAV, PNG and JSON files.

`python -m ddsp_generative.sample` is its command line.
"""

import json
import os
import re

from absl import logging
import gin
import numpy as np
from tqdm import tqdm

from ddsp_generative.core import artifacts
from ddsp_generative.core import audio_io
from ddsp_generative.core import control_ranges
from ddsp_generative import controls
from ddsp_generative.controls import midi  # pylint: disable=unused-import
from ddsp_generative.core import plotting

SAMPLE_FORMAT_VERSION = 1
DEFAULT_PRIOR_NAME = 'prior.json'
# Spectrogram PNGs show at most the first PLOT_SECS of a sample.
PLOT_SECS = 60.0


def parse_control_config(gin_files=(), gin_params=(), defaults=()):
  """Parses the controls' gin config on top of a loaded model's.

  Registers every control source first, the envelope VAE's included (it
  imports TensorFlow, hence not at module import), so that bindings such as
  `control_source.source = @EnvelopeControl()` resolve.

  Args:
    gin_files: Gin files.
    gin_params: Gin bindings, parsed after the files.
    defaults: Bindings parsed before both, which they override.
  """
  from ddsp_generative.controls import envelope  # pylint: disable=g-import-not-at-top,unused-import
  with gin.unlock_config():
    gin.parse_config(list(defaults))
    gin.parse_config_files_and_bindings(list(gin_files), list(gin_params))


@gin.configurable(module='ddsp_generative.sampling')
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


def sample_z(trained, prior, f0_hz, loudness_db, seed=0, mode=None):
  """z for one clip from the prior, given the controls when it conditions.

  Args:
    trained: `model_io.TrainedModel`.
    prior: A prior matching the model, or None for a model without z.
    f0_hz: [n_frames] requested f0.
    loudness_db: [n_frames] requested loudness.
    seed: Prior seed.
    mode: Prior sampling mode; None for the prior's default.

  Returns:
    [n_frames, z_dims] float32, or None for a model without z.
  """
  if trained.z_dims is None:
    return None
  if prior is None:
    raise ValueError('This model decodes from z: give it a prior.')
  z = prior.sample(len(f0_hz), seed=seed, mode=mode or prior.default_mode,
                   batch_size=1,
                   **prior_conditions(prior, f0_hz, loudness_db))
  return np.asarray(z, np.float32)[0]


def synthesize(trained, prior, f0_hz, loudness_db, seed=0, mode=None,
               chunk_frames=None):
  """Audio of one clip from controls, z from the prior (no files written).

  Args:
    trained: `model_io.TrainedModel`.
    prior: A prior matching the model (None for a model without z).
    f0_hz: [n_frames] f0 in Hz.
    loudness_db: [n_frames] loudness in dB.
    seed: Seeds the prior and the synthesizers' noise.
    mode: Prior sampling mode; None for the prior's default.
    chunk_frames: Frames decoded at a time (see `streaming`); None for its
      default.

  Returns:
    float32 [n_frames * hop_size] audio.
  """
  from ddsp_generative.sampling import streaming  # pylint: disable=g-import-not-at-top
  z = sample_z(trained, prior, f0_hz, loudness_db, seed=seed, mode=mode)
  return streaming.decode_audio(trained, f0_hz, loudness_db, z, seed=seed,
                                chunk_frames=chunk_frames)


_FILE_PATTERN = re.compile(
    # Gin wraps long bindings after the '=' with a backslash.
    r"^TFRecordProvider\.file_pattern\s*=\s*(?:\\\s*)?['\"]([^'\"]+)['\"]",
    re.M)


def training_controls(trained, prior=None):
  """The percentiles of the pitch and loudness a model was trained on.

  Looked up, in order, in: the model directory's `manifest.json` (the
  embedded default model), the metadata of the TFRecords named by the
  model's operative config (`TFRecordProvider.file_pattern`, written by
  `ddsp_generative_prepare_tfrecord`), and the prior's fit (computed by
  `ddsp_generative_fit_prior` from the z dataset's controls, so a model
  directory shared with its `prior.json` carries them).

  Args:
    trained: `model_io.TrainedModel`.
    prior: The prior it samples with, or None.

  Returns:
    (ranges, origin): a `core.control_ranges` dict and the file it came
    from, or (None, None) when unknown.
  """
  candidates = [(os.path.join(trained.model_dir, 'manifest.json'),
                 lambda d: d.get('training_controls'))]
  match = _FILE_PATTERN.search(trained.operative_config or '')
  if match:
    prefix = re.sub(r'(-(train|eval))?[*?].*$', '', match.group(1))
    candidates.append((artifacts.tfrecord_metadata_path(prefix),
                       lambda d: d.get('training_controls')))
  for path, get in candidates:
    try:
      with open(path) as f:
        ranges = get(json.load(f))
    except (OSError, ValueError, AttributeError):
      continue
    if ranges:
      return ranges, path
  ranges = getattr(prior, 'fit_info', {}).get('training_controls')
  if ranges:
    return ranges, 'the prior\'s fit'
  return None, None


# The note-based control sources whose `peak_db` sets their level.
LEVEL_SOURCES = ('Note', 'Melody', 'Glissando', 'MidiFile')


def default_level_bindings(ranges):
  """Gin bindings that put the note sources' level inside the training data.

  The sources' generic default (-25 dB) can be far below what a model heard
  (a loud recording's notes peak near -3 dB): bound before the user's
  `--gin_param`/`--peak_db`, which override them.

  Args:
    ranges: From `training_controls`, or None.

  Returns:
    A tuple of bindings, empty when the ranges are unknown.
  """
  if not ranges:
    return ()
  peak = control_ranges.default_peak_db(ranges)
  return tuple(f'{name}.peak_db = {peak!r}' for name in LEVEL_SOURCES)


def warn_outside_training(f0_hz, loudness_db, ranges, origin):
  """Warns once when requested controls leave the training data's range.

  Args:
    f0_hz: [n_frames] requested Hz.
    loudness_db: [n_frames] requested dB.
    ranges: From `training_controls`, or None (then nothing is checked).
    origin: Where the ranges came from.

  Returns:
    The list of what lies outside (empty when inside or unknown).
  """
  if not ranges:
    return []
  found = control_ranges.outside(f0_hz, loudness_db, ranges)
  if found:
    logging.warning(
        'The requested %s lie(s) outside what the model was trained on (%s, '
        'from %s): expect sound unlike the instrument. Transpose the notes '
        '(e.g. --pitch) or set the level (--peak_db) inside that range.',
        '; '.join(found), control_ranges.describe(ranges), origin)
  return found


def generate(trained, prior, source, n_samples=1, seed=0, mode=None,
             save_dir='samples', overwrite=False, progress=True,
             prior_path=None, chunk_frames=None):
  """Samples audio files; returns a list of dicts of the paths written.

  Each clip is decoded and written chunk by chunk (`streaming`), so any
  duration fits in bounded memory; a WAV appears only once complete.

  Args:
    trained: `model_io.TrainedModel`.
    prior: A prior from `ddsp_generative.priors` matching the model; a
      prior with `CONDITIONS` samples z given the generated f0/loudness.
    source: Control generator with `generate(frame_rate)`.
    n_samples: Number of files.
    seed: Sample i uses seed + i for the prior and the synthesizers' noise.
    mode: Prior sampling mode; None for the prior's default.
    save_dir: Output directory.
    overwrite: Replace existing files instead of failing.
    progress: Show a progress bar (seconds of audio written).
    prior_path: Where the prior was loaded from, for the sidecar.
    chunk_frames: Frames decoded at a time; None for the default.

  Returns:
    List of {'wav', 'png', 'json'} paths, one per sample.
  """
  if prior is not None:
    mode = mode or prior.default_mode
  f0_hz, loudness_db = source.generate(trained.frame_rate)
  f0_hz = np.asarray(f0_hz, np.float32)
  loudness_db = np.asarray(loudness_db, np.float32)
  n_frames = len(f0_hz)
  ranges, origin = training_controls(trained, prior)
  outside = warn_outside_training(f0_hz, loudness_db, ranges, origin)
  os.makedirs(save_dir, exist_ok=True)
  planned = [sample_paths(save_dir, i) for i in range(n_samples)]
  existing = [p for paths in planned for p in paths.values()
              if os.path.exists(p)]
  if existing and not overwrite:
    raise FileExistsError(
        f'{len(existing)} sample files already exist in {save_dir} (e.g. '
        f'{existing[0]}): pass --overwrite or choose another --save_dir.')
  from ddsp_generative.sampling import streaming  # pylint: disable=g-import-not-at-top
  clip_secs = n_frames / trained.frame_rate
  plot_samples = int(PLOT_SECS * trained.sample_rate)
  written = []
  with tqdm(total=round(n_samples * clip_secs, 2), unit='s audio',
            desc='sampling', disable=not progress) as bar:
    for i in range(n_samples):
      sample_seed = seed + i
      z = sample_z(trained, prior, f0_hz, loudness_db, seed=sample_seed,
                   mode=mode)
      paths = planned[i]
      head, peak, n_written = [], 0.0, 0
      with audio_io.wav_writer(paths['wav'], trained.sample_rate) as write:
        for chunk in streaming.iter_audio(trained, f0_hz, loudness_db, z,
                                          sample_seed, chunk_frames):
          write(chunk)
          peak = max(peak, float(np.max(np.abs(chunk))))
          if n_written < plot_samples:
            head.append(chunk[:plot_samples - n_written])
          n_written += len(chunk)
          bar.update(round(len(chunk) / trained.sample_rate, 2))
      shown = np.concatenate(head)
      shown_frames = int(round(len(shown) / trained.hop_size))
      plotting.save_spectrogram(
          paths['png'], shown, trained.sample_rate, f0_hz[:shown_frames],
          trained.frame_rate,
          title=f'{os.path.basename(paths["wav"])}  seed={sample_seed}  '
                f'mode={mode}  step={trained.step}' +
                (f'  (first {PLOT_SECS:g} s)' if n_written > len(shown)
                 else ''))
      artifacts.write_json(paths['json'], 'sample', SAMPLE_FORMAT_VERSION, {
          'audio': os.path.basename(paths['wav']),
          'spectrogram': os.path.basename(paths['png']),
          'seed': sample_seed,
          'sample_rate': trained.sample_rate,
          'duration_secs': n_written / trained.sample_rate,
          'peak': peak,
          'model': trained.info(),
          'prior': describe_prior(prior, prior_path),
          'prior_mode': mode,
          'prior_conditioned_on': (None if prior is None else
                                   list(prior.CONDITIONS) or None),
          'controls': describe_controls(source),
          'training_controls': ranges,
          'outside_training_controls': outside,
          'gin_config': gin.config_str(),
      })
      written.append(paths)
  return written
