# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Priors: fit time on 1M frames, sampling vs decoding time, held-out NLL.

Three measurements, printed as Markdown and saved as JSON:

1. Fit time of each prior on synthetic clustered z sequences (default
   1,000,000 frames x 16 dims in 1,000 examples of 1,000 frames; K sticky
   components, AR(1) noise, z depending on pitch and loudness).
2. Sampling time of each prior and mode as a fraction of the decoding time of
   the same clip (4 s and 16 s), side by side in one run, with the model's
   own priors (its z_dims) and with the 16-dim priors of (1).
3. Held-out NLL per frame of each prior on the model's z dataset.

The model: --model_dir (a ddsp_run --save_dir) with --tfrecord_pattern (its
training TFRecords, to extract z from); without them, a tiny
harmonic_noise_z model is trained on synthetic melodies in --work_dir.

Usage (from the repository root):

  .venv/bin/python benchmarks/prior_speed.py --work_dir=/tmp/prior_bench \
    --output=benchmarks/prior_speed.json

  # On a model trained on the rendered dataset:
  .venv/bin/python benchmarks/prior_speed.py --work_dir=/tmp/prior_bench \
    --model_dir=models/violin --tfrecord_pattern='data/violin/train.tfrecord*'

Everything runs on --threads threads (TensorFlow, BLAS, OpenMP), 1 by
default so that timings are comparable on a shared machine.
"""

import json
import os
import platform
import subprocess
import sys
import time

from absl import app
from absl import flags
from absl import logging
import numpy as np

FLAGS = flags.FLAGS
flags.DEFINE_string('work_dir', '/tmp/prior_bench', 'Scratch folder.')
flags.DEFINE_string('output', None, 'JSON file of the results.')
flags.DEFINE_integer('threads', 1, 'Threads for TF, BLAS and OpenMP.')
flags.DEFINE_integer('fit_frames', 1_000_000, 'Frames of the fit benchmark '
                     '(0: skip it).')
flags.DEFINE_integer('fit_z_dims', 16, 'z dims of the fit benchmark.')
flags.DEFINE_integer('fit_components', 10, 'Components of the fit benchmark.')
flags.DEFINE_integer('subsample_frames', 200_000, 'GMM also fitted on this '
                     'many frames (as --max_frames does).')
flags.DEFINE_string('model_dir', None, 'ddsp_run model; default: train a '
                    'tiny one on synthetic audio.')
flags.DEFINE_string('tfrecord_pattern', None, 'TFRecords to extract z from '
                    '(with --model_dir).')
flags.DEFINE_integer('train_steps', 300, 'Steps of the tiny model.')
flags.DEFINE_list('clip_secs', ['4', '16'], 'Clip lengths timed.')
flags.DEFINE_integer('repeats', 5, 'Timed repeats (median reported).')

PRIOR_TYPES = ('standard_normal', 'gmm', 'hmm', 'conditional',
               'conditional_net')
flags.DEFINE_list('priors', list(PRIOR_TYPES), 'Prior types to fit, sample '
                  'and score (e.g. only conditional_net).')


def limit_threads(n):
  os.environ['OMP_NUM_THREADS'] = str(n)
  import threadpoolctl  # pylint: disable=g-import-not-at-top
  threadpoolctl.threadpool_limits(n)
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  tf.config.threading.set_intra_op_parallelism_threads(n)
  tf.config.threading.set_inter_op_parallelism_threads(n)


def synthetic_sequences(n_frames, z_dims, n_components, seed=0,
                        frames_per_example=1000):
  """Clustered z sequences with controls: list of example dicts."""
  from scipy import signal  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(seed)
  n_ex = max(1, n_frames // frames_per_example)
  t = frames_per_example
  switch = rng.random([n_ex, t]) > 0.98
  segment = np.cumsum(switch, axis=1)
  states = rng.integers(n_components, size=[n_ex, t + 1])
  states = np.take_along_axis(states, segment, axis=1)
  centers = 0.7 * rng.normal(size=[n_components, z_dims])
  rho = np.linspace(0.95, 0.3, z_dims)
  noise = rng.normal(size=[n_ex, t, z_dims])
  for d in range(z_dims):
    noise[..., d] = signal.lfilter([np.sqrt(1 - rho[d] ** 2)], [1, -rho[d]],
                                   noise[..., d], axis=1)
  pitch = 48.0 + 2.0 * states + rng.normal(size=[n_ex, t])
  loudness = -40.0 + 20.0 * rng.random([n_ex, 1]) + rng.normal(size=[n_ex, t])
  gains = rng.normal(size=[2, z_dims]) / 6.0
  z = (centers[states] + noise + (pitch - 60.0)[..., None] * gains[0] +
       (loudness + 30.0)[..., None] * gains[1])
  f0_hz = 440.0 * 2.0 ** ((pitch - 69.0) / 12.0)
  return [{'z': z[i].astype(np.float32), 'f0_hz': f0_hz[i].astype(np.float32),
           'loudness_db': loudness[i].astype(np.float32)}
          for i in range(n_ex)]


def timed(fn, repeats=1, warmup=0):
  """(median seconds, last result) of fn() over repeats after warmup."""
  result = None
  for _ in range(warmup):
    result = fn()
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    result = fn()
    times.append(time.perf_counter() - start)
  return float(np.median(times)), result


def bench_fit(n_frames, z_dims, k, subsample_frames):
  """Fit times of each prior on n_frames x z_dims."""
  from ddsp_generative import priors  # pylint: disable=g-import-not-at-top
  sequences = synthetic_sequences(n_frames, z_dims, k)
  frames = np.concatenate([s['z'] for s in sequences])
  rows, fitted = [], {}
  rng = np.random.default_rng(0)
  sub = frames[np.sort(rng.choice(len(frames), min(subsample_frames,
                                                   len(frames)),
                                  replace=False))]
  jobs = [
      ('gmm', 'GaussianMixturePrior, full covariances', len(frames),
       lambda: priors.GaussianMixturePrior(n_components=k).fit(frames,
                                                               seed=0)),
      ('gmm', 'GaussianMixturePrior, full, --max_frames subsample',
       len(sub), lambda: priors.GaussianMixturePrior(n_components=k).fit(
           sub, seed=0)),
      ('hmm', 'HiddenMarkovPrior (mixture init on 200k frames, then EM on '
       'all)', len(frames), lambda: priors.HiddenMarkovPrior(
           n_components=k).fit(sequences, seed=0)),
      ('conditional', 'ConditionalMixturePrior (same, over [z, pitch, '
       'loudness])', len(frames), lambda: priors.ConditionalMixturePrior(
           n_components=k).fit(sequences, seed=0)),
      ('conditional_net', 'ConditionalNetworkPrior (3,000 Adam steps on '
       'crops, then the residuals\' AR(1) on all frames)', len(frames),
       lambda: priors.ConditionalNetworkPrior().fit(sequences, seed=0)),
  ]
  jobs = [job for job in jobs if job[0] in FLAGS.priors]
  for name, what, n, fn in jobs:
    logging.info('Fitting %s on %d frames...', what, n)
    secs, prior = timed(fn)
    info = prior.fit_info
    rows.append({'prior': name, 'what': what, 'frames': n, 'z_dims': z_dims,
                 'n_components': k, 'fit_secs': secs,
                 'sklearn_em_iterations': info.get('n_iter'),
                 'hmm_em_iterations': info.get('em_n_iter')})
    logging.info('%s', rows[-1])
    fitted.setdefault(name, prior)
  if 'standard_normal' in FLAGS.priors:
    fitted['standard_normal'] = priors.StandardNormalPrior(z_dims=z_dims)
  return rows, fitted


def train_tiny_model(work_dir, steps):
  """Synthetic melodies -> TFRecords -> ddsp_run tiny model; returns paths."""
  from ddsp_generative import gin_path  # pylint: disable=g-import-not-at-top
  from ddsp_generative.recipes import synthetic  # pylint: disable=g-import-not-at-top
  from ddsp_generative.data_preparation import prepare_tfrecord_lib  # pylint: disable=g-import-not-at-top
  model_dir = os.path.join(work_dir, 'tiny_model')
  pattern = os.path.join(work_dir, 'data', 'train.tfrecord*')
  if not os.path.exists(os.path.join(work_dir, 'data')):
    paths = synthetic.write_dataset(os.path.join(work_dir, 'audio'),
                                    n_files=8, secs_per_file=8.0,
                                    sample_rate=16000, seed=0)
    prepare_tfrecord_lib.prepare_tfrecord(
        paths, pattern[:-1], num_shards=1, sample_rate=16000, frame_rate=250,
        example_secs=1, hop_secs=0.5, chunk_secs=0, f0_estimator='yin',
        pipeline_options=['--runner=DirectRunner',
                          '--direct_running_mode=in_memory'])
  if not os.path.exists(model_dir):
    ddsp_run = os.path.join(os.path.dirname(sys.executable), 'ddsp_run')
    subprocess.run([
        ddsp_run, '--mode=train', f'--save_dir={model_dir}',
        f'--gin_search_path={gin_path.PACKAGE_DIR}',
        '--gin_file=gin/harmonic_noise_z.gin', '--gin_file=gin/sizes/tiny.gin',
        f"--gin_param=TFRecordProvider.file_pattern='{pattern}'",
        '--gin_param=batch_size=8', f'--gin_param=train.num_steps={steps}',
        f'--gin_param=train.steps_per_save={steps}',
        '--gin_param=train.steps_per_summary=100'], check=True,
                   env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'))
  return model_dir, pattern


def fit_model_priors(z_path, work_dir):
  """Fits every prior type on the model's z (10% of examples held out)."""
  from ddsp_generative.priors import fitting  # pylint: disable=g-import-not-at-top
  import gin  # pylint: disable=g-import-not-at-top
  rows, fitted = [], {}
  for name in FLAGS.priors:
    gin.clear_config()
    secs, (prior, summary) = timed(lambda n=name: fitting.fit_prior(
        z_path, os.path.join(work_dir, f'prior_{n}.json'), prior_name=n,
        seed=0, overwrite=True))
    rows.append({'prior': name, 'fit_secs': secs, **{
        k: summary[k] for k in ('n_components', 'n_fit_frames',
                                'n_heldout_frames', 'train_nll_per_frame',
                                'heldout_nll_per_frame',
                                'heldout_sequence_nll_per_frame')}})
    logging.info('%s', rows[-1])
    fitted[name] = prior
  return rows, fitted


def bench_sampling(trained, prior_sets, clip_secs, repeats):
  """Median seconds of decode and of each prior.sample, per clip length."""
  from ddsp_generative import controls  # pylint: disable=g-import-not-at-top
  rows = []
  for secs in clip_secs:
    n_notes = int(round(secs / 0.5))
    pitches = [60, 62, 64, 65, 67, 69, 71, 72] * (n_notes // 8 + 1)
    f0_hz, ld = controls.Melody(pitches=pitches[:n_notes],
                                durations=0.5).generate(trained.frame_rate)
    n_frames = len(f0_hz)
    z = np.zeros([1, n_frames, trained.z_dims], np.float32)
    decode_secs, _ = timed(lambda: trained.decode(f0_hz[None], ld[None], z,
                                                  seed=0),
                           repeats=repeats, warmup=1)
    logging.info('decode %.1f s clip: %.4f s', secs, decode_secs)
    for set_name, fitted in prior_sets.items():
      for name, prior in fitted.items():
        kwargs = ({'f0_hz': f0_hz[None], 'loudness_db': ld[None]}
                  if prior.CONDITIONS else {})
        for mode in prior.SAMPLE_MODES:
          sample_secs, _ = timed(
              lambda p=prior, m=mode, kw=kwargs: p.sample(
                  n_frames, seed=0, mode=m, batch_size=1, **kw),
              repeats=repeats, warmup=1)
          rows.append({'clip_secs': secs, 'n_frames': n_frames,
                       'priors': set_name, 'prior': name, 'mode': mode,
                       'z_dims': prior.z_dims,
                       'n_components': prior.fit_info.get('n_components'),
                       'sample_secs': sample_secs,
                       'decode_secs': decode_secs,
                       'fraction': sample_secs / decode_secs})
          logging.info('%s', rows[-1])
  return rows


def markdown(results):
  lines = []
  if results.get('fit'):
    lines += ['| prior | frames x dims | K | fit (s) | EM iterations |',
              '| --- | --- | --- | --- | --- |']
    for r in results['fit']:
      iters = r['hmm_em_iterations'] or r['sklearn_em_iterations'] or '–'
      lines.append(f"| {r['what']} | {r['frames']:,} x {r['z_dims']} | "
                   f"{r['n_components']} | {r['fit_secs']:.1f} | {iters} |")
    lines.append('')
  lines += ['| clip | priors | prior | mode | sample (ms) | decode (ms) | '
            'sample / decode |', '| --- | --- | --- | --- | --- | --- | --- |']
  for r in results['sampling']:
    lines.append(f"| {r['clip_secs']:g} s | {r['priors']} | {r['prior']} | "
                 f"{r['mode']} | {1e3 * r['sample_secs']:.1f} | "
                 f"{1e3 * r['decode_secs']:.0f} | {100 * r['fraction']:.2f}% |")
  lines += ['', '| prior | K | held-out NLL/frame (frames) | held-out '
            'NLL/frame (examples, as sampled) | train NLL/frame |',
            '| --- | --- | --- | --- | --- |']
  for r in results['heldout_nll']:
    lines.append(f"| {r['prior']} | {r['n_components']} | "
                 f"{r['heldout_nll_per_frame']:.3f} | "
                 f"{r['heldout_sequence_nll_per_frame']:.3f} | "
                 f"{r['train_nll_per_frame']:.3f} |")
  return '\n'.join(lines)


def main(argv):
  del argv
  unknown = set(FLAGS.priors) - set(PRIOR_TYPES)
  if unknown:
    raise app.UsageError(f'Unknown --priors {sorted(unknown)}; known: '
                         f'{list(PRIOR_TYPES)}.')
  limit_threads(FLAGS.threads)
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative.data_preparation import extract_z_lib  # pylint: disable=g-import-not-at-top
  os.makedirs(FLAGS.work_dir, exist_ok=True)
  results = {'hardware': {'cpus': os.cpu_count(),
                          'processor': platform.processor(),
                          'threads': FLAGS.threads,
                          'load_average_start': os.getloadavg()}}
  fitted_16 = {}
  if FLAGS.fit_frames:
    results['fit'], fitted_16 = bench_fit(
        FLAGS.fit_frames, FLAGS.fit_z_dims, FLAGS.fit_components,
        FLAGS.subsample_frames)

  if FLAGS.model_dir:
    if not FLAGS.tfrecord_pattern:
      raise app.UsageError('--model_dir needs --tfrecord_pattern.')
    model_dir, pattern = FLAGS.model_dir, FLAGS.tfrecord_pattern
    results['model'] = 'given'
  else:
    model_dir, pattern = train_tiny_model(FLAGS.work_dir, FLAGS.train_steps)
    results['model'] = (f'tiny harmonic_noise_z trained {FLAGS.train_steps} '
                        'steps on 64 s of synthetic melodies')
  z_path = os.path.join(FLAGS.work_dir, 'z', 'z.tfrecord')
  start = time.perf_counter()
  metadata = extract_z_lib.extract_z(pattern, z_path, model_dir,
                                     overwrite=True)
  results['extract_z'] = {'secs': time.perf_counter() - start,
                          'n_examples': metadata['n_examples'],
                          'n_frames': metadata['n_frames'],
                          'z_dims': metadata['z_dims']}
  results['heldout_nll'], fitted_model = fit_model_priors(z_path,
                                                          FLAGS.work_dir)
  trained = model_io.load_model(model_dir)
  prior_sets = {f'model (z_dims={trained.z_dims})': fitted_model}
  if fitted_16:
    prior_sets[f'1M-frame fit (z_dims={FLAGS.fit_z_dims})'] = fitted_16
  results['sampling'] = bench_sampling(
      trained, prior_sets, [float(s) for s in FLAGS.clip_secs],
      FLAGS.repeats)
  results['model_info'] = trained.info()
  results['hardware']['load_average_end'] = os.getloadavg()
  table = markdown(results)
  print(table)
  if FLAGS.output:
    with open(FLAGS.output, 'w') as f:
      json.dump({'command': ' '.join(sys.argv), **results, 'markdown': table},
                f, indent=2)
      f.write('\n')


if __name__ == '__main__':
  app.run(main)
