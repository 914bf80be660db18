# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Keys and scales of melodies: parsing key names, finding a melody's key.

`parse_key('D major')` gives the key's pitch classes (minor: the natural
minor scale and the leading tone); `find_key` estimates a melody's key with
the Krumhansl-Schmuckler algorithm (duration-weighted pitch-class histogram
correlated with the Krumhansl-Kessler profiles of the 24 keys).
"""

import numpy as np

from ddsp_generative.core import errors

# Minor: the natural minor scale and the leading tone (harmonic minor's).
SCALES = {'major': (0, 2, 4, 5, 7, 9, 11),
          'minor': (0, 2, 3, 5, 7, 8, 10, 11)}
PITCH_CLASSES = {'c': 0, 'd': 2, 'e': 4, 'f': 5, 'g': 7, 'a': 9, 'b': 11}
NAMES = ('C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B')
# Krumhansl-Kessler key profiles (Krumhansl 1990).
KEY_PROFILES = {
    'major': (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66,
              2.29, 2.88),
    'minor': (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69,
              3.34, 3.17)}


class KeyNameError(errors.UserError, ValueError):
  """A key name that is not a key."""


def parse_key(key):
  """The pitch classes of a key such as 'D major', 'f# minor', 'Bb major'.

  Returns:
    frozenset of pitch classes, or None for key None, 'none' or
    'chromatic' (every pitch class).

  Raises:
    KeyNameError: Naming the accepted form.
  """
  if key is None:
    return None
  parts = str(key).strip().lower().split()
  if len(parts) == 1:
    parts.append('major')
  name = parts[0]
  if name in ('none', 'chromatic') and len(parts) == 2 and parts[1] == 'major':
    return None
  if (len(parts) != 2 or parts[1] not in SCALES or not name or
      name[0] not in PITCH_CLASSES or
      name[1:] not in ('', '#', 'b', 's', 'sharp', 'flat')):
    raise KeyNameError(
        f'Key {key!r} is not a key: give a note name and "major" or "minor", '
        'e.g. "D major", "F# minor", "Bb major".')
  tonic = PITCH_CLASSES[name[0]] + (1 if name[1:] in ('#', 's', 'sharp')
                                    else -1 if name[1:] in ('b', 'flat')
                                    else 0)
  return frozenset((tonic + step) % 12 for step in SCALES[parts[1]])


def find_key(pitches, weights=None):
  """The key of a melody (Krumhansl-Schmuckler): e.g. 'D major'.

  Args:
    pitches: [n] MIDI pitches.
    weights: [n] e.g. the notes' lengths; None: equal.

  Returns:
    The key's name, as `parse_key` reads it.
  """
  pitches = np.asarray(pitches, int)
  weights = np.ones(len(pitches)) if weights is None else np.asarray(weights)
  histogram = np.bincount(pitches % 12, weights=weights, minlength=12)
  best, name = -np.inf, None
  for mode, profile in KEY_PROFILES.items():
    for tonic in range(12):
      r = np.corrcoef(histogram, np.roll(profile, tonic))[0, 1]
      if np.isfinite(r) and r > best:
        best, name = r, f'{NAMES[tonic]} {mode}'
  return name or 'C major'
