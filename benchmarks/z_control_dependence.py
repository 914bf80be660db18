# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""How much of a model's z is a function of the controls, and what that means.

Two measurements on one model, side by side in one run:

1. R^2 of each z dimension explained by the controls (MIDI pitch, loudness)
   of the same frame, on the z dataset's frames: a linear regression and a
   k-nearest-neighbour regression (k=16, 100,000 reference frames; scored on
   20,000 other frames).
2. The Fréchet distance (the MFCC embedding of `generation_metrics`, as
   `ddsp_generative_evaluate_generation` computes it) of audio decoded from
   the held-out examples' own controls with z from "oracles" that show
   what a prior would need, as the share of the gap between random z
   (N(0, r^2 I), the ceiling) and the encoder's own z (the floor) it closes:

   * another held-out clip's encoder z (real z, other controls: the best an
     unconditional prior could hope for);
   * the clip's own encoder z averaged over time (a constant timbre);
   * a training clip's encoder z;
   * the k-NN and linear regressions of (1) on the clip's controls (z as a
     deterministic function of the controls);
   * optionally, each mode of the given priors.

  .venv/bin/python benchmarks/z_control_dependence.py \
    --model_dir=ddsp_generative/sampling/default_model \
    --z_dataset=/tmp/work/default/data/z.tfrecord \
    --eval_tfrecord_pattern='/tmp/work/default/data/violin.tfrecord-eval*' \
    --prior=ddsp_generative/sampling/default_model/prior.json
"""

import json
import time

from absl import app
from absl import flags
import numpy as np

FLAGS = flags.FLAGS
flags.DEFINE_string('model_dir', None, 'Model (a ddsp_run --save_dir).')
flags.DEFINE_string('z_dataset', None, 'Its z dataset (training examples).')
flags.DEFINE_string('eval_tfrecord_pattern', None, 'Held-out TFRecords.')
flags.DEFINE_multi_string('prior', [], 'Priors whose modes are scored too.')
flags.DEFINE_integer('n_examples', 48, 'Held-out examples (evenly spread).')
flags.DEFINE_integer('knn', 16, 'Neighbours of the k-NN regression.')
flags.DEFINE_integer('seed', 0, 'Seed of clip i is seed + i.')
flags.DEFINE_string('output', None, 'Optional JSON results path.')


def r_squared(truth, predicted):
  """Per-dimension R^2: [N, d] arrays -> [d]."""
  residual = ((truth - predicted) ** 2).sum(0)
  total = ((truth - truth.mean(0)) ** 2).sum(0)
  return 1.0 - residual / total


class Regressions:
  """Linear and k-NN regressions of z on (pitch, loudness) frames."""

  def __init__(self, z, f0_hz, loudness_db, k, rng):
    from scipy import spatial  # pylint: disable=g-import-not-at-top
    self.k = k
    c = self.features(f0_hz, loudness_db)
    order = rng.permutation(len(z))
    ref, test = order[:100_000], order[100_000:120_000]
    self.linear_w = np.linalg.lstsq(self._design(c[ref]), z[ref],
                                    rcond=None)[0]
    self.tree = spatial.cKDTree(c[ref])
    self.z_ref = z[ref]
    self.scores = {
        'linear': r_squared(z[test], self._design(c[test]) @ self.linear_w),
        'knn': r_squared(z[test], self._knn(c[test])),
    }

  @staticmethod
  def features(f0_hz, loudness_db):
    from ddsp_generative import priors  # pylint: disable=g-import-not-at-top
    # Semitones / 2 and dB / 6: one step in either is about as far.
    return priors.condition_features(f0_hz, loudness_db) / [2.0, 6.0]

  @staticmethod
  def _design(c):
    return np.concatenate([c, np.ones([len(c), 1])], -1)

  def _knn(self, c):
    return self.z_ref[self.tree.query(c, self.k)[1]].mean(1)

  def linear(self, f0_hz, loudness_db):
    return self._design(self.features(f0_hz, loudness_db)) @ self.linear_w

  def knn(self, f0_hz, loudness_db):
    return self._knn(self.features(f0_hz, loudness_db))


def main(argv):
  del argv
  # pylint: disable=g-import-not-at-top
  from ddsp_generative.evaluation import generation as generation
  from ddsp_generative.core import tfrecords
  from ddsp_generative.evaluation import metrics as metrics
  from ddsp_generative.sampling import model_io
  from ddsp_generative import priors
  from ddsp_generative.sampling import sampler
  from ddsp_generative.sampling import streaming
  from ddsp_generative.core import z_dataset
  # pylint: enable=g-import-not-at-top
  start = time.time()
  trained = model_io.load_model(FLAGS.model_dir)
  n_frames = trained.example_frames
  data = tfrecords.read_arrays(FLAGS.eval_tfrecord_pattern,
                               n_frames * trained.hop_size, n_frames)
  pick = generation.pick_examples(len(data['audio']), FLAGS.n_examples)
  data = {k: v[pick] for k, v in data.items()}
  n = len(pick)
  sr, fr = trained.sample_rate, trained.frame_rate
  z_enc = trained.encode(data['audio'], data['f0_hz'],
                         data['loudness_db'])['z']
  sequences = z_dataset.load_sequences(FLAGS.z_dataset)
  z_all = np.concatenate([s['z'] for s in sequences])
  regressions = Regressions(
      z_all, np.concatenate([s['f0_hz'] for s in sequences]),
      np.concatenate([s['loudness_db'] for s in sequences]), FLAGS.knn,
      np.random.default_rng(FLAGS.seed))
  scale = float(np.sqrt(np.mean(z_all ** 2)))

  def embed(clips):
    frames = []
    for i, clip in enumerate(clips):
      e = metrics.frame_embedding(clip, sr)
      frames.append(e[metrics.audible_mask(data['loudness_db'][i], fr,
                                           len(e))])
    return np.concatenate(frames)

  real = embed(data['audio'])

  def fd(clips):
    both = metrics.standardize({'x': embed(clips), 'real': real}, real)
    return metrics.frechet_distance(both['x'], both['real'])

  f0, ld = data['f0_hz'], data['loudness_db']
  oracles = {
      'encoder z (floor)': lambda i: z_enc[i],
      'random z (ceiling)': lambda i: generation.random_z(
          n_frames, trained.z_dims, scale, FLAGS.seed + i)[0],
      'another held-out clip\'s z': lambda i: z_enc[(i + n // 2) % n],
      'a training clip\'s z': lambda i: sequences[
          (i * 31) % len(sequences)]['z'][:n_frames],
      'own z, averaged over time': lambda i: np.repeat(
          z_enc[i].mean(0, keepdims=True), n_frames, 0),
      'linear regression on controls': lambda i: regressions.linear(f0[i],
                                                                    ld[i]),
      f'{FLAGS.knn}-NN regression on controls': lambda i: regressions.knn(
          f0[i], ld[i]),
  }
  for path in FLAGS.prior:
    prior = priors.load_prior(path)
    for mode in prior.SAMPLE_MODES:
      oracles[f'prior {prior.TYPE}:{mode}'] = (
          lambda i, p=prior, m=mode: sampler.sample_z(
              trained, p, f0[i], ld[i], seed=FLAGS.seed + i, mode=m))
  rows = {}
  for name, z_of in oracles.items():
    clips = [streaming.decode_audio(
        trained, f0[i], ld[i], np.asarray(z_of(i), np.float32),
        seed=FLAGS.seed + i) for i in range(n)]
    rows[name] = fd(clips)
    print(f'{name}: FD {rows[name]:.3f}', flush=True)
  floor, ceiling = rows['encoder z (floor)'], rows['random z (ceiling)']
  lines = ['| z dimension | ' + ' | '.join(
      str(d) for d in range(trained.z_dims)) + ' |',
           '| --- |' + ' --- |' * trained.z_dims]
  for name, r2 in regressions.scores.items():
    lines.append(f'| R^2, {name} | ' + ' | '.join(f'{v:.2f}' for v in r2) +
                 ' |')
  lines += ['', '| z decoded | FD | gap closed |', '| --- | --- | --- |']
  for name, value in rows.items():
    lines.append(f'| {name} | {value:.2f} | '
                 f'{(ceiling - value) / (ceiling - floor):.0%} |')
  table = '\n'.join(lines)
  print(table)
  print(f'({n} held-out examples, {time.time() - start:.0f} s)')
  if FLAGS.output:
    with open(FLAGS.output, 'w') as f:
      json.dump({'fd': rows, 'r2': {k: v.tolist() for k, v in
                                    regressions.scores.items()},
                 'n_examples': n, 'markdown': table}, f, indent=2)
      f.write('\n')


if __name__ == '__main__':
  flags.mark_flags_as_required(['model_dir', 'z_dataset',
                                'eval_tfrecord_pattern'])
  app.run(main)
