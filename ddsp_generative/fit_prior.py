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

Leave `n_components` unset to choose it by BIC over
`GaussianMixturePrior.candidate_n_components` (the BIC curve is saved). The
held-out negative log likelihood per frame (nats) is printed and saved in the
prior's 'fit_info'. An existing prior is only replaced with --overwrite.
"""

import sys

from absl import app
from absl import flags
from ddsp_generative import artifacts
from ddsp_generative import fit_prior_lib
from ddsp_generative import gin_path
from ddsp_generative import priors
import gin

FLAGS = flags.FLAGS

flags.DEFINE_string('z_dataset', None,
                    'TFRecord pattern or prefix of a z dataset, e.g. '
                    '"data/z.tfrecord*".')
flags.DEFINE_string('output', None, 'Path of the prior JSON to write.')
flags.DEFINE_enum('prior', 'gmm', priors.prior_types(),
                  'Prior to fit (configure it with --gin_param).')
flags.DEFINE_multi_string('gin_file', [],
                          'Gin files configuring the prior (searched in '
                          'the package gin/ folder too).')
flags.DEFINE_multi_string('gin_param', [],
                          'Gin bindings, e.g. '
                          '"GaussianMixturePrior.n_components=10".')
flags.DEFINE_integer('seed', 0, 'Seed of the split, subsampling and EM.')
flags.DEFINE_integer('max_frames', None,
                     'Fit on at most this many frames, drawn uniformly from '
                     'the training split (none: all).')
flags.DEFINE_float('holdout_fraction', 0.1,
                   'Fraction of examples held out to report the NLL per '
                   'frame (frames, if there is one example); 0: none.')
flags.DEFINE_boolean('overwrite', False, 'Replace an existing --output.')

def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  for name in ('z_dataset', 'output'):
    if not getattr(FLAGS, name):
      raise app.UsageError(f'--{name} is required.')
  # Lets --gin_file=gin/... name the shipped files from anywhere.
  gin.add_config_file_search_path(gin_path.PACKAGE_DIR)
  gin.parse_config_files_and_bindings(FLAGS.gin_file, FLAGS.gin_param)
  try:
    _, summary = fit_prior_lib.fit_prior(
        FLAGS.z_dataset, FLAGS.output, prior_name=FLAGS.prior,
        seed=FLAGS.seed, max_frames=FLAGS.max_frames,
        holdout_fraction=FLAGS.holdout_fraction, overwrite=FLAGS.overwrite)
  except (FileExistsError, FileNotFoundError, artifacts.ArtifactError) as e:
    sys.exit(f'ddsp_generative_fit_prior: {e}')
  print(fit_prior_lib.format_summary(summary))


def console_entry_point():
  app.run(main)


if __name__ == '__main__':
  console_entry_point()
