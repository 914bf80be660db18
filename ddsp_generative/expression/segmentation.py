# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Notes from frame-level f0 and loudness: an offline segmentation.

The controls of the TFRecords (ddsp's 'f0_hz', 'f0_confidence' and
'loudness_db' at the frame rate) are cut into notes, each an onset, an
offset, a pitch and a level, in four steps:

1. **Sounding frames**: loudness above `floor_db` and within `range_db` of
   the phrase's loud level (its 95th percentile), and f0 confidence at least
   `min_confidence` where a confidence is given; gaps shorter than
   `min_rest_secs` are closed (a dropout of the estimator, not a rest).
2. **Pitch**: f0 in MIDI, median-filtered over `smooth_secs`.
3. **Pitch changes**: in each sounding run a note holds its pitch until the
   pitch leaves it by more than `hysteresis` semitones for `min_note_secs`
   with those frames agreeing among themselves (within `hysteresis` of
   their median); the new note starts at the first frame closer to its
   pitch than to the old one, moved back to where the transition begins:
   within `onset_search_secs` before it, the first frame whose f0
   confidence is `confidence_drop` below the old note's (without a
   confidence: the loudness minimum). An f0 estimator follows the louder
   of two overlapping notes, so the old note's release delays the pitch
   change by some 20-60 ms; the confidence falls as the new note starts.
   Vibrato and bends within the hysteresis stay inside one note; a glide
   ends where the pitch settles.
4. **Re-attacks at one pitch** (a repeated note, a bow change): the loudness
   (smoothed like the pitch) dips at least `dip_db` below its maximum since
   the note began and rises again by `dip_db` within `min_note_secs`: the
   note is split at the dip's minimum.

A note's pitch is the median MIDI pitch of its frames after
`attack_skip_secs`; its level the 90th percentile of its loudness (dB);
notes shorter than `min_note_secs` are dropped. Offsets are where the
sound ends (the next onset, or the last sounding frame), i.e. they include
the release that a MIDI note-off precedes; the release column estimates
that note-off: before a rest, the end of the last frame whose (smoothed)
loudness is within `release_db` of the note's level; in legato, the
offset.

The method and its defaults were chosen on rendered training data and
validated on held-out rendered files against their ground-truth MIDI
(`benchmarks/note_segmentation.py`; figures in benchmarks/RESULTS.md).
"""

import dataclasses

import gin
import numpy as np
from scipy import ndimage

from ddsp_generative.core import errors
from ddsp_generative.core import units

# Columns of a note array.
ONSET, OFFSET, PITCH, LEVEL, RELEASE = range(5)
N_COLUMNS = 5
LOUD_PERCENTILE = 95.0
LEVEL_PERCENTILE = 90.0


class SegmentationError(errors.UserError, ValueError):
  """Controls that cannot be segmented (shapes, values, parameters)."""


@gin.configurable(module='ddsp_generative.expression')
@dataclasses.dataclass(frozen=True)
class Segmenter:
  """Parameters of the segmentation (module docstring, steps 1-4)."""
  floor_db: float = -70.0
  range_db: float = 35.0
  min_confidence: float = 0.5
  min_rest_secs: float = 0.02
  smooth_secs: float = 0.02
  hysteresis: float = 0.6
  min_note_secs: float = 0.06
  dip_db: float = 5.0
  attack_skip_secs: float = 0.03
  onset_search_secs: float = 0.08
  confidence_drop: float = 0.1
  release_db: float = 6.0

  def __post_init__(self):
    for name in ('range_db', 'hysteresis', 'min_note_secs', 'dip_db',
                 'release_db'):
      if not np.isfinite(getattr(self, name)) or getattr(self, name) <= 0:
        raise SegmentationError(f'Segmenter.{name} must be > 0, got '
                                f'{getattr(self, name)!r}.')
    for name in ('min_rest_secs', 'smooth_secs', 'attack_skip_secs',
                 'onset_search_secs'):
      if not np.isfinite(getattr(self, name)) or getattr(self, name) < 0:
        raise SegmentationError(f'Segmenter.{name} must be >= 0, got '
                                f'{getattr(self, name)!r}.')
    if not 0 <= self.min_confidence <= 1:
      raise SegmentationError('Segmenter.min_confidence must be in [0, 1], '
                              f'got {self.min_confidence!r}.')

  def segment(self, f0_hz, loudness_db, frame_rate, f0_confidence=None):
    """Notes of one phrase.

    Args:
      f0_hz: [n_frames] f0 in Hz (any value where unvoiced).
      loudness_db: [n_frames] loudness in dB (ddsp's A-weighted loudness).
      frame_rate: Frames per second; frame i is at i / frame_rate seconds.
      f0_confidence: Optional [n_frames] confidence in [0, 1].

    Returns:
      float64 [n_notes, 5]: onset (s), offset (s: where the sound ends),
      MIDI pitch, level (dB), release (s: the note-off estimate, onset <
      release <= offset), sorted by onset, not overlapping. Columns: ONSET,
      OFFSET, PITCH, LEVEL, RELEASE.

    Raises:
      SegmentationError: Arrays of different lengths or not 1-D, NaN or
        Inf, or a frame rate that is not positive.
    """
    f0_hz, loudness_db, confidence = _check(f0_hz, loudness_db,
                                            f0_confidence, frame_rate)
    n = len(f0_hz)
    if not n:
      return np.zeros((0, N_COLUMNS))
    frames = lambda secs: max(1, int(round(secs * frame_rate)))
    sounding = self._sounding(loudness_db, frames(self.min_rest_secs))
    midi = np.full(n, np.nan)
    pitched = (f0_hz > 0) & (True if confidence is None else
                             confidence >= self.min_confidence)
    midi[pitched] = units.hz_to_midi(f0_hz[pitched])
    smooth = frames(self.smooth_secs) | 1
    loud = ndimage.median_filter(loudness_db, smooth, mode='nearest')
    min_frames = frames(self.min_note_secs)
    bounds, run_ends = [], set()
    for start, stop in _runs(sounding):
      run_ends.add(stop)
      pitch = _median_filter_nan(midi[start:stop], smooth)
      pitch[~np.isfinite(midi[start:stop])] = np.nan  # Keep gaps whole.
      changes = self._pitch_changes(pitch, min_frames)
      changes = _refine_onsets(
          changes, pitch, loud[start:stop],
          None if confidence is None else confidence[start:stop],
          frames(self.onset_search_secs), min_frames, self.confidence_drop)
      cuts = [0] + changes + [stop - start]
      for a, b in zip(cuts[:-1], cuts[1:]):
        dips = self._reattacks(loud[start + a:start + b], min_frames)
        edges = [a] + [a + d for d in dips] + [b]
        bounds += [(start + x, start + y) for x, y in zip(edges[:-1],
                                                           edges[1:])]
    skip = int(round(self.attack_skip_secs * frame_rate))
    notes = []
    for a, b in bounds:
      body = midi[a + min(skip, (b - a) // 2):b]
      body = body[np.isfinite(body)]
      if b - a < min_frames or not len(body):
        continue
      level = float(np.percentile(loudness_db[a:b], LEVEL_PERCENTILE))
      release = b
      if b in run_ends:  # A rest follows: the note-off is before the decay.
        held = np.flatnonzero(loud[a:b] >= level - self.release_db)
        release = a + max(int(held[-1]) + 1 if len(held) else 1,
                          min_frames // 2 or 1)
      notes.append((a / frame_rate, b / frame_rate, float(np.median(body)),
                    level, min(release, b) / frame_rate))
    return np.array(notes, np.float64).reshape(-1, N_COLUMNS)

  def _sounding(self, loudness_db, min_rest):
    """bool [n_frames]: frames that belong to a note (step 1)."""
    loud_level = np.percentile(loudness_db, LOUD_PERCENTILE)
    on = (loudness_db > self.floor_db) & (
        loudness_db > loud_level - self.range_db)
    for start, stop in _runs(~on):  # Close short gaps inside the sound.
      if start > 0 and stop < len(on) and stop - start < min_rest:
        on[start:stop] = True
    return on

  def _pitch_changes(self, pitch, min_frames):
    """Frame indices in a sounding run where a new note starts (step 3).

    A new note: the pitch leaves the current one by more than the
    hysteresis for `min_frames` frames that agree among themselves, or
    comes back, at any pitch, after frames without a confident pitch (the
    estimator loses the pitch between two notes).
    """
    finite = np.isfinite(pitch)
    if not np.any(finite):
      return []
    current = float(np.median(pitch[finite][:min_frames]))
    cuts, t, last = [], int(np.argmax(finite)), 0
    while t + min_frames <= len(pitch):
      window = pitch[t:t + min_frames]
      after_gap = t > 0 and not np.isfinite(pitch[t - 1])
      if not np.all(np.isfinite(window)) or (
          not after_gap and abs(window[0] - current) <= self.hysteresis):
        t += 1
        continue
      new = float(np.median(window))
      stable = np.all(np.abs(window - new) <= self.hysteresis)
      moved = np.all(np.abs(window - current) > self.hysteresis)
      if stable and (moved or after_gap):
        onset = t
        if after_gap:  # Back to the start of the gap.
          while onset > last + min_frames and not np.isfinite(
              pitch[onset - 1]):
            onset -= 1
        else:
          while onset > last + min_frames and np.isfinite(
              pitch[onset - 1]) and (abs(pitch[onset - 1] - new) <
                                     abs(pitch[onset - 1] - current)):
            onset -= 1
        if onset - last >= min_frames:
          cuts.append(onset)
          last = onset
        current, t = new, t + min_frames
        continue
      t += 1
    return cuts

  def _reattacks(self, loud, min_frames):
    """Frame indices of loudness dips that start a new note (step 4)."""
    cuts, peak, peak_at, t = [], -np.inf, 0, 0
    n = len(loud)
    while t < n:
      if loud[t] > peak:
        peak, peak_at = loud[t], t
      if peak - loud[t] >= self.dip_db and t - (cuts[-1] if cuts else 0) >= (
          min_frames):
        # The dip's minimum, then a rise of dip_db within min_frames of it.
        stop = t
        while stop + 1 < n and loud[stop + 1] <= loud[stop]:
          stop += 1
        later = loud[stop:stop + min_frames + 1]
        if (stop - peak_at >= 1 and n - stop >= min_frames and
            later.max() - loud[stop] >= self.dip_db):
          cuts.append(stop)
          peak, peak_at, t = loud[stop], stop, stop + 1
          continue
        t = stop + 1
        continue
      t += 1
    return cuts


def segment(f0_hz, loudness_db, frame_rate, f0_confidence=None,
            segmenter=None):
  """`Segmenter.segment` with default (or given) parameters."""
  return (segmenter or Segmenter()).segment(f0_hz, loudness_db, frame_rate,
                                            f0_confidence)


def _check(f0_hz, loudness_db, f0_confidence, frame_rate):
  """The arrays as float64 1-D arrays of one length, or SegmentationError."""
  if not np.isfinite(frame_rate) or frame_rate <= 0:
    raise SegmentationError(f'frame_rate must be > 0, got {frame_rate!r}.')
  arrays = [np.asarray(f0_hz, np.float64), np.asarray(loudness_db,
                                                      np.float64)]
  if f0_confidence is not None:
    arrays.append(np.asarray(f0_confidence, np.float64))
  names = ('f0_hz', 'loudness_db', 'f0_confidence')
  for name, x in zip(names, arrays):
    if x.ndim != 1:
      raise SegmentationError(f'{name} must be [n_frames], got shape '
                              f'{x.shape}.')
    if not np.all(np.isfinite(x)):
      raise SegmentationError(f'{name} holds NaN or Inf.')
  if len({len(x) for x in arrays}) > 1:
    raise SegmentationError(
        'f0_hz, loudness_db (and f0_confidence) must have one length, got '
        + ', '.join(str(len(x)) for x in arrays) + '.')
  return arrays[0], arrays[1], arrays[2] if len(arrays) > 2 else None


def _refine_onsets(cuts, pitch, loud, confidence, search, min_frames, drop):
  """Each pitch-change cut moved back to where the transition begins.

  In the `search` frames before a cut (and after the previous cut's first
  `min_frames`): the first frame whose f0 confidence is `drop` below the
  old note's median (the old pitch is no longer clean), or without a
  confidence the loudness minimum.
  """
  out = []
  for cut in cuts:
    previous = out[-1] if out else 0
    first = max(cut - search, previous + min_frames)
    if first >= cut or not np.isfinite(pitch[cut]):  # A gap's start.
      out.append(cut)
      continue
    onset = first + int(np.argmin(loud[first:cut + 1]))
    if confidence is not None and first > previous:
      level = np.median(confidence[previous:first])
      low = np.flatnonzero(confidence[first:cut + 1] < level - drop)
      if len(low):
        onset = first + int(low[0])
    out.append(onset)
  return out


def _runs(mask):
  """[(start, stop)] of the runs of True in a bool array."""
  padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
  edges = np.flatnonzero(np.diff(padded))
  return list(zip(edges[::2], edges[1::2]))


def _median_filter_nan(x, size):
  """Median filter of width `size` that ignores NaN (NaN where all are)."""
  if size <= 1:
    return x.copy()
  half = size // 2
  padded = np.pad(x, half, mode='edge')
  windows = np.lib.stride_tricks.sliding_window_view(padded, size)
  out = np.full(len(x), np.nan)
  ok = np.any(np.isfinite(windows), axis=1)
  if np.any(ok):
    out[ok] = np.nanmedian(windows[ok], axis=1)
  return out
