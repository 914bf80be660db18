# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""FastHarmonic vs ddsp's Harmonic: time and agreement, side by side.

For batches of random controls (f0 uniform in 100-1000 Hz, random network
outputs) this times forward and forward + backward passes (gradients with
respect to the amplitude and harmonic-distribution inputs, as in training)
of `ddsp.synths.Harmonic` and `ddsp_generative.core.synths.FastHarmonic`, each
compiled with tf.function, alternating the two, and prints the ratios. It
also prints how far each is from ddsp's algorithm evaluated with float64
phase accumulation (max |difference| / peak), for 1 s and 4 s.

  python benchmarks/synth_speed.py
  python benchmarks/synth_speed.py --harmonics=60,100 --repeats=5
"""

import statistics
import time

from absl import app
from absl import flags

flags.DEFINE_list('harmonics', ['60', '100'], 'Numbers of harmonics.')
flags.DEFINE_integer('batch_size', 8, 'Examples per batch.')
flags.DEFINE_float('secs', 4.0, 'Seconds per example (16 kHz, 250 Hz).')
flags.DEFINE_integer('repeats', 5, 'Timed calls per synth and pass.')

FLAGS = flags.FLAGS


def controls(batch, n_frames, n_harmonics, seed=0):
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(seed)
  return (tf.constant(rng.normal(size=[batch, n_frames, 1]), tf.float32),
          tf.constant(rng.normal(size=[batch, n_frames, n_harmonics]),
                      tf.float32),
          tf.constant(rng.uniform(100, 1000, size=[batch, n_frames, 1]),
                      tf.float32))


def float64_phase_reference(synth, amps, harmonics, f0):
  """ddsp's algorithm (its own envelopes), phase accumulated in float64."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ddsp import core  # pylint: disable=g-import-not-at-top
  c = synth.get_controls(amps, harmonics, f0)
  n_harmonics = int(c['harmonic_distribution'].shape[-1])
  freqs = core.resample(core.get_harmonic_frequencies(c['f0_hz'], n_harmonics),
                        synth.n_samples).numpy().astype(np.float64)
  env = core.resample(c['amplitudes'] * c['harmonic_distribution'],
                      synth.n_samples, method='window').numpy()
  env = np.where(freqs >= synth.sample_rate / 2.0, 0.0, env)
  phase = np.cumsum(2 * np.pi * freqs / synth.sample_rate, axis=1)
  return np.sum(env * np.sin(phase), axis=-1)


def main(unused_argv):
  import ddsp  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import synths  # pylint: disable=g-import-not-at-top

  n_frames = int(FLAGS.secs * 250)
  n_samples = int(FLAGS.secs * 16000)
  print(f'batch {FLAGS.batch_size} x {FLAGS.secs:g} s at 16 kHz, '
        f'{tf.config.threading.get_intra_op_parallelism_threads()} intra-op '
        'threads (0 = all cores)')
  print('| harmonics | pass | ddsp Harmonic (s) | FastHarmonic (s) | ratio |')
  print('| ---: | --- | ---: | ---: | ---: |')
  for n_harmonics in [int(h) for h in FLAGS.harmonics]:
    amps, harmonics, f0 = controls(FLAGS.batch_size, n_frames, n_harmonics)
    fns = {}
    for name, cls in (('ddsp', ddsp.synths.Harmonic),
                      ('fast', synths.FastHarmonic)):
      synth = cls(n_samples=n_samples, sample_rate=16000)

      def forward(a, h, synth=synth):
        return synth(a, h, f0)

      def forward_backward(a, h, synth=synth):
        with tf.GradientTape() as tape:
          tape.watch([a, h])
          loss = tf.reduce_sum(tf.square(synth(a, h, f0)))
        return tape.gradient(loss, [a, h])

      fns[name] = {'forward': tf.function(forward),
                   'forward+backward': tf.function(forward_backward)}
    for pass_name in ('forward', 'forward+backward'):
      times = {'ddsp': [], 'fast': []}
      for name in times:
        fns[name][pass_name](amps, harmonics)  # Trace and warm up.
      for _ in range(FLAGS.repeats):
        for name in times:  # Alternate, so shared-machine load hits both.
          tick = time.time()
          out = fns[name][pass_name](amps, harmonics)
          _ = [np.asarray(o) for o in tf.nest.flatten(out)]
          times[name].append(time.time() - tick)
      ours = statistics.median(times['ddsp'])
      fast = statistics.median(times['fast'])
      print(f'| {n_harmonics} | {pass_name} | {ours:.3f} | {fast:.3f} | '
            f'{ours / fast:.1f}x |', flush=True)

  print('\nmax |synth - float64-phase reference| / peak (60 harmonics, '
        'batch 2):')
  print('| example | ddsp Harmonic | ddsp, use_angular_cumsum | '
        'FastHarmonic |')
  print('| --- | ---: | ---: | ---: |')
  for secs in (1.0, 4.0):
    amps, harmonics, f0 = controls(2, int(secs * 250), 60, seed=1)
    n = int(secs * 16000)
    ours = ddsp.synths.Harmonic(n_samples=n)
    reference = float64_phase_reference(ours, amps, harmonics, f0)
    peak = np.abs(reference).max()
    row = []
    for synth in (ours, ddsp.synths.Harmonic(n_samples=n,
                                             use_angular_cumsum=True),
                  synths.FastHarmonic(n_samples=n)):
      out = synth(amps, harmonics, f0).numpy()
      row.append(f'{np.abs(out - reference).max() / peak:.1e}')
    print(f'| {secs:g} s | ' + ' | '.join(row) + ' |')


if __name__ == '__main__':
  app.run(main)
