# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Fits a prior over a DDSP autoencoder's z: `ddsp_generative_fit_prior`.

Reads a z dataset (written by `ddsp_generative_extract_z`), holds out some of
its examples, fits a prior on the rest and saves it as JSON, with the z
dataset's model fingerprint, step and z_dims, so that sampling can check it
against the model it decodes with.

Usage:

  ddsp_generative_fit_prior \
    --z_dataset='data/z.tfrecord*' \
    --output=runs/ae/prior.json \
    --prior=gmm \
    --gin_param='GaussianMixturePrior.n_components=10' \
    --max_frames=200000 \
    --holdout_fraction=0.1 \
    --seed=0

  # Temporal prior (HMM over components + AR(1) dynamics), chosen by gin:
  ddsp_generative_fit_prior --z_dataset='data/z.tfrecord*' \
    --output=runs/ae/prior.json \
    --gin_param='prior_to_fit.prior_class = @HiddenMarkovPrior' \
    --gin_param='HiddenMarkovPrior.n_components = 8'

  # The default: the network conditional prior (z given the controls),
  # here trained longer and wider:
  ddsp_generative_fit_prior --z_dataset='data/z.tfrecord*' \
    --output=runs/ae/prior.json \
    --gin_param='ConditionalNetworkPrior.train_steps = 6000' \
    --gin_param='ConditionalNetworkPrior.channels = 64'

Priors (--prior, or gin `prior_to_fit.prior_class = @<Class>`) and the
sampling modes `ddsp_generative_sample --mode` accepts (* default; change it
with --default_mode):

  conditional_net  ConditionalNetworkPrior  temporal*, independent, mean
      The default. z given the pitch and loudness around each frame (a
      dilated conv net gives each frame's Gaussian; ±0.25 s of context), the
      residuals with AR(1) dynamics (temporal), drawn per frame
      (independent) or left out (mean). The sampler passes the controls.
      Closest to the real audio of all priors (benchmarks/RESULTS.md,
      'Generation quality'); its plain 'held-out NLL/frame' scores a
      Gaussian with z's mean and covariance, its whole-example NLL the
      model itself.
  gmm              GaussianMixturePrior     independent, component*
      independent: every frame from the mixture (noisy timbre);
      component: one component per clip (steady timbre).
  hmm              HiddenMarkovPrior        independent, component, temporal*
      temporal: components follow a Markov chain fitted on the examples and
      z moves with per-component AR(1) dynamics, as smoothly as the data.
  conditional      ConditionalMixturePrior  independent, component, temporal*
      z given the requested f0 and loudness (closed-form Gaussian
      conditioning of a mixture over [z, pitch, loudness]); the sampler
      passes the controls; temporal adds the Markov chain and AR dynamics.
  standard_normal  StandardNormalPrior      independent*  (VAE encoders)

Leave `n_components` unset to choose it by BIC (or held-out likelihood with
`<Class>.selection = 'heldout'`) among `<Class>.candidate_n_components` (the
curve is saved). The held-out negative log likelihood per frame (nats) is
printed and saved in the prior's 'fit_info': of frames on their own, and for
temporal and conditional priors also of whole examples given their past and
controls. An existing prior is only replaced with --overwrite.

The prior is validated before it is written (finite, valid and stable
parameters; a z dataset with NaN or infinite values is refused) and
published only when the run succeeds: a failed run leaves the old file as it
was, and a second run writing the same --output at the same time is refused.
Every error is one line (exit 2 for bad flags and gin, 1 otherwise).
"""

import tokenize

from absl import flags
from ddsp_generative import cli
from ddsp_generative.core import prior_files

FLAGS = flags.FLAGS

flags.DEFINE_string('z_dataset', None,
                    'TFRecord pattern or prefix of a z dataset, e.g. '
                    '"data/z.tfrecord*".')
flags.DEFINE_string('output', None, 'Path of the prior JSON to write.')
flags.DEFINE_enum('prior', None, list(prior_files.TYPES),
                  'Prior to fit (configure it with --gin_param); default '
                  'the gin binding prior_to_fit.prior_class, else '
                  f'{prior_files.DEFAULT_TYPE}.')
flags.DEFINE_string('default_mode', None,
                    'Sampling mode saved as the prior\'s default (see the '
                    'module docstring); default the class\'s own.')
flags.DEFINE_multi_string('gin_file', [],
                          'Gin files configuring the prior (searched in '
                          'the package gin/ folder too).')
flags.DEFINE_multi_string('gin_param', [],
                          'Gin bindings, e.g. '
                          '"GaussianMixturePrior.n_components=10".')
flags.DEFINE_integer('seed', 0, 'Seed of the split, subsampling and EM.')
flags.DEFINE_integer('max_frames', None,
                     'Fit on at most this many frames of the training '
                     'split: random frames, or whole random examples for '
                     'the hmm and conditional priors (none: all).')
flags.DEFINE_float('holdout_fraction', 0.1,
                   'Fraction of examples held out to report the NLL per '
                   'frame (frames, if there is one example); 0: none.')
flags.DEFINE_boolean('overwrite', False, 'Replace an existing --output.')


def check_flags():
  """The checks that need no TensorFlow: flags and the output.

  Raises:
    cli.UserError: Naming the flag and the fix.
  """
  cli.check_args(FLAGS, ('z_dataset', 'output'))
  cli.require(0 <= FLAGS.holdout_fraction < 1, '--holdout_fraction must be '
              f'in [0, 1), not {FLAGS.holdout_fraction}.')
  if FLAGS.max_frames is not None:
    cli.require(FLAGS.max_frames >= 1, '--max_frames must be >= 1, not '
                f'{FLAGS.max_frames}.')
  try:
    prior_files.check_output(FLAGS.output, FLAGS.overwrite)
  except FileExistsError as e:
    raise cli.UserError(str(e)) from e


def main(unused_argv):
  # TensorFlow loads here, once the checks passed.
  from ddsp_generative.priors import fitting  # pylint: disable=g-import-not-at-top
  try:
    cli.parse_gin(FLAGS.gin_file, FLAGS.gin_param)
  except (ValueError, SyntaxError, tokenize.TokenError, OSError) as e:
    raise cli.UsageError(f'Bad --gin_file/--gin_param: {e}') from e
  try:
    _, summary = fitting.fit_prior(
        FLAGS.z_dataset, FLAGS.output, prior_name=FLAGS.prior,
        seed=FLAGS.seed, max_frames=FLAGS.max_frames,
        holdout_fraction=FLAGS.holdout_fraction, overwrite=FLAGS.overwrite,
        default_mode=FLAGS.default_mode)
  except cli.UserError:
    raise
  except (FileExistsError, FileNotFoundError, ValueError) as e:
    raise cli.UserError(str(e)) from e
  print(fitting.format_summary(summary))


def console_entry_point():
  cli.run(main, __name__, checks=check_flags)


if __name__ == '__main__':
  console_entry_point()
