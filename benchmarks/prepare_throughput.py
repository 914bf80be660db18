# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Throughput of the prepare_tfrecord pipeline vs a bare one-process loop.

The same rendered files (violin and flute by default) go, side by side in one
run, through

* the bare loop: in this process, one file after another, load + resample to
  16 kHz (`audio_io.load_audio`), the f0 estimator and ddsp's loudness -- the
  features only, nothing written;
* the pipeline: `prepare_tfrecord_lib.prepare_tfrecord` with its default
  local options (the DirectRunner, multi_processing on every core), writing
  TFRecords and metadata, timed from the call to its return (Beam start-up
  and worker start included).

Prints audio seconds per wall second for both and their ratio (goal >= 1.7x
on 2 cores), and the load average, since other jobs on the machine skew it.

Usage:
  .venv/bin/python benchmarks/prepare_throughput.py \
    [--instruments=violin,flute] [--minutes=10] [--f0_estimator=pyin]
"""

import os
import resource
import shutil
import tempfile
import time

from absl import app
from absl import flags
from absl import logging
from ddsp import spectral_ops
import numpy as np

from ddsp_generative import audio_io
from ddsp_generative import f0 as f0_lib
from ddsp_generative.data_preparation import prepare_tfrecord_lib
import rendered_data

flags.DEFINE_list('instruments', ['violin', 'flute'], 'Rendered instruments.')
flags.DEFINE_float('minutes', 10.0, 'Minutes of audio per instrument.')
flags.DEFINE_integer('seed', 0, 'Render seed.')
flags.DEFINE_string('f0_estimator', 'pyin', 'Estimator.')
flags.DEFINE_string('data_dir', rendered_data.DEFAULT_DIR, 'Rendered audio.')
FLAGS = flags.FLAGS

SAMPLE_RATE, FRAME_RATE = 16000, 250
GOAL = 1.7


def bare_loop(paths, estimator):
  """Features of every file in this process; returns audio seconds."""
  hop = SAMPLE_RATE // FRAME_RATE
  audio_secs = 0.0
  for path in paths:
    audio, _ = audio_io.load_audio(path, SAMPLE_RATE)
    n_frames = f0_lib.num_frames(len(audio), hop, center=False)
    f0_lib.estimate_f0(audio, SAMPLE_RATE, FRAME_RATE, n_frames, estimator)
    with np.errstate(divide='ignore'):
      spectral_ops.compute_loudness(audio, SAMPLE_RATE, FRAME_RATE,
                                    n_fft=512, use_tf=False,
                                    padding='center')
    audio_secs += len(audio) / SAMPLE_RATE
  return audio_secs


def cpu_secs():
  """User + system CPU seconds of this process and its waited-for children."""
  total = 0.0
  for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
    usage = resource.getrusage(who)
    total += usage.ru_utime + usage.ru_stime
  return total


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  paths = []
  for instrument in FLAGS.instruments:
    paths += rendered_data.rendered(instrument, FLAGS.minutes, FLAGS.seed,
                                    FLAGS.data_dir)
  # Compile librosa's numba functions before timing anything.
  f0_lib.estimate_f0(np.zeros(8000, np.float32), SAMPLE_RATE, FRAME_RATE, 125,
                     FLAGS.f0_estimator)
  load_before = os.getloadavg()

  start, cpu_start = time.time(), cpu_secs()
  audio_secs = bare_loop(paths, FLAGS.f0_estimator)
  loop_secs, loop_cpu = time.time() - start, cpu_secs() - cpu_start

  out_dir = tempfile.mkdtemp(prefix='prepare_throughput_')
  options = prepare_tfrecord_lib.default_pipeline_options()
  try:
    start, cpu_start = time.time(), cpu_secs()
    metadata = prepare_tfrecord_lib.prepare_tfrecord(
        paths, os.path.join(out_dir, 'train.tfrecord'),
        f0_estimator=FLAGS.f0_estimator)
    pipeline_secs = time.time() - start
    pipeline_cpu = cpu_secs() - cpu_start  # Workers are child processes.
  finally:
    shutil.rmtree(out_dir, ignore_errors=True)
  load_after = os.getloadavg()
  used = metadata['provenance']['pipeline_options']

  loop_rate, pipe_rate = audio_secs / loop_secs, audio_secs / pipeline_secs
  print(f'\n{len(paths)} files, {audio_secs / 60:.1f} min of audio '
        f"({', '.join(FLAGS.instruments)}), f0_estimator="
        f'{FLAGS.f0_estimator}, {os.cpu_count()} cores')
  print(f'pipeline options: {" ".join(used)}'
        + ('' if used == options else f' (fell back from {options})'))
  print(f"pipeline wrote {metadata['n_examples']} examples; counters "
        f"{metadata['counters']}")
  print('| run | wall time | audio s / wall s | CPU time (all processes) |')
  print('| --- | --- | --- | --- |')
  print(f'| bare loop, one process | {loop_secs:.0f} s | {loop_rate:.2f} | '
        f'{loop_cpu:.0f} s |')
  print(f'| Beam pipeline, default local options | {pipeline_secs:.0f} s | '
        f'{pipe_rate:.2f} | {pipeline_cpu:.0f} s |')
  ratio = pipe_rate / loop_rate
  print(f"\nratio pipeline / loop: {ratio:.2f}x (goal >= {GOAL}x: "
        f"{'met' if ratio >= GOAL else 'NOT met'})")
  print(f'load average (1, 5, 15 min) before: '
        f"{', '.join(f'{x:.2f}' for x in load_before)}; after: "
        f"{', '.join(f'{x:.2f}' for x in load_after)}")


if __name__ == '__main__':
  app.run(main)
