# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Create a TFRecord dataset in ddsp's schema from audio files.

The flags are those of ddsp's `ddsp_prepare_tfrecord`, plus `--f0_estimator`
(pyin by default: CREPE is optional), `--highpass_hz` (remove a DC offset
and rumble), `--instrument` (labels), `--descriptors` (frame-level timbre
descriptors beside ddsp's features; on by default) and `--overwrite`. Unreadable, corrupt,
empty and silent files, files whose header claims an absurd sample rate or
length, files with absurd amplitudes (corrupt float data), and paths matched
by the patterns that are no audio files (folders, broken symbolic links,
link loops) are skipped with a warning and listed in the metadata JSON
written beside the TFRecords. A second run on the same
--output_tfrecord_path while one is running is refused; a run interrupted
while publishing leaves an incomplete dataset, which readers refuse and
--overwrite replaces.

Usage:

  ddsp_generative_prepare_tfrecord \
    --input_audio_filepatterns='wavs/*.wav,flacs/**/*.flac' \
    --output_tfrecord_path=/path/to/data/train.tfrecord \
    --example_secs=4 --hop_secs=1 --eval_split_fraction=0.1 \
    --f0_estimator=pyin \
    --alsologtostderr

Progress is logged to stderr ('Chunks done: k/n ... about t s left', one line
per chunk of --chunk_secs), and the count of every stage at the end; Beam's
own INFO lines are hidden (pass --beam_log_level=INFO to see them).

Train on it with ddsp_run and `TFRecordProvider.file_pattern=
'/path/to/data/train.tfrecord-train*'` (or 'train.tfrecord*' without an eval
split). `--pipeline_options` defaults to the DirectRunner on every core, e.g.
`--pipeline_options=--runner=DirectRunner,--direct_num_workers=4,\
--direct_running_mode=multi_processing`.
"""

import logging
import os

from absl import flags

from ddsp_generative import cli
from ddsp_generative import environment
from ddsp_generative.core import f0 as f0_lib

FLAGS = flags.FLAGS

flags.DEFINE_list('input_audio_filepatterns', [],
                  'List of filepatterns to glob for input audio files '
                  '(`**` matches folders recursively).')
flags.DEFINE_string(
    'output_tfrecord_path', None,
    'The prefix path to the output TFRecord. Shard numbers will be added to '
    'actual path(s).')
flags.DEFINE_integer(
    'num_shards', None,
    'The number of shards to use for the TFRecord. If None, this number will '
    'be determined automatically.')
flags.DEFINE_integer('sample_rate', 16000,
                     'The sample rate to use for the audio.')
flags.DEFINE_integer(
    'frame_rate', 250,
    'The frame rate to use for f0 and loudness features; it must divide '
    'sample_rate and 16000.')
flags.DEFINE_float(
    'example_secs', 4,
    'The length of each example in seconds. Input audio will be split to this '
    'length using a sliding window.')
flags.DEFINE_float(
    'hop_secs', 1,
    'The hop size between example start points (in seconds), when splitting '
    'audio into constant-length examples.')
flags.DEFINE_float(
    'eval_split_fraction', 0.0,
    'Fraction of the dataset to reserve for eval split. If set to 0, no eval '
    'split is created.')
flags.DEFINE_float(
    'chunk_secs', 20.0,
    'Chunk size in seconds used to split the input audio files. These '
    'non-overlapping chunks are partitioned into train and eval sets if '
    'eval_split_fraction > 0. If 0, each file is one chunk.')
flags.DEFINE_boolean(
    'center', False,
    'Add padding to audio such that frame timestamps are centered. Increases '
    'number of frames by one.')
flags.DEFINE_enum('f0_estimator', 'pyin', list(f0_lib.ESTIMATORS),
                  'Pitch estimator: pyin (default: the most accurate offline '
                  'one, 2.5-6x real time per core), yin (about 15x faster, '
                  'a little less accurate; see benchmarks/RESULTS.md) or '
                  'crepe (needs `pip install "ddsp_generative[crepe]"`).')
flags.DEFINE_float('highpass_hz', 0.0,
                   'Cut-off (Hz) of a 2nd-order Butterworth high-pass applied '
                   'to the audio before f0, loudness and writing; 0: off. '
                   '20 removes a DC offset and rumble, which the '
                   'synthesizers cannot play (benchmarks/RESULTS.md, issue '
                   '14: the rendered data sets carry a DC offset).')
flags.DEFINE_boolean('notes', True,
                     'Also write the note dataset notes_<prefix>.json beside '
                     'the TFRecords: each chunk\'s controls and the notes '
                     'segmented from them (onset, offset, pitch, level), the '
                     'expression model\'s training data. --nonotes skips it.')
flags.DEFINE_string('instrument', None,
                    "Label every example with an instrument name (an "
                    "'instrument' feature ddsp's readers ignore), or "
                    "'from_directory': each file by the name of its folder, "
                    "e.g. --input_audio_filepatterns='data/*/*.wav' for a "
                    'multi-instrument set (gin/multi_instrument.gin).')
flags.DEFINE_boolean('descriptors', True,
                     'Also store frame-level timbre descriptors in every '
                     'example (spectral_centroid_hz, spectral_flatness, '
                     'periodicity, odd_even_ratio_db: '
                     'ddsp_generative/core/descriptors.py), which ddsp\'s '
                     'readers ignore and gin/harmonic_noise_descriptors.gin '
                     'decodes from. --nodescriptors writes ddsp\'s features '
                     'only.')
flags.DEFINE_boolean('overwrite', False,
                     'Replace a dataset that already exists at '
                     '--output_tfrecord_path.')
flags.DEFINE_enum('beam_log_level', 'WARNING',
                  ['DEBUG', 'INFO', 'WARNING', 'ERROR'],
                  "Level of Apache Beam's own log lines.")
flags.DEFINE_multi_string('gin_file', [], 'Gin files, e.g. the note '
                          'segmentation\'s settings (Segmenter).')
flags.DEFINE_multi_string('gin_param', [], 'Gin bindings, e.g. '
                          '"Segmenter.min_note = 0.08" (the note dataset '
                          'records the settings it used).')
flags.DEFINE_list(
    'pipeline_options', [],
    'A comma-separated list of command line arguments to be used as options '
    'for the Beam Pipeline. Default: the DirectRunner on every core.')


def expand_filepatterns(filepatterns):
  """Sorted, de-duplicated paths matching any of the glob patterns.

  Every match is returned, folders and broken or looping symbolic links
  included: the pipeline skips those with a warning and lists them in the
  metadata (`prepare_tfrecord_lib.split_inputs`), never silently.
  """
  from ddsp_generative.core import filesystem  # pylint: disable=g-import-not-at-top
  paths = set()
  for pattern in filepatterns:
    paths.update(filesystem.glob(
        pattern if filesystem.is_url(pattern) else os.path.expanduser(pattern),
        recursive=True))
  return sorted(paths)


def summary(metadata, metadata_path):
  """Human-readable summary of a prepare_tfrecord run."""
  lines = [f"Wrote {metadata['n_examples']} examples of "
           f"{metadata['example_secs']} s from {metadata['n_files_used']} of "
           f"{metadata['n_files']} files ({metadata['audio_secs']:.1f} s of "
           'audio):']
  directory = os.path.dirname(metadata_path)
  for name, split in metadata['splits'].items():
    pattern = os.path.join(directory, split['file_pattern'])
    lines.append(f"  {name}: {split['n_examples']} examples in "
                 f"{len(split['shards'])} shard(s), file pattern {pattern}")
  if metadata.get('instruments'):
    lines.append('Instruments (examples): ' + ', '.join(
        f'{name} {n}' for name, n in metadata['instruments'].items()))
  if metadata['n_files_padded']:
    lines.append(f"Padded {metadata['n_files_padded']} file(s) shorter than "
                 'one example with zeros.')
  if metadata.get('file_warnings'):
    lines.append(f"Kept {len(metadata['file_warnings'])} file(s) with a "
                 'warning:')
    lines.extend(f"  {w['path']}: {w['reason']}"
                 for w in metadata['file_warnings'])
  if metadata.get('n_examples_dropped'):
    lines.append(f"Dropped {metadata['n_examples_dropped']} example(s) with "
                 'NaN or Inf features.')
  if metadata['skipped_files']:
    lines.append(f"Skipped {len(metadata['skipped_files'])} file(s):")
    lines.extend(f"  {s['path']}: {s['reason']}"
                 for s in metadata['skipped_files'])
  if metadata['skipped_chunks']:
    lines.append(f"Skipped {len(metadata['skipped_chunks'])} chunk(s):")
    lines.extend(f"  {s['path']} chunk {s['chunk_index']}: {s['reason']}"
                 for s in metadata['skipped_chunks'])
  if metadata.get('notes_file'):
    lines.append(f"Notes: {metadata['n_notes']} notes segmented from the "
                 'controls, in '
                 f"{os.path.join(directory, metadata['notes_file'])}")
  if metadata.get('counters'):
    lines.append('Stage counters: ' + ', '.join(
        f'{k}={v}' for k, v in metadata['counters'].items()))
  lines.append(f'Metadata: {metadata_path}')
  return '\n'.join(lines)


def run():
  """Globs the inputs, runs the pipeline and prints a summary."""
  cli.check_args(FLAGS, ('output_tfrecord_path', 'input_audio_filepatterns'))
  from ddsp_generative.core import filesystem  # pylint: disable=g-import-not-at-top
  # Before TensorFlow and Beam load: an output URL that cannot be written.
  filesystem.check_output_writable(FLAGS.output_tfrecord_path,
                                   '--output_tfrecord_path')
  # Imported here so that --help does not wait for TensorFlow.
  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import artifacts
  from ddsp_generative.data_preparation import prepare_tfrecord_lib
  # pylint: enable=g-import-not-at-top

  from ddsp_generative import expression  # pylint: disable=g-import-not-at-top,unused-import
  # The notes' Segmenter (gin): bound before any work, one line if wrong.
  cli.parse_gin(FLAGS.gin_file, FLAGS.gin_param, lock=False)
  logging.getLogger('apache_beam').setLevel(FLAGS.beam_log_level)
  input_audio_paths = expand_filepatterns(FLAGS.input_audio_filepatterns)
  if not input_audio_paths:
    raise cli.UsageError(
        'No files match --input_audio_filepatterns='
        f"{','.join(FLAGS.input_audio_filepatterns)}.")
  try:
    prepare_tfrecord_lib.validate_parameters(
        sample_rate=FLAGS.sample_rate, frame_rate=FLAGS.frame_rate,
        example_secs=FLAGS.example_secs, hop_secs=FLAGS.hop_secs,
        eval_split_fraction=FLAGS.eval_split_fraction,
        chunk_secs=FLAGS.chunk_secs, f0_estimator=FLAGS.f0_estimator,
        num_shards=FLAGS.num_shards, highpass_hz=FLAGS.highpass_hz)
  except ValueError as e:
    raise cli.UsageError(str(e)) from e

  try:
    metadata = prepare_tfrecord_lib.prepare_tfrecord(
        input_audio_paths,
        FLAGS.output_tfrecord_path,
        num_shards=FLAGS.num_shards,
        sample_rate=FLAGS.sample_rate,
        frame_rate=FLAGS.frame_rate,
        example_secs=FLAGS.example_secs,
        hop_secs=FLAGS.hop_secs,
        eval_split_fraction=FLAGS.eval_split_fraction,
        chunk_secs=FLAGS.chunk_secs,
        center=FLAGS.center,
        f0_estimator=FLAGS.f0_estimator,
        instrument=FLAGS.instrument,
        overwrite=FLAGS.overwrite,
        pipeline_options=FLAGS.pipeline_options,
        highpass_hz=FLAGS.highpass_hz,
        write_notes=FLAGS.notes,
        descriptors=FLAGS.descriptors)
  except (FileExistsError, prepare_tfrecord_lib.NoExamplesError,
          environment.CrepeNotInstalledError) as e:
    raise cli.UserError(str(e)) from e
  print(summary(metadata, artifacts.tfrecord_metadata_path(
      filesystem.abspath(FLAGS.output_tfrecord_path))))


def main(unused_argv):
  """From command line."""
  run()


def console_entry_point():
  """From pip installed script."""
  cli.run(main, __name__)


if __name__ == '__main__':
  console_entry_point()
