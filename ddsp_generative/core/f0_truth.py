# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Ground-truth f0 tracks: made from notes, saved beside audio, read back.

A track is a frame grid (`frame_rate`, frame i at i / frame_rate seconds)
with, per frame:

* 'f0_hz': the f0 of the note that is on (0 where none is);
* 'voiced': a note is on;
* 'audible': the pitch is scored there: a note is on and began at least
  `onset_skip_secs` ago (the previous note's release sounds through the first
  40-80 ms of a note; see `../shared/DATA.md`);
* 'voicing_scored': voicing is scored there: not within `onset_skip_secs` of
  a note-on, nor within `release_skip_secs` after a note-off followed by a
  rest (the note's release still sounds).

Sidecars sit beside the audio: `<name>.f0.json` (this module's versioned
artefact, with the notes) or `<name>.f0.csv` (columns `time,f0_hz` and
optionally `audible,voicing_scored`; f0 <= 0 is unvoiced), e.g. from another
data set.
"""

import csv
import os

import numpy as np

from ddsp_generative.core import artifacts
from ddsp_generative.core import units

KIND = 'f0_ground_truth'
FORMAT_VERSION = 1
FRAME_RATE = 100  # 10 ms, as MIREX melody extraction.
ONSET_SKIP_SECS = 0.08
RELEASE_SKIP_SECS = 0.15
SUFFIXES = ('.f0.json', '.f0.csv')


def track_from_notes(notes, duration_secs, frame_rate=FRAME_RATE,
                     onset_skip_secs=ONSET_SKIP_SECS,
                     release_skip_secs=RELEASE_SKIP_SECS):
  """Frame-wise ground truth of a monophonic note list.

  Args:
    notes: Iterable of dicts with 'start', 'end' (seconds) and 'pitch' (MIDI
      number, may be fractional); a later note cuts an earlier one short.
    duration_secs: Length of the audio.
    frame_rate: Frames per second of the track.
    onset_skip_secs: Pitch and voicing are not scored this long after each
      note-on.
    release_skip_secs: Voicing is not scored this long after a note-off that
      a rest follows.

  Returns:
    dict of 'times', 'f0_hz' (float32) and 'voiced', 'audible',
    'voicing_scored' (bool), each [n_frames], n_frames = ceil(duration *
    frame_rate).
  """
  n = int(np.ceil(duration_secs * frame_rate - 1e-9))
  times = np.arange(n) / frame_rate
  f0_hz = np.zeros(n, np.float64)
  since_onset = np.full(n, np.inf)
  near_onset = np.zeros(n, bool)
  releasing = np.zeros(n, bool)
  eps = 1e-6  # Frame times and note times are rounded decimals.
  for note in sorted(notes, key=lambda x: x['start']):
    start, end = note['start'] - eps, note['end'] - eps
    on = (times >= start) & (times < end)
    f0_hz[on] = units.midi_to_hz(note['pitch'])
    since_onset[on] = times[on] - start
    near_onset |= (times >= start) & (times < start + onset_skip_secs)
    releasing |= (times >= end) & (times < end + release_skip_secs)
  voiced = f0_hz > 0
  return {
      'times': times,
      'f0_hz': f0_hz.astype(np.float32),
      'voiced': voiced,
      'audible': voiced & (since_onset >= onset_skip_secs),
      'voicing_scored': ~near_onset & ~(releasing & ~voiced),
  }


def sidecar_path(audio_path, suffix='.f0.json'):
  """`dir/name.wav` -> `dir/name.f0.json`."""
  return os.path.splitext(audio_path)[0] + suffix


def find_sidecar(audio_path):
  """The ground-truth sidecar of an audio file, or None."""
  for suffix in SUFFIXES:
    path = sidecar_path(audio_path, suffix)
    if os.path.exists(path):
      return path
  return None


def write_sidecar(path, notes, duration_secs, audio_file, extra=None,
                  frame_rate=FRAME_RATE, onset_skip_secs=ONSET_SKIP_SECS,
                  release_skip_secs=RELEASE_SKIP_SECS, extra_provenance=None):
  """Writes a versioned `.f0.json` sidecar: the notes and their track.

  Args:
    path: Destination, e.g. `sidecar_path(audio_path)`.
    notes: List of dicts with 'start', 'end', 'pitch' (and e.g. 'velocity').
    duration_secs: Length of the audio.
    audio_file: Name of the audio file it describes (no folder).
    extra: Optional dict added to the payload (instrument, melody, ...).
    frame_rate: Frames per second of the track.
    onset_skip_secs: See `track_from_notes`.
    release_skip_secs: See `track_from_notes`.
    extra_provenance: Optional dict added to the provenance (seed, ...).

  Returns:
    The record written.
  """
  track = track_from_notes(notes, duration_secs, frame_rate, onset_skip_secs,
                           release_skip_secs)
  payload = {
      'audio_file': audio_file,
      'duration_secs': float(duration_secs),
      'frame_rate': frame_rate,
      'onset_skip_secs': onset_skip_secs,
      'release_skip_secs': release_skip_secs,
      'notes': notes,
      'f0_hz': np.round(track['f0_hz'].astype(np.float64), 3),
      'voiced': track['voiced'].astype(np.uint8),
      'audible': track['audible'].astype(np.uint8),
      'voicing_scored': track['voicing_scored'].astype(np.uint8),
  }
  payload.update(extra or {})
  return artifacts.write_json(path, KIND, FORMAT_VERSION, payload,
                              extra_provenance=extra_provenance)


def _read_csv(path):
  with open(path, newline='') as f:
    rows = [r for r in csv.reader(f) if r and not r[0].startswith('#')]
  header = None
  if rows and not _is_number(rows[0][0]):
    header, rows = [h.strip() for h in rows[0]], rows[1:]
  columns = header or ['time', 'f0_hz', 'audible', 'voicing_scored'][
      :len(rows[0]) if rows else 2]
  data = {name: np.array([float(r[i]) for r in rows])
          for i, name in enumerate(columns)}
  if 'time' not in data or 'f0_hz' not in data:
    raise ValueError(f'{path}: needs the columns time,f0_hz; found {columns}')
  voiced = data['f0_hz'] > 0
  return {
      'times': data['time'],
      'f0_hz': np.maximum(data['f0_hz'], 0.0).astype(np.float32),
      'voiced': voiced,
      'audible': (data['audible'] > 0.5) & voiced if 'audible' in data
                 else voiced,
      'voicing_scored': (data['voicing_scored'] > 0.5
                         if 'voicing_scored' in data
                         else np.ones(len(voiced), bool)),
  }


def _is_number(text):
  try:
    float(text)
    return True
  except ValueError:
    return False


def read_truth(path):
  """Reads a `.f0.json` or `.f0.csv` sidecar as a track.

  Args:
    path: Sidecar path.

  Returns:
    dict of 'times', 'f0_hz' and bool 'voiced', 'audible', 'voicing_scored'
    ([n_frames] each), and 'record' (the JSON record, or None for CSV).

  Raises:
    artifacts.ArtifactError: A JSON file of another kind or version.
    ValueError: A CSV file without time and f0 columns.
  """
  if path.endswith('.csv'):
    return dict(_read_csv(path), record=None)
  record = artifacts.read_json(path, KIND, [FORMAT_VERSION])
  f0_hz = np.asarray(record['f0_hz'], np.float32)
  return {
      'times': np.arange(len(f0_hz)) / record['frame_rate'],
      'f0_hz': f0_hz,
      'voiced': np.asarray(record['voiced'], bool),
      'audible': np.asarray(record['audible'], bool),
      'voicing_scored': np.asarray(record['voicing_scored'], bool),
      'record': record,
  }
