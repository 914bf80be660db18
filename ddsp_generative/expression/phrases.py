# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""A phrase model: new note sequences learned from the training audio's notes.

The training audio's melodies (`sequences.training_sequences`, from the note
dataset) are described by viewpoints, each modelled by a variable-order
Markov model with Witten-Bell interpolated smoothing (`markov.MarkovTable`;
the scheme of IDyOM's n-gram models, Pearce 2005), which backs off from the
longest context seen to shorter ones and finally to a uniform distribution,
so every symbol stays possible:

* rhythm: each event is a note or a rest, with its length relative to the
  melody's unit (its median note length) rounded to a ratio of
  `sequences.RATIOS` (1/4 ... 8), so the model is tempo-free and a tempo is
  drawn (or given) when composing;
* pitch: the interval from the previous note in semitones (|i| <= 24), times
  an order-0 model of the pitches themselves (a product of experts: the
  line's shape and the instrument's register), the first note's pitch from
  the melodies' first pitches;
* dynamics: the note's level (dB) as one of `LEVEL_BINS` quantile bins of
  the training levels.

`PhraseModel.compose` samples a phrase with a seed: every pitch inside the
training notes' range (or a register within it) and, optionally, a key's
scale, by masking the intervals that would leave them; its length in notes
or seconds; its tempo relative to the training melodies'. It returns notes
(start, end, pitch, velocity) that any note player takes (the expression
model, or the rules); velocities give the level's quantile among the
training notes, which `playing.velocity_levels` maps back to levels.

Saved as a versioned JSON (`save` / `load`; kind 'phrase_model'), the count
tables in plain lists: loading runs no code.
"""

import os

import gin
import numpy as np

from ddsp_generative.core import artifacts
from ddsp_generative.core import errors
from ddsp_generative.core import publish
from ddsp_generative.expression import keys
from ddsp_generative.expression import markov
from ddsp_generative.expression import sequences

KIND = 'phrase_model'
FORMAT_VERSION = 1
FILE_NAME = 'phrase_model.json'
LEVEL_BINS = 5
N_PITCHES = 128
# With key 'auto', a phrase keeps to the scale of a training melody's key
# when at least this fraction of the training notes lie in their melody's.
TONAL_FRACTION = 0.9
MIN_VELOCITY, MAX_VELOCITY = 1, 127


class PhraseModelError(errors.UserError, ValueError):
  """No melody to learn from, a bad setting, or a bad saved model."""


class PhraseModel:
  """Rhythm, interval and level Markov models and the training ranges."""

  def __init__(self, rhythm, intervals, levels, pitches, first_pitches,
               pitch_range,
               units, level_edges, level_values, level_percentiles,
               default_notes, training):
    """A model (`fit` makes one from melodies, `load` from a file).

    Args:
      rhythm: `markov.MarkovTable` over sequences.N_RHYTHM symbols.
      intervals: `markov.MarkovTable` over sequences.N_INTERVALS symbols.
      levels: `markov.MarkovTable` over LEVEL_BINS symbols.
      pitches: `markov.MarkovTable` over the N_PITCHES MIDI pitches (order
        0: where the instrument plays).
      first_pitches: {pitch: count} of the melodies' first notes.
      pitch_range: (lowest, highest) training pitch.
      units: The melodies' units (s).
      level_edges: [LEVEL_BINS - 1] dB between the level bins.
      level_values: [LEVEL_BINS] median dB of each bin.
      level_percentiles: [101] percentiles 0..100 of the training levels.
      default_notes: Notes of a phrase when no length is asked for.
      training: dict describing the data (recorded in the file).
    """
    self.rhythm, self.intervals, self.levels = rhythm, intervals, levels
    self.pitches = pitches
    self.first_pitches = {int(k): int(v) for k, v in first_pitches.items()}
    self.pitch_range = (int(pitch_range[0]), int(pitch_range[1]))
    self.units = np.asarray(units, np.float64)
    self.level_edges = np.asarray(level_edges, np.float64)
    self.level_values = np.asarray(level_values, np.float64)
    self.level_percentiles = np.asarray(level_percentiles, np.float64)
    self.default_notes = int(default_notes)
    self.training = training
    melody_keys = training.get('keys') or []
    for k in melody_keys:
      keys.parse_key(k)
    tonal = training.get('in_key_fraction', 0.0) >= TONAL_FRACTION
    self.keys = list(melody_keys) if tonal else []

  @classmethod
  def fit(cls, melodies, order=2, default_notes=None):
    """Fits the viewpoints' tables on training melodies.

    Args:
      melodies: List of `Melody` (`training_sequences`).
      order: Longest Markov context (events).
      default_notes: Phrase length when none is asked for; None: the
        melodies' median, within [8, 32].

    Raises:
      PhraseModelError: No melody, or a bad order.
    """
    if not melodies:
      raise PhraseModelError(
          'No melody of at least 2 notes to learn phrases from: the note '
          'dataset holds no notes (segment audio with notes in it).')
    if not 0 <= int(order) <= 8:
      raise PhraseModelError(f'Phrase model order must be in [0, 8], not '
                             f'{order}.')
    levels = np.concatenate([m.levels for m in melodies])
    edges = np.percentile(levels, np.linspace(0, 100, LEVEL_BINS + 1)[1:-1])
    bins = [np.searchsorted(edges, m.levels).tolist() for m in melodies]
    flat = np.searchsorted(edges, levels)
    values = [float(np.median(levels[flat == b])) if np.any(flat == b) else
              float(np.median(levels)) for b in range(LEVEL_BINS)]
    pitches = np.concatenate([m.pitches for m in melodies])
    first = {}
    for m in melodies:
      first[int(m.pitches[0])] = first.get(int(m.pitches[0]), 0) + 1
    n_notes = [len(m.pitches) for m in melodies]
    if default_notes is None:
      default_notes = int(np.clip(np.median(n_notes), 8, 16))
    melody_keys = [keys.find_key(m.pitches, m.lengths) for m in melodies]
    in_key = sum(int(np.isin(m.pitches % 12, list(keys.parse_key(k))).sum())
                 for m, k in zip(melodies, melody_keys)) / len(pitches)
    training = {'melodies': len(melodies), 'notes': int(len(pitches)),
                'secs': float(sum(m.lengths.sum() + m.rests.sum()
                                  for m in melodies)),
                'notes_per_melody_median': float(np.median(n_notes)),
                'unit_secs_median': float(np.median([m.unit
                                                     for m in melodies])),
                'order': int(order), 'keys': melody_keys,
                'in_key_fraction': round(float(in_key), 4)}
    return cls(
        markov.MarkovTable(sequences.N_RHYTHM, order).fit(
            [sequences.rhythm_symbols(m) for m in melodies]),
        markov.MarkovTable(sequences.N_INTERVALS, order).fit(
            [sequences.interval_symbols(m) for m in melodies]),
        markov.MarkovTable(LEVEL_BINS, order).fit(bins),
        markov.MarkovTable(N_PITCHES, 0).fit(
            [m.pitches.tolist() for m in melodies]),
        first,
        (int(pitches.min()), int(pitches.max())),
        [m.unit for m in melodies], edges, values,
        np.percentile(levels, np.arange(101)), default_notes, training)

  def register(self, low=None, high=None):
    """The pitch range to compose in: (low, high) inside the training range.

    Raises:
      PhraseModelError: A register outside the training range or empty.
    """
    lo, hi = self.pitch_range
    low = lo if low is None else int(np.ceil(low))
    high = hi if high is None else int(np.floor(high))
    if low > high or high < lo or low > hi:
      raise PhraseModelError(
          f'Register {low}-{high} is outside the training notes\' range '
          f'{lo}-{hi} (MIDI), or empty: choose one inside it.')
    return max(low, lo), min(high, hi)

  def velocity(self, level_db):
    """MIDI velocity whose quantile among the training levels is level's."""
    q = np.interp(level_db, self.level_percentiles, np.arange(101)) / 100.0
    return int(np.clip(round(MIN_VELOCITY + q * (MAX_VELOCITY - MIN_VELOCITY)),
                       MIN_VELOCITY, MAX_VELOCITY))

  def compose(self, seed=0, n_notes=None, duration=None, low=None, high=None,
              key='auto', tempo=1.0, temperature=1.0, unit_secs=None):
    """A new phrase (module docstring).

    Args:
      seed: Seed; another seed gives another phrase.
      n_notes: Notes of the phrase; None: `default_notes` (or as many as
        fit in `duration`).
      duration: Seconds the notes fill (the last one ends by then); with
        n_notes, the phrase stops at whichever comes first.
      low: Lowest MIDI pitch (None: the training notes' lowest).
      high: Highest MIDI pitch (None: the training notes' highest).
      key: 'auto': the key of a training melody, drawn, when the training
        notes keep to their melodies' keys (`TONAL_FRACTION`), else none;
        a key such as 'D major' (`parse_key`): only its scale; None or
        'none': any pitch.
      tempo: Speed relative to the training melodies (2: twice as fast).
      temperature: Markov distributions raised to 1 / temperature (0: the
        most likely event each time; 1: as learned).
      unit_secs: The rhythmic unit (s) before `tempo`; None: one of the
        training melodies' units, drawn.

    Returns:
      dict of 'notes' float64 [n, 4] (start s, end s, pitch, velocity),
      'levels' [n] dB, 'unit_secs', 'register' (low, high), 'key' and
      'events' (rhythm and interval symbols, for analysis).

    Raises:
      PhraseModelError: A bad setting, or a key with no pitch in the
        register.
    """
    for name, value in (('tempo', tempo), ('temperature', temperature)):
      if not np.isfinite(value) or value < 0 or (name == 'tempo' and
                                                 value == 0):
        raise PhraseModelError(f'Phrase {name} must be a positive number, '
                               f'not {value}.')
    if n_notes is not None and int(n_notes) < 1:
      raise PhraseModelError(f'Phrase n_notes must be >= 1, not {n_notes}.')
    if duration is not None and not (np.isfinite(duration) and duration > 0):
      raise PhraseModelError(f'Phrase duration must be a positive number of '
                             f'seconds, not {duration}.')
    low, high = self.register(low, high)
    rng = np.random.default_rng(int(seed))
    if key == 'auto':
      key = str(rng.choice(self.keys)) if self.keys else None
    scale = keys.parse_key(key)
    key = None if scale is None else key
    allowed = np.array([scale is None or p % 12 in scale
                        for p in range(128)])
    allowed[:low] = False
    allowed[high + 1:] = False
    if not allowed.any():
      raise PhraseModelError(f'Key {key!r} has no pitch in {low}-{high}: '
                             'widen the register.')
    if n_notes is None:
      n_notes = 10**6 if duration is not None else self.default_notes
    unit = float(unit_secs if unit_secs is not None else rng.choice(
        self.units)) / float(tempo)

    weights = np.array([self.first_pitches.get(p, 0) for p in range(128)],
                       np.float64)
    if not np.any(weights * allowed):
      weights = np.ones(N_PITCHES)
    pitch = markov.sample_symbol(rng, weights * allowed + 1e-12 * allowed, 1.0)
    rhythm, intervals, level_bins = [], [], []
    notes, levels = [], []
    t = 0.0
    while len(notes) < n_notes:
      mask = np.ones(sequences.N_RHYTHM, bool)
      if not notes or rhythm[-1] >= sequences.N_RATIOS:
        mask[sequences.N_RATIOS:] = False  # No rest first, nor two.
      symbol = markov.sample_symbol(rng, self.rhythm.probabilities(rhythm),
                                    temperature, mask=mask)
      rhythm.append(symbol)
      if symbol >= sequences.N_RATIOS:
        t += sequences.RATIOS[symbol - sequences.N_RATIOS] * unit
        continue
      length = sequences.RATIOS[symbol] * unit
      if duration is not None and t + length > duration + 1e-9:
        if notes:
          break
        length = duration
      if notes:
        target = (pitch + np.arange(sequences.N_INTERVALS) -
                  sequences.MAX_INTERVAL)
        ok = (target >= 0) & (target <= 127)
        ok[ok] &= allowed[target[ok]]
        # Product of experts: the interval model (the line's shape) and the
        # pitch model (the instrument's register).
        p = self.intervals.probabilities(intervals)
        p[ok] *= self.pitches.probabilities(())[target[ok]]
        step = markov.sample_symbol(rng, p, temperature, mask=ok)
        intervals.append(step)
        pitch += step - sequences.MAX_INTERVAL
      level_bin = markov.sample_symbol(
          rng, self.levels.probabilities(level_bins), temperature)
      level_bins.append(level_bin)
      level = float(self.level_values[level_bin])
      notes.append([t, t + length, float(pitch), self.velocity(level)])
      levels.append(level)
      t += length
    return {'notes': np.array(notes, np.float64).reshape(-1, 4),
            'levels': np.array(levels), 'unit_secs': unit,
            'register': (low, high), 'key': key,
            'events': {'rhythm': rhythm, 'intervals': intervals}}

  def cross_entropy(self, melodies):
    """Bits per event of melodies under the tables (held-out: IDyOM's score).

    Returns:
      dict of 'rhythm', 'intervals' and 'levels' mean -log2 P per event.
    """
    out = {}
    for name, table, seqs in (
        ('rhythm', self.rhythm, [sequences.rhythm_symbols(m)
                                 for m in melodies]),
        ('intervals', self.intervals, [sequences.interval_symbols(m)
                                       for m in melodies]),
        ('levels', self.levels, [np.searchsorted(self.level_edges,
                                                 m.levels).tolist()
                                 for m in melodies])):
      bits, n = 0.0, 0
      for seq in seqs:
        for i, symbol in enumerate(seq):
          bits -= np.log2(table.probabilities(seq[:i])[symbol])
          n += 1
      out[name] = bits / max(n, 1)
    return out

  def to_json(self):
    return {'tables': {'rhythm': self.rhythm.to_json(),
                       'intervals': self.intervals.to_json(),
                       'levels': self.levels.to_json(),
                       'pitches': self.pitches.to_json()},
            'ratios': list(sequences.RATIOS),
            'max_interval': sequences.MAX_INTERVAL,
            'first_pitches': [[p, n] for p, n in
                              sorted(self.first_pitches.items())],
            'pitch_range': list(self.pitch_range),
            # Unrounded: a loaded model composes exactly what it did.
            'units_secs': self.units.tolist(),
            'level_edges_db': self.level_edges.tolist(),
            'level_values_db': self.level_values.tolist(),
            'level_percentiles_db': self.level_percentiles.tolist(),
            'default_notes': self.default_notes, 'training': self.training}


def model_path(path):
  """The phrase model file of a path: the file or the directory holding it."""
  return os.path.join(path, FILE_NAME) if os.path.isdir(path) else path


def save(model, path, overwrite=False, extra_provenance=None):
  """Writes the model as a versioned JSON, atomically.

  Args:
    model: A `PhraseModel`.
    path: The file, or a directory (FILE_NAME inside it).
    overwrite: Replace an existing file.
    extra_provenance: Optional dict for the provenance record.

  Returns:
    The path written.

  Raises:
    FileExistsError: The file exists and overwrite is False.
  """
  path = model_path(path)
  if os.path.exists(path) and not overwrite:
    raise FileExistsError(f'A phrase model is already saved at {path}; pass '
                          '--overwrite to replace it.')
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  artifacts.write_json(path, KIND, FORMAT_VERSION, model.to_json(),
                       extra_provenance=extra_provenance, compact=True)
  return path


def load(path):
  """Reads and checks a saved phrase model.

  Raises:
    PhraseModelError: No file, another kind or version, or malformed.
  """
  path = model_path(path)
  record = artifacts.read_json(
      path, KIND, (FORMAT_VERSION,), error=PhraseModelError,
      missing=(f'No phrase model at {path}: fit one with '
               'ddsp_generative_train_expression (it saves '
               'phrase_model.json).'))
  try:
    tables = record['tables']
    if (list(record['ratios']) != [round(r, 12) for r in sequences.RATIOS] and
        not np.allclose(record['ratios'], sequences.RATIOS)) or (
            int(record['max_interval']) != sequences.MAX_INTERVAL):
      raise ValueError('its ratios or interval range are not this version\'s')
    rhythm = markov.MarkovTable.from_json(tables['rhythm'], path)
    intervals = markov.MarkovTable.from_json(tables['intervals'], path)
    levels = markov.MarkovTable.from_json(tables['levels'], path)
    pitch_table = markov.MarkovTable.from_json(tables['pitches'], path)
    if (rhythm.alphabet_size, intervals.alphabet_size, levels.alphabet_size,
        pitch_table.alphabet_size) != (sequences.N_RHYTHM,
                                       sequences.N_INTERVALS, LEVEL_BINS,
                                       N_PITCHES):
      raise ValueError('alphabet sizes')
    low, high = (int(v) for v in record['pitch_range'])
    units = np.asarray(record['units_secs'], np.float64)
    edges = np.asarray(record['level_edges_db'], np.float64)
    values = np.asarray(record['level_values_db'], np.float64)
    percentiles = np.asarray(record['level_percentiles_db'], np.float64)
    first = {int(p): int(n) for p, n in record['first_pitches']}
    default_notes = int(record['default_notes'])
    checks = [0 <= low <= high <= 127, units.ndim == 1, len(units) > 0,
              np.all(np.isfinite(units)), np.all(units > 0),
              edges.shape == (LEVEL_BINS - 1,),
              values.shape == (LEVEL_BINS,), percentiles.shape == (101,),
              np.all(np.isfinite(edges)), np.all(np.isfinite(values)),
              np.all(np.diff(percentiles) >= 0),
              np.all(np.isfinite(percentiles)), default_notes >= 1,
              all(0 <= p <= 127 and n >= 1 for p, n in first.items())]
    if not all(checks):
      raise ValueError('ranges, units or levels out of range')
    training = record.get('training', {})
    if not isinstance(training, dict):
      raise ValueError('training is not a dict')
    model = PhraseModel(rhythm, intervals, levels, pitch_table, first,
                        (low, high), units,
                        edges, values, percentiles, default_notes, training)
  except (KeyError, TypeError, ValueError) as e:
    raise PhraseModelError(f'{path}: malformed phrase model ({e}): refit it '
                           'with ddsp_generative_train_expression.') from e
  return model


def fit_note_dataset(data, order=2, default_notes=None, split='train'):
  """A phrase model from a read note dataset's phrases of one split.

  Args:
    data: `note_dataset.read(path)`.
    order: Markov order.
    default_notes: See `PhraseModel.fit`.
    split: 'train' (also takes 'all' phrases) or None for every phrase.

  Returns:
    (model, melodies).
  """
  phrases = [p for p in data['phrases'] if split is None or
             p['split'] in (split, 'all')]
  melodies = sequences.training_sequences(phrases, data['frame_rate'])
  model = PhraseModel.fit(melodies, order=order, default_notes=default_notes)
  return model, melodies


@gin.configurable(module='ddsp_generative.expression')
def train_phrase_model(note_dataset_path, save_dir=None, order=2,
                       default_notes=None, overwrite=False):
  """Fits a phrase model on a note dataset's training melodies; saves it.

  Args:
    note_dataset_path: A note dataset (notes_<prefix>.json).
    save_dir: Directory to save FILE_NAME in; None: do not save.
    order: Longest Markov context (events).
    default_notes: See `PhraseModel.fit`.
    overwrite: Replace a saved phrase model.

  Returns:
    (model, summary): summary has the training figures and, when the note
    dataset has an eval split, the held-out melodies' bits per event under
    the model and under an order-0 model of the same data.

  Raises:
    note_dataset.NoteDatasetError: The note dataset is missing or bad.
    PhraseModelError: No melody, or a bad order.
    FileExistsError: A phrase model is saved there and overwrite is False.
  """
  from ddsp_generative.expression import note_dataset  # pylint: disable=g-import-not-at-top
  target = None if not save_dir else os.path.join(save_dir, FILE_NAME)
  if target and os.path.exists(target) and not overwrite:
    raise FileExistsError(f'A phrase model is already saved at {target}; '
                          'pass --overwrite to replace it.')
  data = note_dataset.read(note_dataset_path)
  model, melodies = fit_note_dataset(data, order=order,
                                     default_notes=default_notes)
  held_out = sequences.training_sequences(
      [p for p in data['phrases'] if p['split'] == 'eval'],
      data['frame_rate'])
  summary = dict(model.training, note_dataset=os.path.abspath(
      note_dataset_path), pitch_range=list(model.pitch_range),
                 default_notes=model.default_notes)
  if held_out:
    baseline = PhraseModel.fit(melodies, order=0)
    summary['held_out'] = {
        'melodies': len(held_out),
        'bits_per_event': model.cross_entropy(held_out),
        'order_0_bits_per_event': baseline.cross_entropy(held_out)}
  if target:
    os.makedirs(save_dir, exist_ok=True)
    with publish.directory_lock(save_dir,
                                what=f'The phrase model in {save_dir}'):
      summary['model_path'] = save(
          model, target, overwrite=overwrite,
          extra_provenance={'note_dataset': summary['note_dataset']})
  return model, summary
