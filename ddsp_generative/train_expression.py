# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Trains an expression model and a phrase model: `ddsp_generative_train_expression`.

From the note dataset `ddsp_generative_prepare_tfrecord` writes beside the
TFRecords (`notes_<prefix>.json`; see `ddsp_generative.expression`) it
learns, into --save_dir:

* the expression model: how the training audio plays its notes (attacks,
  legato transitions, vibrato, releases past the note-off, dynamics from
  the level), `expression_vae_weights.h5` + `expression_vae.json`;
* the phrase model: which notes it plays (intervals, rhythms, rests,
  dynamics; variable-order Markov models), `phrase_model.json`.

All versioned, no pickle (each JSON written last). Saved as `expression/`
inside a DDSP model directory, the sampler plays every --midi_file through
the expression model and, given no control, composes a new phrase per
sample with the phrase model.

Usage:

  ddsp_generative_train_expression \
    --note_dataset=data/violin/notes_violin.json \
    --save_dir=models/violin/expression --steps=2000 --seed=0

  # Only the phrase model (seconds, no TensorFlow), of order 3:
  ddsp_generative_train_expression --note_dataset=data/notes_violin.json \
    --save_dir=models/violin/expression --models=phrases \
    --gin_param='train_phrase_model.order = 3'

  # A smaller expression model, 2 s windows:
  ddsp_generative_train_expression --note_dataset=data/notes_violin.json \
    --save_dir=models/violin/expression \
    --gin_param='ExpressionVae.units = 64' \
    --gin_param='train_expression_vae.window_secs = 2.0'
"""

import os

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
flags.DEFINE_list('models', ['expression', 'phrases'],
                  'What to train: "expression" (the expression VAE), '
                  '"phrases" (the phrase model), or both.')

MODELS = ('expression', 'phrases')
# The files each model saves (expression.saving.MODEL_JSON and
# expression.phrases.FILE_NAME; a test checks they match): known here so
# that an existing output is refused before TensorFlow loads.
SAVED_FILES = {'expression': 'expression_vae.json',
               'phrases': 'phrase_model.json'}


def check_flags():
  """The checks that need no model or data."""
  cli.check_args(FLAGS, ('note_dataset', 'save_dir'))
  unknown = [m for m in FLAGS.models if m not in MODELS]
  cli.require(FLAGS.models and not unknown,
              f'--models={",".join(FLAGS.models)}: give "expression", '
              '"phrases" or both (comma-separated).')
  if os.path.lexists(FLAGS.save_dir) and not os.path.isdir(FLAGS.save_dir):
    raise cli.UserError(f'--save_dir={FLAGS.save_dir} is not a directory: '
                        'choose another --save_dir.')
  if not os.path.isfile(FLAGS.note_dataset):
    raise cli.UserError(
        f'--note_dataset={FLAGS.note_dataset}: file not found '
        '(ddsp_generative_prepare_tfrecord writes notes_<prefix>.json beside '
        'the TFRecords).')
  if not FLAGS.overwrite:
    for name in FLAGS.models:
      path = os.path.join(FLAGS.save_dir, SAVED_FILES[name])
      if os.path.exists(path):
        what = 'An expression' if name == 'expression' else 'A phrase'
        raise cli.UserError(f'{what} model is already saved at {path}; pass '
                            '--overwrite to replace it.')


def main(unused_argv):
  from ddsp_generative.expression import phrases  # pylint: disable=g-import-not-at-top
  training = None
  if 'expression' in FLAGS.models:
    # Heavy (TensorFlow), and registers the VAE's gin names: imported once
    # the flags are known to be usable.
    from ddsp_generative.expression import training  # pylint: disable=g-import-not-at-top
  cli.parse_gin(FLAGS.gin_file, FLAGS.gin_param)
  if training is not None:
    _train_expression(training)
  if 'phrases' in FLAGS.models:
    try:
      _, summary = phrases.train_phrase_model(
          FLAGS.note_dataset, save_dir=FLAGS.save_dir,
          overwrite=FLAGS.overwrite)
    except FileExistsError as e:
      raise cli.UserError(str(e)) from e
    held = summary.get('held_out')
    print(f'Phrase model (order {summary["order"]}) fitted on '
          f'{summary["melodies"]} melodies ({summary["notes"]} notes, '
          f'pitches {summary["pitch_range"][0]}-{summary["pitch_range"][1]}'
          + (f'); held-out {held["melodies"]} melodies: intervals '
             f'{held["bits_per_event"]["intervals"]:.2f} bits/note '
             f'(order 0: {held["order_0_bits_per_event"]["intervals"]:.2f}), '
             f'rhythm {held["bits_per_event"]["rhythm"]:.2f} '
             f'({held["order_0_bits_per_event"]["rhythm"]:.2f}).'
             if held else ').'))
    print(f'Model: {summary["model_path"]}')


def _train_expression(training):
  """Trains and saves the expression VAE (`training` is its module)."""
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
  cli.run(main, __name__, checks=check_flags)


if __name__ == '__main__':
  console_entry_point()
