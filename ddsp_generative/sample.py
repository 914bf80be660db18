# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Sample new instrument audio with no input audio.

Generates pitch/loudness controls, draws z from a prior, decodes with a DDSP
model trained by `ddsp_run`, and writes per sample a WAV, a spectrogram PNG and
a JSON sidecar with every setting, the seed and the model step. Clips of any
length are made block by block (bounded memory); each sample's files appear
together once complete, and a run holds --save_dir's lock, so a second
sampler on the same directory is refused at once. Requests that cannot be
written (WAVs larger than the free space or than a WAV can hold, a --save_dir
that is a file or read-only) are refused before any work.

Usage:

  # The embedded default model (a small violin model), its prior, and a new
  # phrase per sample composed by its phrase model and played by its
  # expression model: no arguments at all. Steer the phrase:
  python -m ddsp_generative.sample
  python -m ddsp_generative.sample --n_samples=4 --n_notes=24 \
    --key="D major" --register=62-81 --tempo=0.8

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

  # A multi-instrument model (gin/multi_instrument.gin, its timbre prior
  # from ddsp_generative_fit_timbre_prior): a named instrument, a new one
  # drawn from the timbre prior, a fixed blend, or a morph along the sample:
  python -m ddsp_generative.sample --model_dir=models/multi --instrument=cello
  python -m ddsp_generative.sample --model_dir=models/multi --instrument=new
  python -m ddsp_generative.sample --model_dir=models/multi \
    --blend=violin:0.7,flute:0.3
  python -m ddsp_generative.sample --model_dir=models/multi \
    --morph=violin,flute --duration=6 --pitch=67

  # A model that decodes from timbre descriptors
  # (gin/harmonic_noise_descriptors.gin): brighter along the note, at a set
  # periodicity (others follow the training data's median):
  python -m ddsp_generative.sample --model_dir=models/violin_desc \
    --pitch=67 --duration=4 --descriptor=centroid=ramp:1000:3000 \
    --descriptor=periodicity=0.9

When --prior is not given, `<model_dir>/prior.json` is used. With no
--midi_file, --envelope_model or --pitch, a model that has a phrase model
(`<model_dir>/expression/phrase_model.json`, ddsp_generative_train_expression)
composes a new phrase per sample (seed + i), steered by --n_notes,
--duration, --key, --register and --tempo, and writes its MIDI file beside
the WAV (sample_000.mid).
"""

import math
import os

from absl import flags

from ddsp_generative import cli
from ddsp_generative.controls import descriptor_curves
from ddsp_generative.sampling import requests

FLAGS = flags.FLAGS

# Seeds reach TensorFlow and NumPy generators; sample i uses seed + i.
MAX_SEED = 2**31 - 1

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
flags.DEFINE_float('duration', None, 'Seconds: of the Note (with --pitch), '
                   'the envelope control or a composed phrase.')
flags.DEFINE_float('peak_db', None, 'Peak loudness (dB, ddsp\'s scale) of '
                   'the Note, Melody, Glissando and MidiFile controls; keep '
                   'it within the training data\'s loudness.')
flags.DEFINE_string('midi_file', None, 'Play this MIDI file (MidiFile '
                    'control: its top voice when polyphonic).')
flags.DEFINE_string('envelope_model', None, 'Envelope VAE (a '
                    'ddsp_generative_train_envelopes --save_dir, or '
                    '"default" for the embedded one): sample expressive '
                    'f0/loudness envelopes at --pitch.')
flags.DEFINE_string('expression', 'auto', 'How notes (--midi_file, --pitch, '
                    'composed phrases, Note and Melody) are '
                    'played: "auto" (the model directory\'s expression/ '
                    'model when it has one, ddsp_generative_train_expression;'
                    ' else the rules), "rules" (ADSR envelopes, --peak_db), '
                    'or the directory of an expression model.')
flags.DEFINE_string('phrase_model', 'auto', 'What plays when no control is '
                    'asked for (no --midi_file, --envelope_model or --pitch):'
                    ' "auto" composes a new phrase per sample with '
                    '<model_dir>/expression/phrase_model.json when the model '
                    'has one (ddsp_generative_train_expression); "none" never'
                    ' composes; or a phrase_model.json.')
flags.DEFINE_integer('n_notes', None, 'Notes of a composed phrase; default '
                     'the phrase model\'s (16 for the embedded one).')
flags.DEFINE_string('key', None, 'Key of a composed phrase, e.g. "D major", '
                    '"F# minor", or "none" (any pitch); default the key of a '
                    'training melody, drawn per sample.')
flags.DEFINE_string('register', None, 'Pitch range of a composed phrase, '
                    '"LOW-HIGH" in MIDI (e.g. "62-81"), within the training '
                    'notes\' range.')
flags.DEFINE_float('tempo', None, 'Speed of a composed phrase relative to '
                   'the training melodies (2: twice as fast).')
flags.DEFINE_string('instrument', None, 'A multi-instrument model\'s '
                    'instrument (gin/multi_instrument.gin), or "new": a new '
                    'instrument drawn from its timbre prior.')
flags.DEFINE_string('blend', None, 'A fixed blend of a multi-instrument '
                    'model\'s instruments, e.g. "violin:0.7,flute:0.3".')
flags.DEFINE_string('morph', None, 'Morph from one instrument to another '
                    'along each sample, e.g. "violin,flute".')
flags.DEFINE_float('morph_secs', None, 'Seconds the --morph takes (then '
                   'held); default the whole sample.')
flags.DEFINE_multi_string(
    'descriptor', [], 'A model that decodes from timbre descriptors '
    '(gin/harmonic_noise_descriptors.gin): NAME=VALUE (constant), '
    'NAME=ramp:FROM:TO[:SECS], NAME=follow (predicted from the pitch and '
    'loudness by the training data\'s fit: the default) or NAME=data (the '
    'training median), e.g. --descriptor=centroid=ramp:800:3000 '
    '--descriptor=periodicity=0.9. Names: centroid (Hz), flatness, '
    'periodicity, odd_even (dB).')
flags.DEFINE_integer('chunk_frames', None, 'Frames decoded at a time '
                     '(memory); default 1000 (4 s at 250 frames/s).')
flags.DEFINE_boolean('overwrite', False, 'Replace existing sample files.')
flags.DEFINE_multi_string('gin_file', [], 'Gin files for the controls.')
flags.DEFINE_multi_string('gin_param', [], 'Gin bindings for the controls, '
                          'e.g. "control_source.source = @Melody()".')


PHRASE_FLAGS = requests.PHRASE_FIELDS


def control_request():
  """The ControlRequest of the flags."""
  return requests.ControlRequest(
      pitch=FLAGS.pitch, duration=FLAGS.duration, peak_db=FLAGS.peak_db,
      midi_file=FLAGS.midi_file, envelope_model=FLAGS.envelope_model,
      expression=FLAGS.expression, phrase_model=FLAGS.phrase_model,
      n_notes=FLAGS.n_notes, key=FLAGS.key, register=FLAGS.register,
      tempo=FLAGS.tempo, seed=FLAGS.seed)


def timbre_request():
  """The TimbreRequest of the flags."""
  return requests.TimbreRequest(instrument=FLAGS.instrument,
                                blend=FLAGS.blend, morph=FLAGS.morph,
                                morph_secs=FLAGS.morph_secs)


def local_model_dir():
  """--model_dir, or for a URL the local copy of its files the checks read.

  The copy (not ddsp_run's summaries) is fetched once per process; the run
  loads the URL itself (the same copy), so that the sidecars name the URL.
  """
  from ddsp_generative.core import filesystem  # pylint: disable=g-import-not-at-top
  if FLAGS.model_dir and filesystem.is_url(FLAGS.model_dir):
    return filesystem.local_tree(FLAGS.model_dir, exclude=('summaries',))
  return FLAGS.model_dir


def phrase_model_path(model_dir):
  """The phrase model that composes (`requests.phrase_model_path`)."""
  return requests.phrase_model_path(control_request(), model_dir)


def check_save_dir(save_dir):
  """Refuses a --save_dir that is a file, or cannot be written.

  Args:
    save_dir: --save_dir (it may not exist yet: its nearest existing parent
      is checked).

  Raises:
    cli.UserError: Naming the path and the fix.
  """
  path = os.path.abspath(save_dir)
  while not os.path.exists(path):
    path = os.path.dirname(path)
  if not os.path.isdir(path):
    what = 'is a file' if path == os.path.abspath(save_dir) else (
        f'is inside {path}, which is a file')
    raise cli.UserError(f'--save_dir={save_dir} {what}: pass a directory.')
  if not os.access(path, os.W_OK | os.X_OK):
    raise cli.UserError(
        f'--save_dir={save_dir} cannot be written ({path} is read-only or '
        'not yours): choose a writable --save_dir.')


def check_phrase_flags():
  """--phrase_model and the flags that steer a composed phrase.

  Raises:
    cli.UserError: Naming the flag and the fix.
  """
  from ddsp_generative.expression import keys  # pylint: disable=g-import-not-at-top
  path = FLAGS.phrase_model
  if path not in ('auto', 'none') and not os.path.isfile(path):
    raise cli.UserError(f'--phrase_model={path}: file not found ("auto", '
                        '"none" or a phrase_model.json from '
                        'ddsp_generative_train_expression).')
  steering = [f'--{name}' for name in PHRASE_FLAGS
              if getattr(FLAGS, name) is not None]
  if steering and not phrase_model_path(local_model_dir()):
    why = ('--midi_file, --envelope_model or --pitch chooses another control'
           if FLAGS.midi_file or FLAGS.envelope_model or
           FLAGS.pitch is not None else
           'this model has no phrase model (expression/phrase_model.json; '
           'fit one with ddsp_generative_train_expression)')
    raise cli.UserError(f'{", ".join(steering)} steer a composed phrase, but '
                        f'{why}.')
  if FLAGS.n_notes is not None:
    cli.require(FLAGS.n_notes >= 1, f'--n_notes must be >= 1, not '
                f'{FLAGS.n_notes}.')
  if FLAGS.tempo is not None:
    cli.require(math.isfinite(FLAGS.tempo) and FLAGS.tempo > 0,
                f'--tempo must be a positive factor, not {FLAGS.tempo}.')
  phrase = phrase_model_path(local_model_dir())
  if phrase:
    from ddsp_generative.expression import phrases  # pylint: disable=g-import-not-at-top
    try:
      model = phrases.load(phrase)
      if FLAGS.register:
        model.register(*requests.parse_register(FLAGS.register))
    except phrases.PhraseModelError as e:
      raise cli.UserError(str(e)) from e
  if FLAGS.key is not None:
    try:
      keys.parse_key(FLAGS.key)
    except keys.KeyNameError as e:
      raise cli.UserError(f'--key: {e}') from e


def check_flags():
  """The checks that need no model: values, paths, existing outputs.

  Raises:
    cli.UserError: Naming the flag and the fix.
  """
  from ddsp_generative.core import filesystem  # pylint: disable=g-import-not-at-top
  if FLAGS.model_dir and filesystem.is_url(FLAGS.model_dir) and (
      not filesystem.isdir(FLAGS.model_dir)):
    raise cli.UserError(f'Model directory not found: {FLAGS.model_dir} '
                        '(--model_dir: a ddsp_run --save_dir).')
  require = cli.require
  require(FLAGS.n_samples >= 1, f'--n_samples must be >= 1, not '
          f'{FLAGS.n_samples}.')
  require(0 <= FLAGS.seed <= MAX_SEED - FLAGS.n_samples + 1,
          f'--seed must be in [0, {MAX_SEED - FLAGS.n_samples + 1}] (sample i '
          f'uses seed + i, at most {MAX_SEED}), not {FLAGS.seed}.')
  if FLAGS.duration is not None:
    require(math.isfinite(FLAGS.duration) and FLAGS.duration > 0,
            f'--duration must be a positive number of seconds, not '
            f'{FLAGS.duration}.')
  if FLAGS.pitch is not None:
    require(math.isfinite(FLAGS.pitch) and 0 <= FLAGS.pitch <= 127,
            f'--pitch must be a MIDI pitch in [0, 127], not {FLAGS.pitch}.')
  if FLAGS.peak_db is not None:
    require(math.isfinite(FLAGS.peak_db),
            f'--peak_db must be finite, not {FLAGS.peak_db}.')
  if FLAGS.chunk_frames is not None:
    require(FLAGS.chunk_frames >= 1, f'--chunk_frames must be >= 1, not '
            f'{FLAGS.chunk_frames}.')
  require(not (FLAGS.midi_file and FLAGS.envelope_model),
          'pass --midi_file or --envelope_model, not both.')
  for name in ('midi_file', 'prior'):
    path = getattr(FLAGS, name)
    if path and not os.path.isfile(path):
      raise cli.UserError(f'--{name}={path}: file not found.')
  if FLAGS.model_dir and not os.path.isdir(local_model_dir()):
    raise cli.UserError(f'Model directory not found: {FLAGS.model_dir} '
                        '(--model_dir: a ddsp_run --save_dir).')
  if FLAGS.expression not in ('auto', 'rules'):
    require(os.path.isdir(FLAGS.expression),
            f'--expression={FLAGS.expression}: directory not found ("auto", '
            '"rules" or a ddsp_generative_train_expression --save_dir).')
  path = FLAGS.envelope_model
  if path and path != 'default' and not os.path.isdir(path):
    raise cli.UserError(f'--envelope_model={path}: directory not found (a '
                        'ddsp_generative_train_envelopes --save_dir, or '
                        '"default").')
  try:
    timbre_request().choice()
  except requests.TimbreRequestError as e:
    raise cli.UsageError(str(e)) from e
  try:
    for spec in FLAGS.descriptor:
      descriptor_curves.parse(spec)
  except descriptor_curves.DescriptorRequestError as e:
    raise cli.UsageError(str(e)) from e
  check_phrase_flags()
  check_save_dir(FLAGS.save_dir)
  if not FLAGS.overwrite:
    existing = [p for p in requests.planned_outputs(
        FLAGS.save_dir, FLAGS.n_samples,
        midi=bool(phrase_model_path(local_model_dir())))
                if os.path.exists(p)]
    if existing:
      raise cli.UserError(
          f'{existing[0]} exists ({len(existing)} sample files would be '
          'replaced): pass --overwrite or choose another --save_dir.')


def main(unused_argv):
  # TensorFlow and the model load here, once the checks passed.
  from ddsp_generative.sampling import sample_run  # pylint: disable=g-import-not-at-top
  written = sample_run.sample(
      control_request(), FLAGS.save_dir, model_dir=FLAGS.model_dir,
      checkpoint=FLAGS.checkpoint, prior_path=FLAGS.prior,
      n_samples=FLAGS.n_samples, mode=FLAGS.mode, overwrite=FLAGS.overwrite,
      chunk_frames=FLAGS.chunk_frames, gin_files=FLAGS.gin_file,
      gin_params=FLAGS.gin_param, timbre=timbre_request(),
      descriptors=FLAGS.descriptor)
  for paths in written:
    print(paths['wav'])


def console_entry_point():
  cli.run(main, __name__, checks=check_flags)


if __name__ == '__main__':
  console_entry_point()
