# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Composed phrases vs the training melodies, per phrase-model order.

In one run, for Markov orders --orders fitted on the training split of a
note dataset (`expression.phrases.train_phrase_model`'s data) and, with
--phrase_model, a saved model (e.g. the embedded default's):

* --n_phrases phrases composed with seeds 0, 1, ... (default settings:
  `PhraseModel.compose`), compared with the training melodies by
  `ddsp_generative.evaluation.phrase_stats`: notes inside the training
  range, interval / duration / interval-pair histogram distances (total
  variation), distinct phrases, the longest run copied from one training
  melody (intervals and rhythm; intervals alone);
* floors: the same distances and copy length for real held-out melodies
  (--held_out, e.g. the note dataset of another render), which no model
  should need to beat;
* held-out bits per note (intervals, rhythm) under each model: the
  standard score of melody models (IDyOM), lower is better.

  .venv/bin/python benchmarks/phrase_model.py \
    --note_dataset=/tmp/work/violin/data/notes_violin.json \
    --held_out=/tmp/work/violin/heldout/notes_violin.json \
    --phrase_model=ddsp_generative/sampling/default_model/expression
"""

import json
import time

from absl import app
from absl import flags

flags.DEFINE_string('note_dataset', None, 'Training note dataset.')
flags.DEFINE_string('held_out', None, 'Held-out note dataset (floors).')
flags.DEFINE_string('phrase_model', None, 'Also a saved phrase model.')
flags.DEFINE_list('orders', ['0', '1', '2', '3'], 'Markov orders fitted.')
flags.DEFINE_integer('n_phrases', 100, 'Phrases composed per model.')
flags.DEFINE_string('output', None, 'Also write the results as JSON here.')
FLAGS = flags.FLAGS

COLUMNS = (('in_range_fraction', 'in range', '{:.3f}'),
           ('distinct_phrases', 'distinct', '{:d}'),
           ('interval_tv', 'interval TV', '{:.3f}'),
           ('duration_tv', 'duration TV', '{:.3f}'),
           ('interval_pair_tv', 'pair TV', '{:.3f}'),
           ('longest_copy_notes', 'longest copy', '{:d}'),
           ('median_longest_copy_notes', 'median copy', '{:.0f}'),
           ('longest_copy_intervals_only_notes', 'copy (pitch)', '{:d}'),
           ('bits_intervals', 'bits/int', '{:.2f}'),
           ('bits_rhythm', 'bits/rhythm', '{:.2f}'),
           ('compose_ms', 'ms/phrase', '{:.1f}'))


def main(unused_argv):
  from ddsp_generative.evaluation import phrase_stats  # pylint: disable=g-import-not-at-top
  from ddsp_generative.expression import note_dataset  # pylint: disable=g-import-not-at-top
  from ddsp_generative.expression import phrases  # pylint: disable=g-import-not-at-top
  from ddsp_generative.expression import sequences  # pylint: disable=g-import-not-at-top
  data = note_dataset.read(FLAGS.note_dataset)
  train = [p for p in data['phrases'] if p['split'] in ('train', 'all')]
  melodies = sequences.training_sequences(train, data['frame_rate'])
  held = None
  if FLAGS.held_out:
    other = note_dataset.read(FLAGS.held_out)
    held = sequences.training_sequences(other['phrases'],
                                        other['frame_rate'])
  models = [(f'order {o}', phrases.PhraseModel.fit(melodies, order=int(o)))
            for o in FLAGS.orders]
  if FLAGS.phrase_model:
    models.append((f'saved ({FLAGS.phrase_model})',
                   phrases.load(FLAGS.phrase_model)))
  results = {}
  for name, model in models:
    start = time.perf_counter()
    composed = [model.compose(seed=s) for s in range(FLAGS.n_phrases)]
    ms = 1000 * (time.perf_counter() - start) / FLAGS.n_phrases
    stats = phrase_stats.compare(composed, melodies, held)
    stats['compose_ms'] = ms
    if held:
      bits = model.cross_entropy(held)
      stats['bits_intervals'] = bits['intervals']
      stats['bits_rhythm'] = bits['rhythm']
    results[name] = stats
  print(f'Training: {len(melodies)} melodies, '
        f'{sum(len(m.pitches) for m in melodies)} notes; held-out: '
        f'{len(held) if held else 0} melodies; {FLAGS.n_phrases} phrases '
        'per model.')
  header = ['model'] + [c[1] for c in COLUMNS]
  print('| ' + ' | '.join(header) + ' |')
  print('|' + ' --- |' * len(header))
  for name, stats in results.items():
    cells = [c[2].format(stats[c[0]]) if c[0] in stats else '-'
             for c in COLUMNS]
    print(f'| {name} | ' + ' | '.join(cells) + ' |')
  if held:
    first = next(iter(results.values()))
    print(f'| held-out real melodies (floor) | 1.000 | {len(held)} | '
          f'{first["floor_interval_tv"]:.3f} | '
          f'{first["floor_duration_tv"]:.3f} | '
          f'{first["floor_interval_pair_tv"]:.3f} | '
          f'{first["floor_longest_copy_notes"]} | - | - | - | - | - |')
  if FLAGS.output:
    with open(FLAGS.output, 'w') as f:
      json.dump(results, f, indent=1)


if __name__ == '__main__':
  flags.mark_flag_as_required('note_dataset')
  app.run(main)
