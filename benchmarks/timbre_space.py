# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""One model, many instruments, against one model per instrument (issue 17).

In one run, on each instrument's held-out clips (files no model trained on):

1. Realism: the multi-instrument model playing the named instrument (its
   timbre prior's 'instrument' mode) and that instrument's single-instrument
   model (same sizes, same steps, its own data only), both on the real
   controls, each scored by the C2ST (logistic regression, random forest)
   and the Fréchet distance against the real clips, with the real-vs-real
   floor (`evaluation.realism.compare`).
2. Recognition: an instrument classifier (logistic regression on the same
   realism features) trained on real training clips of every instrument
   scores the real held-out clips and both models' samples: the fraction
   recognised as the named instrument.
3. Interpolation: for every pair (a, b), blends w = 0, 0.1, ..., 1 played on
   held-out controls of both instruments (each clip moved by octaves into
   the pair's common training range); the classifier's P(b) / (P(a) + P(b))
   and the spectral centroid against w, and whether each is monotonic
   (`evaluation.timbre_space.is_monotonic`).
4. Maps: the held-out clips' timbre vectors (the encoder's, with their
   instrument) and 20 new instruments drawn from the prior, by PCA and
   t-SNE, coloured by instrument; and the interpolation curves.

  python benchmarks/timbre_space.py --multi_model=/tmp/work/multi/models/multi \
    --single_models=/tmp/work/multi/models/single_{} \
    --train_pattern='/tmp/work/multi/single/{}/train.tfrecord-train*' \
    --heldout_pattern='/tmp/work/multi/heldout/{}/heldout.tfrecord*' \
    --output=/tmp/work/multi/timbre_space.json --figures=benchmarks/figures
"""

import itertools
import json
import os
import time

from absl import app
from absl import flags

flags.DEFINE_string('multi_model', None, 'Multi-instrument model dir (with '
                    'its timbre prior, prior.json).')
flags.DEFINE_string('single_models', None, 'Single-instrument model dirs, '
                    '{} for the instrument name; empty: none.')
flags.DEFINE_string('train_pattern', None, 'Training TFRecords per '
                    'instrument ({}): the classifier\'s real clips.')
flags.DEFINE_string('heldout_pattern', None, 'Held-out TFRecords per '
                    'instrument ({}).')
flags.DEFINE_integer('max_train_clips', 150, 'Real training clips per '
                     'instrument for the classifier.')
flags.DEFINE_integer('curve_clips', 8, 'Held-out clips of each instrument '
                     'of a pair played at every blend weight.')
flags.DEFINE_integer('seed', 0, 'Seed.')
flags.DEFINE_string('output', None, 'JSON of every figure.')
flags.DEFINE_string('figures', None, 'Folder for the PNG figures.')

FLAGS = flags.FLAGS


def _octave_shift(f0_hz, low, high):
  """f0 moved by whole octaves so its median voiced f0 is nearest [low, high]."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  voiced = f0_hz[f0_hz > 0]
  median = float(np.median(voiced)) if len(voiced) else 0.5 * (low + high)
  centre = np.sqrt(low * high)
  k = int(np.round(np.log2(centre / median)))
  return f0_hz * 2.0 ** k


def main(unused_argv):
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ddsp_generative import priors  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import tfrecords  # pylint: disable=g-import-not-at-top
  from ddsp_generative.evaluation import clip_features  # pylint: disable=g-import-not-at-top
  from ddsp_generative.evaluation import realism  # pylint: disable=g-import-not-at-top
  from ddsp_generative.evaluation import timbre_space  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  start = time.time()
  multi = model_io.load_model(FLAGS.multi_model)
  prior = priors.load_prior(os.path.join(FLAGS.multi_model, 'prior.json'))
  names = list(multi.instruments)
  sr = multi.sample_rate
  heldout, train_features, ranges = {}, {}, {}
  for name in names:
    heldout[name] = multi.read_tfrecords(FLAGS.heldout_pattern.format(name))
    train = multi.read_tfrecords(FLAGS.train_pattern.format(name),
                                 FLAGS.max_train_clips)
    train_features[name] = clip_features.clip_features(train['audio'], sr)
    found, _ = tfrecords.find_metadata(tfrecords.match_files(
        FLAGS.train_pattern.format(name)))
    controls = next(iter(found.values()))['training_controls']
    ranges[name] = (controls['f0_hz']['p5'], controls['f0_hz']['p95'])
  classifier = timbre_space.InstrumentClassifier(FLAGS.seed).fit(
      train_features)
  result = {'instruments': names, 'multi_model': FLAGS.multi_model,
            'multi_step': multi.step, 'per_instrument': {}, 'pairs': []}
  for i, name in enumerate(names):
    data = heldout[name]
    n, n_frames = data['f0_hz'].shape
    z = prior.sample(n_frames, seed=FLAGS.seed + i, mode='instrument',
                     batch_size=n, instrument=name)
    sets = {'multi': timbre_space.decode_clips(
        multi, data['f0_hz'], data['loudness_db'], z, seed=FLAGS.seed)}
    single_step = None
    if FLAGS.single_models:
      single = model_io.load_model(FLAGS.single_models.format(name))
      single_step = single.step
      sets['single'] = timbre_space.decode_clips(
          single, data['f0_hz'], data['loudness_db'], None, seed=FLAGS.seed)
      del single
    section = realism.compare(data['audio'], sets, sr, seed=FLAGS.seed)
    row = {'n_clips': int(n), 'single_step': single_step,
           'realism': {k: {m: v[m] for m in ('c2st', 'frechet')}
                       for k, v in dict(section['sets'],
                                        floor=section['floor']).items()},
           'recognised': {'real': classifier.recognised(
               clip_features.clip_features(data['audio'], sr), name)}}
    for key, audio in sets.items():
      row['recognised'][key] = classifier.recognised(
          clip_features.clip_features(audio, sr), name)
    result['per_instrument'][name] = row
    print(name, json.dumps(row['recognised']), flush=True)
  for a, b in itertools.combinations(names, 2):
    low = max(ranges[a][0], ranges[b][0])
    high = min(ranges[a][1], ranges[b][1])
    if low > high:
      low = high = float(np.sqrt(low * high))
    f0, loudness = [], []
    for name in (a, b):
      take = slice(0, FLAGS.curve_clips)
      f0 += [_octave_shift(x, low, high) for x in heldout[name]['f0_hz'][take]]
      loudness += list(heldout[name]['loudness_db'][take])
    curve = timbre_space.interpolation_curve(
        multi, prior, classifier, (a, b), np.array(f0), np.array(loudness),
        seed=FLAGS.seed)
    curve['common_f0_hz'] = [float(low), float(high)]
    result['pairs'].append(curve)
    print(a, b, 'P(b):', ' '.join(f'{p:.2f}' for p in curve['p_second']),
          'monotonic', curve['monotonic_probability'], flush=True)
  # Maps: held-out clips' encoded timbre vectors and new instruments.
  vectors, labels = [], []
  for name in names:
    data = heldout[name]
    encoded = multi.encode(data['audio'], data['f0_hz'], data['loudness_db'],
                           np.full(len(data['audio']),
                                   names.index(name)))['z'][:, 0]
    vectors.append(encoded)
    labels += [name] * len(encoded)
  prior.select('new')
  new = np.stack([prior.sample(1, seed=1000 + s)[0, 0] for s in range(20)])
  new_weights = [prior.describe(1000 + s)['weights'] for s in range(20)]
  nearest = [names[int(np.argmax(w))] for w in new_weights]
  all_vectors = np.concatenate(vectors + [new])
  marked = np.r_[np.zeros(len(labels), bool), np.ones(len(new), bool)]
  all_labels = labels + nearest
  latent = all_vectors[:, multi.model.encoder.embedding_dims:]
  maps = {'timbre vector, PCA': timbre_space.latent_map(all_vectors, 'pca'),
          'timbre vector, t-SNE': timbre_space.latent_map(all_vectors,
                                                          'tsne'),
          'timbre latent only, PCA': timbre_space.latent_map(latent, 'pca')}
  summary = {
      'recognised_multi': float(np.mean([r['recognised']['multi'] for r in
                                         result['per_instrument'].values()])),
      'monotonic_probability': float(np.mean(
          [c['monotonic_probability'] for c in result['pairs']])),
      'monotonic_centroid': float(np.mean(
          [c['monotonic_centroid'] for c in result['pairs']])),
      'interpolates': float(np.mean(
          [c['interpolates'] for c in result['pairs']])),
      'secs': time.time() - start,
  }
  result['summary'] = summary
  if FLAGS.figures:
    os.makedirs(FLAGS.figures, exist_ok=True)
    timbre_space.save_map_figure(
        os.path.join(FLAGS.figures, 'timbre_space_maps.png'), maps,
        all_labels, title='Held-out clips (o) and 20 new instruments (x, '
        'coloured by their largest weight)', marked=marked)
    _save_curves(os.path.join(FLAGS.figures, 'timbre_space_curves.png'),
                 result['pairs'])
  print(_markdown(result))
  if FLAGS.output:
    with open(FLAGS.output, 'w') as f:
      json.dump(result, f, indent=1)


def _save_curves(path, pairs):
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import plotting  # pylint: disable=g-import-not-at-top
  fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
  for curve in pairs:
    label = ' -> '.join(curve['pair'])
    axes[0].plot(curve['weights'], curve['p_second'], marker='.', label=label)
    axes[1].plot(curve['weights'], curve['centroid_hz'], marker='.')
  axes[0].set(xlabel='blend weight w of b', ylabel='P(b) / (P(a) + P(b))',
              title='Instrument classifier')
  axes[1].set(xlabel='blend weight w of b', ylabel='Hz',
              title='Spectral centroid')
  axes[0].legend(fontsize=7, ncol=2)
  fig.tight_layout()
  plotting.save_png(fig, path)


def _markdown(result):
  lines = ['| instrument | real-vs-real C2ST LR/RF, FD | multi C2ST LR/RF | single C2ST LR/RF '
           '| multi FD | single FD | recognised real / multi / single |',
           '| --- | --- | --- | --- | --- | --- | --- |']
  for name, row in result['per_instrument'].items():
    r = row['realism']

    def c2st(key, r=r):
      if key not in r:
        return '-'
      c = r[key]['c2st']
      return f"{c['logistic_regression']:.2f}/{c['random_forest']:.2f}"

    def fd(key, r=r):
      return f"{r[key]['frechet']:.1f}" if key in r else '-'

    rec = row['recognised']
    lines.append(
        f"| {name} | {c2st('floor')}, FD {fd('floor')} | {c2st('multi')} | "
        f"{c2st('single')} | {fd('multi')} | {fd('single')} | "
        f"{rec['real']:.2f} / {rec['multi']:.2f} / "
        f"{rec.get('single', float('nan')):.2f} |")
  s = result['summary']
  lines.append('')
  lines.append('')
  lines.append('| pair a -> b | P(b) at w = 0, 0.5, 1 | monotonic | span | '
               'interpolates | centroid monotonic |')
  lines.append('| --- | --- | --- | --- | --- | --- |')
  for c in result['pairs']:
    p = c['p_second']
    lines.append(f"| {' -> '.join(c['pair'])} | {p[0]:.2f}, "
                 f"{p[len(p) // 2]:.2f}, {p[-1]:.2f} | "
                 f"{c['monotonic_probability']} | {c['span']:.2f} | "
                 f"{c['interpolates']} | {c['monotonic_centroid']} |")
  lines.append('')
  lines.append(
      f"Named-instrument samples recognised: {s['recognised_multi']:.2f}; "
      f"pairs whose P(b) curve is monotonic: {s['monotonic_probability']:.2f}"
      f"; monotonic and spanning >= 0.5: {s['interpolates']:.2f}; centroid "
      f"monotonic: {s['monotonic_centroid']:.2f} (of {len(result['pairs'])} "
      'pairs).')
  return '\n'.join(lines)


if __name__ == '__main__':
  flags.mark_flags_as_required(['multi_model', 'train_pattern',
                                'heldout_pattern'])
  app.run(main)
