# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Resynthesise a recording, or transfer it into a model's instrument.

Reads any audio file, measures its f0 and loudness as the training data
were measured, shifts them (octaves, dB, and with --auto_adjust, as ddsp's
timbre-transfer notebook, into the model's training register and level,
with frames that are not notes made quieter), takes z from the model's
encoder on the recording (--z=encoder: resynthesis) or from its prior given
the shifted controls (--z=prior: timbre transfer), and writes
`<save_dir>/<input name>_transfer.wav` (16-bit), a PNG of the input and
output spectrograms and a JSON sidecar (model, prior, every shift and the
values auto-adjust measured, f0 estimator, input path and sha256). Any
length runs in bounded memory (`sampling/transfer.py`).

Usage:

  # Into the embedded default model (a violin), z from its prior:
  python -m ddsp_generative.transfer --input_audio=voice.wav

  ddsp_generative_transfer --model_dir=models/violin \
    --input_audio=flute.flac --save_dir=transfers --octave_shift=-1

  # Resynthesis with the model's own encoder:
  ddsp_generative_transfer --model_dir=models/violin \
    --input_audio=violin_take.wav --z=encoder --noauto_adjust

--z defaults to the prior when the model directory has a prior.json (or
--prior is given), else to the encoder; a model without z needs neither.
"""

import math
import os

from absl import flags
from absl import logging

from ddsp_generative import cli
from ddsp_generative.core import publish
from ddsp_generative.controls import descriptor_curves
from ddsp_generative.sampling import default_model
from ddsp_generative.sampling import transfer as transfer_lib

FLAGS = flags.FLAGS

MAX_SEED = 2**31 - 1
MAX_OCTAVES = 8
MAX_LOUDNESS_SHIFT_DB = 60.0

flags.DEFINE_string('input_audio', None, 'The recording: any audio file '
                    '(WAV, FLAC, OGG, MP3, AIFF; any rate and channels).')
flags.DEFINE_string('model_dir', None, 'ddsp_run --save_dir of the model; '
                    'default the embedded default model.')
flags.DEFINE_string('checkpoint', None, 'Checkpoint path; default latest.')
flags.DEFINE_enum('z', None, list(transfer_lib.Z_SOURCES),
                  'Where z comes from: the model\'s encoder on the recording '
                  '(resynthesis) or its prior given the shifted controls '
                  '(transfer); default prior when there is a prior file.')
flags.DEFINE_string('prior', None, 'Prior file (ddsp_generative_fit_prior); '
                    'default <model_dir>/prior.json.')
flags.DEFINE_string('mode', None, 'Prior sampling mode; default the '
                    'prior\'s own.')
flags.DEFINE_integer('octave_shift', None, 'Octaves to shift the pitch by '
                     '(f0 * 2**k); default chosen by --auto_adjust, else 0.')
flags.DEFINE_float('loudness_shift', 0.0, 'dB added to the loudness (after '
                   '--auto_adjust\'s level).')
flags.DEFINE_boolean('auto_adjust', True, 'Move the notes\' median loudness '
                     'to the training median, pick the octave nearest the '
                     'training pitch (unless --octave_shift) and quiet the '
                     'frames that are not notes, as ddsp\'s notebook.')
flags.DEFINE_float('quiet_db', transfer_lib.QUIET_DB, 'With --auto_adjust: '
                   'attenuation (dB) of frames that are not notes (ddsp\'s '
                   '"quiet"); 0 turns it off.')
flags.DEFINE_float('note_threshold', transfer_lib.NOTE_THRESHOLD, 'Note '
                   'detector threshold (ddsp\'s detect_notes): higher finds '
                   'fewer notes.')
flags.DEFINE_enum('f0_estimator', None, ['pyin', 'yin', 'crepe'],
                  'Pitch estimator; default the one that made the model\'s '
                  'TFRecords (from their metadata), else pyin.')
flags.DEFINE_string('save_dir', 'transfers', 'Where to write the files.')
flags.DEFINE_integer('seed', 0, 'Seeds the prior and the synthesizers\' '
                     'noise.')
flags.DEFINE_integer('chunk_frames', None, 'Frames decoded at a time '
                     '(memory); default 1000.')
flags.DEFINE_multi_string(
    'descriptor', [], 'A model that decodes from timbre descriptors '
    '(gin/harmonic_noise_descriptors.gin) follows the recording\'s own '
    'descriptors (with --auto_adjust shifted to the training medians); '
    'NAME=VALUE, NAME=ramp:FROM:TO[:SECS], NAME=follow (from the pitch and '
    'loudness) or NAME=data (the training median) replaces one, e.g. '
    '--descriptor=centroid=2500.')
flags.DEFINE_boolean('overwrite', False, 'Replace existing output files.')


def check_flags():
  """The checks that need no model: paths, values, existing outputs.

  Raises:
    cli.UsageError: Naming the flag and the fix.
  """
  cli.check_args(FLAGS, ('input_audio',))
  require = cli.require
  transfer_lib.check_input(FLAGS.input_audio)  # Exit 2 when unreadable.
  if FLAGS.model_dir:
    require(os.path.isdir(FLAGS.model_dir), f'--model_dir={FLAGS.model_dir}: '
            'directory not found (a ddsp_run --save_dir).')
  if FLAGS.prior:
    require(os.path.isfile(FLAGS.prior), f'--prior={FLAGS.prior}: file not '
            'found.')
  if FLAGS.octave_shift is not None:
    require(abs(FLAGS.octave_shift) <= MAX_OCTAVES, f'--octave_shift must be '
            f'in [-{MAX_OCTAVES}, {MAX_OCTAVES}], not {FLAGS.octave_shift}.')
  require(math.isfinite(FLAGS.loudness_shift) and
          abs(FLAGS.loudness_shift) <= MAX_LOUDNESS_SHIFT_DB,
          f'--loudness_shift must be in [-{MAX_LOUDNESS_SHIFT_DB:g}, '
          f'{MAX_LOUDNESS_SHIFT_DB:g}] dB, not {FLAGS.loudness_shift}.')
  require(math.isfinite(FLAGS.quiet_db) and FLAGS.quiet_db >= 0,
          f'--quiet_db must be >= 0, not {FLAGS.quiet_db}.')
  require(math.isfinite(FLAGS.note_threshold) and FLAGS.note_threshold > 0,
          f'--note_threshold must be > 0, not {FLAGS.note_threshold}.')
  require(0 <= FLAGS.seed <= MAX_SEED, f'--seed must be in [0, {MAX_SEED}], '
          f'not {FLAGS.seed}.')
  if FLAGS.chunk_frames is not None:
    require(FLAGS.chunk_frames >= 1, f'--chunk_frames must be >= 1, not '
            f'{FLAGS.chunk_frames}.')
  require(not os.path.isfile(FLAGS.save_dir), f'--save_dir={FLAGS.save_dir} '
          'is a file: pass a directory.')
  try:
    for spec in FLAGS.descriptor:
      descriptor_curves.parse(spec)
  except descriptor_curves.DescriptorRequestError as e:
    raise cli.UsageError(str(e)) from e
  transfer_lib.check_not_written(
      transfer_lib.output_paths(FLAGS.save_dir, FLAGS.input_audio),
      FLAGS.overwrite)


def main(unused_argv):
  paths = transfer_lib.output_paths(FLAGS.save_dir, FLAGS.input_audio)
  name = transfer_lib.output_name(FLAGS.input_audio)
  # Held from before TensorFlow loads: a second run writing the same output
  # is refused at once (the library takes it again, re-entrant).
  with publish.lock(FLAGS.save_dir, name, what=paths['json']):
    _transfer()


def _transfer():
  """The run, under the output's lock."""
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  model_dir = FLAGS.model_dir
  if not model_dir:
    model_dir = default_model.model_dir()
    logging.info('No --model_dir: the embedded default model (%s).',
                 model_dir)
  trained = model_io.load_model(model_dir, checkpoint=FLAGS.checkpoint)
  z_source, prior, prior_path = transfer_lib.choose_z(trained, FLAGS.z,
                                                      FLAGS.prior)
  paths = transfer_lib.transfer(
      trained, FLAGS.input_audio, FLAGS.save_dir, z_source=z_source,
      prior=prior, prior_path=prior_path, octave_shift=FLAGS.octave_shift,
      loudness_shift_db=FLAGS.loudness_shift, auto_adjust=FLAGS.auto_adjust,
      quiet_db=FLAGS.quiet_db, note_threshold=FLAGS.note_threshold,
      f0_estimator=FLAGS.f0_estimator, seed=FLAGS.seed, mode=FLAGS.mode,
      chunk_frames=FLAGS.chunk_frames, overwrite=FLAGS.overwrite,
      descriptors=FLAGS.descriptor)
  print(paths['wav'])


def console_entry_point():
  cli.run(main, __name__, checks=check_flags)


if __name__ == '__main__':
  console_entry_point()
