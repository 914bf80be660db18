# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""A multi-instrument model's timbre space: fitting its prior, choosing one.

`fit_timbre_prior` runs a multi-instrument model (`gin/multi_instrument.gin`)
over labelled TFRecords (`prepare_tfrecord --instrument`) and fits a
`priors.TimbrePrior` on each clip's timbre vector (the instrument's
embedding and the clip's timbre latent, the posterior mean); `select`
points a loaded timbre prior at what the sampler's `requests.TimbreRequest`
asks for (a named instrument, a blend, a morph or a new instrument).
"""

import numpy as np
from tqdm.auto import tqdm

from ddsp_generative.core import errors
from ddsp_generative.core import prior_files
from ddsp_generative.priors import timbre as timbre_prior
from ddsp_generative.sampling import model_io

INSTRUMENT_KEY = 'instrument'


class TimbreError(errors.UserError, ValueError):
  """A timbre request or data set that does not fit the model."""


def check_multi_instrument(trained):
  """Raises TimbreError unless `trained` is a multi-instrument model."""
  if trained.instruments is None:
    raise TimbreError(
        f'The model in {trained.model_dir} is not a multi-instrument model '
        '(gin/multi_instrument.gin): it has no instruments to choose from.')


def timbre_vectors(trained, tfrecord_pattern, max_examples=None,
                   batch_size=16, progress=True):
  """Each labelled clip's timbre vector.

  Args:
    trained: A multi-instrument `model_io.TrainedModel`.
    tfrecord_pattern: Labelled TFRecords of the model's geometry.
    max_examples: Read at most this many (None: all).
    batch_size: Clips encoded at a time.
    progress: Show a progress bar.

  Returns:
    (vectors float32 [n, z_dims], names [n] str).

  Raises:
    TimbreError: Unlabelled clips, or labels the model does not know.
    tfrecords.DatasetMismatchError: No TFRecords, or of another geometry.
  """
  check_multi_instrument(trained)
  data = trained.read_tfrecords(tfrecord_pattern, max_examples,
                                text_keys=(INSTRUMENT_KEY,))
  names = data[INSTRUMENT_KEY]
  if '' in set(names):
    raise TimbreError(
        f'{tfrecord_pattern} holds clips without an instrument label: '
        'prepare them with ddsp_generative_prepare_tfrecord --instrument=NAME '
        'or --instrument=from_directory.')
  unknown = sorted(set(names) - set(trained.instruments))
  if unknown:
    raise TimbreError(
        f'{tfrecord_pattern} holds clips of {", ".join(unknown)}, which the '
        f'model does not play ({", ".join(trained.instruments)}): prepare '
        'them with ddsp_generative_prepare_tfrecord --instrument.')
  ids = np.array([trained.instruments.index(n) for n in names], np.int32)
  vectors = []
  for start in tqdm(range(0, len(names), batch_size), desc='timbre vectors',
                    unit='batch', disable=not progress):
    part = slice(start, start + batch_size)
    encoded = trained.encode(data['audio'][part], data['f0_hz'][part],
                             data['loudness_db'][part], ids[part])
    vectors.append(encoded['z'][:, 0, :])
  return np.concatenate(vectors).astype(np.float32), names


def fit_timbre_prior(model_dir, tfrecord_pattern, output, checkpoint=None,
                     overwrite=False, max_examples=None, temperature=1.0,
                     concentration=1.0, progress=True):
  """Fits and saves the timbre prior of a multi-instrument model.

  Args:
    model_dir: The model's `ddsp_run --save_dir`.
    tfrecord_pattern: Its labelled training TFRecords.
    output: Path of the prior JSON to write.
    checkpoint: Checkpoint path; default the latest.
    overwrite: Replace an existing output.
    max_examples: Fit on at most this many clips.
    temperature: `TimbrePrior` temperature (clip-to-clip spread drawn).
    concentration: Dirichlet concentration of new instruments.
    progress: Show a progress bar.

  Returns:
    (the prior, a summary dict: clips per instrument, dims, output).
  """
  prior_files.check_output(output, overwrite)
  trained = model_io.load_model(model_dir, checkpoint)
  vectors, names = timbre_vectors(trained, tfrecord_pattern, max_examples,
                                  progress=progress)
  missing = sorted(set(trained.instruments) - set(names))
  if missing:
    raise TimbreError(
        f'{tfrecord_pattern} holds no clip of {", ".join(missing)}: fit the '
        'timbre prior on the training TFRecords of every instrument.')
  prior = timbre_prior.TimbrePrior(temperature=temperature,
                                   concentration=concentration)
  prior.fit([{'z': v[np.newaxis], INSTRUMENT_KEY: n}
             for v, n in zip(vectors, names)],
            model_fingerprint=trained.fingerprint, model_step=trained.step,
            frame_rate=trained.frame_rate, sample_rate=trained.sample_rate)
  prior.fit_info['tfrecord_pattern'] = tfrecord_pattern
  prior.save(output, extra_provenance={'model': trained.info()})
  counts = dict(zip(prior.instruments, (int(c) for c in prior.counts)))
  return prior, {'output': output, 'clips': counts, 'z_dims': prior.z_dims,
                 'model_step': trained.step}


def select(prior, request, trained):
  """Points a timbre prior at the request's choice; returns the prior.

  Args:
    prior: The model's prior (a `priors.TimbrePrior` for a multi-instrument
      model, another prior or None otherwise).
    request: A `requests.TimbreRequest`.
    trained: The `model_io.TrainedModel`.

  Returns:
    prior, with its mode and options set for a timbre prior.

  Raises:
    TimbreError: A timbre request for a model without instruments, a
      multi-instrument model without one, or an unknown name or weight.
  """
  mode, options = request.choice(trained.frame_rate)
  if not isinstance(prior, timbre_prior.TimbrePrior):
    if mode is not None:
      raise TimbreError(
          f'{request.flag()} chooses an instrument, but the model in '
          f'{trained.model_dir} is not a multi-instrument model '
          '(gin/multi_instrument.gin).')
    return prior
  if mode is None:
    raise TimbreError(
        'This multi-instrument model plays '
        f'{", ".join(prior.instruments)}: choose with --instrument=NAME (or '
        '--instrument=new, drawn from its timbre prior), --blend=a:0.5,'
        'b:0.5 or --morph=a,b.')
  try:
    return prior.select(mode, **options)
  except ValueError as e:
    raise TimbreError(f'{request.flag()}: {e}') from e
