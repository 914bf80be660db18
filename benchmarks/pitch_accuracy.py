# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Pitch accuracy and speed of each f0 estimator on rendered instruments.

Renders a few minutes of each instrument (FluidR3 samples, public-domain
melodies, ground-truth f0; `ddsp_generative_render_dataset`) and scores every
estimator on the same files with `evaluate_pitch_lib`, as
`ddsp_generative_evaluate_pitch` does: raw pitch accuracy within 50 cents on
audible frames (goal >= 97%), raw chroma accuracy, median absolute cents,
voicing precision/recall and speed (x real time, one core).

Usage:
  .venv/bin/python benchmarks/pitch_accuracy.py \
    [--instruments=violin,flute,cello,trumpet] [--minutes=2.5] \
    [--estimators=pyin,yin] [--data_dir=/tmp/ddsp_generative_bench]
"""

import os
import time

from absl import app
from absl import flags

from ddsp_generative.evaluation import pitch as evaluate_pitch_lib
import rendered_data

flags.DEFINE_list('instruments', ['violin', 'flute', 'cello', 'trumpet'],
                  'Instruments to render and score.')
flags.DEFINE_float('minutes', 2.5, 'Minutes of audio per instrument.')
flags.DEFINE_integer('seed', 0, 'Render seed.')
flags.DEFINE_list('estimators', [], 'Default: pyin, yin (+ crepe when '
                  'installed).')
flags.DEFINE_integer('frame_rate', 250, 'Estimator frame rate.')
flags.DEFINE_string('data_dir', rendered_data.DEFAULT_DIR,
                    'Rendered audio (reused) and results.')
FLAGS = flags.FLAGS

GOAL_RPA = 0.97


def main(argv):
  del argv
  estimators = FLAGS.estimators or evaluate_pitch_lib.default_estimators()
  rows = []
  for instrument in FLAGS.instruments:
    start = time.time()
    paths = rendered_data.rendered(instrument, FLAGS.minutes, FLAGS.seed,
                                   FLAGS.data_dir)
    render_secs = time.time() - start
    out = os.path.join(FLAGS.data_dir, 'results',
                       f'pitch_{instrument}_{FLAGS.minutes:g}min.json')
    record = evaluate_pitch_lib.evaluate_pitch(
        paths, out, estimators=estimators, frame_rate=FLAGS.frame_rate,
        plot_dir=os.path.splitext(out)[0] + '_plots', overwrite=True)
    print(f'{instrument}: {len(paths)} files, '
          f"{record['audio_secs'] / 60:.1f} min (rendered or found in "
          f'{render_secs:.0f} s); results {out}')
    for name, t in record['totals'].items():
      rows.append((instrument, name, t, record['audio_secs']))

  def pct(x):
    return '-' if x is None else f'{100 * x:.1f}%'

  print(f'\nPitch accuracy against ground truth (frame rate '
        f'{FLAGS.frame_rate} Hz, audible frames; {os.cpu_count()} cores)')
  print('| instrument | estimator | audible frames | RPA (50 c) | RCA | '
        'median abs cents | voicing precision | voicing recall | '
        'speed (x real time, 1 core) |')
  print('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for instrument, name, t, _ in rows:
    print(f"| {instrument} | {name} | {t['n_audible']} | {pct(t['rpa'])} | "
          f"{pct(t['rca'])} | {t['median_abs_cents']:.1f} | "
          f"{pct(t['voicing_precision'])} | {pct(t['voicing_recall'])} | "
          f"{t['realtime_factor']:.1f} |")
  print()
  for name in estimators:
    mine = [t for _, n, t, _ in rows if n == name]
    worst = min(t['rpa'] for t in mine)
    speed = (sum(s for _, n, _, s in rows if n == name) /
             sum(t['estimation_secs'] for t in mine))
    print(f'{name}: worst RPA {100 * worst:.1f}% (goal >= '
          f"{100 * GOAL_RPA:.0f}%: {'met' if worst >= GOAL_RPA else 'NOT met'}"
          f'), {speed:.1f}x real time on one core')
  by_name = {n: [t for _, m, t, _ in rows if m == n] for n in estimators}
  if 'pyin' in by_name and 'yin' in by_name:
    gain = [a['rpa'] - b['rpa'] for a, b in zip(by_name['pyin'],
                                               by_name['yin'])]
    print(f'pyin - yin RPA per instrument: '
          f"{', '.join(f'{100 * g:+.1f} pt' for g in gain)}")


if __name__ == '__main__':
  app.run(main)
