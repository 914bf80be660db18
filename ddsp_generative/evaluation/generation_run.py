# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""One generation evaluation run: `ddsp_generative_evaluate_generation`.

Loads the model and its priors, parses the control sources' gin config,
runs `generation.evaluate` under the report's lock and writes the report
(`generation_report`). The command checks its flags first; this does what
needs the model.
"""

import os

from absl import logging

from ddsp_generative import priors as priors_lib
from ddsp_generative.controls import midi
from ddsp_generative.core import artifacts
from ddsp_generative.core import errors
from ddsp_generative.core import tfrecords
from ddsp_generative.evaluation import generation
from ddsp_generative.evaluation import generation_report
from ddsp_generative.evaluation import realism
from ddsp_generative.evaluation import realism_sets
from ddsp_generative.sampling import model_io
from ddsp_generative.sampling import sampler

# What the run refuses in one line (exit 2): inputs that do not fit.
_USAGE_ERRORS = (tfrecords.DatasetMismatchError,
                 generation.GenerationEvalError, realism.RealismError,
                 realism_sets.RealismSetsError, midi.MidiFileError)


def load_priors(trained, model_dir, prior_paths=None):
  """The priors to sample z from, checked against the model.

  Args:
    trained: The loaded model (`model_io.load_model`).
    model_dir: Its directory (the default prior is `<model_dir>/prior.json`).
    prior_paths: Prior files, or None for the default.

  Returns:
    (priors, paths).

  Raises:
    errors.UsageError: A prior is missing, unreadable or of another model.
  """
  paths = list(prior_paths or [os.path.join(model_dir,
                                            sampler.DEFAULT_PRIOR_NAME)])
  loaded = []
  for path in paths:
    if not os.path.exists(path):
      raise errors.UsageError(
          f'No prior at {path}: fit one with ddsp_generative_extract_z and '
          'ddsp_generative_fit_prior, or pass --prior.')
    try:
      with errors.stage(f'reading the prior {path}'):
        prior = priors_lib.load_prior(path)
        priors_lib.check_compatible(prior, trained.z_dims, trained.fingerprint,
                                    frame_rate=trained.frame_rate,
                                    sample_rate=trained.sample_rate)
    except (artifacts.ArtifactError, priors_lib.PriorMismatchError) as e:
      raise errors.UsageError(f'{path}: {e}') from e
    loaded.append(prior)
  return loaded, paths


def _control_sources(trained, prior_list, n_control_samples, midi_paths,
                     gin_files, gin_params):
  """[(name, source)] of the gin control source ([] without clips)."""
  if n_control_samples > 0 or midi_paths:
    # The model's config was parsed by load_model; add the controls' config,
    # the note sources' levels inside the training loudness first (as
    # ddsp_generative.sample does).
    ranges, _ = sampler.training_controls(
        trained, prior_list[0] if prior_list else None)
    sampler.parse_control_config(
        gin_files, gin_params, defaults=sampler.default_level_bindings(ranges))
  if n_control_samples <= 0:
    return []
  source = sampler.control_source()
  return [(type(source).__name__, source)]


def _log_best_mode(report):
  best = report['best_mode']  # None for a model without z.
  if best is not None and best['gap_closed'] is None:
    logging.info('Best mode %s (lowest FD); random z is not farther from the '
                 'real audio than the resynthesis, so no gap is closed.',
                 best['name'])
  elif best is not None:
    logging.info('Best mode %s closes %.0f%% of the random-z to resynthesis '
                 'FD gap (target %.0f%%).', best['name'],
                 100 * best['gap_closed'], 100 * best['target'])


def evaluate_generation(model_dir, eval_tfrecord_pattern, checkpoint=None,
                        prior_paths=None, modes=None, n_examples=64, seed=0,
                        save_dir=None, f0_estimator=None, voiced_threshold=0.5,
                        audible_db=-60.0, knn_k=3, max_points=4000,
                        n_control_samples=0, n_figure_examples=3,
                        realism_section=True, c2st_folds=5,
                        realism_split='random', midi_paths=(),
                        overwrite=False, gin_files=(), gin_params=()):
  """Evaluates a model's generated audio and writes the report.

  Args:
    model_dir: ddsp_run --save_dir of the model.
    eval_tfrecord_pattern: Held-out TFRecords.
    checkpoint: Checkpoint path; None for the latest.
    prior_paths: Prior files; None for `<model_dir>/prior.json` (ignored,
      with a warning, for a model without z).
    modes: Sampling modes; None for all each prior supports.
    n_examples: Eval examples (0 or None: all).
    seed: Clip i uses seed + i.
    save_dir: Output directory; None for `<model_dir>/eval/generation-<step>`.
    f0_estimator: Pitch estimator run on the audio; None for the TFRecords'.
    voiced_threshold: Real f0 confidence at or above which f0 is scored.
    audible_db: Requested loudness at or above which a frame counts.
    knn_k: Neighbour rank of precision/recall.
    max_points: Frames per set for precision/recall.
    n_control_samples: Clips per set from the gin control source.
    n_figure_examples: Columns of the spectrogram grid (0: no figure).
    realism_section: Add the absolute realism section.
    c2st_folds: Cross-validation folds of the realism tests.
    realism_split: 'random' or 'ordered' halves of the real clips.
    midi_paths: MIDI files of held-out tunes (the 'midi' set).
    overwrite: Replace an existing report.
    gin_files: Gin files for the control source.
    gin_params: Gin bindings for the control source.

  Returns:
    (report, written): the report dict and the paths written, in the order
    the command prints them (JSON, table, figure when drawn, LTAS figure
    with the realism section).

  Raises:
    errors.UsageError: The model, a prior or the inputs do not fit.
    report_files.ReportExistsError: The report exists and not overwrite.
    publish.OutputBusyError: Another run writes the same report.
  """
  try:
    trained = model_io.load_model(model_dir, checkpoint=checkpoint)
  except model_io.ModelLoadError as e:
    raise errors.UsageError(str(e)) from e
  if trained.z_dims is None:
    if prior_paths or modes:
      logging.warning('The model in %s has no z: --prior and --modes are '
                      'ignored.', model_dir)
    prior_list, prior_paths = [], []
  else:
    prior_list, prior_paths = load_priors(trained, model_dir, prior_paths)
  save_dir = save_dir or os.path.join(model_dir, 'eval',
                                      f'generation-{trained.step}')
  generation_report.check_not_written(save_dir, overwrite)
  sources = _control_sources(trained, prior_list, n_control_samples,
                             midi_paths, gin_files, gin_params)
  # A second run writing the same report is refused until this one ends.
  with generation_report.lock(save_dir):
    generation_report.check_not_written(save_dir, overwrite)
    try:
      report, sets = generation.evaluate(
          trained, prior_list, eval_tfrecord_pattern,
          modes=modes if prior_list else None,
          n_examples=n_examples or None, seed=seed,
          f0_estimator=f0_estimator, voiced_threshold=voiced_threshold,
          audible_db=audible_db, k=knn_k, max_points=max_points,
          control_sources=sources, n_control_samples=n_control_samples,
          prior_paths=prior_paths, realism=realism_section,
          c2st_folds=c2st_folds, midi_paths=list(midi_paths),
          realism_split=realism_split)
    except _USAGE_ERRORS as e:
      raise errors.UsageError(str(e)) from e
    _, written = generation_report.write_report(
        save_dir, report, sets, trained.sample_rate,
        n_figure_columns=n_figure_examples)
  _log_best_mode(report)
  keys = ['json', 'table'] + (['figure'] if n_figure_examples else []) + (
      ['ltas'] if 'realism' in report else [])
  return report, [written[key] for key in keys]
