# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Training steps per second of each config vs ddsp's stock config.

Builds every config in this process (as `tests/test_gin_configs.py` does,
with ddsp's Trainer and the config's own data provider), on the same
TFRecords of 4 s examples, traces and warms each up, then times training
steps in interleaved rounds (one chunk of steps per config per round), so
that a machine shared with other work slows every config alike. Prints
seconds per step, steps/s and the ratio to ddsp's stock
`papers/iclr2020/solo_instrument.gin`, and writes them as JSON.

  python benchmarks/train_speed.py                    # every config
  python benchmarks/train_speed.py --configs=stock,stock_fast_synth,cpu/harmonic_noise_z
  python benchmarks/train_speed.py --tfrecord_pattern='data/violin/train.tfrecord*'

Without --tfrecord_pattern a small synthetic dataset (4 s examples) is made
once in --work_dir.
"""

import contextlib
import gc
import io
import os
import platform
import statistics
import time

from absl import app
from absl import flags
from absl import logging

flags.DEFINE_string('tfrecord_pattern', None,
                    'TFRecords of 4 s examples at 16 kHz / 250 Hz; default a '
                    'synthetic dataset made in --work_dir.')
flags.DEFINE_string('work_dir', '/tmp/ddsp_generative_train_speed',
                    'Where the synthetic dataset is made.')
flags.DEFINE_list('configs', None, 'Configs to time (see CONFIGS); default '
                  'all.')
flags.DEFINE_integer('batch_size', 8, 'Examples per step.')
flags.DEFINE_integer('warmup_steps', 2, 'Untimed steps after tracing.')
flags.DEFINE_integer('rounds', 3, 'Interleaved timing rounds.')
flags.DEFINE_integer('steps_per_round', 2, 'Timed steps per config per '
                     'round.')
flags.DEFINE_string('output', None, 'JSON results path (default '
                    '<work_dir>/train_speed.json).')

FLAGS = flags.FLAGS

EXPERIMENTS = ('harmonic', 'harmonic_noise', 'harmonic_noise_z',
               'harmonic_noise_reverb_z', 'harmonic_noise_vae_z')
# ddsp's stock config with FastHarmonic in place of ddsp's Harmonic.
_FAST_SYNTH_PARAMS = (
    'ProcessorGroup.dag = ['
    "(@synths.FastHarmonic(), ['amps', 'harmonic_distribution', 'f0_hz']), "
    "(@synths.FilteredNoise(), ['noise_magnitudes']), "
    "(@processors.Add(), ['filtered_noise/signal', 'harmonic/signal']), "
    "(@effects.Reverb(), ['add/signal'])]",
    "FastHarmonic.name = 'harmonic'",
    'FastHarmonic.n_samples = 64000',
    'FastHarmonic.sample_rate = 16000',
    'FastHarmonic.normalize_below_nyquist = True',
    'FastHarmonic.scale_fn = @core.exp_sigmoid',
)


def _configs():
  """name -> (gin files, extra bindings)."""
  configs = {
      'stock': (['papers/iclr2020/solo_instrument.gin'], []),
      'stock_fast_synth': (['papers/iclr2020/solo_instrument.gin'],
                           list(_FAST_SYNTH_PARAMS)),
  }
  for name in EXPERIMENTS:
    configs[name] = ([f'gin/{name}.gin'], [])
  for name in EXPERIMENTS:
    configs[f'cpu/{name}'] = ([f'gin/{name}.gin', 'gin/sizes/cpu.gin'], [])
  return configs


def make_dataset(work_dir):
  """Synthetic melodies -> TFRecords of 4 s examples; returns the pattern."""
  from ddsp_generative.recipes import synthetic  # pylint: disable=g-import-not-at-top
  from ddsp_generative.data_preparation import prepare_tfrecord_lib  # pylint: disable=g-import-not-at-top
  output = os.path.join(work_dir, 'train.tfrecord')
  if not prepare_tfrecord_lib.existing_outputs(output):
    paths = synthetic.write_dataset(os.path.join(work_dir, 'audio'),
                                    n_files=2, secs_per_file=20.0, seed=0)
    prepare_tfrecord_lib.prepare_tfrecord(
        paths, output, num_shards=1, example_secs=4, hop_secs=1,
        f0_estimator='yin',
        pipeline_options=('--runner=DirectRunner',
                          '--direct_running_mode=in_memory'))
  return output + '*'


def build(gin_files, bindings, tfrecord_pattern, batch_size):
  """Parses a config like ddsp_run and builds its model, trainer and data."""
  import gin  # pylint: disable=g-import-not-at-top
  from ddsp.training import models  # pylint: disable=g-import-not-at-top
  from ddsp.training import train_util  # pylint: disable=g-import-not-at-top
  from ddsp.training import trainers  # pylint: disable=g-import-not-at-top
  from ddsp_generative import gin_path  # pylint: disable=g-import-not-at-top

  gin.clear_config()
  gin_path.add_gin_search_paths()
  with gin.unlock_config():
    gin.parse_config_file(os.path.join('optimization', 'base.gin'))
    gin.parse_config_file('eval/basic.gin')
    gin.parse_config_files_and_bindings(
        gin_files, list(bindings) + [
            f"TFRecordProvider.file_pattern = '{tfrecord_pattern}'",
            f'batch_size = {batch_size}'])
  provider = gin.query_parameter('train.data_provider').scoped_configurable_fn()
  strategy = train_util.get_strategy()
  with strategy.scope():
    model = models.get_model()
    trainer = trainers.Trainer(model, strategy)
  dataset = trainer.distribute_dataset(
      provider.get_batch(batch_size, shuffle=True, repeats=-1))
  dataset_iter = iter(dataset)
  with contextlib.redirect_stdout(io.StringIO()):  # model.summary().
    trainer.build(next(dataset_iter))
  n_params = int(sum(v.shape.num_elements()
                     for v in model.trainable_variables))
  return trainer, dataset_iter, n_params


def time_configs(configs, names, pattern):
  """Builds, traces, warms up and times configs in interleaved rounds.

  With the flags' batch size, warm-up steps, rounds and steps per round.

  Args:
    configs: {name: (gin files, gin bindings)}; 'stock' is always timed.
    names: Configs to time (None: all of them).
    pattern: TFRecords of 4 s examples.

  Returns:
    {name: {'trainer', 'iter', 'times' (s per step), 'n_params',
    'gin_files', 'build_secs', 'trace_secs'}}, stock first.

  Raises:
    app.UsageError: A name not in configs.
  """
  import gin  # pylint: disable=g-import-not-at-top
  names = list(names or configs)
  unknown = [n for n in names if n not in configs]
  if unknown:
    raise app.UsageError(f'Unknown configs {unknown}; choose from '
                         f'{list(configs)}.')
  if 'stock' not in names:
    names = ['stock'] + names

  runs = {}
  for name in names:
    gin_files, bindings = configs[name]
    start = time.time()
    trainer, dataset_iter, n_params = build(gin_files, bindings, pattern,
                                            FLAGS.batch_size)
    first = time.time()
    trainer.train_step(dataset_iter)  # Traces the step.
    trace_secs = time.time() - first
    for _ in range(FLAGS.warmup_steps):
      trainer.train_step(dataset_iter)
    runs[name] = {'trainer': trainer, 'iter': dataset_iter, 'times': [],
                  'n_params': n_params, 'gin_files': gin_files,
                  'build_secs': first - start, 'trace_secs': trace_secs}
    print(f'built {name}: {n_params} parameters, first step '
          f'{trace_secs:.1f} s', flush=True)
  gin.clear_config()

  for round_index in range(FLAGS.rounds):
    for name in names:
      run = runs[name]
      for _ in range(FLAGS.steps_per_round):
        tick = time.time()
        losses = run['trainer'].train_step(run['iter'])
        float(losses['total_loss'])  # Waits for the step.
        run['times'].append(time.time() - tick)
    print(f'round {round_index + 1}/{FLAGS.rounds} done', flush=True)
  return runs


def summarize(runs, secs_digits=2):
  """(results per config for the JSON, the Markdown table) of timed runs.

  Args:
    runs: From `time_configs`.
    secs_digits: Decimals of the seconds per step and steps/s columns.
  """
  stock = statistics.median(runs['stock']['times'])
  results = {}
  lines = ['| config | params | s/step (median) | steps/s | vs stock |',
           '| --- | ---: | ---: | ---: | ---: |']
  for name, run in runs.items():
    times = run['times']
    median = statistics.median(times)
    results[name] = {
        'gin_files': run['gin_files'],
        'n_params': run['n_params'],
        'secs_per_step_median': median,
        'secs_per_step_min': min(times),
        'secs_per_step_all': times,
        'steps_per_sec': 1.0 / median,
        'speedup_vs_stock': stock / median,
    }
    lines.append(f'| {name} | {run["n_params"]:,} | '
                 f'{median:.{secs_digits}f} | {1 / median:.{secs_digits}f} | '
                 f'{stock / median:.1f}x |')
  return results, '\n'.join(lines)


def main(unused_argv):
  import ddsp_generative.training  # pylint: disable=g-import-not-at-top,unused-import
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import artifacts  # pylint: disable=g-import-not-at-top

  logging.set_verbosity(logging.WARNING)
  tf.get_logger().setLevel('ERROR')  # Retracing notes: one trainer per config.
  os.makedirs(FLAGS.work_dir, exist_ok=True)
  pattern = FLAGS.tfrecord_pattern or make_dataset(FLAGS.work_dir)
  runs = time_configs(_configs(), FLAGS.configs, pattern)
  results, table = summarize(runs)
  print(table)
  del runs
  gc.collect()

  output = FLAGS.output or os.path.join(FLAGS.work_dir, 'train_speed.json')
  artifacts.write_json(output, 'train_speed_benchmark', 1, {
      'tfrecord_pattern': pattern,
      'batch_size': FLAGS.batch_size,
      'rounds': FLAGS.rounds,
      'steps_per_round': FLAGS.steps_per_round,
      'warmup_steps': FLAGS.warmup_steps,
      'machine': {'processor': platform.processor(),
                  'cpu_count': os.cpu_count(),
                  'load_average_at_end': os.getloadavg()},
      'tensorflow_threads': {
          'intra_op': tf.config.threading.get_intra_op_parallelism_threads(),
          'inter_op': tf.config.threading.get_inter_op_parallelism_threads()},
      'results': results,
  })
  print(f'Wrote {output}')


if __name__ == '__main__':
  app.run(main)
