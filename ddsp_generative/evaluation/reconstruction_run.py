# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""One reconstruction evaluation run: `ddsp_generative_evaluate_reconstruction`.

Loads the model, runs `reconstruction.evaluate` under the report's lock and
writes the report and its figures. The command checks its flags first; this
does what needs the model.
"""

import os

from absl import logging

from ddsp_generative.core import errors
from ddsp_generative.core import tfrecords
from ddsp_generative.evaluation import realism
from ddsp_generative.evaluation import realism_sets
from ddsp_generative.evaluation import reconstruction
from ddsp_generative.evaluation import report_paths
from ddsp_generative.sampling import model_io

# What the run refuses in one line (exit 2): inputs that do not fit.
_USAGE_ERRORS = (tfrecords.DatasetMismatchError, realism.RealismError,
                 realism_sets.RealismSetsError)


def _log_summary(report):
  metrics = report['metrics']
  logging.info('Spectral distance %.3f, loudness L1 %.2f dB, f0 within 50 '
               'cents %s, median %s cents (%d examples).',
               metrics['spectral_distance']['mean'],
               metrics['loudness_l1_db']['mean'],
               metrics['f0_accuracy_50_cents'],
               metrics['f0_median_abs_cents'], report['n_examples'])
  if 'realism' in report:
    resynthesis = report['realism']['sets'][reconstruction.RESYNTHESIS][
        'c2st']
    floor = report['realism']['floor']['c2st']
    logging.info('Realism: a classifier tells resynthesis from real clips '
                 'with accuracy %.2f (logistic regression; real vs real: '
                 '%.2f).', resynthesis['logistic_regression'],
                 floor['logistic_regression'])


def evaluate_reconstruction(model_dir, eval_tfrecord_pattern, checkpoint=None,
                            output=None, figure=None, batch_size=8,
                            max_examples=None, f0_estimator=None,
                            voiced_threshold=0.5, audible_db=-60.0, seed=0,
                            n_figure_examples=3, realism_section=True,
                            c2st_folds=5, realism_split='random',
                            overwrite=False, gin_params=()):
  """Evaluates a model's resynthesis of held-out audio; writes the report.

  Args:
    model_dir: ddsp_run --save_dir of the model.
    eval_tfrecord_pattern: Eval TFRecords.
    checkpoint: Checkpoint path; None for the latest.
    output: JSON report path; None for
      `<model_dir>/eval/reconstruction-<step>.json`.
    figure: PNG path; None for the report path with '.png'.
    batch_size: Examples per model call.
    max_examples: Evaluate at most this many (None: all).
    f0_estimator: Pitch estimator run on the resynthesis; None for the
      TFRecords'.
    voiced_threshold: Input f0 confidence at or above which a frame is voiced.
    audible_db: Target loudness at or above which a frame counts.
    seed: Seed of the synthesizers' noise.
    n_figure_examples: Examples in the figure (0: none).
    realism_section: Add the realism section and its LTAS figure.
    c2st_folds: Cross-validation folds of the realism tests.
    realism_split: 'random' or 'ordered' halves of the real clips.
    overwrite: Replace an existing report.
    gin_params: Gin bindings applied after the model's operative config.

  Returns:
    (report, written): the report dict and the paths written, in the order
    the command prints them (JSON, figure when drawn, LTAS figure with the
    realism section).

  Raises:
    errors.UsageError: The model or the inputs do not fit.
    report_files.ReportExistsError: The report exists and not overwrite.
    publish.OutputBusyError: Another run writes the same report.
  """
  try:
    trained = model_io.load_model(model_dir, checkpoint=checkpoint,
                                  gin_params=gin_params)
  except model_io.ModelLoadError as e:
    raise errors.UsageError(str(e)) from e
  output = output or os.path.join(model_dir, 'eval',
                                  f'reconstruction-{trained.step}.json')
  figure = figure or report_paths.default_figure_path(output)
  report_paths.check_reconstruction_not_written(output, figure, overwrite)
  # A second run writing the same report is refused until this one ends.
  with report_paths.lock_reconstruction(output):
    report_paths.check_reconstruction_not_written(output, figure, overwrite)
    try:
      report, audio = reconstruction.evaluate(
          trained, eval_tfrecord_pattern, batch_size=batch_size,
          max_examples=max_examples, f0_estimator=f0_estimator,
          voiced_threshold=voiced_threshold, audible_db=audible_db,
          seed=seed, realism=realism_section, c2st_folds=c2st_folds,
          realism_split=realism_split)
    except _USAGE_ERRORS as e:
      raise errors.UsageError(str(e)) from e
    reconstruction.write_report(output, report, audio, trained.sample_rate,
                                figure_path=figure,
                                n_figure_examples=n_figure_examples)
  _log_summary(report)
  written = [output] + ([figure] if n_figure_examples else []) + (
      [report_paths.ltas_figure_path(figure)] if 'realism' in report else [])
  return report, written
