# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Trains an envelope VAE: `ddsp_generative_train_envelopes`.

Learns to generate (f0, loudness) envelopes of fixed length (default 3 s at
250 Hz) from the controls of the TFRecords a DDSP model is trained on (see
`ddsp_generative.envelopes`), and saves the model in --save_dir as
`envelope_vae_weights.h5` + `envelope_vae.json` (versioned, no pickle; the
JSON is written last, so an interrupted run leaves no model that looks
complete).

Usage:

  ddsp_generative_train_envelopes \
    --tfrecord_pattern='data/violin/train.tfrecord*' \
    --save_dir=models/violin/envelopes \
    --steps=3000 --batch_size=16 --seed=0

  # Smaller latent, stronger KL, 2 s windows:
  ddsp_generative_train_envelopes --tfrecord_pattern='data/train.tfrecord*' \
    --save_dir=models/envelopes \
    --gin_param='EnvelopeVae.latent_dims = 32' \
    --gin_param='EnvelopeVae.beta = 0.05' \
    --gin_param='EnvelopeVae.n_frames = 500'

Then sample controls with it, e.g. in `python -m ddsp_generative.sample`
(or simply `--envelope_model=models/violin/envelopes --pitch=64`):

  --gin_param="control_source.source = @EnvelopeControl()" \
  --gin_param="EnvelopeControl.model_path = 'models/violin/envelopes'" \
  --gin_param="EnvelopeControl.pitch = 64"

Examples shorter than the window are padded with silence; use TFRecords of
examples at least as long (e.g. 4 s examples for 3 s windows).
"""

import os

from absl import flags
from absl import logging
from ddsp_generative import cli

FLAGS = flags.FLAGS

flags.DEFINE_string('tfrecord_pattern', None,
                    'TFRecords in ddsp\'s schema, e.g. '
                    '"data/train.tfrecord*".')
flags.DEFINE_string('save_dir', None,
                    'Directory to save the model in.')
flags.DEFINE_integer('steps', 2000, 'Training steps.')
flags.DEFINE_integer('batch_size', 16, 'Windows per step.')
flags.DEFINE_integer('seed', 0, 'Seed of the weights, shuffling and noise.')
flags.DEFINE_multi_string('gin_file', [],
                          'Gin files configuring EnvelopeVae and '
                          'train_envelope_vae (searched in the package '
                          'folder too).')
flags.DEFINE_multi_string('gin_param', [],
                          'Gin bindings, e.g. "EnvelopeVae.latent_dims=32".')
flags.DEFINE_boolean('overwrite', False,
                     'Replace a model already saved in --save_dir.')
flags.DEFINE_boolean('progress', True, 'Show a progress bar.')


# `envelopes.MODEL_JSON`, the file a saved model is known by: named here (a
# test checks that it matches) so that the checks need no TensorFlow.
MODEL_JSON = 'envelope_vae.json'


def check_flags():
  """The checks that need no TensorFlow: flags, --save_dir, a saved model.

  Raises:
    cli.UserError: Naming the flag and the fix.
  """
  cli.check_args(FLAGS, ('tfrecord_pattern', 'save_dir'))
  for name in ('steps', 'batch_size'):
    cli.require(getattr(FLAGS, name) >= 1,
                f'--{name} must be >= 1, not {getattr(FLAGS, name)}.')
  save_dir = FLAGS.save_dir
  if os.path.lexists(save_dir) and not os.path.isdir(save_dir):
    raise cli.UsageError(f'{save_dir} is not a directory (a file, or a broken '
                         'symbolic link): choose another --save_dir.')
  if not FLAGS.overwrite and os.path.exists(os.path.join(save_dir,
                                                         MODEL_JSON)):
    raise cli.UserError(f'An envelope model is already saved in {save_dir}; '
                        'pass --overwrite to replace it.')


def main(unused_argv):
  # Heavy (TensorFlow): imported once the flags are known to be usable.
  from ddsp_generative import envelopes  # pylint: disable=g-import-not-at-top
  cli.parse_gin(FLAGS.gin_file, FLAGS.gin_param)
  try:
    _, summary = envelopes.train_envelope_vae(
        FLAGS.tfrecord_pattern, save_dir=FLAGS.save_dir, steps=FLAGS.steps,
        batch_size=FLAGS.batch_size, seed=FLAGS.seed,
        overwrite=FLAGS.overwrite, progress=FLAGS.progress)
  except (FileExistsError, ValueError) as e:
    raise cli.UserError(str(e)) from e
  logging.info('Saved %s', summary['model_path'])
  final = summary['final_losses']
  evaluation = summary['evaluation']
  print(f'Envelope VAE trained for {summary["steps"]} steps on '
        f'{summary["data"]["windows"]} windows '
        f'({summary["data"]["padded_windows"]} padded): final loss '
        f'{final["total"]:.4g} (reconstruction {final["reconstruction"]:.4g},'
        f' KL {final["kl"]:.4g} nats); reconstruction error '
        f'{evaluation["f0_rmse_cents"]:.0f} cents RMS, '
        f'{evaluation["loudness_mae_db"]:.2f} dB mean.')
  print(f'Model: {summary["model_path"]}')


def console_entry_point():
  cli.run(main, __name__, checks=check_flags)


if __name__ == '__main__':
  console_entry_point()
