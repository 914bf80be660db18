# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Public-domain monophonic melodies from music21's corpus, as timed notes.

Sources (all inside the `music21` wheel, no download):

* 'bach': the soprano lines of the 371 Bach chorales (music21's
  Riemenschneider list); fermatas are held longer.
* 'essen': the Essen folksong collection (~8,500 songs, ABC).
* 'oneills': O'Neill's 1850 fiddle tunes (~1,850 tunes, ABC).

Each melody gets a tempo (its median note lasts a random 0.25-0.55 s), a
slightly detached articulation, note velocities around a per-melody level and
a transposition into an instrument's comfortable range, all drawn from one
seeded random generator: the same seed gives the same melodies.

Needs `pip install "ddsp_generative[datasets]"` (music21).
"""

import dataclasses
import os
import re

from absl import logging
import numpy as np

from ddsp_generative.core import errors

SOURCES = ('bach', 'essen', 'oneills')
_ABC_FOLDERS = {'essen': 'essenFolksong', 'oneills': 'oneills1850'}
MEDIAN_NOTE_SECS = (0.25, 0.55)
LEGATO = (0.85, 0.97)  # Sounding fraction of each note's written length.
MIN_NOTE_SECS = 0.06
FERMATA_STRETCH = 1.75
LEAD_SECS = 0.5  # Silence before the first note.
MIN_NOTES = 8


class MissingMusic21Error(errors.UserError, ImportError):
  """music21 is not installed."""


def _music21():
  try:
    import music21  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise MissingMusic21Error(
        'Melodies come from the music21 corpus: pip install '
        '"ddsp_generative[datasets]" (or `make dataset`).') from e
  return music21


@dataclasses.dataclass
class Melody:
  """A monophonic melody in seconds.

  Attributes:
    source: One of SOURCES.
    work: Corpus path of the work (relative to music21's corpus folder).
    number: Tune number within an ABC file (None for chorales).
    title: Title from the score's metadata ('' if none).
    notes: List of {'start', 'end', 'pitch', 'velocity'} (seconds, MIDI).
    transpose: Semitones added to the written pitches.
    secs_per_quarter: Tempo.
  """
  source: str
  work: str
  number: object
  title: str
  notes: list
  transpose: int = 0
  secs_per_quarter: float = 0.5

  @property
  def end_secs(self):
    return max(n['end'] for n in self.notes) if self.notes else 0.0


def list_works(sources=SOURCES):
  """Every work of the sources, in a fixed order.

  Args:
    sources: Iterable of SOURCES.

  Returns:
    {source: [(corpus path, tune number or None)]}.
  """
  music21 = _music21()
  corpus_dir = os.path.dirname(music21.corpus.__file__)
  works = {}
  for source in sources:
    if source not in SOURCES:
      raise ValueError(f'Unknown melody source {source!r}; choose from '
                       f'{", ".join(SOURCES)}.')
    if source == 'bach':
      names = music21.corpus.chorales.Iterator(returnType='filename')
      works[source] = [(n, None) for n in names]
      continue
    folder = os.path.join(corpus_dir, _ABC_FOLDERS[source])
    items = []
    for name in sorted(os.listdir(folder)):
      if not name.endswith('.abc'):
        continue
      with open(os.path.join(folder, name), encoding='latin-1') as f:
        numbers = re.findall(r'^X:\s*(\d+)', f.read(), re.M)
      items += [(f'{_ABC_FOLDERS[source]}/{name}', int(x)) for x in numbers]
    works[source] = items
  return works


def iter_works(sources=SOURCES, seed=0):
  """Works of all sources, each source shuffled by `seed`, taken in turn.

  Yields:
    (source, corpus path, tune number or None).
  """
  rng = np.random.default_rng(seed)
  works = list_works(sources)
  queues = {s: [works[s][i] for i in rng.permutation(len(works[s]))]
            for s in sources}
  for i in range(max(len(q) for q in queues.values())):
    for source in sources:
      if i < len(queues[source]):
        yield (source,) + tuple(queues[source][i])


def _soprano(score):
  """The soprano part of a chorale (by name, else the highest part)."""
  parts = list(score.parts)
  for part in parts:
    if 'soprano' in (part.partName or '').lower():
      return part

  def mean_pitch(part):
    pitches = [n.pitch.midi for n in part.flatten().notes if n.isNote]
    return np.mean(pitches) if pitches else -1
  return max(parts, key=mean_pitch)


def written_notes(source, work, number):
  """Parses a work's melody: [(offset, length (quarters), MIDI, fermata)].

  Chords give their top note; grace notes and chord symbols are dropped; a
  note that starts before the previous one ends cuts it short.
  """
  music21 = _music21()
  if source == 'bach':
    score = music21.corpus.parse(work)
    line = _soprano(score)
  else:
    path = music21.corpus.getWork(work)
    score = music21.converter.parse(path, number=number)
    line = score.parts[0] if score.parts else score
  title = (score.metadata.title if score.metadata else None) or ''
  notes = []
  for el in line.flatten().stripTies().notes:
    if isinstance(el, music21.harmony.Harmony) or el.duration.isGrace:
      continue
    length = float(el.quarterLength)
    if length <= 0:
      continue
    pitch = el.pitch.midi if el.isNote else max(p.midi for p in el.pitches)
    fermata = any(isinstance(e, music21.expressions.Fermata)
                  for e in el.expressions)
    offset = float(el.offset)
    if notes and offset < notes[-1][0] + notes[-1][1]:
      if offset <= notes[-1][0]:
        continue  # A second voice's note at the same time: keep the first.
      notes[-1] = (notes[-1][0], offset - notes[-1][0]) + notes[-1][2:]
    notes.append((offset, length, int(pitch), fermata))
  return notes, str(title)


def choose_transposition(pitches, low, high, rng):
  """Semitones that put `pitches` in [low, high], near its centre, or None.

  Args:
    pitches: MIDI pitches of the melody.
    low: Lowest comfortable MIDI pitch of the instrument.
    high: Highest comfortable MIDI pitch.
    rng: numpy Generator (a random offset of up to +-3 semitones).

  Returns:
    int, or None when the melody's range is wider than the instrument's.
  """
  lo, hi = min(pitches), max(pitches)
  k_min, k_max = low - lo, high - hi
  if k_min > k_max:
    return None
  centre = int(round((low + high) / 2 - (lo + hi) / 2))
  return int(np.clip(centre + rng.integers(-3, 4), k_min, k_max))


def time_notes(written, rng, max_secs=None):
  """Written notes -> timed notes ({'start', 'end', 'pitch', 'velocity'}).

  Args:
    written: From `written_notes`.
    rng: numpy Generator for tempo, articulation and velocities.
    max_secs: Drop notes that end later (None: keep all).

  Returns:
    (notes, secs_per_quarter).
  """
  median = float(np.median([w[1] for w in written]))
  secs_per_quarter = rng.uniform(*MEDIAN_NOTE_SECS) / median
  legato = rng.uniform(*LEGATO)
  level = int(rng.integers(72, 101))
  notes, shift = [], LEAD_SECS
  for offset, length, pitch, fermata in written:
    start = shift + offset * secs_per_quarter
    secs = length * secs_per_quarter
    if fermata:
      shift += secs * (FERMATA_STRETCH - 1)
      secs *= FERMATA_STRETCH
    end = start + max(MIN_NOTE_SECS, secs * legato)
    if max_secs and end > max_secs:
      break
    velocity = int(np.clip(level + rng.integers(-10, 11), 1, 127))
    notes.append({'start': round(start, 4), 'end': round(end, 4),
                  'pitch': pitch, 'velocity': velocity})
  return notes, float(secs_per_quarter)


def melodies(low, high, seed=0, sources=SOURCES, max_secs=120.0):
  """Yields melodies that fit [low, high], in a fixed order for a seed.

  Args:
    low: Lowest comfortable MIDI pitch of the instrument.
    high: Highest comfortable MIDI pitch.
    seed: Random seed (order of works, tempo, transposition, velocities).
    sources: Iterable of SOURCES, taken in turn.
    max_secs: Longest melody; longer ones are cut at a note's end.

  Yields:
    Melody.
  """
  for source, work, number in iter_works(sources, seed):
    # One generator per work: a work's rendering does not depend on which
    # works before it were skipped.
    rng = np.random.default_rng([seed, len(work), sum(map(ord, work)),
                                 number or 0])
    try:
      written, title = written_notes(source, work, number)
    except Exception as e:  # pylint: disable=broad-except
      logging.warning('Skipping %s %s #%s: cannot parse it (%s: %s).', source,
                      work, number, type(e).__name__, e)
      continue
    if len(written) < MIN_NOTES:
      continue
    transpose = choose_transposition([w[2] for w in written], low, high, rng)
    if transpose is None:
      continue
    notes, secs_per_quarter = time_notes(written, rng, max_secs)
    if len(notes) < MIN_NOTES:
      continue
    for note in notes:
      note['pitch'] += transpose
    yield Melody(source=source, work=work, number=number, title=title,
                 notes=notes, transpose=transpose,
                 secs_per_quarter=secs_per_quarter)
