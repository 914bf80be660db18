# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Notes segmented from f0 and loudness against the files' ground-truth MIDI.

For every WAV matching --audio_pattern that has a MIDI file beside it (as
`ddsp_generative_render_dataset` writes them), in one run:

* the controls as `ddsp_generative_prepare_tfrecord` computes them (16 kHz,
  250 frames/s: f0 and confidence by each of --f0_estimators, ddsp's
  loudness), segmented into notes by `ddsp_generative.expression.segmentation`
  (its defaults, or --gin_param bindings of `Segmenter`);
* beside them, the independent transcriber basic-pitch (0.4.0, ONNX) on the
  same audio, at its default onset threshold and at 0.7 (--no_transcriber
  skips it).

Each is scored against the MIDI's notes with mir_eval's note metrics (onset
within 50 ms, pitch within 50 cents; with offsets: also offset within 20 %
of the note or 50 ms), pooled over the files, with the onset error of the
matched notes (median and 90th percentile of |estimated - MIDI|, ms). The
table is printed in Markdown; --output writes it as JSON.

With --note_dataset=<notes_<prefix>.json> it scores instead the notes that
`ddsp_generative_prepare_tfrecord` wrote beside its TFRecords (the
pipeline's own controls and segmentation, phrase by phrase, put back on
their files' time line) against the MIDI beside their source files.

Features are cached in --cache_dir (one .npz per file and estimator) so that
trying segmentation parameters does not recompute pYIN.

  .venv/bin/python benchmarks/note_segmentation.py \
    --audio_pattern='/tmp/work/violin/heldout_audio/*.wav' \
    --cache_dir=/tmp/work/notes_cache
"""

import glob
import json
import os
import time

from absl import app
from absl import flags

flags.DEFINE_string('audio_pattern', None, 'WAV files with a .mid beside.')
flags.DEFINE_string('note_dataset', None, 'Score this note dataset instead.')
flags.DEFINE_list('f0_estimators', ['pyin', 'yin'], 'f0 estimators.')
flags.DEFINE_multi_string('gin_param', [], 'Segmenter bindings, e.g. '
                          '"Segmenter.dip_db = 4.0".')
flags.DEFINE_boolean('transcriber', True, 'Also score basic-pitch.')
flags.DEFINE_string('cache_dir', None, 'Feature cache folder.')
flags.DEFINE_string('output', None, 'Also write the results as JSON here.')
FLAGS = flags.FLAGS

SAMPLE_RATE = 16000
FRAME_RATE = 250
TRANSCRIBER_THRESHOLDS = (0.5, 0.7)


def controls(path, audio, estimator, cache_dir):
  """{'f0_hz', 'f0_confidence', 'loudness_db'} [n_frames] of one file."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import f0 as f0_lib  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import features  # pylint: disable=g-import-not-at-top
  cached = None
  if cache_dir:
    name = os.path.basename(path)[:-len('.wav')]
    cached = os.path.join(cache_dir, f'{name}.{estimator}.npz')
    if os.path.exists(cached):
      with np.load(cached) as data:
        return dict(data)
  hop = SAMPLE_RATE // FRAME_RATE
  n_frames = f0_lib.num_frames(len(audio), hop, center=True)
  f0_hz, confidence = f0_lib.estimate_f0(audio, SAMPLE_RATE, FRAME_RATE,
                                         n_frames, estimator)
  out = {'f0_hz': f0_hz, 'f0_confidence': confidence,
         'loudness_db': features.loudness_db(audio, SAMPLE_RATE, FRAME_RATE,
                                             n_frames)}
  if cached:
    os.makedirs(cache_dir, exist_ok=True)
    np.savez(cached + '.tmp.npz', **out)
    os.replace(cached + '.tmp.npz', cached)
  return out


def onset_errors_ms(reference, estimated):
  """|onset error| in ms of the notes mir_eval matches (no offsets)."""
  import mir_eval  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import units  # pylint: disable=g-import-not-at-top
  if not len(reference) or not len(estimated):
    return []
  pairs = mir_eval.transcription.match_notes(
      reference[:, :2], units.midi_to_hz(reference[:, 2]),
      estimated[:, :2], units.midi_to_hz(estimated[:, 2]),
      onset_tolerance=0.05, pitch_tolerance=50.0, offset_ratio=None)
  return [1000 * abs(estimated[j, 0] - reference[i, 0]) for i, j in pairs]


def pooled(rows):
  """Pools per-file counts into precision, recall, F1 and onset errors."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  n_ref = sum(r['n_reference'] for r in rows)
  n_est = sum(r['n_estimated'] for r in rows)
  hits = sum(r['hits'] for r in rows)
  hits_off = sum(r['hits_offsets'] for r in rows)
  errors = [e for r in rows for e in r['onset_errors_ms']]
  def f1(h):
    return 2 * h / (n_ref + n_est) if n_ref + n_est else 0.0
  return {'n_reference': n_ref, 'n_estimated': n_est,
          'precision': hits / n_est if n_est else 0.0,
          'recall': hits / n_ref if n_ref else 0.0,
          'f1': f1(hits), 'f1_with_offsets': f1(hits_off),
          'onset_error_median_ms': float(np.median(errors)) if errors else
                                   float('nan'),
          'onset_error_p90_ms': float(np.percentile(errors, 90)) if errors
                                else float('nan')}


def file_row(reference, estimated):
  """Counts of one file: reference, estimated, hits (and with offsets).

  Segmented notes (5 columns) are scored with their release (the note-off
  estimate) as the offset.
  """
  from ddsp_generative.evaluation import transcription  # pylint: disable=g-import-not-at-top
  if estimated.shape[1] == 5:
    estimated = estimated[:, [0, 4, 2]]
  scores = transcription.note_scores(reference, estimated[:, :3])
  n_ref, n_est = scores['n_reference'], scores['n_estimated']
  # F1 = 2 hits / (n_ref + n_est): back to whole matched notes.
  hits = int(round(scores['f1'] * (n_ref + n_est) / 2))
  hits_off = int(round(scores['f1_with_offsets'] * (n_ref + n_est) / 2))
  return {'n_reference': n_ref, 'n_estimated': n_est, 'hits': hits,
          'hits_offsets': hits_off,
          'onset_errors_ms': onset_errors_ms(reference, estimated)}


def score_note_dataset(path):
  """Prints the note dataset's notes against its sources' MIDI."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ddsp_generative.evaluation import transcription  # pylint: disable=g-import-not-at-top
  from ddsp_generative.expression import note_dataset  # pylint: disable=g-import-not-at-top
  data = note_dataset.read(path)
  by_file = {}
  for p in data['phrases']:
    notes = p['notes'].copy()
    notes[:, [0, 1, 4]] += p['start_secs']  # Onset, offset, release.
    by_file.setdefault(p['path'], []).append(notes)
  rows = []
  for source, parts in sorted(by_file.items()):
    midi = source[:-len('.wav')] + '.mid'
    if not os.path.exists(midi):
      continue
    rows.append(file_row(transcription.midi_notes(midi),
                         np.concatenate(parts)))
  if not rows:
    raise app.UsageError(f'No source of {path} has a .mid beside it.')
  r = pooled(rows)
  print(f"{len(rows)} files, {path} ({data['n_notes']} notes; "
        f"segmenter {data['segmenter']})\n")
  print('| notes (MIDI) | notes found | precision | recall | F1 | F1 with '
        'offsets | onset error median / p90 (ms) |')
  print('| --- | --- | --- | --- | --- | --- | --- |')
  print(f"| {r['n_reference']} | {r['n_estimated']} | {r['precision']:.2f} | "
        f"{r['recall']:.2f} | {r['f1']:.2f} | {r['f1_with_offsets']:.2f} | "
        f"{r['onset_error_median_ms']:.0f} / {r['onset_error_p90_ms']:.0f} |")
  return r


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  if FLAGS.note_dataset:
    result = score_note_dataset(FLAGS.note_dataset)
    if FLAGS.output:
      with open(FLAGS.output, 'w') as f:
        json.dump(result, f, indent=1)
    return
  if not FLAGS.audio_pattern:
    raise app.UsageError('Give --audio_pattern or --note_dataset.')
  import gin  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import audio_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative.evaluation import transcription  # pylint: disable=g-import-not-at-top
  from ddsp_generative.expression import segmentation  # pylint: disable=g-import-not-at-top
  gin.parse_config(FLAGS.gin_param)
  segmenter = segmentation.Segmenter()
  paths = sorted(p for p in glob.glob(FLAGS.audio_pattern)
                 if os.path.exists(p[:-len('.wav')] + '.mid'))
  if not paths:
    raise app.UsageError(f'No WAV with a .mid beside it matches '
                         f'{FLAGS.audio_pattern!r}.')
  methods = [f'segmentation ({e})' for e in FLAGS.f0_estimators]
  if FLAGS.transcriber:
    methods += [f'basic-pitch (onset {t})' for t in TRANSCRIBER_THRESHOLDS]
  rows = {m: [] for m in methods}
  seconds = {m: 0.0 for m in methods}
  total_secs = 0.0
  for k, path in enumerate(paths):
    audio, _ = audio_io.load_audio(path, SAMPLE_RATE)
    total_secs += len(audio) / SAMPLE_RATE
    reference = transcription.midi_notes(path[:-len('.wav')] + '.mid')
    for estimator in FLAGS.f0_estimators:
      c = controls(path, audio, estimator, FLAGS.cache_dir)
      start = time.time()
      notes = segmenter.segment(c['f0_hz'], c['loudness_db'], FRAME_RATE,
                                c['f0_confidence'])
      seconds[f'segmentation ({estimator})'] += time.time() - start
      rows[f'segmentation ({estimator})'].append(file_row(reference, notes))
    if FLAGS.transcriber:
      for threshold in TRANSCRIBER_THRESHOLDS:
        start = time.time()
        notes = transcription.transcribe(audio, SAMPLE_RATE,
                                         onset_threshold=threshold)
        seconds[f'basic-pitch (onset {threshold})'] += time.time() - start
        rows[f'basic-pitch (onset {threshold})'].append(
            file_row(reference, notes))
    print(f'{k + 1}/{len(paths)} files', flush=True)
  results = {m: dict(pooled(rows[m]),
                     x_real_time=total_secs / max(seconds[m], 1e-9))
             for m in methods}
  print(f'\n{len(paths)} files, {total_secs / 60:.1f} min, '
        f'{FLAGS.audio_pattern}; {segmenter}\n')
  print('| method | notes (MIDI) | notes found | precision | recall | F1 | '
        'F1 with offsets | onset error median / p90 (ms) | x real time |')
  print('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for m, r in results.items():
    print(f"| {m} | {r['n_reference']} | {r['n_estimated']} | "
          f"{r['precision']:.2f} | {r['recall']:.2f} | {r['f1']:.2f} | "
          f"{r['f1_with_offsets']:.2f} | {r['onset_error_median_ms']:.0f} / "
          f"{r['onset_error_p90_ms']:.0f} | {r['x_real_time']:.0f} |")
  if FLAGS.output:
    with open(FLAGS.output, 'w') as f:
      json.dump({'files': paths, 'segmenter': str(segmenter),
                 'results': results}, f, indent=1)


if __name__ == '__main__':
  app.run(main)
