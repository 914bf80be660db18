# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Sampler speed vs the bare ddsp decode, and vs real time.

For each clip duration, in one process and interleaved (rounds of one run
each), times:

  (a) bare ddsp: the same controls and z through `TrainedModel.decode`,
      i.e. the model's preprocessor, decoder and ddsp `ProcessorGroup` in one
      pass (what ddsp's own `model.decode` costs; z is drawn beforehand and
      not timed);
  (b) the sampler, as `python -m ddsp_generative.sample` runs it minus the
      PNG: z from the prior + chunked decoding (`streaming`) + writing the
      16-bit WAV chunk by chunk;

and prints the median seconds of each, their ratio (goal <= 1.1x) and the
sampler's speed in multiples of real time (goal >= 20x at 16 kHz), plus the
peak memory each path adds over the process's baseline (ru_maxrss cannot go
down, so each duration's one-pass decode runs in a fresh subprocess).

  python benchmarks/sample_speed.py                 # the embedded default
  python benchmarks/sample_speed.py --model_dir=models/violin --durations=4,16
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags

flags.DEFINE_string('model_dir', None, 'Model; default the embedded one.')
flags.DEFINE_string('prior', None, 'Prior; default <model_dir>/prior.json.')
flags.DEFINE_list('durations', ['4', '16', '60'], 'Clip seconds.')
flags.DEFINE_integer('rounds', 3, 'Timed runs of each path per duration.')
flags.DEFINE_string('output', None, 'JSON results path.')
flags.DEFINE_string('memory_probe', None, 'Internal: "<path>:<secs>" measures '
                    'the peak memory of one path in this process.')

FLAGS = flags.FLAGS


def controls_for(secs, frame_rate):
  from ddsp_generative import controls  # pylint: disable=g-import-not-at-top
  n_notes = max(1, int(round(secs / 0.5)))
  pitches = [(62, 66, 69, 74, 69, 66)[i % 6] for i in range(n_notes)]
  return controls.Melody(pitches=pitches, durations=secs / n_notes,
                         peak_db=-30.0, vibrato_hz=5.0,
                         vibrato_cents=10.0).generate(frame_rate)


def load():
  from ddsp_generative import default_model  # pylint: disable=g-import-not-at-top
  from ddsp_generative import model_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative import priors  # pylint: disable=g-import-not-at-top
  model_dir = FLAGS.model_dir or default_model.model_dir()
  trained = model_io.load_model(model_dir)
  prior = priors.load_prior(FLAGS.prior or
                            os.path.join(model_dir, 'prior.json'))
  return trained, prior


def bare_decode(trained, f0, loudness, z):
  return trained.decode(f0[None], loudness[None],
                        None if z is None else z[None], seed=0)[0]


def sampler(trained, prior, f0, loudness, path):
  from ddsp_generative import audio_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative import sampling  # pylint: disable=g-import-not-at-top
  z = sampling.sample_z(trained, prior, f0, loudness, seed=0)
  with audio_io.wav_writer(path, trained.sample_rate) as write:
    for chunk in sampling._audio_chunks(trained, f0, loudness, z, 0, None):  # pylint: disable=protected-access
      write(chunk)


def memory_probe(spec):
  """Runs one path once in this fresh process; prints its peak RSS growth."""
  path_name, secs = spec.split(':')
  trained, prior = load()
  from ddsp_generative import sampling  # pylint: disable=g-import-not-at-top
  f0, loudness = controls_for(float(secs), trained.frame_rate)
  z = sampling.sample_z(trained, prior, f0, loudness, seed=0)
  warm = controls_for(1.0, trained.frame_rate)
  # Warm both paths on a short clip so that the baseline includes TF's
  # kernels and caches.
  bare_decode(trained, warm[0], warm[1],
              sampling.sample_z(trained, prior, *warm, seed=0))
  with tempfile.TemporaryDirectory() as tmp:
    sampler(trained, prior, warm[0], warm[1], os.path.join(tmp, 'w.wav'))
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if path_name == 'bare':
      bare_decode(trained, f0, loudness, z)
    else:
      sampler(trained, prior, f0, loudness, os.path.join(tmp, 's.wav'))
  peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
  print(json.dumps({'added_mib': (peak - base) / 1024}))


def measure_memory(path_name, secs):
  command = [sys.executable, __file__, f'--memory_probe={path_name}:{secs}']
  if FLAGS.model_dir:
    command.append(f'--model_dir={FLAGS.model_dir}')
  if FLAGS.prior:
    command.append(f'--prior={FLAGS.prior}')
  out = subprocess.run(command, capture_output=True, text=True, check=True,
                       env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'))
  return json.loads(out.stdout.strip().splitlines()[-1])['added_mib']


def main(unused_argv):
  if FLAGS.memory_probe:
    memory_probe(FLAGS.memory_probe)
    return
  from ddsp_generative import sampling  # pylint: disable=g-import-not-at-top
  trained, prior = load()
  rows = []
  with tempfile.TemporaryDirectory() as tmp:
    warm = controls_for(1.0, trained.frame_rate)
    bare_decode(trained, warm[0], warm[1],
                sampling.sample_z(trained, prior, *warm, seed=0))
    sampler(trained, prior, warm[0], warm[1], os.path.join(tmp, 'w.wav'))
    for secs in [float(d) for d in FLAGS.durations]:
      f0, loudness = controls_for(secs, trained.frame_rate)
      z = sampling.sample_z(trained, prior, f0, loudness, seed=0)
      times = {'bare': [], 'sampler': []}
      for _ in range(FLAGS.rounds):
        start = time.perf_counter()
        bare_decode(trained, f0, loudness, z)
        times['bare'].append(time.perf_counter() - start)
        start = time.perf_counter()
        sampler(trained, prior, f0, loudness, os.path.join(tmp, 's.wav'))
        times['sampler'].append(time.perf_counter() - start)
      bare, ours = (statistics.median(times[k]) for k in ('bare', 'sampler'))
      row = {'secs': secs, 'bare_s': bare, 'sampler_s': ours,
             'ratio': ours / bare, 'sampler_x_real_time': secs / ours,
             'bare_x_real_time': secs / bare,
             'bare_added_mib': measure_memory('bare', secs),
             'sampler_added_mib': measure_memory('sampler', secs)}
      rows.append(row)
      print(row, flush=True)
  print(f'\nmodel {trained.model_dir} (step {trained.step}), '
        f'{trained.sample_rate} Hz, {os.cpu_count()} cores, median of '
        f'{FLAGS.rounds} interleaved runs, load average '
        f'{os.getloadavg()[0]:.2f}')
  print('| clip | bare ddsp decode | sampler (prior + chunked decode + WAV) '
        '| sampler / bare | sampler x real time | peak memory added: bare '
        '| sampler |')
  print('| --- | --- | --- | --- | --- | --- | --- |')
  for r in rows:
    print(f"| {r['secs']:g} s | {r['bare_s']:.3f} s | {r['sampler_s']:.3f} s "
          f"| {r['ratio']:.2f}x | {r['sampler_x_real_time']:.1f}x | "
          f"{r['bare_added_mib']:.0f} MiB | {r['sampler_added_mib']:.0f} MiB |")
  if FLAGS.output:
    with open(FLAGS.output, 'w') as f:
      json.dump(rows, f, indent=2)


if __name__ == '__main__':
  app.run(main)
