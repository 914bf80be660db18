# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Evaluate how well a trained model resynthesises held-out audio.

Runs a model trained by `ddsp_run` on eval TFRecords and writes a versioned
JSON report (multi-scale spectral distance, loudness L1 in dB, f0 consistency
of the resynthesis: share of voiced frames within 50 cents and median cents),
a PNG of target vs resynthesis spectrograms and, in the report's 'realism'
section, an absolute check (`evaluation.realism`): can classifiers tell the
resynthesis' 1 s clips from real clips, against the floor of one half of
the real clips vs the other (--realism_split: random, seeded, or ordered;
the resynthesis of half A against real half B); its long-term average
spectra go to `<figure>_ltas.png` (`evaluation.reconstruction`).

Usage:

  ddsp_generative_evaluate_reconstruction --model_dir=models/violin \
    --eval_tfrecord_pattern='data/violin/train.tfrecord-eval*' \
    --output=models/violin/eval/reconstruction.json

  # A model without z (gin/harmonic_noise.gin) is evaluated the same way;
  # few eval examples: fewer folds, or no realism section:
  ddsp_generative_evaluate_reconstruction --model_dir=models/violin_hn \
    --eval_tfrecord_pattern='data/violin/train.tfrecord-eval*' \
    --c2st_folds=2

The TFRecords must have the model's sample rate, frame rate and example
length (checked first, from their metadata JSON or their first record). The
realism tests need at least 4 x --c2st_folds audible 1 s clips (default 20);
fewer stop the run with the fix (--c2st_folds=2, more examples,
--norealism).
"""

import os

from absl import flags
from ddsp_generative import cli
from ddsp_generative.evaluation import report_paths

FLAGS = flags.FLAGS

flags.DEFINE_string('model_dir', None, 'ddsp_run --save_dir of the model.')
flags.DEFINE_string('checkpoint', None, 'Checkpoint path; default latest.')
flags.DEFINE_string('eval_tfrecord_pattern', None,
                    'Eval TFRecords, e.g. data/train.tfrecord-eval*.')
flags.DEFINE_string('output', None, 'JSON report path; default '
                    '<model_dir>/eval/reconstruction-<step>.json.')
flags.DEFINE_string('figure', None, 'PNG path; default the report path with '
                    '.png.')
flags.DEFINE_integer('batch_size', 8, 'Examples per model call.')
flags.DEFINE_integer('max_examples', None, 'Evaluate at most this many.')
flags.DEFINE_enum('f0_estimator', None, ['pyin', 'yin', 'crepe'],
                  'Pitch estimator run on the resynthesis; default the one '
                  'that made the TFRecords\' f0 (from their metadata), else '
                  'pyin.')
flags.DEFINE_float('voiced_threshold', 0.5,
                   'Input f0 confidence at or above which a frame is voiced.')
flags.DEFINE_float('audible_db', -60.0,
                   'Target loudness (dB) at or above which a frame counts.')
flags.DEFINE_integer('seed', 0, 'Seed of the synthesizers\' noise.')
flags.DEFINE_integer('n_figure_examples', 3, 'Examples in the figure.')
cli.define_realism_flags('resynthesis', __name__)
flags.DEFINE_boolean('overwrite', False, 'Replace an existing report.')
flags.DEFINE_multi_string('gin_param', [], 'Gin bindings applied after the '
                          'model\'s operative config.')


def check_flags():
  """The checks that need no model: flags, paths, an existing report.

  Raises:
    cli.UserError: Naming the flag and the fix.
  """
  cli.check_args(FLAGS, {
      'model_dir': ' (a ddsp_run --save_dir)',
      'eval_tfrecord_pattern': ", e.g. 'data/train.tfrecord-eval*'"})
  if FLAGS.batch_size < 1:
    raise cli.UsageError('--batch_size must be >= 1.')
  if FLAGS.c2st_folds < 2:
    raise cli.UsageError(f'--c2st_folds must be >= 2, not '
                         f'{FLAGS.c2st_folds}.')
  if not os.path.isdir(FLAGS.model_dir):
    raise cli.UsageError(f'Model directory not found: {FLAGS.model_dir}. '
                         'Train one with `ddsp_run --mode=train '
                         '--save_dir=... --gin_file=gin/harmonic_noise_z.gin`.')
  if FLAGS.output:
    report_paths.check_reconstruction_not_written(FLAGS.output, FLAGS.figure,
                                                  FLAGS.overwrite)


def main(unused_argv):
  # TensorFlow and the model load here, once the checks passed.
  from ddsp_generative.evaluation import reconstruction_run  # pylint: disable=g-import-not-at-top
  _, written = reconstruction_run.evaluate_reconstruction(
      FLAGS.model_dir, FLAGS.eval_tfrecord_pattern,
      checkpoint=FLAGS.checkpoint, output=FLAGS.output, figure=FLAGS.figure,
      batch_size=FLAGS.batch_size, max_examples=FLAGS.max_examples,
      f0_estimator=FLAGS.f0_estimator,
      voiced_threshold=FLAGS.voiced_threshold, audible_db=FLAGS.audible_db,
      seed=FLAGS.seed, n_figure_examples=FLAGS.n_figure_examples,
      realism_section=FLAGS.realism, c2st_folds=FLAGS.c2st_folds,
      realism_split=FLAGS.realism_split, overwrite=FLAGS.overwrite,
      gin_params=FLAGS.gin_param)
  for path in written:
    print(path)


def console_entry_point():
  cli.run(main, __name__, checks=check_flags)


if __name__ == '__main__':
  console_entry_point()
