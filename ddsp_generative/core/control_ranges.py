# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The pitch and loudness a model was trained on, and requests outside them.

A DDSP decoder only knows the (f0, loudness) it saw: asked for a pitch an
octave below its data, or 30 dB quieter, it plays something, but not the
instrument. So every stage that sees the training controls records their
percentiles, in one format (the `training_controls` of the embedded default
model's manifest):

  {'f0_hz': {'p5': ..., 'p10': ..., 'p50': ..., 'p90': ..., 'p95': ...},
   'loudness_db': {...}, 'n_frames': N}

and, from TFRecords that hold them, the same percentiles of each timbre
descriptor (`core.descriptors`) under 'descriptors': {name: {...}}

over audible frames (loudness above AUDIBLE_DB, f0 above 0). The data
preparation pipeline computes them in a mergeable form (a histogram per
chunk, summed per split), `ddsp_generative_fit_prior` from the z dataset's
controls (so that a model directory with its prior carries them), and the
sampler reads them back (`sampling.sampler.training_controls`) to choose
default levels and to warn about requests outside them.
"""

import numpy as np

from ddsp_generative.core import descriptors as descriptors_lib
from ddsp_generative.core import units

# Frames at or below this loudness (ddsp's dB scale) are silence: they say
# nothing about the levels the instrument was played at.
AUDIBLE_DB = -60.0
PERCENTILES = (5, 10, 50, 90, 95)
# Histogram resolution: 0.1 semitone and 0.25 dB (exact enough for levels;
# small enough to carry per chunk through a Beam pipeline).
MIDI_BIN = 0.1
DB_BIN = 0.25
# A request is outside the training data when its pitch leaves [p5, p95] by
# more than this many semitones, or its level by more than this many dB.
PITCH_MARGIN_SEMITONES = 3.0
LOUDNESS_MARGIN_DB = 6.0
# Share of a request's audible frames that may lie beyond the pitch margin
# (glides and ornaments) before it counts as outside.
OUTSIDE_SHARE = 0.1


def audible(f0_hz, loudness_db):
  """Mask of the frames that count: audible, voiced and finite.

  Args:
    f0_hz: [n_frames] Hz.
    loudness_db: [n_frames] dB (ddsp's scale).

  Returns:
    bool [n_frames].
  """
  f0_hz = np.asarray(f0_hz, np.float64).ravel()
  loudness_db = np.asarray(loudness_db, np.float64).ravel()
  with np.errstate(invalid='ignore'):
    return (np.isfinite(f0_hz) & np.isfinite(loudness_db) & (f0_hz > 0) &
            (loudness_db > AUDIBLE_DB))


# Histogram bins of the timbre descriptors (`core.descriptors`): the
# centroid on the MIDI scale of its frequency, flatness in dB.
DESCRIPTOR_BINS = {'spectral_centroid_hz': 0.1, 'spectral_flatness': 0.25,
                   'periodicity': 0.005, 'odd_even_ratio_db': 0.25}


def histogram(f0_hz, loudness_db, descriptors=None):
  """A mergeable summary of a chunk's controls (JSON-friendly).

  Args:
    f0_hz: [n_frames] Hz.
    loudness_db: [n_frames] dB.
    descriptors: None, or {name: [n_frames]} of `core.descriptors` values
      (names in DESCRIPTOR_BINS) on the same frames.

  Returns:
    {'midi': {bin: count}, 'loudness_db': {bin: count}} with string keys
    (bin index = round(value / bin width)) over audible frames, and one
    more such dict per descriptor.
  """
  keep = audible(f0_hz, loudness_db)
  midi = units.hz_to_midi(np.asarray(f0_hz, np.float64).ravel()[keep])
  loud = np.asarray(loudness_db, np.float64).ravel()[keep]
  columns = [('midi', midi, MIDI_BIN), ('loudness_db', loud, DB_BIN)]
  for name, values in sorted((descriptors or {}).items()):
    values = np.asarray(values, np.float64).ravel()[keep]
    columns.append((name, descriptors_lib.to_scale(name, values),
                    DESCRIPTOR_BINS[name]))
  out = {}
  for name, values, width in columns:
    bins, counts = np.unique(np.round(values / width).astype(np.int64),
                             return_counts=True)
    out[name] = {str(int(b)): int(c) for b, c in zip(bins, counts)}
  return out


def merge(histograms):
  """Sums `histogram` outputs."""
  out = {'midi': {}, 'loudness_db': {}}
  for hist in histograms:
    for name, bins in hist.items():
      merged = out.setdefault(name, {})
      for b, c in bins.items():
        merged[b] = merged.get(b, 0) + c
  return out


def descriptor_ranges(hist):
  """Percentiles of the descriptors of a (merged) histogram.

  Args:
    hist: From `histogram` or `merge`.

  Returns:
    {name: {'p5': ..., ..., 'p95': ...}} for the descriptors it holds, in
    their own units; {} when it holds none.
  """
  out = {}
  for name, width in DESCRIPTOR_BINS.items():
    bins = hist.get(name)
    if not bins:
      continue
    values = np.array([int(b) for b in bins], np.float64) * width
    counts = np.array(list(bins.values()), np.float64)
    values = descriptors_lib.from_scale(
        name, _weighted_percentiles(values, counts, PERCENTILES))
    out[name] = {f'p{p}': float(f'{float(v):.4g}')
                 for p, v in zip(PERCENTILES, values)}
  return out


def _weighted_percentiles(values, counts, percentiles):
  order = np.argsort(values)
  values, counts = values[order], counts[order]
  cumulative = np.cumsum(counts)
  ranks = np.asarray(percentiles, np.float64) / 100.0 * cumulative[-1]
  return values[np.minimum(np.searchsorted(cumulative, ranks, side='left'),
                           len(values) - 1)]


def from_histogram(hist):
  """Percentiles of a (merged) histogram, in the `training_controls` format.

  Args:
    hist: From `histogram` or `merge`.

  Returns:
    {'f0_hz': {'p5': ...}, 'loudness_db': {...}, 'n_frames': N}, or None when
    no frame was audible.
  """
  midi = hist.get('midi', {})
  if not midi:
    return None
  out = {}
  for name, width in (('midi', MIDI_BIN), ('loudness_db', DB_BIN)):
    bins = np.array([int(b) for b in hist[name]], np.float64) * width
    counts = np.array(list(hist[name].values()), np.float64)
    values = _weighted_percentiles(bins, counts, PERCENTILES)
    if name == 'midi':
      name, values = 'f0_hz', units.midi_to_hz(values)
    out[name] = {f'p{p}': round(float(v), 1)
                 for p, v in zip(PERCENTILES, values)}
  out['n_frames'] = int(sum(midi.values()))
  descriptors = descriptor_ranges(hist)
  if descriptors:
    out['descriptors'] = descriptors
  return out


def from_controls(f0_hz, loudness_db):
  """Exact percentiles of frames' controls, in the same format.

  Args:
    f0_hz: [n_frames] Hz (any shape; flattened).
    loudness_db: [n_frames] dB.

  Returns:
    As `from_histogram`, or None when no frame was audible.
  """
  f0_hz = np.asarray(f0_hz, np.float64).ravel()
  loudness_db = np.asarray(loudness_db, np.float64).ravel()
  keep = audible(f0_hz, loudness_db)
  if not keep.any():
    return None
  out = {name: {f'p{p}': round(float(v), 1)
                for p, v in zip(PERCENTILES, np.percentile(x[keep],
                                                           PERCENTILES))}
         for name, x in (('f0_hz', f0_hz), ('loudness_db', loudness_db))}
  out['n_frames'] = int(keep.sum())
  return out


def default_peak_db(ranges):
  """A note's peak level that sits inside the training loudness.

  Halfway between the median and the 90th percentile of audible frames:
  notes then peak where the instrument usually played, with the ADSR's
  attack and release below.

  Args:
    ranges: `training_controls` dict.

  Returns:
    dB, rounded to 0.5 dB.
  """
  loudness = ranges['loudness_db']
  return round(0.5 * (loudness['p50'] + loudness['p90']) * 2.0) / 2.0


def describe(ranges):
  """'MIDI 53.0-68.2, -14.6 to -1.5 dB' (p5-p95)."""
  lo, hi = units.hz_to_midi([ranges['f0_hz']['p5'], ranges['f0_hz']['p95']])
  return (f"MIDI {lo:.1f}-{hi:.1f}, {ranges['loudness_db']['p5']:g} to "
          f"{ranges['loudness_db']['p95']:g} dB (p5-p95)")


def pitch_edges(ranges):
  """MIDI (low, high) beyond which a frame's pitch is outside the data."""
  lo_midi, hi_midi = units.hz_to_midi([ranges['f0_hz']['p5'],
                                       ranges['f0_hz']['p95']])
  return lo_midi - PITCH_MARGIN_SEMITONES, hi_midi + PITCH_MARGIN_SEMITONES


def findings(midi_min, midi_max, below, above, level, ranges):
  """The phrases of `outside`, from statistics of the audible frames.

  Args:
    midi_min: Lowest audible pitch (MIDI).
    midi_max: Highest audible pitch (MIDI).
    below: Share of audible frames below `pitch_edges(ranges)[0]`.
    above: Share of audible frames above `pitch_edges(ranges)[1]`.
    level: 90th percentile of the audible frames' loudness (dB).
    ranges: `training_controls` dict.

  Returns:
    A list of short phrases (empty when the request is inside).
  """
  lo_midi, hi_midi = pitch_edges(ranges)
  found = []
  if below + above > OUTSIDE_SHARE:
    sides = ', '.join(f'{100 * share:.0f}% of frames {where} MIDI {edge:.1f}'
                      for share, where, edge in ((below, 'below', lo_midi),
                                                 (above, 'above', hi_midi))
                      if share)
    found.append(f'pitch MIDI {midi_min:.1f} to {midi_max:.1f} ({sides})')
  lo_db = ranges['loudness_db']['p5'] - LOUDNESS_MARGIN_DB
  hi_db = ranges['loudness_db']['p95'] + LOUDNESS_MARGIN_DB
  if not lo_db <= level <= hi_db:
    found.append(f'loudness {level:.1f} dB (its 90th percentile; the data '
                 f'allows {lo_db:g} to {hi_db:g} dB)')
  return found


def outside(f0_hz, loudness_db, ranges):
  """What of a request lies outside the training controls.

  Pitch: more than OUTSIDE_SHARE of the audible frames beyond [p5, p95] of
  the data by PITCH_MARGIN_SEMITONES. Loudness: the request's level (the 90th
  percentile of its audible frames: its notes' peaks, not their attacks and
  releases) beyond [p5, p95] by LOUDNESS_MARGIN_DB.

  Args:
    f0_hz: [n_frames] requested Hz.
    loudness_db: [n_frames] requested dB.
    ranges: `training_controls` dict.

  Returns:
    A list of short phrases (empty when the request is inside), e.g.
    ['pitch MIDI 40.0 to 52.0 (100% of frames below MIDI 61.9)'].
  """
  keep = audible(f0_hz, loudness_db)
  if not keep.any():
    return []
  midi = units.hz_to_midi(np.asarray(f0_hz, np.float64).ravel()[keep])
  loud = np.asarray(loudness_db, np.float64).ravel()[keep]
  lo_midi, hi_midi = pitch_edges(ranges)
  return findings(midi.min(), midi.max(), np.mean(midi < lo_midi),
                  np.mean(midi > hi_midi), float(np.percentile(loud, 90)),
                  ranges)
