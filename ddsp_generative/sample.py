# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Sample new instrument audio with no input audio.

Generates pitch/loudness controls, draws z from a prior, decodes with a DDSP
model trained by `ddsp_run`, and writes per sample a WAV, a spectrogram PNG and
a JSON sidecar with every setting, the seed and the model step. Clips of any
length are decoded and written chunk by chunk (bounded memory).

Usage:

  # The embedded default model (a small violin model), its prior and a
  # phrase: no arguments at all.
  python -m ddsp_generative.sample

  python -m ddsp_generative.sample --model_dir=models/violin \
    --prior=models/violin/prior.json --save_dir=samples \
    --n_samples=4 --pitch=64 --duration=3 --seed=0

  # A MIDI file (monophonic, or its top voice):
  python -m ddsp_generative.sample --midi_file=tune.mid

  # Expressive envelopes from an envelope VAE (ddsp_generative_train_envelopes;
  # 'default' is the embedded model's):
  python -m ddsp_generative.sample --envelope_model=default --pitch=69

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

from ddsp_generative.sampling import default_model
from ddsp_generative.sampling import sampler

FLAGS = flags.FLAGS

flags.DEFINE_string('model_dir', None, 'ddsp_run --save_dir of the model; '
                    'default the embedded default model.')
flags.DEFINE_string('checkpoint', None, 'Checkpoint path; default latest.')
flags.DEFINE_string('prior', None, 'Prior file from ddsp_generative_fit_prior; '
                    'default <model_dir>/prior.json.')
flags.DEFINE_string('save_dir', 'samples', 'Where to write the samples.')
flags.DEFINE_integer('n_samples', 1, 'Number of audio files to write.')
flags.DEFINE_integer('seed', 0, 'Random seed; sample i uses seed + i.')
flags.DEFINE_string('mode', None,
                    'Prior sampling mode; default the prior\'s own. '
                    'conditional_net: temporal, independent, mean; gmm: '
                    'independent, component; hmm and conditional: '
                    'independent, component, temporal (see '
                    'ddsp_generative_fit_prior --help). Conditional priors '
                    'sample z given the generated f0 and loudness.')
flags.DEFINE_float('pitch', None, 'MIDI pitch of the Note (or envelope) '
                   'control.')
flags.DEFINE_float('duration', None, 'Seconds, for the Note or envelope '
                   'control.')
flags.DEFINE_float('peak_db', None, 'Peak loudness (dB, ddsp\'s scale) of '
                   'the Note, Melody, Glissando and MidiFile controls; keep '
                   'it within the training data\'s loudness.')
flags.DEFINE_string('midi_file', None, 'Play this MIDI file (MidiFile '
                    'control: its top voice when polyphonic).')
flags.DEFINE_string('envelope_model', None, 'Envelope VAE (a '
                    'ddsp_generative_train_envelopes --save_dir, or '
                    '"default" for the embedded one): sample expressive '
                    'f0/loudness envelopes at --pitch.')
flags.DEFINE_integer('chunk_frames', None, 'Frames decoded at a time '
                     '(memory); default 2000.')
flags.DEFINE_boolean('overwrite', False, 'Replace existing sample files.')
flags.DEFINE_multi_string('gin_file', [], 'Gin files for the controls.')
flags.DEFINE_multi_string('gin_param', [], 'Gin bindings for the controls, '
                          'e.g. "control_source.source = @Melody()".')


def control_bindings(using_default_model):
  """Gin bindings of the control source the flags ask for."""
  if FLAGS.midi_file and FLAGS.envelope_model:
    raise app.UsageError('Pass --midi_file or --envelope_model, not both.')
  bindings = list(default_model.DEFAULT_LEVELS) if using_default_model else []
  if FLAGS.envelope_model:
    path = FLAGS.envelope_model
    if path == 'default':
      path = default_model.envelopes_dir()
    bindings += ['control_source.source = @EnvelopeControl()',
                 f'EnvelopeControl.model_path = {path!r}',
                 f'EnvelopeControl.seed = {FLAGS.seed!r}']
    for flag_name in ('pitch', 'duration'):
      if getattr(FLAGS, flag_name) is not None:
        bindings.append(f'EnvelopeControl.{flag_name} = '
                        f'{getattr(FLAGS, flag_name)!r}')
    return bindings
  if FLAGS.midi_file:
    bindings += ['control_source.source = @MidiFile()',
                 f'MidiFile.path = {FLAGS.midi_file!r}']
  elif (using_default_model and FLAGS.pitch is None and
        FLAGS.duration is None):
    # A phrase, unless the flags ask for a Note; --gin_file/--gin_param come
    # after and override it.
    bindings += list(default_model.DEFAULT_CONTROLS)
  for flag_name, binding in (('pitch', 'Note.pitch'),
                             ('duration', 'Note.duration')):
    if getattr(FLAGS, flag_name) is not None:
      bindings.append(f'{binding} = {getattr(FLAGS, flag_name)!r}')
  if FLAGS.peak_db is not None:
    bindings += [f'{name}.peak_db = {FLAGS.peak_db!r}'
                 for name in ('Note', 'Melody', 'Glissando', 'MidiFile')]
  return bindings


def main(unused_argv):
  # Heavy imports here, so that --help is fast.
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative import priors  # pylint: disable=g-import-not-at-top

  if FLAGS.n_samples < 1:
    raise app.UsageError('--n_samples must be >= 1.')
  model_dir = FLAGS.model_dir
  using_default = not model_dir
  try:
    if using_default:
      model_dir = default_model.model_dir()
      logging.info('No --model_dir: sampling the embedded default model '
                   '(%s).', model_dir)
    trained = model_io.load_model(model_dir, checkpoint=FLAGS.checkpoint)
  except (model_io.ModelLoadError, default_model.DefaultModelMissingError) as e:
    raise app.UsageError(str(e)) from e

  prior, prior_path = None, None
  if trained.z_dims is not None:
    prior_path = FLAGS.prior or os.path.join(model_dir,
                                             sampler.DEFAULT_PRIOR_NAME)
    if not os.path.exists(prior_path):
      raise app.UsageError(
          f'No prior at {prior_path}: fit one with ddsp_generative_extract_z '
          'and ddsp_generative_fit_prior, or pass --prior.')
    prior = priors.load_prior(prior_path)
    try:
      priors.check_compatible(prior, trained.z_dims, trained.fingerprint)
    except priors.PriorMismatchError as e:
      raise app.UsageError(str(e)) from e

  # The model's config was parsed by load_model; add the controls' config.
  sampler.parse_control_config(FLAGS.gin_file, FLAGS.gin_param,
                                defaults=control_bindings(using_default))
  try:
    source = sampler.control_source()
  except (ValueError, OSError) as e:  # Bad MIDI, durations, envelope files.
    raise app.UsageError(str(e)) from e

  written = sampler.generate(
      trained, prior, source, n_samples=FLAGS.n_samples, seed=FLAGS.seed,
      mode=FLAGS.mode, save_dir=FLAGS.save_dir, overwrite=FLAGS.overwrite,
      prior_path=prior_path, chunk_frames=FLAGS.chunk_frames)
  for paths in written:
    print(paths['wav'])
  logging.info('Wrote %d samples to %s.', len(written), FLAGS.save_dir)


def console_entry_point():
  app.run(main)


if __name__ == '__main__':
  console_entry_point()
