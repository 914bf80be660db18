# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Conditioning sets side by side: reconstruction, conversion, control (issue 18).

Models trained on the same data with the same budget, each decoding from
(f0, loudness) plus its own descriptors (none: ddsp's model), are scored in
one run on files none of them trained on:

1. Reconstruction: each held-out clip resynthesised from its own controls
   (and descriptors): multi-scale spectral distance, loudness L1 and f0
   consistency (`evaluation.reconstruction.evaluate`), and the C2ST and
   Fréchet distance against the real clips with the real-vs-real floor
   (`evaluation.realism`).
2. Conversion: another instrument's held-out clips played by each model
   (as `ddsp_generative_transfer` does: octaves and loudness moved into the
   model's training range, the descriptors the recording's own shifted to
   the training medians, or the training medians held constant), scored by
   the C2ST and Fréchet distance against the target instrument's real clips:
   does it sound like the target?
3. Control: each descriptor a model reads swept over its training range
   (`evaluation.descriptor_control.sweep`): requested vs measured per clip
   (R², slope), with f0 and loudness consistency beside the same clips
   played with their own descriptors.

  python benchmarks/conditioning.py \
    --models=none=/tmp/work/models/none,c=/tmp/work/models/c,cp=/tmp/work/models/cp \
    --train_pattern='/tmp/work/violin/data/violin.tfrecord-train*' \
    --heldout_pattern='/tmp/work/violin/heldout/violin.tfrecord*' \
    --source_pattern='/tmp/work/flute/heldout/flute.tfrecord*' \
    --output=/tmp/work/conditioning.json
"""

import json
import time

from absl import app
from absl import flags

flags.DEFINE_string('models', None, 'name=model_dir,... (same data and '
                    'budget; one of them may decode from no descriptor).')
flags.DEFINE_string('train_pattern', None, 'The models\' training TFRecords '
                    '(their metadata: the descriptors\' training range).')
flags.DEFINE_string('heldout_pattern', None, 'Held-out TFRecords of the '
                    'models\' instrument.')
flags.DEFINE_string('source_pattern', None, 'Held-out TFRecords of another '
                    'instrument, converted into each model.')
flags.DEFINE_integer('control_clips', 60, 'Held-out clips of the sweep.')
flags.DEFINE_integer('levels', 5, 'Requests per descriptor.')
flags.DEFINE_integer('folds', 5, 'Cross-validation folds of the C2STs.')
flags.DEFINE_integer('seed', 0, 'Seed.')
flags.DEFINE_string('output', None, 'JSON of every figure.')

FLAGS = flags.FLAGS


def _conversion_controls(trained, source, ranges):
  """The source clips' controls moved into the model's training range."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import transfer  # pylint: disable=g-import-not-at-top
  f0, loudness = [], []
  for f, c, ld in zip(source['f0_hz'], source['f0_confidence'],
                      source['loudness_db']):
    try:
      f_adj, ld_adj, _ = transfer.adjust_controls(
          f, c, ld, ranges, trained.sample_rate / 2.0, None, 0.0, True,
          transfer.QUIET_DB, transfer.NOTE_THRESHOLD)
    except transfer.TransferInputError:
      f_adj, ld_adj = f, ld
    f0.append(f_adj)
    loudness.append(ld_adj)
  return np.stack(f0).astype(np.float32), np.stack(loudness).astype(
      np.float32)


def _convert(trained, source, ranges, descriptors_mode, seed):
  """Converted clips [n, samples] of the source into the model."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ddsp_generative.evaluation import descriptor_control  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import sampler  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import transfer  # pylint: disable=g-import-not-at-top
  f0, loudness = _conversion_controls(trained, source, ranges)
  curves = {k: [] for k in trained.descriptors}
  medians = sampler.training_descriptor_medians(ranges)
  for i in range(len(f0)):
    if descriptors_mode == 'recording':
      values, _ = transfer.descriptor_curves(
          {k: source[k][i] for k in trained.descriptors}, f0[i], loudness[i],
          ranges, True, trained.frame_rate)
    else:
      values = {k: np.full(f0.shape[1], medians[k], np.float32)
                for k in trained.descriptors}
    for k in trained.descriptors:
      curves[k].append(values[k])
  data = {'f0_hz': f0, 'loudness_db': loudness}
  return descriptor_control.decode_clips(
      trained, data, {k: np.stack(v) for k, v in curves.items()}, seed=seed)


def main(_):
  from ddsp_generative.core import descriptors as descriptors_lib  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import tfrecords  # pylint: disable=g-import-not-at-top
  from ddsp_generative.evaluation import descriptor_control  # pylint: disable=g-import-not-at-top
  from ddsp_generative.evaluation import realism  # pylint: disable=g-import-not-at-top
  from ddsp_generative.evaluation import reconstruction  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import sampler  # pylint: disable=g-import-not-at-top

  models = dict(item.split('=', 1) for item in FLAGS.models.split(','))
  ranges = descriptor_control.training_ranges(FLAGS.train_pattern)
  keys = descriptors_lib.DESCRIPTOR_KEYS
  out = {'command': 'benchmarks/conditioning.py', 'models': models,
         'train_pattern': FLAGS.train_pattern,
         'heldout_pattern': FLAGS.heldout_pattern,
         'source_pattern': FLAGS.source_pattern, 'training_ranges': ranges,
         'results': {}}
  started = time.time()
  # How much of each descriptor the pitch and loudness explain (the fit of
  # --descriptor=NAME=follow), on the training frames.
  from ddsp_generative.core import control_ranges  # pylint: disable=g-import-not-at-top
  geometry = tfrecords.dataset_geometry(FLAGS.train_pattern)[0][1]
  train = tfrecords.read_arrays(FLAGS.train_pattern, geometry['n_samples'],
                                geometry['n_frames'], frame_keys=keys)
  out['follow_fit'] = descriptors_lib.solve_regression(
      descriptors_lib.merge_regression_stats(
          descriptors_lib.regression_stats(
              train['f0_hz'][i], train['loudness_db'][i],
              {k: train[k][i] for k in keys},
              control_ranges.audible(train['f0_hz'][i],
                                     train['loudness_db'][i]))
          for i in range(len(train['f0_hz']))))
  print('Pitch and loudness explain (R² of the linear fit, training frames): '
        + ', '.join(f"{k} {v['r2']:.2f}" for k, v in out['follow_fit'].items()),
        flush=True)
  real = source = None
  conversions = {}
  for name, model_dir in models.items():
    t0 = time.time()
    trained = model_io.load_model(model_dir)
    controls, _ = sampler.training_controls(trained)
    print(f'== {name}: {model_dir} (step {trained.step}, descriptors '
          f'{list(trained.descriptors) or "none"})', flush=True)
    report, _ = reconstruction.evaluate(
        trained, FLAGS.heldout_pattern, f0_estimator='yin', seed=FLAGS.seed,
        c2st_folds=FLAGS.folds, progress=False)
    result = {'descriptors': list(trained.descriptors), 'step': trained.step,
              'reconstruction': {
                  'spectral_distance': report['metrics']['spectral_distance'],
                  'loudness_l1_db': report['metrics']['loudness_l1_db'],
                  'f0_accuracy_50_cents': report['metrics'][
                      'f0_accuracy_50_cents'],
                  'realism': {
                      'floor': report['realism']['floor'],
                      'resynthesis': report['realism']['sets'][
                          reconstruction.RESYNTHESIS]}}}
    if real is None:  # Read once, at the models' geometry.
      real = trained.read_tfrecords(FLAGS.heldout_pattern)['audio']
      source = tfrecords.read_checked_arrays(
          FLAGS.source_pattern, trained.sample_rate, trained.frame_rate,
          trained.example_frames * trained.hop_size, trained.example_frames,
          expected_from='the models', frame_keys=keys)
    modes = ['recording', 'medians'] if trained.descriptors else ['none']
    for mode in modes:
      conversions[f'{name}:{mode}'] = _convert(trained, source, controls, mode,
                                               FLAGS.seed)
    if trained.descriptors:
      held = trained.read_tfrecords(FLAGS.heldout_pattern,
                                    max_examples=FLAGS.control_clips)
      sweep = descriptor_control.sweep(trained, held, ranges, FLAGS.levels,
                                       seed=FLAGS.seed, progress=False)
    else:  # The same consistency figures, for the model without them.
      held = trained.read_tfrecords(FLAGS.heldout_pattern,
                                    max_examples=FLAGS.control_clips)
      mask = descriptor_control.scored_frames(held)
      audio = descriptor_control.decode_clips(trained, held, {},
                                              seed=FLAGS.seed)
      sweep = {'own': descriptor_control.consistency(trained, audio, held,
                                                     mask), 'descriptors': {}}
    result['control'] = sweep
    result['secs'] = time.time() - t0
    out['results'][name] = result
    print(f'   {result["secs"]:.0f} s', flush=True)
  conv = realism.compare(real, conversions, trained.sample_rate,
                         seed=FLAGS.seed, folds=FLAGS.folds)
  out['conversion'] = {'floor': conv['floor'], 'sets': conv['sets'],
                       'source_clips': int(len(source['audio']))}
  out['secs'] = time.time() - started

  print('\n| model (descriptors) | spectral distance | loudness L1 dB | '
        'f0 within 50 c | resynthesis C2ST logistic / forest | FD to real '
        '(floor) |')
  print('| --- | --- | --- | --- | --- | --- |')
  for name, r in out['results'].items():
    rec = r['reconstruction']
    res = rec['realism']['resynthesis']
    print(f"| {name} ({', '.join(r['descriptors']) or 'none'}) | "
          f"{rec['spectral_distance']['mean']:.3f} | "
          f"{rec['loudness_l1_db']['mean']:.2f} | "
          f"{rec['f0_accuracy_50_cents']:.3f} | "
          f"{res['c2st']['logistic_regression']:.2f} / {res['c2st']['random_forest']:.2f} | "
          f"{res['frechet']:.1f} ({rec['realism']['floor']['frechet']:.1f}) |")
  print('\n| conversion into | C2ST vs real target, logistic / forest | '
        'FD to real target |')
  print('| --- | --- | --- |')
  floor = out['conversion']['floor']
  print(f"| real vs real (floor) | {floor['c2st']['logistic_regression']:.2f} / "
        f"{floor['c2st']['random_forest']:.2f} | {floor['frechet']:.1f} |")
  for name, s in out['conversion']['sets'].items():
    print(f"| {name} | {s['c2st']['logistic_regression']:.2f} / "
          f"{s['c2st']['random_forest']:.2f} | {s['frechet']:.1f} |")
  print('\n| model | descriptor | R² | slope | R² about identity | '
        'offsets: R² | slope | f0 within 50 c (own descriptors) | '
        'loudness L1 dB (own) |')
  print('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for name, r in out['results'].items():
    own = r['control']['own']
    if not r['control']['descriptors']:
      print(f"| {name} | – | – | – | – | – | – | "
            f"{own['f0_accuracy_50_cents']:.3f} | "
            f"{own['loudness_l1_db']:.2f} |")
    for key, d in r['control']['descriptors'].items():
      fit, cons = d['fit'], d['consistency']
      fmt = lambda v: '–' if v is None else f'{v:.2f}'  # pylint: disable=unnecessary-lambda-assignment
      off = d.get('offset_fit') or {}
      print(f"| {name} | {key} | {fmt(fit['r2'])} | {fmt(fit['slope'])} | "
            f"{fmt(fit['r2_identity'])} | {fmt(off.get('r2'))} | "
            f"{fmt(off.get('slope'))} | "
            f"{cons['f0_accuracy_50_cents']:.3f} "
            f"({own['f0_accuracy_50_cents']:.3f}) | "
            f"{cons['loudness_l1_db']:.2f} ({own['loudness_l1_db']:.2f}) |")
  print(f'\n{out["secs"]:.0f} s in all.')
  if FLAGS.output:
    with open(FLAGS.output, 'w') as f:
      json.dump(out, f, indent=1, default=float)


if __name__ == '__main__':
  flags.mark_flags_as_required(['models', 'train_pattern', 'heldout_pattern',
                                'source_pattern'])
  app.run(main)
