# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Sample new instrument audio with no input audio.

Generates pitch/loudness controls, draws z from a prior, decodes with a DDSP
model trained by `ddsp_run`, and writes per sample a WAV, a spectrogram PNG and
a JSON sidecar with every setting, the seed and the model step.

Usage:

  python -m ddsp_generative.sample --model_dir=models/violin \
    --prior=models/violin/prior.json --save_dir=samples \
    --n_samples=4 --pitch=64 --duration=3 --seed=0

  # Any control source by gin:
  python -m ddsp_generative.sample --model_dir=models/violin \
    --gin_param="control_source.source = @Melody()" \
    --gin_param="Melody.pitches = (60, 64, 67, 72)"

When --prior is not given, `<model_dir>/prior.json` is used.
"""

import os

from absl import app
from absl import flags
from absl import logging
import gin

from ddsp_generative import sampling

FLAGS = flags.FLAGS

flags.DEFINE_string('model_dir', None, 'ddsp_run --save_dir of the model.')
flags.DEFINE_string('checkpoint', None, 'Checkpoint path; default latest.')
flags.DEFINE_string('prior', None, 'Prior file from ddsp_generative_fit_prior; '
                    'default <model_dir>/prior.json.')
flags.DEFINE_string('save_dir', 'samples', 'Where to write the samples.')
flags.DEFINE_integer('n_samples', 1, 'Number of audio files to write.')
flags.DEFINE_integer('seed', 0, 'Random seed; sample i uses seed + i.')
flags.DEFINE_string('mode', None,
                    'Prior sampling mode; default the prior\'s own. gmm: '
                    'independent, component; hmm and conditional: '
                    'independent, component, temporal (see '
                    'ddsp_generative_fit_prior --help). A conditional prior '
                    'samples z given the generated f0 and loudness.')
flags.DEFINE_float('pitch', None, 'MIDI pitch of the default Note control.')
flags.DEFINE_float('duration', None, 'Seconds, for the default Note control.')
flags.DEFINE_float('peak_db', None, 'Peak loudness (dB) of the Note control.')
flags.DEFINE_boolean('overwrite', False, 'Replace existing sample files.')
flags.DEFINE_multi_string('gin_file', [], 'Gin files for the controls.')
flags.DEFINE_multi_string('gin_param', [], 'Gin bindings for the controls, '
                          'e.g. "control_source.source = @Melody()".')


def main(unused_argv):
  # Heavy imports here, so that --help is fast.
  from ddsp_generative import model_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative import priors  # pylint: disable=g-import-not-at-top

  if not FLAGS.model_dir:
    raise app.UsageError('--model_dir is required (a ddsp_run --save_dir); '
                         '`make demo` trains a small one and samples it.')
  if FLAGS.n_samples < 1:
    raise app.UsageError('--n_samples must be >= 1.')
  trained = model_io.load_model(FLAGS.model_dir, checkpoint=FLAGS.checkpoint)

  prior, prior_path = None, None
  if trained.z_dims is not None:
    prior_path = FLAGS.prior or os.path.join(FLAGS.model_dir,
                                             sampling.DEFAULT_PRIOR_NAME)
    if not os.path.exists(prior_path):
      raise app.UsageError(
          f'No prior at {prior_path}: fit one with ddsp_generative_extract_z '
          'and ddsp_generative_fit_prior, or pass --prior.')
    prior = priors.load_prior(prior_path)
    priors.check_compatible(prior, trained.z_dims, trained.fingerprint)

  # The model's config was parsed by load_model; add the controls' config.
  bindings = list(FLAGS.gin_param)
  for flag_name, binding in (('pitch', 'Note.pitch'),
                             ('duration', 'Note.duration'),
                             ('peak_db', 'Note.peak_db')):
    if getattr(FLAGS, flag_name) is not None:
      bindings.append(f'{binding} = {getattr(FLAGS, flag_name)!r}')
  with gin.unlock_config():
    gin.parse_config_files_and_bindings(FLAGS.gin_file, bindings)
  source = sampling.control_source()

  written = sampling.generate(
      trained, prior, source, n_samples=FLAGS.n_samples, seed=FLAGS.seed,
      mode=FLAGS.mode, save_dir=FLAGS.save_dir, overwrite=FLAGS.overwrite,
      prior_path=prior_path)
  for paths in written:
    print(paths['wav'])
  logging.info('Wrote %d samples to %s.', len(written), FLAGS.save_dir)


def console_entry_point():
  app.run(main)


if __name__ == '__main__':
  console_entry_point()
