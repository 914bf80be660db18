# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Extract z from TFRecords with a trained encoder (Apache Beam).

Usage:

  ddsp_generative_extract_z \
    --input_tfrecord_filepatterns='data/violin/train.tfrecord*' \
    --output_path=data/violin/z.tfrecord \
    --model_dir=models/violin

Runs locally by default, with the same Beam options as
`ddsp_generative_prepare_tfrecord` (the DirectRunner on every core); pass
Beam options to run otherwise, e.g. on a cluster:
`--pipeline_options=--runner=DataflowRunner,--project=...`.

Everything is checked before anything is written, each failure one line
(exit 1, or 2 for a bad flag): the flags, the output (an existing or
incomplete z dataset needs --overwrite; another run writing it is refused),
the model (missing, not a ddsp_run model, without a z encoder), the
TFRecords (none, incomplete, corrupt or truncated, without ddsp's features)
and their sample and frame rates, which must be the model's.
"""

from absl import flags

from ddsp_generative import cli
from ddsp_generative.core import filesystem
from ddsp_generative.data_preparation import extract_z_checks

FLAGS = flags.FLAGS

flags.DEFINE_string('input_tfrecord_filepatterns', None,
                    'ddsp TFRecords to encode, e.g. data/train.tfrecord*.')
flags.DEFINE_string('output_path', None,
                    'z dataset TFRecord prefix, e.g. data/z.tfrecord.')
flags.DEFINE_string('model_dir', None, 'ddsp_run --save_dir of the model.')
flags.DEFINE_string('checkpoint', None, 'Checkpoint; default the latest.')
flags.DEFINE_integer('batch_size', 8, 'Examples per encoder call.')
flags.DEFINE_integer('num_shards', 0, 'Output shards (0: automatic).')
flags.DEFINE_boolean('overwrite', False, 'Replace an existing z dataset.')
flags.DEFINE_list('pipeline_options', [],
                  'Comma-separated Beam pipeline options; default the '
                  'DirectRunner on every core, as for '
                  'ddsp_generative_prepare_tfrecord.')


def check_flags():
  """The checks that need no model: flags, the output (before TensorFlow).

  Raises:
    cli.UserError: Naming the flag and the fix (the inputs, the model and
      their rates are checked by `extract_z_lib.extract_z`).
  """
  cli.check_args(FLAGS, ('input_tfrecord_filepatterns', 'output_path',
                         'model_dir'))
  filesystem.check_output_writable(FLAGS.output_path, '--output_path')
  extract_z_checks.validate_parameters(FLAGS.output_path, FLAGS.batch_size,
                                       FLAGS.num_shards)
  if not FLAGS.overwrite:
    extract_z_checks.refuse_existing(FLAGS.output_path)


def main(unused_argv):
  # Beam and TensorFlow load here, once the checks passed.
  from ddsp_generative.data_preparation import extract_z_lib  # pylint: disable=g-import-not-at-top
  metadata = extract_z_lib.extract_z(
      FLAGS.input_tfrecord_filepatterns, FLAGS.output_path, FLAGS.model_dir,
      checkpoint=FLAGS.checkpoint, batch_size=FLAGS.batch_size,
      num_shards=FLAGS.num_shards, overwrite=FLAGS.overwrite,
      pipeline_options=FLAGS.pipeline_options)
  print(f'z dataset: {metadata["n_examples"]} examples, '
        f'{metadata["n_frames"]} frames, z_dims={metadata["z_dims"]} -> '
        f'{FLAGS.output_path}')


def console_entry_point():
  cli.run(main, __name__, checks=check_flags)


if __name__ == '__main__':
  console_entry_point()
