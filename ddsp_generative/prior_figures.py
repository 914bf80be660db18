# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Figures about priors over z: `ddsp_generative_prior_figures`.

Writes to --save_dir: held-out NLL per frame of each prior (bar chart),
BIC and held-out log likelihood of Gaussian mixtures against their number of
components (lines), PCA and t-SNE maps of z coloured by component, pitch and
loudness, and `prior_figures.json` with the numbers.

Usage:

  # Fit every prior type on 90% of the examples and compare them:
  ddsp_generative_prior_figures --z_dataset='data/z.tfrecord*' \
    --save_dir=runs/ae/prior_figures

  # Score saved priors (fitted with the same --seed and --holdout_fraction,
  # so that the held-out examples are the same):
  ddsp_generative_prior_figures --z_dataset='data/z.tfrecord*' \
    --save_dir=runs/ae/prior_figures \
    --priors=runs/ae/gmm.json,runs/ae/hmm.json,runs/ae/conditional.json

Priors fitted here are configured by gin, e.g.
--gin_param='HiddenMarkovPrior.n_components = 8'.
"""

import os

from absl import flags
from ddsp_generative import cli
from ddsp_generative.core import prior_files
from ddsp_generative.evaluation import prior_figure_files

FLAGS = flags.FLAGS

flags.DEFINE_string('z_dataset', None, 'TFRecord pattern or prefix of a z '
                    'dataset, e.g. "data/z.tfrecord*".')
flags.DEFINE_string('save_dir', None, 'Folder of the PNGs and JSON.')
flags.DEFINE_list('priors', [], 'Saved prior JSON files to score.')
flags.DEFINE_list('fit', None,
                  'Prior types to fit on the training examples and score '
                  f'(of {list(prior_files.TYPES)}); default all of them when '
                  '--priors is not given, else none.')
flags.DEFINE_multi_string('gin_file', [], 'Gin files configuring the priors '
                          'fitted here.')
flags.DEFINE_multi_string('gin_param', [], 'Gin bindings, e.g. '
                          '"HiddenMarkovPrior.n_components = 8".')
flags.DEFINE_integer('seed', 0, 'Seed of the split, fits and t-SNE.')
flags.DEFINE_float('holdout_fraction', 0.1, 'Fraction of examples held out.')
flags.DEFINE_list('candidate_n_components',
                  [str(k) for k in prior_figure_files.DEFAULT_CANDIDATES],
                  'Component counts of the BIC / likelihood curve.')
flags.DEFINE_integer('max_frames', 50_000, 'Cap on frames fitted and scored.')
flags.DEFINE_integer('n_points', 2000, 'Frames drawn for PCA and t-SNE.')
flags.DEFINE_integer('tsne_iterations', 1000, 'Gradient steps of t-SNE '
                     '(>= 250).')
flags.DEFINE_boolean('overwrite', False, 'Replace existing figures.')


def check_flags():
  """The checks that need no TensorFlow: flags, --save_dir, existing figures.

  Raises:
    cli.UserError: Naming the flag and the fix.
  """
  cli.check_args(FLAGS, ('z_dataset', 'save_dir'))
  unknown = set(FLAGS.fit or ()) - set(prior_files.TYPES)
  if unknown:
    raise cli.UsageError(f'Unknown --fit types {sorted(unknown)}; known: '
                         f'{list(prior_files.TYPES)}.')
  bad = [k for k in FLAGS.candidate_n_components
         if not k.isdigit() or int(k) < 1]
  cli.require(not bad, '--candidate_n_components must be whole numbers >= '
              f'1, not {",".join(bad)}.')
  if (os.path.lexists(FLAGS.save_dir)
      and not os.path.isdir(FLAGS.save_dir)):
    raise cli.UsageError(f'--save_dir={FLAGS.save_dir} is not a directory (a '
                         'file, or a broken symbolic link): choose another '
                         '--save_dir.')
  prior_figure_files.check_not_written(FLAGS.save_dir, FLAGS.overwrite)


def main(unused_argv):
  # TensorFlow loads here, once the checks passed.
  from ddsp_generative.evaluation import prior_figures as prior_figures_lib  # pylint: disable=g-import-not-at-top
  cli.parse_gin(FLAGS.gin_file, FLAGS.gin_param)
  try:
    record = prior_figures_lib.make_prior_figures(
        FLAGS.z_dataset, FLAGS.save_dir, prior_paths=FLAGS.priors,
        fit_types=FLAGS.fit, seed=FLAGS.seed,
        holdout_fraction=FLAGS.holdout_fraction,
        candidate_n_components=[int(k) for k in
                                FLAGS.candidate_n_components],
        max_frames=FLAGS.max_frames, n_points=FLAGS.n_points,
        tsne_iterations=FLAGS.tsne_iterations, overwrite=FLAGS.overwrite)
  except cli.UserError:
    raise  # Names its file and the fix already.
  except (FileExistsError, FileNotFoundError, ValueError) as e:
    raise cli.UserError(str(e)) from e
  print(f'Held-out NLL per frame (nats) on {record["n_heldout_frames"]} '
        'frames: frames alone / whole examples as sampled')
  for row in record['heldout_nll']:
    print(f'  {row["name"]:>16}: {row["nll_per_frame"]:9.3f} / '
          f'{row["sequence_nll_per_frame"]:9.3f}')
  for path in prior_figures_lib.output_paths(FLAGS.save_dir).values():
    print(path)


def console_entry_point():
  cli.run(main, __name__, checks=check_flags)


if __name__ == '__main__':
  console_entry_point()
