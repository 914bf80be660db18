# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Render a monophonic instrument data set with ground-truth f0, offline.

Public-domain melodies (Bach chorale soprano lines, Essen folksongs, O'Neill's
fiddle tunes from music21's corpus) rendered by FluidSynth with the FluidR3
General-MIDI soundfont. Writes `<instrument>_<nnnn>.wav` (mono, 16-bit), a
ground-truth f0 sidecar `<instrument>_<nnnn>.f0.json` and the MIDI file it
was rendered from, `<instrument>_<nnnn>.mid`, per file, and `dataset.json`.
The same --seed renders the same data set.

Needs `apt-get install fluidsynth fluid-soundfont-gm` and
`pip install "ddsp_generative[datasets]"`; `make dataset` does both.

Usage:

  ddsp_generative_render_dataset --instrument=violin --minutes=15 \
    --output_dir=data/violin/audio

  # Then TFRecords for training, and the pitch estimators scored on it:
  ddsp_generative_prepare_tfrecord \
    --input_audio_filepatterns='data/violin/audio/*.wav' \
    --output_tfrecord_path=data/violin/train.tfrecord
  ddsp_generative_evaluate_pitch \
    --audio_filepatterns='data/violin/audio/*.wav' \
    --output=data/violin/pitch_eval.json
"""

from absl import flags

from ddsp_generative import cli
from ddsp_generative.recipes import melodies
from ddsp_generative.recipes import render_midi

FLAGS = flags.FLAGS

flags.DEFINE_enum('instrument', 'violin', list(render_midi.INSTRUMENTS),
                  'General-MIDI instrument (FluidR3 preset).')
flags.DEFINE_float('minutes', 15.0, 'Minutes of audio to render.')
flags.DEFINE_string('output_dir', None, 'Folder of the WAV files, their f0 '
                    'sidecars and MIDI files, and dataset.json.')
flags.DEFINE_integer('seed', 0, 'Random seed (melodies, tempo, '
                     'transposition, velocities).')
flags.DEFINE_list('sources', list(melodies.SOURCES),
                  'Melody sources, taken in turn: bach (chorale soprano '
                  'lines), essen (folksongs), oneills (fiddle tunes).')
flags.DEFINE_integer('sample_rate', 16000, 'Sample rate of the WAV files.')
flags.DEFINE_float('max_secs_per_file', 90.0,
                   'Longer melodies are cut at a note end.')
flags.DEFINE_string('soundfont', None,
                    'A .sf2 file (default: FluidR3_GM from '
                    'fluid-soundfont-gm).')
flags.DEFINE_boolean('overwrite', False,
                     'Replace a data set already in --output_dir.')


def main(unused_argv):
  """From command line."""
  cli.check_args(FLAGS, ('output_dir',))
  try:
    record = render_midi.render_dataset(
        FLAGS.output_dir, instrument=FLAGS.instrument, minutes=FLAGS.minutes,
        seed=FLAGS.seed, sources=FLAGS.sources,
        sample_rate=FLAGS.sample_rate,
        max_secs_per_file=FLAGS.max_secs_per_file, soundfont=FLAGS.soundfont,
        overwrite=FLAGS.overwrite)
  except ValueError as e:
    raise cli.UsageError(str(e)) from e
  except (render_midi.MissingRendererError,
          melodies.MissingMusic21Error, FileExistsError) as e:
    raise cli.UserError(str(e)) from e
  print(f"Rendered {record['n_files']} {record['instrument']} files, "
        f"{record['audio_secs'] / 60:.1f} min at {record['sample_rate']} Hz, "
        f'into {FLAGS.output_dir} (ground-truth f0: *.f0.json; MIDI: *.mid; '
        f'manifest: {render_midi.MANIFEST}).')


def console_entry_point():
  """From pip installed script."""
  cli.run(main, __name__)


if __name__ == '__main__':
  console_entry_point()
