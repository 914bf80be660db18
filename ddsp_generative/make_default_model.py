# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Reproduce the embedded default model: one command, every step real.

`python -m ddsp_generative.sample` with no --model_dir samples the model in
`ddsp_generative/sampling/default_model/`. This recipe rebuilds it from nothing:

  1. render 15 minutes of violin with ground-truth pitch
     (`ddsp_generative_render_dataset`: public-domain melodies, FluidR3 GM);
  2. `ddsp_generative_prepare_tfrecord` (Beam; pYIN; 1 s examples, 10% eval);
  3. `ddsp_run` (Magenta's trainer, unchanged) with
     `gin/harmonic_noise_z.gin` + `gin/sizes/small.gin`;
  4. `ddsp_generative_extract_z` (Beam) over the training examples;
  5. `ddsp_generative_fit_prior` (by default the network conditional prior:
     z given the pitch and loudness around each frame);
  6. `ddsp_generative_train_envelopes` (the envelope VAE control model, on
     1 s windows: the examples' length);
  7. package: the model's weights without the optimizer's state (a
     `tf.train.Checkpoint(model=...)`), its operative gin config, the prior,
     the envelope model and `manifest.json` (what produced each file: steps,
     seeds, versions, hardware, wall-clock time of every step).

Usage (about 40 minutes on 2 CPU cores with the default --train_steps):

  make default-model
  # or
  python -m ddsp_generative.make_default_model --work_dir=/tmp/default_model \
    --output_dir=ddsp_generative/sampling/default_model

Steps whose outputs exist in --work_dir are skipped (resume after an
interruption); --output_dir is replaced only when every step succeeded.
"""

from absl import flags

from ddsp_generative import cli

FLAGS = flags.FLAGS

flags.DEFINE_string('work_dir', '/tmp/ddsp_generative_default_model',
                    'Audio, TFRecords, checkpoints and logs.')
flags.DEFINE_string('output_dir', None, 'Where the packaged model goes '
                    '(default: the package\'s default_model/).')
flags.DEFINE_string('instrument', 'violin', 'Instrument to render.')
flags.DEFINE_float('minutes', 15.0, 'Minutes of audio to render.')
flags.DEFINE_integer('seed', 0, 'Seed of rendering, priors and envelopes.')
flags.DEFINE_integer('train_steps', 5000, 'ddsp_run training steps (the '
                     'shipped model: 5000).')
flags.DEFINE_string('size', 'gin/sizes/small.gin', 'Size mixin.')
flags.DEFINE_string('prior', 'conditional_net',
                    'Prior type (ddsp_generative_fit_prior --prior).')
flags.DEFINE_integer('envelope_steps', 3000, 'Envelope VAE training steps.')
flags.DEFINE_integer('envelope_frames', 250, 'Envelope VAE window (frames): '
                     'the examples\' length, since windows longer than an '
                     'example would be mostly padding.')
flags.DEFINE_integer('noise_bands', 129, 'Bands of the filtered noise '
                     '(N_NOISE_BANDS; the size mixin has 33).')
flags.DEFINE_integer('expression_steps', 2000, 'Expression VAE training '
                     'steps (ddsp_generative_train_expression on the note '
                     'dataset of the prepared data; 0: none).')
flags.DEFINE_boolean('rerun', False, 'Redo steps whose outputs exist.')


def main(unused_argv):
  from ddsp_generative.core import artifacts  # pylint: disable=g-import-not-at-top
  from ddsp_generative.recipes import build_default_model  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import default_model  # pylint: disable=g-import-not-at-top
  build_default_model.build(
      FLAGS.work_dir, FLAGS.output_dir or default_model.PACKAGE_DIR,
      instrument=FLAGS.instrument, minutes=FLAGS.minutes, seed=FLAGS.seed,
      train_steps=FLAGS.train_steps, size=FLAGS.size, prior=FLAGS.prior,
      envelope_steps=FLAGS.envelope_steps,
      envelope_frames=FLAGS.envelope_frames, rerun=FLAGS.rerun,
      recipe=artifacts.command_line(), noise_bands=FLAGS.noise_bands,
      expression_steps=FLAGS.expression_steps)


def console_entry_point():
  cli.run(main, __name__)


if __name__ == '__main__':
  console_entry_point()
