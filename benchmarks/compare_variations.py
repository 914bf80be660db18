# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Train the five DDSP variations on one dataset, same budget, and evaluate.

Recipe (what benchmarks/RESULTS.md reports):

  # 1. A violin dataset (FluidSynth + FluidR3 GM) and TFRecords of 1 s
  #    examples with an eval split.
  ddsp_generative_render_dataset --instrument=violin --minutes=15 \
    --output_dir=/tmp/work/violin/audio
  ddsp_generative_prepare_tfrecord \
    --input_audio_filepatterns='/tmp/work/violin/audio/*.wav' \
    --output_tfrecord_path=/tmp/work/violin/data/violin.tfrecord \
    --example_secs=1 --hop_secs=0.5 --eval_split_fraction=0.1 --num_shards=4

  # 2. Train each variation with ddsp_run (unchanged) + gin/sizes/small.gin
  #    for the same CPU time, then ddsp_generative_evaluate_reconstruction on
  #    the eval split; print the table.
  python benchmarks/compare_variations.py \
    --tfrecord_prefix=/tmp/work/violin/data/violin.tfrecord \
    --work_dir=/tmp/work/ae_compare --size=gin/sizes/small.gin \
    --cpu_budget_secs=400 --steps_per_save=100

(`--size=gin/sizes/cpu.gin` with 4 s examples is the same comparison at the
CPU size; it needs about 10x the budget for as many steps.)

The budget is process CPU time (all threads of ddsp_run, read from /proc), so
that variations trained one after the other get the same compute even when
other work shares the machine; ddsp_run is stopped when its budget is spent
and the last checkpoint (saved every --steps_per_save steps) is evaluated.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

from absl import app
from absl import flags

flags.DEFINE_string('tfrecord_prefix', None, 'Prefix given to '
                    'ddsp_generative_prepare_tfrecord with an eval split: '
                    'trains on <prefix>-train*, evaluates on <prefix>-eval*.')
flags.DEFINE_string('work_dir', '/tmp/ae_compare', 'Models, logs, reports.')
flags.DEFINE_list('variations', ['harmonic', 'harmonic_noise',
                                 'harmonic_noise_z', 'harmonic_noise_reverb_z',
                                 'harmonic_noise_vae_z'],
                  'Experiment files (gin/<name>.gin) to train.')
flags.DEFINE_string('size', 'gin/sizes/cpu.gin', 'Size mixin.')
flags.DEFINE_float('cpu_budget_secs', 900.0, 'CPU seconds per variation.')
flags.DEFINE_integer('steps_per_save', 25, 'Checkpoint interval (steps).')
flags.DEFINE_multi_string('gin_param', [], 'Extra bindings for every run.')
flags.DEFINE_boolean('train', True, 'Train (else reuse the model dirs).')
flags.DEFINE_boolean('evaluate', True, 'Evaluate the trained models.')
flags.DEFINE_string('suffix', '', 'Appended to model dir names (pilots).')
flags.DEFINE_string('figure', None, 'PNG of one eval example: target and '
                    'every variation\'s resynthesis (default '
                    '<work_dir>/variations.png).')
flags.DEFINE_integer('figure_example', None, 'Eval example in the figure; '
                     'default the median one of the first variation.')

FLAGS = flags.FLAGS

_STEP_LINE = re.compile(r'step: (\d+)\t(.*)')


def cpu_seconds(pid):
  """User + system CPU time of a process (all its threads), in seconds."""
  with open(f'/proc/{pid}/stat') as f:
    fields = f.read().rsplit(')', 1)[1].split()
  ticks = os.sysconf('SC_CLK_TCK')
  return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime.


def train(name, model_dir, train_pattern, log_path):
  """Runs ddsp_run until its CPU budget is spent; returns run statistics."""
  from ddsp_generative import gin_path  # pylint: disable=g-import-not-at-top
  ddsp_run = os.path.join(os.path.dirname(sys.executable), 'ddsp_run')
  command = [
      ddsp_run, '--mode=train', f'--save_dir={model_dir}',
      f'--gin_search_path={gin_path.PACKAGE_DIR}',
      f'--gin_file=gin/{name}.gin', f'--gin_file={FLAGS.size}',
      f"--gin_param=TFRecordProvider.file_pattern='{train_pattern}'",
      '--gin_param=train.num_steps=10000000',
      f'--gin_param=train.steps_per_save={FLAGS.steps_per_save}',
      '--gin_param=train.steps_per_summary=25',
      '--gin_param=Trainer.checkpoints_to_keep=2',
  ] + [f'--gin_param={p}' for p in FLAGS.gin_param]
  os.makedirs(model_dir, exist_ok=True)
  start = time.time()
  with open(log_path, 'w') as log:
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    used = 0.0
    while process.poll() is None:
      time.sleep(2.0)
      try:
        used = cpu_seconds(process.pid)
      except OSError:
        break
      if used >= FLAGS.cpu_budget_secs:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        break
  wall = time.time() - start
  if process.returncode not in (0, -signal.SIGTERM):
    raise RuntimeError(f'ddsp_run failed for {name} ({process.returncode}); '
                       f'see {log_path}.')
  return {'cpu_secs': used, 'wall_secs': wall}


def training_curve(log_path):
  """(step, {loss: value}) of every step ddsp_run logged."""
  curve = []
  with open(log_path) as f:
    for line in f:
      match = _STEP_LINE.search(line)
      if match:
        values = {}
        for item in match.group(2).split('\t'):
          if ':' in item:
            key, value = item.split(':', 1)
            values[key.strip()] = float(value)
        curve.append((int(match.group(1)), values))
  return curve


def stability(curve):
  """Loss summary: start, end, spikes and non-finite steps."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  total = np.array([v.get('total_loss', np.nan) for _, v in curve])
  if not total.size:
    return {}
  n = max(1, min(50, len(total) // 5))
  finite = np.isfinite(total)
  # A spike: a step's loss above 1.5x the median of the 50 steps before it.
  spikes = sum(1 for i in range(50, len(total))
               if total[i] > 1.5 * np.median(total[i - 50:i]))
  stats = {'steps_logged': int(len(total)),
           'total_loss_first': float(np.nanmean(total[:n])),
           'total_loss_last': float(np.nanmean(total[-n:])),
           'non_finite_steps': int((~finite).sum()),
           'spikes_over_1.5x_median': int(spikes)}
  for key in ('kl_nats', 'spectral_loss'):
    values = [v[key] for _, v in curve[-n:] if key in v]
    if values:
      stats[f'{key}_last'] = float(np.mean(values))
  return stats


def last_step(model_dir):
  steps = [int(m.group(1)) for m in
           (re.match(r'ckpt-(\d+)\.index$', f) for f in os.listdir(model_dir))
           if m]
  return max(steps) if steps else None


def evaluate(model_dir, eval_pattern, report_path):
  command = [sys.executable, '-m', 'ddsp_generative.evaluate_reconstruction',
             f'--model_dir={model_dir}',
             f'--eval_tfrecord_pattern={eval_pattern}',
             f'--output={report_path}', '--overwrite']
  result = subprocess.run(command, capture_output=True, text=True)
  if result.returncode:
    raise RuntimeError(f'Evaluation failed for {model_dir}:\n'
                       f'{result.stderr[-3000:]}')
  with open(report_path) as f:
    return json.load(f)


def save_figure(path, rows, eval_pattern, index=None, secs=3.0):
  """Spectrograms of one eval example: target, then each resynthesis."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import tfrecords  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import plotting  # pylint: disable=g-import-not-at-top
  plt = plotting.plt
  if index is None:
    first = next(iter(rows.values()))
    with open(first['report']) as f:
      per_example = json.load(f)['per_example']
    order = np.argsort([e['spectral_distance'] for e in per_example])
    index = int(order[len(order) // 2])
  panels = []
  for name, row in rows.items():
    trained = model_io.load_model(row['model_dir'])
    n_frames = trained.example_frames
    data = tfrecords.read_arrays(eval_pattern, n_frames * trained.hop_size,
                                 n_frames, max_examples=index + 1)
    if not panels:
      panels.append(('target (eval example %d)' % index, data['audio'][index]))
    audio = trained.reconstruct(data['audio'][index:index + 1],
                                data['f0_hz'][index:index + 1],
                                data['loudness_db'][index:index + 1],
                                seed=0)[0]
    metrics = row.get('metrics', {})
    label = name
    if metrics:
      label += (f"  (step {row['step']}; eval means: spectral "
                f"{metrics['spectral_distance']['mean']:.2f}, loudness "
                f"{metrics['loudness_l1_db']['mean']:.1f} dB)")
    panels.append((label, audio))
  sample_rate = trained.sample_rate
  n = int(secs * sample_rate)
  fig, axes = plt.subplots(len(panels), 1, figsize=(8, 1.5 * len(panels)),
                           sharex=True)
  for ax, (label, audio) in zip(axes, panels):
    clip = audio[:n]
    _, _, db = plotting.log_spectrogram(clip, sample_rate)
    ax.imshow(db, origin='lower', aspect='auto', cmap='magma',
              vmin=db.max() - 80, vmax=db.max(),
              extent=(0, len(clip) / sample_rate, 0, sample_rate / 2))
    ax.set_ylim(0, min(8000, sample_rate / 2))
    ax.set_ylabel('Hz', fontsize=7)
    ax.tick_params(labelsize=7)
    ax.set_title(label, fontsize=8)
  axes[-1].set_xlabel('s', fontsize=7)
  fig.tight_layout()
  plotting.save_png(fig, path, dpi=64)


def main(unused_argv):
  from ddsp_generative.core import artifacts  # pylint: disable=g-import-not-at-top
  if not FLAGS.tfrecord_prefix:
    raise app.UsageError('--tfrecord_prefix is required (see the recipe in '
                         'the module docstring).')
  train_pattern = FLAGS.tfrecord_prefix + '-train*'
  eval_pattern = FLAGS.tfrecord_prefix + '-eval*'
  summary = os.path.join(FLAGS.work_dir,
                         f'compare_variations{FLAGS.suffix}.json')
  previous = {}
  if not FLAGS.train and os.path.exists(summary):  # Keep the training stats.
    with open(summary) as f:
      previous = json.load(f).get('variations', {})
  rows = {}
  for name in FLAGS.variations:
    model_dir = os.path.join(FLAGS.work_dir, 'models', name + FLAGS.suffix)
    log_path = model_dir + '.log'
    row = {'model_dir': model_dir}
    if FLAGS.train:
      print(f'training {name} for {FLAGS.cpu_budget_secs:g} CPU s', flush=True)
      row.update(train(name, model_dir, train_pattern, log_path))
    else:
      row.update({k: v for k, v in previous.get(name, {}).items()
                  if k in ('cpu_secs', 'wall_secs')})
    row['step'] = last_step(model_dir)
    row['stability'] = stability(training_curve(log_path))
    report_path = os.path.join(FLAGS.work_dir, 'reports',
                               name + FLAGS.suffix + '.json')
    report = None
    if FLAGS.evaluate:
      report = evaluate(model_dir, eval_pattern, report_path)
    elif os.path.exists(report_path):
      with open(report_path) as f:
        report = json.load(f)
    if report:
      row['report'] = report_path
      row['metrics'] = report['metrics']
      row['f0_consistency_of_target'] = report['f0_consistency_of_target']
      row['n_eval_examples'] = report['n_examples']
    rows[name] = row
    print(json.dumps({name: {k: v for k, v in row.items()
                             if k in ('step', 'cpu_secs', 'wall_secs',
                                      'stability')}}), flush=True)

  print('| variation | steps | wall (min) | spectral distance | loudness L1 '
        '(dB) | f0 within 50 cents | median cents | final loss |')
  print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for name, row in rows.items():
    m = row.get('metrics', {})
    s = row['stability']
    fmt = lambda x, f: '-' if x is None else format(x, f)  # pylint: disable=g-long-lambda
    print(f"| {name} | {row['step']} | "
          f"{fmt(row.get('wall_secs', 0) / 60, '.1f')} | "
          f"{fmt(m.get('spectral_distance', {}).get('mean'), '.3f')} | "
          f"{fmt(m.get('loudness_l1_db', {}).get('mean'), '.2f')} | "
          f"{fmt(m.get('f0_accuracy_50_cents'), '.3f')} | "
          f"{fmt(m.get('f0_median_abs_cents'), '.1f')} | "
          f"{fmt(s.get('total_loss_last'), '.2f')} |")
  figure = FLAGS.figure or os.path.join(FLAGS.work_dir,
                                        f'variations{FLAGS.suffix}.png')
  save_figure(figure, rows, eval_pattern, FLAGS.figure_example)
  print(f'Wrote {figure}')
  artifacts.write_json(summary, 'variation_comparison', 1, {
      'tfrecord_prefix': FLAGS.tfrecord_prefix,
      'size': FLAGS.size,
      'cpu_budget_secs': FLAGS.cpu_budget_secs,
      'gin_params': FLAGS.gin_param,
      'machine': {'cpu_count': os.cpu_count()},
      'variations': rows,
  })
  print(f'Wrote {summary}')


if __name__ == '__main__':
  app.run(main)
