# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""One sampling run: model + prior + requested controls -> sample files.

The library behind `python -m ddsp_generative.sample` (which checks its
flags first, with no TensorFlow): loads the model (the embedded default when
none is given) and its prior, checks that they fit, finds the training
data's pitch and loudness ranges, parses the controls' gin config (the
request's bindings, `requests.control_bindings`, then the user's gin files
and bindings) and writes every sample under save_dir's run lock
(`sampler.generate`).
"""

import os

from absl import logging

from ddsp_generative.core import control_ranges
from ddsp_generative.core import errors
from ddsp_generative.core import publish
from ddsp_generative.sampling import default_model
from ddsp_generative.sampling import requests


def sample(request, save_dir, model_dir=None, checkpoint=None,
           prior_path=None, n_samples=1, mode=None, overwrite=False,
           chunk_frames=None, gin_files=(), gin_params=(), timbre=None,
           descriptors=()):
  """Writes n_samples samples of what `request` asks for.

  Args:
    request: A `requests.ControlRequest`; its seed is the run's (sample i
      uses seed + i).
    save_dir: Where the samples go (held locked for the run).
    model_dir: A ddsp_run --save_dir (a local path or a URL:
      `model_io.load_model` fetches its files), or None for the embedded
      default model.
    checkpoint: A checkpoint path, or None for the latest.
    prior_path: A prior file, or None for <model_dir>/prior.json.
    n_samples: Samples to write.
    mode: The prior's sampling mode, or None for its own.
    overwrite: Replace existing sample files.
    chunk_frames: Frames decoded at a time, or None for the default.
    gin_files: Gin files for the controls.
    gin_params: Gin bindings for the controls.
    timbre: A `requests.TimbreRequest`: the instrument, blend, morph or new
      instrument a multi-instrument model plays (its timbre prior's mode).
    descriptors: --descriptor values (`controls.descriptor_curves.parse`)
      for a model that decodes from timbre descriptors; those not given
      follow the training data's median.

  Returns:
    The list of each sample's paths (`sampler.generate`).

  Raises:
    errors.UserError: No prior, a prior that does not fit the model, or a
      control source that cannot be made (bad MIDI, durations, envelopes).
  """
  from ddsp_generative.sampling import sampler  # pylint: disable=g-import-not-at-top
  # Held for the whole run, taken before the other heavy imports: a second
  # sampler on save_dir is refused at once (sampler.generate takes the same
  # lock again, which is re-entrant).
  with publish.lock(save_dir, sampler.RUN_LOCK_NAME,
                    what=f'--save_dir={save_dir}'):
    from ddsp_generative import priors  # pylint: disable=g-import-not-at-top
    from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
    using_default = not model_dir
    if using_default:
      model_dir = default_model.model_dir()
      logging.info('No --model_dir: sampling the embedded default model '
                   '(%s).', model_dir)
    trained = model_io.load_model(model_dir, checkpoint=checkpoint)
    # The files beside the checkpoint (prior, expression and phrase models),
    # read from the local copy when model_dir is a URL.
    model_dir = trained.model_dir

    prior = None
    if trained.z_dims is not None:
      prior_path = prior_path or os.path.join(model_dir,
                                              sampler.DEFAULT_PRIOR_NAME)
      if not os.path.exists(prior_path):
        raise errors.UserError(
            f'No prior at {prior_path}: fit one with '
            'ddsp_generative_extract_z and ddsp_generative_fit_prior, or '
            'pass --prior.')
      prior = priors.load_prior(prior_path)
      priors.check_compatible(prior, trained.z_dims, trained.fingerprint,
                              frame_rate=trained.frame_rate,
                              sample_rate=trained.sample_rate)
    else:
      prior_path = None
    from ddsp_generative.sampling import timbre as timbre_lib  # pylint: disable=g-import-not-at-top
    prior = timbre_lib.select(prior, timbre or requests.TimbreRequest(),
                              trained)

    # Levels inside what the model was trained on, when it is known; the
    # sampler warns when a request falls outside it.
    ranges, origin = sampler.training_controls(trained, prior)
    if ranges and not using_default:
      logging.info('Training data: %s (from %s).',
                   control_ranges.describe(ranges), origin)
    elif not ranges:
      logging.warning('The training data\'s pitch and loudness are '
                      'unknown (no TFRecord metadata or prior records them): '
                      'levels default to -25 dB peaks; set --peak_db to what '
                      'the model was trained on.')
    from ddsp_generative.controls import descriptor_curves  # pylint: disable=g-import-not-at-top
    curves = descriptor_curves.curves_for(
        trained.descriptors, descriptors,
        sampler.training_descriptor_medians(ranges),
        sampler.training_descriptor_follow(ranges))
    for curve in curves.values():
      logging.info('Descriptor %s: %s.', curve.key, curve.describe())
    # The model's config was parsed by load_model; add the controls' config.
    sampler.parse_control_config(
        gin_files, gin_params,
        defaults=requests.control_bindings(
            request, None if using_default else model_dir, using_default,
            sampler.default_level_bindings(ranges),
            requests.expression_dir(request, model_dir)))
    try:
      source = sampler.control_source()
    except errors.UserError:
      raise
    except (ValueError, OSError) as e:  # Bad MIDI, durations, envelope files.
      raise errors.UserError(str(e)) from e

    written = sampler.generate(
        trained, prior, source, n_samples=n_samples, seed=request.seed,
        mode=mode, save_dir=save_dir, overwrite=overwrite,
        prior_path=prior_path, chunk_frames=chunk_frames,
        descriptor_curves=curves)
    logging.info('Wrote %d samples to %s.', len(written), save_dir)
    return written
