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

The two alternate `--repeats` times (loop, pipeline, loop, pipeline, ...):
other jobs on a shared machine slow down whichever runs beside them, and the
fastest run of each is the one least disturbed. Prints every run with the
load average and the CPU time of all its processes, then audio seconds per
wall second of the fastest runs and their ratio (goal >= 1.7x on 2 cores).

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

from ddsp_generative.core import audio_io
from ddsp_generative.core import f0 as f0_lib
from ddsp_generative.data_preparation import beam_runner
from ddsp_generative.data_preparation import prepare_tfrecord_lib
import rendered_data

flags.DEFINE_list('instruments', ['violin', 'flute'], 'Rendered instruments.')
flags.DEFINE_float('minutes', 10.0, 'Minutes of audio per instrument.')
flags.DEFINE_integer('seed', 0, 'Render seed.')
flags.DEFINE_string('f0_estimator', 'pyin', 'Estimator.')
flags.DEFINE_string('data_dir', rendered_data.DEFAULT_DIR, 'Rendered audio.')
flags.DEFINE_integer('repeats', 2, 'Runs of each, alternating.')
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
  runs = []
  for _ in range(FLAGS.repeats):
    load = os.getloadavg()[0]
    start, cpu_start = time.time(), cpu_secs()
    audio_secs = bare_loop(paths, FLAGS.f0_estimator)
    runs.append(('bare loop, one process', time.time() - start,
                 cpu_secs() - cpu_start, load))

    out_dir = tempfile.mkdtemp(prefix='prepare_throughput_')
    try:
      load = os.getloadavg()[0]
      start, cpu_start = time.time(), cpu_secs()
      metadata = prepare_tfrecord_lib.prepare_tfrecord(
          paths, os.path.join(out_dir, 'train.tfrecord'),
          f0_estimator=FLAGS.f0_estimator)
      # The workers are child processes: their CPU time is counted.
      runs.append(('Beam pipeline, default local options',
                   time.time() - start, cpu_secs() - cpu_start, load))
    finally:
      shutil.rmtree(out_dir, ignore_errors=True)

  options = beam_runner.default_options()
  used = metadata['provenance']['pipeline_options']
  print(f'\n{len(paths)} files, {audio_secs / 60:.1f} min of audio '
        f"({', '.join(FLAGS.instruments)}), f0_estimator="
        f'{FLAGS.f0_estimator}, {os.cpu_count()} cores')
  print(f'pipeline options: {" ".join(used)}'
        + ('' if used == options else f' (fell back from {options})'))
  print(f"pipeline wrote {metadata['n_examples']} examples; counters "
        f"{metadata['counters']}")
  print('| run | load avg (1 min) before | wall time | audio s / wall s | '
        'CPU time, all processes |')
  print('| --- | --- | --- | --- | --- |')
  for name, wall, cpu, load in runs:
    print(f'| {name} | {load:.2f} | {wall:.0f} s | {audio_secs / wall:.2f} | '
          f'{cpu:.0f} s |')
  best = {}
  for name, wall, cpu, _ in runs:
    if name not in best or wall < best[name][0]:
      best[name] = (wall, cpu)
  (loop_wall, loop_cpu), (pipe_wall, pipe_cpu) = best.values()
  ratio = loop_wall / pipe_wall
  print(f'\nfastest runs: loop {audio_secs / loop_wall:.2f}, pipeline '
        f'{audio_secs / pipe_wall:.2f} audio s / wall s; ratio pipeline / '
        f"loop: {ratio:.2f}x (goal >= {GOAL}x: "
        f"{'met' if ratio >= GOAL else 'NOT met'})")
  print(f'CPU time pipeline / loop: {pipe_cpu / loop_cpu:.2f}x (the '
        "pipeline's overhead: worker start-up, Beam, writing TFRecords)")


if __name__ == '__main__':
  app.run(main)
