# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""GPU training step time: gin/sizes/gpu.gin against ddsp's stock config.

Times training steps of ddsp's stock `papers/iclr2020/solo_instrument.gin`
and of this package's experiments at the paper's sizes
(`gin/sizes/gpu.gin`), built and stepped as `benchmarks/train_speed.py`
does (same dataset, ddsp's Trainer under `train_util.get_strategy()`, the
MirroredStrategy ddsp_run uses: every visible GPU), interleaved rounds,
batch 32 as in the paper. Prints s/step, steps/s and the ratio to stock,
and writes them as JSON.

  python benchmarks/gpu_step_time.py
  CUDA_VISIBLE_DEVICES=0 python benchmarks/gpu_step_time.py --rounds=5

Where TensorFlow sees no GPU it prints one line saying so and exits 0
(nothing is timed: CPU figures are `benchmarks/train_speed.py`'s).
"""

import os
import sys

from absl import app
from absl import flags
from absl import logging

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_speed  # pylint: disable=g-import-not-at-top,wrong-import-position

FLAGS = flags.FLAGS
# train_speed's flags, with this benchmark's defaults.
FLAGS.set_default('batch_size', 32)
FLAGS.set_default('warmup_steps', 5)
FLAGS.set_default('rounds', 5)
FLAGS.set_default('steps_per_round', 10)
FLAGS.set_default('work_dir', '/tmp/ddsp_generative_gpu_step_time')

CONFIGS = {
    'stock': (['papers/iclr2020/solo_instrument.gin'], []),
    'stock_fast_synth': (['papers/iclr2020/solo_instrument.gin'],
                         list(train_speed._FAST_SYNTH_PARAMS)),  # pylint: disable=protected-access
    'gpu/harmonic_noise_z': (['gin/harmonic_noise_z.gin',
                              'gin/sizes/gpu.gin'], []),
    'gpu/harmonic_noise_reverb_z': (['gin/harmonic_noise_reverb_z.gin',
                                     'gin/sizes/gpu.gin'], []),
}


def main(unused_argv):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  gpus = tf.config.list_physical_devices('GPU')
  if not gpus:
    print('gpu_step_time: skipped, TensorFlow sees no GPU on this machine '
          '(nothing timed; CPU step times: benchmarks/train_speed.py).')
    return
  for gpu in gpus:
    tf.config.experimental.set_memory_growth(gpu, True)  # As ddsp_run's flag.
  import ddsp_generative.training  # pylint: disable=g-import-not-at-top,unused-import
  from ddsp_generative.core import artifacts  # pylint: disable=g-import-not-at-top

  logging.set_verbosity(logging.WARNING)
  tf.get_logger().setLevel('ERROR')
  os.makedirs(FLAGS.work_dir, exist_ok=True)
  pattern = FLAGS.tfrecord_pattern or train_speed.make_dataset(FLAGS.work_dir)
  runs = train_speed.time_configs(CONFIGS, FLAGS.configs, pattern)
  results, table = train_speed.summarize(runs, secs_digits=3)
  print(table)
  output = FLAGS.output or os.path.join(FLAGS.work_dir, 'gpu_step_time.json')
  artifacts.write_json(output, 'gpu_step_time_benchmark', 1, {
      'gpus': [gpu.name for gpu in gpus], 'batch_size': FLAGS.batch_size,
      'results': results})
  print(f'Wrote {output}')


if __name__ == '__main__':
  app.run(main)
