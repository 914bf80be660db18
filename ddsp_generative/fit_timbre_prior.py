# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Fits a multi-instrument model's timbre prior: `ddsp_generative_fit_timbre_prior`.

Runs the model (gin/multi_instrument.gin) over its labelled training
TFRecords and fits a `priors.TimbrePrior` on each clip's timbre vector (the
instrument's embedding and the clip's timbre latent): per instrument, its
mean and spread. The sampler then plays a named instrument, a blend, a morph
or a new instrument drawn from it (`--instrument`, `--blend`, `--morph`).

Usage:

  ddsp_generative_fit_timbre_prior --model_dir=models/multi \
    --tfrecord_pattern='data/multi/*/train.tfrecord-train*' \
    --output=models/multi/prior.json

  python -m ddsp_generative.sample --model_dir=models/multi --instrument=new

The prior is saved like the others (versioned JSON, never a pickle) with the
model's fingerprint; an existing --output is only replaced with --overwrite.
Every error is one line (exit 2 for bad flags, 1 otherwise).
"""

import os

from absl import flags

from ddsp_generative import cli
from ddsp_generative.core import prior_files

FLAGS = flags.FLAGS

flags.DEFINE_string('model_dir', None, 'ddsp_run --save_dir of a '
                    'multi-instrument model.')
flags.DEFINE_string('checkpoint', None, 'Checkpoint path; default latest.')
flags.DEFINE_string('tfrecord_pattern', None, 'Its labelled training '
                    'TFRecords (ddsp_generative_prepare_tfrecord '
                    '--instrument), e.g. "data/multi/*/train.tfrecord*".')
flags.DEFINE_string('output', None, 'Path of the prior JSON to write, e.g. '
                    '<model_dir>/prior.json (where the sampler looks).')
flags.DEFINE_integer('max_examples', None, 'Fit on at most this many clips '
                     '(none: all).')
flags.DEFINE_float('temperature', 1.0, 'Scale of the clip-to-clip timbre '
                   'spread a named or new instrument draws (0: the means).')
flags.DEFINE_float('concentration', 1.0, 'Dirichlet concentration of a new '
                   'instrument\'s blend weights (small: near one '
                   'instrument; 1: any blend).')
flags.DEFINE_boolean('overwrite', False, 'Replace an existing --output.')


def check_flags():
  """The checks that need no TensorFlow: flags, paths and the output."""
  cli.check_args(FLAGS, ('model_dir', 'tfrecord_pattern', 'output'))
  cli.require(os.path.isdir(FLAGS.model_dir), 'Model directory not found: '
              f'{FLAGS.model_dir} (--model_dir: a ddsp_run --save_dir).')
  if FLAGS.max_examples is not None:
    cli.require(FLAGS.max_examples >= 1, '--max_examples must be >= 1, not '
                f'{FLAGS.max_examples}.')
  cli.require(FLAGS.temperature >= 0, '--temperature must be >= 0, not '
              f'{FLAGS.temperature}.')
  cli.require(FLAGS.concentration > 0, '--concentration must be > 0, not '
              f'{FLAGS.concentration}.')
  try:
    prior_files.check_output(FLAGS.output, FLAGS.overwrite)
  except FileExistsError as e:
    raise cli.UserError(str(e)) from e


def main(unused_argv):
  # TensorFlow and the model load here, once the checks passed.
  from ddsp_generative.sampling import timbre  # pylint: disable=g-import-not-at-top
  try:
    _, summary = timbre.fit_timbre_prior(
        FLAGS.model_dir, FLAGS.tfrecord_pattern, FLAGS.output,
        checkpoint=FLAGS.checkpoint, overwrite=FLAGS.overwrite,
        max_examples=FLAGS.max_examples, temperature=FLAGS.temperature,
        concentration=FLAGS.concentration)
  except cli.UserError:
    raise
  except (FileExistsError, FileNotFoundError, ValueError) as e:
    raise cli.UserError(str(e)) from e
  print(f"Wrote the timbre prior {summary['output']} (step "
        f"{summary['model_step']}, {summary['z_dims']} dims) from "
        + ', '.join(f'{n} {name}' for name, n in summary['clips'].items())
        + ' clips.')


def console_entry_point():
  cli.run(main, __name__, checks=check_flags)


if __name__ == '__main__':
  console_entry_point()
