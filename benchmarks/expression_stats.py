# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""How notes are played: real recordings vs the expression model vs rules.

On held-out rendered files (their MIDI beside them), in one run:

* 'real': the recordings' own controls, from the note dataset
  `ddsp_generative_prepare_tfrecord` wrote beside their TFRecords (pYIN f0
  and ddsp's loudness, phrase by phrase, put back on each file's time line);
* 'expression' (each --expression model): the files' MIDI played by
  `controls.midi.MidiFile(expression=...)` (seed --seed);
* 'rules': the same MIDI through MidiFile's ADSR rules (the sampler's
  defaults for the embedded model's levels do not matter here: the
  statistics are relative).

Each is measured by `ddsp_generative.evaluation.expression_stats` against
the MIDI's notes: vibrato rate and depth, the loudness dip at legato
transitions, the share of silent frames between touching notes, the release
time; printed with the ratio to real (goal of issue 15: within 20 %).

  .venv/bin/python benchmarks/expression_stats.py \
    --note_dataset=/tmp/work/violin/heldout/notes_violin.json \
    --expression=/tmp/work/models/expr_violin --segmented
"""

import json
import os

from absl import app
from absl import flags

flags.DEFINE_string('note_dataset', None, 'Held-out note dataset (sources '
                    'with a .mid beside them).')
flags.DEFINE_list('expression', [], 'Expression model directories.')
flags.DEFINE_integer('seed', 0, 'Seed of the expression models.')
flags.DEFINE_boolean('segmented', False, 'Also measure against the '
                     'recordings\' own segmented notes (the note dataset\'s): '
                     'the recordings, and each expression model playing '
                     'those notes (its training convention, not the MIDI).')
flags.DEFINE_string('output', None, 'Also write the results as JSON here.')
FLAGS = flags.FLAGS

KEYS = ('vibrato_rate_hz', 'vibrato_depth_cents', 'transition_dip_db',
        'gap_silent_fraction', 'release_secs')


def real_takes(data):
  """{source: (f0_hz, loudness_db)} rebuilt from the phrases."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  rate = data['frame_rate']
  by_file = {}
  for p in data['phrases']:
    by_file.setdefault(p['path'], []).append(p)
  takes = {}
  for path, phrases in by_file.items():
    n = max(int(round(p['start_secs'] * rate)) + p['n_frames']
            for p in phrases)
    f0, loud = np.zeros(n), np.full(n, -120.0)
    for p in phrases:
      s = int(round(p['start_secs'] * rate))
      f0[s:s + p['n_frames']] = p['f0_hz']
      loud[s:s + p['n_frames']] = p['loudness_db']
    takes[path] = (f0, loud)
  return takes


def segmented_notes(data):
  """{source: [n, 5] segmented notes on the file's time line}."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  by_file = {}
  for p in data['phrases']:
    notes = p['notes'].copy()
    notes[:, [0, 1, 4]] += p['start_secs']
    by_file.setdefault(p['path'], []).append(notes)
  out = {}
  for path, parts in by_file.items():
    notes = np.concatenate(parts)
    out[path] = notes[np.argsort(notes[:, 0], kind='stable')]
  return out


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  from ddsp_generative.controls import midi  # pylint: disable=g-import-not-at-top
  from ddsp_generative.evaluation import expression_stats  # pylint: disable=g-import-not-at-top
  from ddsp_generative.evaluation import transcription  # pylint: disable=g-import-not-at-top
  from ddsp_generative.expression import note_dataset  # pylint: disable=g-import-not-at-top
  data = note_dataset.read(FLAGS.note_dataset)
  rate = data['frame_rate']
  takes = {p: t for p, t in real_takes(data).items()
           if os.path.exists(p[:-len('.wav')] + '.mid')}
  if not takes:
    raise app.UsageError(f'No source of {FLAGS.note_dataset} has a .mid.')
  sets = {'real': []}
  sets.update({'rules': []})
  for path in FLAGS.expression:
    sets[f'expression {os.path.basename(os.path.normpath(path))}'] = []
  for source, (f0, loud) in sorted(takes.items()):
    mid = source[:-len('.wav')] + '.mid'
    notes = transcription.midi_notes(mid)
    sets['real'].append(expression_stats.measure(f0, loud, notes, rate))
    rules = midi.MidiFile(mid).generate(rate)
    sets['rules'].append(expression_stats.measure(*rules, notes, rate))
    for path in FLAGS.expression:
      played = midi.MidiFile(mid, expression=path,
                             expression_seed=FLAGS.seed).generate(rate)
      sets[f'expression {os.path.basename(os.path.normpath(path))}'].append(
          expression_stats.measure(*played, notes, rate))
    if FLAGS.segmented:
      seg = segmented_notes(data)[source]
      seg_notes = seg[:, [0, 4, 2]]  # Onset, note-off, pitch.
      sets.setdefault('real (segmented notes)', []).append(
          expression_stats.measure(f0, loud, seg_notes, rate))
      for path in FLAGS.expression:
        played = playing_segmented(path, seg, rate)
        sets.setdefault(f'expression {os.path.basename(os.path.normpath(path))}'
                        ' (segmented notes)', []).append(
                            expression_stats.measure(*played, seg_notes,
                                                     rate))
    print(f'{os.path.basename(source)} done', flush=True)
  results = {name: expression_stats.summarize(s) for name, s in sets.items()}
  real = results['real']
  reference = lambda name: results['real (segmented notes)'] if (
      'segmented' in name) else real
  print(f'\n{len(takes)} held-out files of {FLAGS.note_dataset}\n')
  print('| set | ' + ' | '.join(KEYS) + ' |')
  print('|' + ' --- |' * (len(KEYS) + 1))
  for name, r in results.items():
    cells = []
    for k in KEYS:
      value, ref = r[k]['median'], reference(name)[k]['median']
      ratio = '' if name.startswith('real') or not ref else (
          f' ({value / ref:.2f}x)')
      cells.append(f"{value:.3g}{ratio}")
    print(f'| {name} | ' + ' | '.join(cells) + ' |')
  print('\nnotes measured (real): ' + ', '.join(
      f"{k} {real[k]['n']}" for k in KEYS))
  if FLAGS.output:
    with open(FLAGS.output, 'w') as f:
      json.dump(results, f, indent=1)


def playing_segmented(path, seg, rate):
  """(f0_hz, loudness_db) of an expression model playing segmented notes
  (their levels as they are; seed --seed)."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ddsp_generative.expression import playing  # pylint: disable=g-import-not-at-top
  from ddsp_generative.expression import saving  # pylint: disable=g-import-not-at-top
  model, _ = saving.load_model(path)
  if int(round(model.frame_rate)) != int(round(rate)):
    raise app.UsageError(f'{path} plays at {model.frame_rate} frames/s, the '
                         f'note dataset has {rate}.')
  line = playing.ExpressionLine(model, seg[:, 0], seg[:, 4],
                                np.round(seg[:, 2]), seg[:, 3],
                                seed=FLAGS.seed)
  return line.frames(0, line.n_frames)


if __name__ == '__main__':
  flags.mark_flags_as_required(['note_dataset'])
  app.run(main)
