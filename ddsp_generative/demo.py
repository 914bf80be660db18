# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Quick-start demo: the whole pipeline on synthetic audio, then sampling.

Runs the same commands a user runs, each as its own process:

  1. write synthetic monophonic melodies (WAV, ground-truth pitch known);
  2. ddsp_generative_prepare_tfrecord  (Beam) -> TFRecords;
  3. ddsp_run --gin_file=gin/harmonic_noise_z.gin --gin_file=gin/sizes/tiny.gin;
  4. ddsp_generative_extract_z          (Beam) -> z dataset;
  5. ddsp_generative_fit_prior          -> prior.json;
  6. python -m ddsp_generative.sample   -> WAV + PNG + JSON, no input audio.

Usage:

  python -m ddsp_generative.demo --save_dir=demo_output

Steps whose outputs exist are skipped unless --rerun is given.
"""

from absl import flags

from ddsp_generative import cli

FLAGS = flags.FLAGS

flags.DEFINE_string('save_dir', 'demo_output', 'Where everything goes.')
flags.DEFINE_integer('train_steps', 300, 'Training steps of the tiny model.')
flags.DEFINE_integer('n_files', 6, 'Synthetic audio files.')
flags.DEFINE_float('secs_per_file', 10.0, 'Seconds per synthetic file.')
flags.DEFINE_integer('n_samples', 3, 'Audio files to sample.')
flags.DEFINE_boolean('rerun', False, 'Redo steps whose outputs exist.')


def main(unused_argv):
  from ddsp_generative.recipes import quickstart  # pylint: disable=g-import-not-at-top
  quickstart.run(FLAGS.save_dir, train_steps=FLAGS.train_steps,
                 n_files=FLAGS.n_files, secs_per_file=FLAGS.secs_per_file,
                 n_samples=FLAGS.n_samples, rerun=FLAGS.rerun)


def console_entry_point():
  cli.run(main, __name__)


if __name__ == '__main__':
  console_entry_point()
