# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Sampler speed vs the bare ddsp decode, and vs real time.

For each clip duration, in one process and interleaved (rounds of one run
each), times:

  (a) bare ddsp: the same controls and z through `TrainedModel.decode`,
      i.e. the model's preprocessor, decoder and ddsp `ProcessorGroup` in one
      pass (what ddsp's own `model.decode` costs; z is drawn beforehand and
      not timed);
  (b) the same one-pass decode inside a `tf.function` (traced beforehand
      for the clip's length: the fastest a bare ddsp decode gets);
  (c) the sampler, as `python -m ddsp_generative.sample` runs it minus the
      PNG: z from the prior + chunked decoding (`streaming`) + writing the
      16-bit WAV chunk by chunk;

and prints the median seconds of each (and of the prior's sampling alone), the sampler's ratios to both (goal
<= 1.1x) and the
sampler's speed in multiples of real time (goal >= 20x at 16 kHz), plus the
peak resident memory each path adds while it runs (sampled every 5 ms, in a
fresh process per path and duration).

  python benchmarks/sample_speed.py                 # the embedded default
  python benchmarks/sample_speed.py --model_dir=models/violin --durations=4,16
"""

import json
import os
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
                    'one path\'s peak memory in this fresh process.')

FLAGS = flags.FLAGS


def controls_for(secs, frame_rate):
  from ddsp_generative import controls  # pylint: disable=g-import-not-at-top
  n_notes = max(1, int(round(secs / 0.5)))
  pitches = [(62, 66, 69, 74, 69, 66)[i % 6] for i in range(n_notes)]
  return controls.Melody(pitches=pitches, durations=secs / n_notes,
                         peak_db=-30.0, vibrato_hz=5.0,
                         vibrato_cents=10.0).generate(frame_rate)


def load():
  from ddsp_generative.sampling import default_model  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative import priors  # pylint: disable=g-import-not-at-top
  model_dir = FLAGS.model_dir or default_model.model_dir()
  trained = model_io.load_model(model_dir)
  prior = priors.load_prior(FLAGS.prior or
                            os.path.join(model_dir, 'prior.json'))
  return trained, prior


def bare_decode(trained, f0, loudness, z):
  return trained.decode(f0[None], loudness[None],
                        None if z is None else z[None], seed=0)[0]


def compiled_decoder(trained):
  """One-pass decode in a tf.function (traced once per clip length)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  model = trained.model

  @tf.function
  def decode(features):
    return model.decode(dict(features), training=False)

  def run(f0, loudness, z):
    trained._set_lengths(len(f0))  # pylint: disable=protected-access
    features = {'f0_hz': f0[None], 'loudness_db': loudness[None]}
    features.update(model.preprocessor(features, training=False))
    if z is not None:
      features['z'] = tf.convert_to_tensor(z[None])
    return decode(features).numpy()[0]
  return run


def sampler(trained, prior, f0, loudness, path):
  from ddsp_generative.core import audio_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import sampler as sampling  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import streaming  # pylint: disable=g-import-not-at-top
  z = sampling.sample_z(trained, prior, f0, loudness, seed=0)
  with audio_io.wav_writer(path, trained.sample_rate) as write:
    for chunk in streaming.iter_audio(trained, f0, loudness, z, seed=0):
      write(chunk)


def peak_rss_growth(fn):
  """Runs fn(); returns (its result, peak RSS above the start, in MiB).

  The resident memory of this process is sampled every 5 ms on a thread
  while fn runs, so transient tensors freed before it returns count.
  """
  import threading  # pylint: disable=g-import-not-at-top
  import psutil  # pylint: disable=g-import-not-at-top
  process = psutil.Process()
  start = process.memory_info().rss
  peak = [start]
  done = threading.Event()

  def watch():
    while not done.is_set():
      peak[0] = max(peak[0], process.memory_info().rss)
      done.wait(0.005)

  thread = threading.Thread(target=watch)
  thread.start()
  try:
    result = fn()
  finally:
    done.set()
    thread.join()
  peak[0] = max(peak[0], process.memory_info().rss)
  return result, (peak[0] - start) / 2**20


def memory_probe(spec):
  """In this fresh process: one path's peak memory growth, as JSON."""
  path_name, secs = spec.split(':')
  trained, prior = load()
  from ddsp_generative.sampling import sampler as sampling  # pylint: disable=g-import-not-at-top
  f0, loudness = controls_for(float(secs), trained.frame_rate)
  z = sampling.sample_z(trained, prior, f0, loudness, seed=0)
  with tempfile.TemporaryDirectory() as tmp:
    # Warm both paths on 1 s, so that TF's kernels and caches are loaded.
    warm = controls_for(1.0, trained.frame_rate)
    warm_z = sampling.sample_z(trained, prior, *warm, seed=0)
    bare_decode(trained, warm[0], warm[1], warm_z)
    sampler(trained, prior, warm[0], warm[1], os.path.join(tmp, 'w.wav'))
    if path_name == 'bare':
      _, added = peak_rss_growth(lambda: bare_decode(trained, f0, loudness, z))
    else:
      _, added = peak_rss_growth(lambda: sampler(
          trained, prior, f0, loudness, os.path.join(tmp, 's.wav')))
  print(json.dumps({'added_mib': added}))


def measure_memory(path_name, secs):
  """Peak memory growth of one path, in a fresh process (TF's allocator
  keeps what earlier calls freed, which would hide later peaks)."""
  command = [sys.executable, os.path.abspath(__file__),
             f'--memory_probe={path_name}:{secs}']
  if FLAGS.model_dir:
    command.append(f'--model_dir={FLAGS.model_dir}')
  if FLAGS.prior:
    command.append(f'--prior={FLAGS.prior}')
  out = subprocess.run(command, capture_output=True, text=True, check=True)
  return json.loads(out.stdout.strip().splitlines()[-1])['added_mib']


def main(unused_argv):
  if FLAGS.memory_probe:
    memory_probe(FLAGS.memory_probe)
    return
  from ddsp_generative.sampling import sampler as sampling  # pylint: disable=g-import-not-at-top
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
      times = {'bare': [], 'compiled': [], 'sampler': [], 'prior': []}
      compiled = compiled_decoder(trained)
      compiled(f0, loudness, z)  # Traces for this length.
      for _ in range(FLAGS.rounds):
        start = time.perf_counter()
        bare_decode(trained, f0, loudness, z)
        times['bare'].append(time.perf_counter() - start)
        start = time.perf_counter()
        compiled(f0, loudness, z)
        times['compiled'].append(time.perf_counter() - start)
        start = time.perf_counter()
        sampler(trained, prior, f0, loudness, os.path.join(tmp, 's.wav'))
        times['sampler'].append(time.perf_counter() - start)
        start = time.perf_counter()
        sampling.sample_z(trained, prior, f0, loudness, seed=1)
        times['prior'].append(time.perf_counter() - start)
      bare, compiled_s, ours, prior_s = (
          statistics.median(times[k])
          for k in ('bare', 'compiled', 'sampler', 'prior'))
      row = {'secs': secs, 'bare_s': bare, 'compiled_s': compiled_s,
             'prior_s': prior_s, 'prior_share': prior_s / ours,
             'sampler_s': ours, 'ratio': ours / bare,
             'ratio_compiled': ours / compiled_s,
             'sampler_x_real_time': secs / ours,
             'bare_x_real_time': secs / bare,
             'bare_added_mib': measure_memory('bare', secs),
             'sampler_added_mib': measure_memory('sampler', secs)}
      rows.append(row)
      print(row, flush=True)
  print(f'\nmodel {trained.model_dir} (step {trained.step}), '
        f'{trained.sample_rate} Hz, {os.cpu_count()} cores, median of '
        f'{FLAGS.rounds} interleaved runs, load average '
        f'{os.getloadavg()[0]:.2f}')
  print('| clip | bare ddsp decode (eager) | bare decode in tf.function | '
        'sampler (prior + chunked decode + WAV) | sampler / bare eager | '
        'sampler / bare tf.function | sampler x real time | peak memory '
        'added: bare eager | sampler | prior sampling / sampler |')
  print('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for r in rows:
    print(f"| {r['secs']:g} s | {r['bare_s']:.3f} s | {r['compiled_s']:.3f} s "
          f"| {r['sampler_s']:.3f} s | {r['ratio']:.2f}x | "
          f"{r['ratio_compiled']:.2f}x | {r['sampler_x_real_time']:.1f}x | "
          f"{r['bare_added_mib']:.0f} MiB | {r['sampler_added_mib']:.0f} MiB | "
          f"{100 * r['prior_share']:.1f}% |")
  if FLAGS.output:
    with open(FLAGS.output, 'w') as f:
      json.dump(rows, f, indent=2)


if __name__ == '__main__':
  app.run(main)
