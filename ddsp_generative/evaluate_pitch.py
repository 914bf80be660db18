# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Score f0 estimators on audio with ground-truth f0 (validates data prep).

Each audio file needs a ground-truth sidecar beside it: `<name>.f0.json`
(written by `ddsp_generative_render_dataset`) or `<name>.f0.csv` (columns
`time,f0_hz[,audible,voicing_scored]`, f0 <= 0 unvoiced). Reports raw pitch
accuracy (within 50 cents) and raw chroma accuracy on audible frames, median
absolute cents, voicing precision/recall and speed, per file and in total, in
a versioned JSON; plots estimate vs truth per file.

Usage:

  ddsp_generative_evaluate_pitch \
    --audio_filepatterns='data/violin/audio/*.wav' \
    --estimators=pyin,yin \
    --output=results/pitch_violin.json

The plots go to `results/pitch_violin_plots/` (--plot_dir; '' for none).
An existing report, or plots it would write, are only replaced with
--overwrite; that is checked before any estimator runs.
"""

import glob
import os

from absl import flags

from ddsp_generative import cli
from ddsp_generative.core import f0 as f0_lib

FLAGS = flags.FLAGS

flags.DEFINE_list('audio_filepatterns', [],
                  'Glob patterns of the audio files (`**` recurses).')
flags.DEFINE_list('estimators', [],
                  'Estimators to score, from: '
                  f'{", ".join(f0_lib.ESTIMATORS)}. Default: pyin,yin (and '
                  'crepe when installed).')
flags.DEFINE_string('output', None, 'Result JSON file.')
flags.DEFINE_string('plot_dir', None,
                    "Folder of the per-file PNGs (default: '<output without "
                    "extension>_plots'; '' for no plots).")
flags.DEFINE_integer('frame_rate', 250, 'Estimator frame rate.')
flags.DEFINE_float('voicing_threshold', 0.5,
                   'Confidence at and above which a frame counts as voiced.')
flags.DEFINE_boolean('overwrite', False,
                     'Replace an existing report (--output) and its plots.')


def _audio_paths():
  """The audio files --audio_filepatterns matches (not their sidecars)."""
  return sorted({p for pattern in FLAGS.audio_filepatterns
                 for p in glob.glob(os.path.expanduser(pattern),
                                    recursive=True)
                 if os.path.isfile(p) and not p.endswith(('.json', '.csv',
                                                          '.png'))})


def _plot_dir():
  """--plot_dir, default '<output without extension>_plots' ('' for none)."""
  if FLAGS.plot_dir is None:
    return os.path.splitext(FLAGS.output)[0] + '_plots'
  return FLAGS.plot_dir


def check_flags():
  """The checks before any estimation: flags, inputs, existing outputs.

  Raises:
    cli.UserError: Naming the flag and the fix.
  """
  cli.check_args(FLAGS, ('output',))
  if os.path.isdir(FLAGS.output):
    raise cli.UsageError(f'--output={FLAGS.output} is a directory: give the '
                         'JSON file to write, e.g. '
                         f'{os.path.join(FLAGS.output, "pitch.json")}.')
  paths = _audio_paths()
  if not paths:
    folders = [p for p in FLAGS.audio_filepatterns
               if os.path.isdir(os.path.expanduser(p))]
    hint = (f" ({folders[0]} is a directory: e.g. '"
            f"{os.path.join(folders[0], '*.wav')}')" if folders else '')
    raise cli.UsageError('No files match --audio_filepatterns='
                         f"{','.join(FLAGS.audio_filepatterns)}{hint}.")
  plot_dir = _plot_dir()
  if plot_dir and os.path.lexists(plot_dir) and not os.path.isdir(plot_dir):
    raise cli.UsageError(f'--plot_dir={plot_dir} is not a directory (a file, '
                         "or a broken symbolic link): choose another, or '' "
                         'for no plots.')
  # No TensorFlow; the estimators load only when they run.
  from ddsp_generative.evaluation import pitch as evaluate_pitch_lib  # pylint: disable=g-import-not-at-top
  evaluate_pitch_lib.check_not_written(paths, FLAGS.output, plot_dir or None,
                                       FLAGS.overwrite)


def main(unused_argv):
  """From command line."""
  # Imported here so that --help does not wait for them.
  # pylint: disable=g-import-not-at-top
  from ddsp_generative import environment
  from ddsp_generative.evaluation import pitch as evaluate_pitch_lib
  # pylint: enable=g-import-not-at-top
  plot_dir = _plot_dir()
  try:
    record = evaluate_pitch_lib.evaluate_pitch(
        _audio_paths(), FLAGS.output, estimators=FLAGS.estimators or None,
        frame_rate=FLAGS.frame_rate,
        voicing_threshold=FLAGS.voicing_threshold, plot_dir=plot_dir or None,
        overwrite=FLAGS.overwrite)
  except cli.UserError:
    raise  # Names its file already (an unreadable audio file, a busy report).
  except ValueError as e:
    raise cli.UsageError(str(e)) from e
  except environment.CrepeNotInstalledError as e:
    raise cli.UserError(str(e)) from e
  print(f"Pitch accuracy on {record['n_files']} file(s), "
        f"{record['audio_secs'] / 60:.1f} min of audio (frame rate "
        f"{record['frame_rate']} Hz):")
  print(evaluate_pitch_lib.summary_table(record))
  print(f'Results: {FLAGS.output}' +
        (f'; plots: {plot_dir}' if plot_dir else ''))


def console_entry_point():
  """From pip installed script."""
  cli.run(main, __name__, checks=check_flags)


if __name__ == '__main__':
  console_entry_point()
