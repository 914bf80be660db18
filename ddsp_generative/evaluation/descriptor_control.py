# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Does a model do what its descriptor controls ask? (issue 18)

For a model that decodes from timbre descriptors (`TrainedModel.
descriptors`), `sweep` plays real held-out controls (f0, loudness and the
clips' own descriptors) with one descriptor replaced by a constant request,
at levels spread over the training data's range (its p10 to p90, evenly on
the descriptor's own scale), and measures that descriptor on the output
with the same function that measured the training data
(`core.descriptors.compute`). `fit` scores requested against measured, per
clip (the median over its audible, voiced frames) and on the model's input
scale (`scale`, `core.descriptors.to_scale`: the centroid in semitones,
flatness and the odd/even ratio in dB, periodicity as is):

* 'r2': the coefficient of determination of the least-squares line
  (correlation squared): does the output follow the request?
* 'slope': that line's slope (1: a request of +1 semitone of centroid moves
  the output by one);
* 'r2_identity': 1 - SS(measured - requested) / SS(measured - mean): the
  output is the request itself.

A constant request at the range's ends asks for combinations the data never
had (a dark tone at the loudest level: the centroid follows loudness and
pitch), so `sweep(relative=True)` also asks for offsets from each clip's
own curve ("brighter by 2 semitones"), evenly over +-half the p10-p90
range, and scores the measured shift (against the same clip played with its
own curve) against the requested offset.

Pitch and loudness must be unharmed: every swept clip's f0 (re-estimated)
and loudness are scored against the requested ones (`consistency`), beside
the same for the clips played with their own descriptors.
"""

import numpy as np
from tqdm import tqdm

from ddsp_generative.core import descriptors as descriptors_lib
from ddsp_generative.evaluation import metrics

LEVELS = 5
AUDIBLE_DB = -50.0  # Frames scored: louder than this, and voiced.
VOICED_CONFIDENCE = 0.5


scale = descriptors_lib.to_scale
unscale = descriptors_lib.from_scale


def levels(key, ranges, n=LEVELS):
  """n requests from the training p10 to p90, evenly on `scale`.

  Args:
    key: The descriptor.
    ranges: {key: {'p10', 'p90', ...}} (`control_ranges.descriptor_ranges`,
      the metadata's training_controls['descriptors']).
    n: Levels.

  Returns:
    float64 [n] in the descriptor's own units.
  """
  lo, hi = scale(key, [ranges[key]['p10'], ranges[key]['p90']])
  return unscale(key, np.linspace(lo, hi, n))


def scored_frames(data):
  """bool [n_clips, n_frames]: audible and voiced frames of real controls."""
  return ((np.asarray(data['loudness_db']) > AUDIBLE_DB) &
          (np.asarray(data['f0_hz']) > 0) &
          (np.asarray(data['f0_confidence']) >= VOICED_CONFIDENCE))


def measure(audio, f0_hz, frame_rate, key):
  """The descriptor `key` of decoded clips, [n_clips, n_frames]."""
  return np.stack([
      descriptors_lib.compute(a, f, frame_rate, f0_hz.shape[1])[key]
      for a, f in zip(audio, np.asarray(f0_hz))])


def clip_medians(values, mask, key):
  """Per-clip median of `values` on `scale`, over mask; NaN if none."""
  out = np.full(len(values), np.nan)
  scaled = scale(key, values)
  for i, (v, m) in enumerate(zip(scaled, mask)):
    if m.sum() >= 10:
      out[i] = float(np.median(v[m]))
  return out


def decode_clips(trained, data, descriptors, batch_size=16, seed=0):
  """Audio of each clip's controls with the given descriptor curves.

  Args:
    trained: `model_io.TrainedModel` (with descriptors, or none).
    data: `TrainedModel.read_tfrecords` arrays.
    descriptors: {key: [n_clips, n_frames]} for the model's descriptors.
    batch_size: Clips per call.
    seed: Seed of the noise (batch i: seed + i).

  Returns:
    float32 [n_clips, n_samples].
  """
  out = []
  n = len(data['f0_hz'])
  for start in range(0, n, batch_size):
    part = slice(start, min(n, start + batch_size))
    out.append(trained.decode(
        data['f0_hz'][part], data['loudness_db'][part], seed=seed + start,
        descriptors={k: v[part] for k, v in descriptors.items()}))
  return np.concatenate(out)


def consistency(trained, audio, data, mask, f0_estimator='yin'):
  """(f0 share within 50 cents, median |cents|, loudness L1 dB) of clips."""
  cents = np.stack([
      metrics.f0_consistency(a, trained.sample_rate, trained.frame_rate, f,
                             ld, audible_db=AUDIBLE_DB, voiced=m,
                             estimator=f0_estimator)
      for a, f, ld, m in zip(audio, data['f0_hz'], data['loudness_db'],
                             mask)])
  accuracy, median, _ = metrics.f0_agreement(cents)
  l1 = metrics.loudness_l1(audio, trained.sample_rate, trained.frame_rate,
                           data['loudness_db'])
  return {'f0_accuracy_50_cents': accuracy, 'f0_median_abs_cents': median,
          'loudness_l1_db': float(np.mean(l1[mask])) if mask.any() else None}


def fit(requested, measured):
  """Requested vs measured (on `scale`): r2, slope, r2_identity, n."""
  requested = np.asarray(requested, np.float64)
  measured = np.asarray(measured, np.float64)
  keep = np.isfinite(requested) & np.isfinite(measured)
  x, y = requested[keep], measured[keep]
  if len(x) < 3 or np.ptp(x) == 0:
    return {'r2': None, 'slope': None, 'intercept': None,
            'r2_identity': None, 'n': int(len(x))}
  slope, intercept = np.polyfit(x, y, 1)
  total = float(np.sum((y - y.mean()) ** 2))
  resid = float(np.sum((y - (slope * x + intercept)) ** 2))
  identity = float(np.sum((y - x) ** 2))
  return {'r2': 1.0 - resid / total if total else None,
          'slope': float(slope), 'intercept': float(intercept),
          'r2_identity': 1.0 - identity / total if total else None,
          'n': int(len(x))}


def offsets(key, ranges, n=LEVELS):
  """n offsets (on `scale`) evenly over +-half the training p10-p90 range."""
  lo, hi = scale(key, [ranges[key]['p10'], ranges[key]['p90']])
  return np.linspace(-(hi - lo) / 2, (hi - lo) / 2, n)


def sweep(trained, data, ranges, n_levels=LEVELS, f0_estimator='yin',
          seed=0, progress=True, relative=True):
  """Each descriptor of the model swept over its training range.

  Args:
    trained: `model_io.TrainedModel` with descriptors.
    data: Held-out `read_tfrecords` arrays (with the descriptors).
    ranges: Training descriptor percentiles ({key: {'p10', 'p90', ...}}).
    n_levels: Requests per descriptor.
    f0_estimator: Estimator of the consistency check.
    seed: Noise seed.
    progress: Show a progress bar.
    relative: Also sweep offsets from each clip's own curve (`offsets`).

  Returns:
    {'own': consistency with the clips' own descriptors, 'descriptors':
    {key: {'levels', 'fit', 'consistency', 'requested', 'measured'} and,
    with `relative`, 'offsets', 'offset_fit'}}.
  """
  mask = scored_frames(data)
  own = {k: data[k] for k in trained.descriptors}
  audio = decode_clips(trained, data, own, seed=seed)
  out = {'own': consistency(trained, audio, data, mask, f0_estimator),
         'descriptors': {}}
  own_measured = {k: clip_medians(measure(audio, data['f0_hz'],
                                          trained.frame_rate, k), mask, k)
                  for k in trained.descriptors}
  steps = [(k, v) for k in trained.descriptors
           for v in levels(k, ranges, n_levels)]
  results = {k: {'requested': [], 'measured': [], 'audio': []}
             for k in trained.descriptors}
  for key, level in tqdm(steps, desc='descriptor sweep', unit='level',
                         disable=not progress):
    curves = dict(own, **{key: np.full_like(data[key], level)})
    audio = decode_clips(trained, data, curves, seed=seed)
    measured = clip_medians(measure(audio, data['f0_hz'], trained.frame_rate,
                                    key), mask, key)
    results[key]['requested'] += [float(scale(key, level))] * len(measured)
    results[key]['measured'] += measured.tolist()
    results[key]['audio'].append(audio)
  for key, r in results.items():
    swept = np.concatenate(r.pop('audio'))
    tiled = {k: np.concatenate([data[k]] * n_levels)
             for k in ('f0_hz', 'loudness_db')}
    out['descriptors'][key] = {
        'levels': [float(v) for v in levels(key, ranges, n_levels)],
        'fit': fit(r['requested'], r['measured']),
        'consistency': consistency(trained, swept, tiled,
                                   np.concatenate([mask] * n_levels),
                                   f0_estimator),
        'requested': r['requested'], 'measured': r['measured']}
    if relative:
      requested, shifts = [], []
      for offset in offsets(key, ranges, n_levels):
        curves = dict(own, **{key: unscale(key, scale(key, data[key]) +
                                           offset).astype(np.float32)})
        shifted = decode_clips(trained, data, curves, seed=seed)
        measured = clip_medians(measure(shifted, data['f0_hz'],
                                        trained.frame_rate, key), mask, key)
        requested += [float(offset)] * len(measured)
        shifts += (measured - own_measured[key]).tolist()
      out['descriptors'][key].update({
          'offsets': [float(v) for v in offsets(key, ranges, n_levels)],
          'offset_fit': fit(requested, shifts),
          'offset_requested': requested, 'offset_measured': shifts})
  return out


def training_ranges(pattern):
  """Training descriptor percentiles from a TFRecord pattern's metadata."""
  from ddsp_generative.core import tfrecords  # pylint: disable=g-import-not-at-top
  found, _ = tfrecords.find_metadata(tfrecords.match_files(pattern))
  for record in found.values():
    ranges = (record.get('training_controls') or {}).get('descriptors')
    if ranges:
      return ranges
  return {}

