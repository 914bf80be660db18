# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Trains an expression model: `ddsp_generative_train_expression`.

Learns how the training audio plays its notes (attacks, legato transitions,
vibrato, releases past the note-off, dynamics from the level) from the note
dataset `ddsp_generative_prepare_tfrecord` writes beside the TFRecords
(`notes_<prefix>.json`; see `ddsp_generative.expression`), and saves the
model in --save_dir as `expression_vae_weights.h5` + `expression_vae.json`
(versioned, no pickle; the JSON is written last). Saved as `expression/`
inside a DDSP model directory, the sampler plays every note-based control
and --midi_file through it.

Usage:

  ddsp_generative_train_expression \
    --note_dataset=data/violin/notes_violin.json \
    --save_dir=models/violin/expression --steps=2000 --seed=0

  # A smaller model, 2 s windows:
  ddsp_generative_train_expression --note_dataset=data/notes_violin.json \
    --save_dir=models/violin/expression \
    --gin_param='ExpressionVae.units = 64' \
    --gin_param='train_expression_vae.window_secs = 2.0'
"""

from absl import flags
from absl import logging
from ddsp_generative import cli

FLAGS = flags.FLAGS

flags.DEFINE_string('note_dataset', None,
                    'The note dataset beside the TFRecords, e.g. '
                    '"data/notes_violin.json".')
flags.DEFINE_string('save_dir', None, 'Directory to save the model in.')
flags.DEFINE_integer('steps', 2000, 'Training steps.')
flags.DEFINE_integer('batch_size', 16, 'Windows per step.')
flags.DEFINE_integer('seed', 0, 'Seed of the weights, shuffling and noise.')
flags.DEFINE_multi_string('gin_file', [],
                          'Gin files configuring ExpressionVae and '
                          'train_expression_vae.')
flags.DEFINE_multi_string('gin_param', [],
                          'Gin bindings, e.g. "ExpressionVae.units=64".')
flags.DEFINE_boolean('overwrite', False,
                     'Replace a model already saved in --save_dir.')
flags.DEFINE_boolean('progress', True, 'Show a progress bar.')


def main(unused_argv):
  cli.check_args(FLAGS, ('note_dataset', 'save_dir'))
  # Heavy (TensorFlow): imported once the flags are known to be usable.
  from ddsp_generative.expression import training  # pylint: disable=g-import-not-at-top
  cli.parse_gin(FLAGS.gin_file, FLAGS.gin_param)
  try:
    _, summary = training.train_expression_vae(
        FLAGS.note_dataset, save_dir=FLAGS.save_dir, steps=FLAGS.steps,
        batch_size=FLAGS.batch_size, seed=FLAGS.seed,
        overwrite=FLAGS.overwrite, progress=FLAGS.progress)
  except FileExistsError as e:
    raise cli.UserError(str(e)) from e
  logging.info('Saved %s', summary['model_path'])
  final, evaluation = summary['final_losses'], summary['evaluation']
  held_out = evaluation['eval'] or evaluation['train']
  print(f'Expression VAE trained for {summary["steps"]} steps on '
        f'{summary["data"]["windows"]} windows of '
        f'{summary["data"]["phrases"]} phrases ({summary["data"]["notes"]} '
        f'notes): final loss {final["total"]:.4g} (f0 {final["f0"]:.4g}, '
        f'loudness {final["loudness"]:.4g}, KL {final["kl"]:.4g}); '
        f'{"held-out" if evaluation["eval"] else "training"} reconstruction '
        f'{held_out["f0_rmse_cents"]:.0f} cents RMS, '
        f'{held_out["loudness_mae_db"]:.2f} dB mean.')
  print(f'Model: {summary["model_path"]}')


def console_entry_point():
  cli.run(main, __name__)


if __name__ == '__main__':
  console_entry_point()
