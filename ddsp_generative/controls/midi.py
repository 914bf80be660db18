# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Pitch and loudness controls from a MIDI file.

`MidiFile` turns the notes of one monophonic line into the same
`generate(frame_rate) -> (f0_hz, loudness_db)` contours as the sources in
`controls`:

* f0 is each note's pitch (plus `transpose`, clipped to the model's range
  with a warning); through rests it holds the last pitch, as f0 trackers do.
* Loudness: each note has an ADSR envelope whose peak comes from its velocity,
  linear in dB (`sources.velocity_to_db`): velocity 127 plays at `peak_db`,
  velocity 1 at `peak_db - velocity_db_range` (0.24 dB per velocity step with
  the default 30 dB). Rests are silence (-80 dB).
* Legato: notes that touch (at most `legato_gap` s apart) or overlap by at
  most `max_legato_overlap` s share one envelope (no re-attack) and glide to
  the next pitch over `portamento` s; with `legato=False` every note is
  re-attacked.
* Polyphony (longer overlaps, chords): with `top_voice=True` the highest
  sounding note at each time is taken, with a warning; with `top_voice=False`
  it is a `PolyphonicMidiError` naming the first overlap.

* Expression: with `expression` (a trained expression model's directory,
  `ddsp_generative_train_expression`) the notes are played by that model
  instead of these rules (`expression.playing.ExpressionLine`): attacks,
  legato transitions, vibrato, releases that ring past the note-off and the
  level of each velocity, as the training audio plays them; `peak_db`,
  `velocity_db_range`, `legato`, `portamento` and the ADSR and vibrato
  arguments then do not apply.

Files that cannot give a melody (missing, unreadable, no notes, drums only,
an impossible tempo) raise `MidiFileError`, a ValueError naming the file and
the fix.

Memory is bounded by the notes, not by the frames: the file is read with
mido into per-note arrays (pretty_midi's reader allocates an array per MIDI
tick and refuses files over 10 million ticks, about 6 hours at 120 bpm), with
note times computed as pretty_midi computes them, and the controls are
rendered block by block (`sources.NoteLine`).
"""

import heapq
import os

from absl import logging
import gin
import numpy as np

from ddsp_generative.controls import sources
from ddsp_generative.core import errors
from ddsp_generative.core import units

# Columns of the [n_notes, 4] note arrays below.
START, END, PITCH, VELOCITY = range(4)


class MidiFileError(errors.UserError, ValueError):
  """A MIDI file that cannot give f0/loudness controls."""


class PolyphonicMidiError(MidiFileError):
  """Overlapping notes where one voice was asked for (top_voice=False)."""


# Tempi faster than this are not music but a corrupt file (a quarter note
# every 30 ms).
MAX_TEMPO_BPM = 2000.0


class Part:
  """The notes of one instrument of a MIDI file (as pretty_midi groups them).

  Attributes:
    name: Its track name ('' when the track has none).
    program: General MIDI program (0-127).
    is_drum: On MIDI channel 10.
    notes: [n_notes, 4] float64 (start s, end s, pitch, velocity), in the
      order the file closes them.
  """

  def __init__(self, name, program, is_drum, notes):
    self.name = name
    self.program = int(program)
    self.is_drum = bool(is_drum)
    self.notes = notes


class _TickTimes:
  """Seconds of MIDI ticks under a tempo map, as pretty_midi computes them.

  pretty_midi fills an array over every tick (`_update_tick_to_time`); this
  evaluates the same expression, base + scale * (tick - start) per tempo
  interval, for the ticks asked for only.
  """

  def __init__(self, scales):
    self._starts = np.array([tick for tick, _ in scales], np.int64)
    self._scales = [scale for _, scale in scales]
    self._bases = [0]
    for (start, scale), (end, _) in zip(scales[:-1], scales[1:]):
      self._bases.append(self._bases[-1] + scale * (end - start))

  def __call__(self, tick):
    k = int(np.searchsorted(self._starts, tick, side='right')) - 1
    return self._bases[k] + self._scales[k] * (tick - int(self._starts[k]))


def _tempo_map(midi_data, path):
  """pretty_midi's `_tick_scales`: [(tick, seconds per tick)], checked."""
  resolution = midi_data.ticks_per_beat
  if not resolution or resolution < 0:
    raise MidiFileError(
        f'MIDI file {path} has {resolution} ticks per beat: it is corrupt. '
        'Export it again as a MIDI file from your editor or sequencer.')
  scales = [(0, 60.0 / (120.0 * resolution))]
  tick = 0
  for event in midi_data.tracks[0]:
    tick += event.time
    if event.type != 'set_tempo':
      continue
    bpm = 6e7 / event.tempo if event.tempo else np.inf
    if bpm > MAX_TEMPO_BPM:
      raise MidiFileError(
          f'MIDI file {path} sets a tempo of {bpm:.6g} bpm (at tick {tick}), '
          f'above {MAX_TEMPO_BPM:g} bpm: the file is corrupt or not music. '
          'Fix its tempo in your editor or sequencer and export it again.')
    if tick == 0:  # Only one tempo change event at the beginning.
      scales = [(0, 60.0 / (bpm * resolution))]
    else:
      scale = 60.0 / ((6e7 / event.tempo) * resolution)
      if scale != scales[-1][1]:  # Repetitions of a tempo are common.
        scales.append((tick, scale))
  return scales


def _read_parts(midi_data, path):
  """The notes of every (program, channel, track), as pretty_midi reads them.

  Args:
    midi_data: A `mido.MidiFile`.
    path: The file, for messages.

  Returns:
    List of `Part`, in the order pretty_midi lists its instruments.
  """
  seconds = _TickTimes(_tempo_map(midi_data, path))
  parts = {}  # (program, channel, track) -> (name, [notes]).
  for track_index, track in enumerate(midi_data.tracks):
    name = ''
    open_notes = {}  # (channel, pitch) -> [(start tick, velocity)].
    programs = [0] * 16
    tick = 0
    for event in track:
      tick += event.time
      kind = event.type
      if kind == 'track_name':
        name = event.name
      elif kind == 'program_change':
        programs[event.channel] = event.program
      elif kind == 'note_on' and event.velocity > 0:
        open_notes.setdefault((event.channel, event.note), []).append(
            (tick, event.velocity))
      elif kind in ('note_off', 'note_on'):
        key = (event.channel, event.note)
        if key not in open_notes:
          continue  # A spurious note-off.
        # One note-off closes the notes opened at earlier ticks; a note-on
        # at this very tick stays open.
        close = [(t, v) for t, v in open_notes[key] if t != tick]
        keep = [(t, v) for t, v in open_notes[key] if t == tick]
        if close:
          program = programs[event.channel]
          part = parts.setdefault((program, event.channel, track_index),
                                  (name, []))
          end = seconds(tick)
          part[1].extend((seconds(t), end, event.note, v) for t, v in close)
        if close and keep:
          open_notes[key] = keep
        else:
          del open_notes[key]
  return [Part(name, program, channel == 9,
               np.array(notes, np.float64).reshape(-1, 4))
          for (program, channel, _), (name, notes) in parts.items()]


def read_midi(path):
  """The parts of a MIDI file (`Part` list); MidiFileError when it cannot."""
  import mido  # pylint: disable=g-import-not-at-top
  if not os.path.isfile(path):
    raise MidiFileError(f'MIDI file {path} does not exist (or is not a file): '
                        'check the path (MidiFile.path).')
  try:
    midi_data = mido.MidiFile(filename=path, charset='latin1')
  except Exception as e:  # pylint: disable=broad-except
    # mido raises OSError, EOFError, KeyError, ValueError...
    raise MidiFileError(
        f'Cannot read MIDI file {path} ({type(e).__name__}: {e}): it is not a '
        'valid Standard MIDI File (.mid). Export it again as a MIDI file from '
        'your editor or sequencer.') from e
  if not midi_data.tracks:
    raise MidiFileError(f'MIDI file {path} has no notes (no tracks): give a '
                        'file with a melody (note-on/note-off events).')
  return _read_parts(midi_data, path)


def _describe(instruments):
  """'0: 'Violin' (Violin, 12 notes); 1: ...' for messages (`Part`s)."""
  import pretty_midi  # pylint: disable=g-import-not-at-top
  kinds = ['drums' if inst.is_drum else
           pretty_midi.program_to_instrument_name(inst.program)
           for inst in instruments]
  return '; '.join(f'{i}: {inst.name.strip()!r} ({kind}, {len(inst.notes)} '
                   'notes)' for i, (inst, kind) in enumerate(zip(instruments,
                                                                 kinds)))


def select_notes(parts, path, instrument=None):
  """Notes of the chosen instrument(s) as a [n_notes, 4] array.

  Args:
    parts: The file's `Part`s, from `read_midi`.
    path: The file, for messages.
    instrument: None for every non-drum instrument together; an int, the
      index in the file's instrument list; or a str, an instrument's track
      name or General MIDI program name (case-insensitive).

  Returns:
    [n_notes, 4] float64 (start s, end s, pitch, velocity), sorted by start
    then highest pitch first.
  """
  import pretty_midi  # pylint: disable=g-import-not-at-top
  insts = parts
  if not any(len(inst.notes) for inst in insts):
    raise MidiFileError(f'MIDI file {path} has no notes: give a file with a '
                        'melody (note-on/note-off events).')
  if instrument is None:
    chosen = [inst for inst in insts if not inst.is_drum and len(inst.notes)]
    if not chosen:
      raise MidiFileError(
          f'MIDI file {path} has only drum notes (MIDI channel 10), which '
          'have no pitch: give a file with a pitched melody.')
    if len(chosen) > 1:
      logging.info('MIDI file %s: using the notes of all %d pitched '
                   'instruments (%s); pass MidiFile.instrument to choose one.',
                   path, len(chosen), _describe(insts))
  else:
    if isinstance(instrument, (int, np.integer)):
      matches = [insts[instrument]] if 0 <= instrument < len(insts) else []
    else:
      key = str(instrument).strip().lower()
      matches = [inst for inst in insts if key in (
          inst.name.strip().lower(),
          pretty_midi.program_to_instrument_name(inst.program).lower())]
    if not matches:
      raise MidiFileError(
          f'MIDI file {path} has no instrument {instrument!r}. Its '
          f'instruments: {_describe(insts)}. Pass one of these indices or '
          'names as MidiFile.instrument, or None for all pitched ones.')
    chosen = [inst for inst in matches if not inst.is_drum and len(inst.notes)]
    if not chosen:
      raise MidiFileError(
          f'Instrument {instrument!r} of MIDI file {path} has no pitched '
          f'notes (drums, or empty). Its instruments: {_describe(insts)}.')
  notes = np.concatenate([inst.notes for inst in chosen])
  bad = notes[:, END] <= notes[:, START]
  if np.any(bad):
    logging.warning('MIDI file %s: skipping %d notes of zero or negative '
                    'duration (first at %.3f s).', path, bad.sum(),
                    notes[bad][0, START])
    notes = notes[~bad]
    if not len(notes):
      raise MidiFileError(f'MIDI file {path} has no notes of positive '
                          'duration: give a file with a melody.')
  return notes[np.lexsort((-notes[:, PITCH], notes[:, START]))]


def trim_legato_overlaps(notes, max_overlap):
  """Ends each note where the next starts if they overlap by <= max_overlap.

  Legato playing often overlaps consecutive notes slightly; that is one
  voice, not polyphony.
  """
  notes = notes.copy()
  for i in range(len(notes) - 1):
    nxt = notes[i + 1, START]
    overlap = notes[i, END] - nxt
    if nxt > notes[i, START] and 0 < overlap <= max_overlap:
      notes[i, END] = nxt
  return notes


def find_overlaps(notes, tolerance=1e-6):
  """Notes starting while an earlier one sounds.

  Returns:
    List of (earlier index, later index), one per overlapping later note.
  """
  overlaps = []
  held = 0
  for j in range(1, len(notes)):
    if notes[j, START] < notes[held, END] - tolerance:
      overlaps.append((held, j))
    if notes[j, END] > notes[held, END]:
      held = j
  return overlaps


def skyline(notes):
  """The highest sounding note at each time ('skyline').

  A sweep over the notes' start and end times with a heap of the sounding
  notes: O(n log n), so hours of polyphony take seconds.

  Returns:
    fragments: [n_fragments, 4] like notes, in time order, not overlapping.
    from_onset: [n_fragments] bool, False where a fragment is the rest of a
      lower note revealed when a higher one ended.
  """
  times = np.unique(notes[:, [START, END]])
  order = np.argsort(notes[:, START], kind='stable')
  sounding = []  # Heap of (-pitch, -start, -index): the top voice first.
  fragments, owners = [], []
  j = 0
  for a, b in zip(times[:-1], times[1:]):
    while j < len(order) and notes[order[j], START] <= a:
      i = order[j]
      heapq.heappush(sounding, (-notes[i, PITCH], -notes[i, START], -i))
      j += 1
    # Sounding over [a, b): started by a and ending at b or later (no note
    # ends strictly between two consecutive times).
    while sounding and notes[-sounding[0][2], END] <= a:
      heapq.heappop(sounding)
    if not sounding:
      continue
    # Highest pitch; among equal pitches the latest onset.
    top = -sounding[0][2]
    if owners and owners[-1] == top and fragments[-1][END] == a:
      fragments[-1][END] = b
    else:
      fragments.append([a, b, notes[top, PITCH], notes[top, VELOCITY]])
      owners.append(top)
  fragments = np.array(fragments, np.float64)
  from_onset = fragments[:, START] == notes[owners, START]
  return fragments, from_onset


def _note_name(note):
  import pretty_midi  # pylint: disable=g-import-not-at-top
  return (f'{pretty_midi.note_number_to_name(int(note[PITCH]))} '
          f'{note[START]:.3f}-{note[END]:.3f} s')


@gin.register(module='ddsp_generative.midi_controls')
class MidiFile(sources.NoteLineSource):
  """f0 and loudness from the notes of a MIDI file (see the module doc).

  The file is read when the source is made, so a bad file fails at once;
  `iter_blocks` renders it block by block (`sources.ControlSource`).
  """

  def __init__(self, path, instrument=None, top_voice=True, legato=True,
               peak_db=-25.0, velocity_db_range=sources.VELOCITY_DB_RANGE,
               transpose=0.0, start=0.0, duration=None, portamento=0.05,
               legato_gap=0.01, max_legato_overlap=0.05, attack=0.05,
               decay=0.15, sustain_db=-4.0, release=0.15, vibrato_hz=0.0,
               vibrato_cents=0.0, expression=None, expression_seed=0,
               expression_temperature=1.0):
    """Reads the file.

    Args:
      path: The .mid file.
      instrument: None (all pitched instruments), an index or a name; see
        `select_notes`.
      top_voice: Overlapping notes: take the highest (True, with a warning)
        or raise PolyphonicMidiError (False).
      legato: Join touching notes into one envelope with a glide.
      peak_db: Loudness of velocity 127 (dB).
      velocity_db_range: dB between velocities 127 and 1.
      transpose: Semitones added to every pitch.
      start: Seconds of the file skipped.
      duration: Seconds rendered from `start`; None to the last note's end.
      portamento: Seconds of the glide into a legato note.
      legato_gap: Notes at most this many seconds apart count as touching.
      max_legato_overlap: Overlaps up to this many seconds are legato, not
        polyphony.
      attack: ADSR attack (s).
      decay: ADSR decay (s).
      sustain_db: ADSR sustain level relative to the peak (dB).
      release: ADSR release (s), within each note's or phrase's end.
      vibrato_hz: Vibrato rate.
      vibrato_cents: Vibrato depth in cents.
      expression: None (the rules above), or the directory of a trained
        expression model that plays the notes (module docstring).
      expression_seed: Seed of the expression model's per-note latents.
      expression_temperature: Their prior's scale (0: every note played
        the most typical way).
    """
    path = os.fspath(path)
    self.config = dict(
        path=path, instrument=instrument, top_voice=top_voice, legato=legato,
        peak_db=peak_db, velocity_db_range=velocity_db_range,
        transpose=transpose, start=start, duration=duration,
        portamento=portamento, legato_gap=legato_gap,
        max_legato_overlap=max_legato_overlap, attack=attack, decay=decay,
        sustain_db=sustain_db, release=release, vibrato_hz=vibrato_hz,
        vibrato_cents=vibrato_cents, expression=expression,
        expression_seed=expression_seed,
        expression_temperature=expression_temperature)
    if duration is not None:
      units.check_duration(duration, 'MidiFile duration')
    if not np.isfinite(start) or start < 0:
      raise ValueError(f'MidiFile start must be >= 0 seconds, got {start}.')
    for name, value in (('portamento', portamento), ('legato_gap', legato_gap),
                        ('max_legato_overlap', max_legato_overlap)):
      if not np.isfinite(value) or value < 0:
        raise ValueError(f'MidiFile {name} must be >= 0 seconds, got {value}.')
    self.envelope = sources.adsr_args(attack, decay, sustain_db, release)
    sources.check_finite(peak_db, 'MidiFile peak_db')
    sources.check_finite(transpose, 'MidiFile transpose')
    self.vibrato = sources.check_vibrato(vibrato_hz, vibrato_cents,
                                         'MidiFile')
    notes = select_notes(read_midi(path), path, instrument)
    notes = self._window(notes, path, start, duration)
    notes = trim_legato_overlaps(notes, max_legato_overlap)
    from_onset = np.ones(len(notes), bool)
    overlaps = find_overlaps(notes)
    if overlaps:
      i, j = overlaps[0]
      where = (f'MIDI file {path} is polyphonic: {len(overlaps)} notes start '
               f'while another sounds, the first at {notes[j, START]:.3f} s '
               f'({_note_name(notes[j])} while {_note_name(notes[i])} '
               'sounds)')
      if not top_voice:
        raise PolyphonicMidiError(
            f'{where}. A MidiFile is one voice: pass MidiFile.top_voice=True '
            'to take the highest sounding note at each time, or '
            'MidiFile.instrument to choose a monophonic part.')
      logging.warning('%s: taking the top voice (the highest sounding note at '
                      'each time). Pass MidiFile.instrument to choose a part, '
                      'or top_voice=False to make this an error.', where)
      notes, from_onset = skyline(notes)
    gaps = notes[1:, START] - notes[:-1, END]
    touching = np.concatenate([[False], gaps <= legato_gap])
    # A lower note revealed by a higher one's end was already sounding.
    self.slurs = touching & (bool(legato) | ~from_onset)
    self.starts, self.ends = notes[:, START], notes[:, END]
    self.pitches = units.clip_midi(notes[:, PITCH] + transpose,
                                    f'MIDI file {path}: pitch')
    self.peak_dbs = sources.velocity_to_db(notes[:, VELOCITY], peak_db,
                                            velocity_db_range)
    self.velocities = notes[:, VELOCITY]
    self.duration = duration
    self.portamento = portamento
    self.expression = None
    if expression is not None:
      self.expression = sources.load_expression(
          expression, expression_seed, expression_temperature)

  @staticmethod
  def _window(notes, path, start, duration):
    """Notes sounding in [start, start + duration), clipped and shifted."""
    stop = np.inf if duration is None else start + duration
    inside = (notes[:, END] > start) & (notes[:, START] < stop)
    if not np.any(inside):
      raise MidiFileError(
          f'MIDI file {path} has no notes between {start} s and {stop} s '
          f'(its notes span {notes[:, START].min():.3f}-'
          f'{notes[:, END].max():.3f} s): change MidiFile.start or duration.')
    notes = notes[inside].copy()
    notes[:, [START, END]] = np.clip(notes[:, [START, END]], start,
                                     stop) - start
    return notes

  def _make_line(self, frame_rate):
    if self.expression is not None:
      return self.expression.line(frame_rate, self.starts, self.ends,
                                  self.pitches, self.velocities,
                                  self.duration)
    return sources.NoteLine(
        self.starts, self.ends, self.pitches, self.peak_dbs, self.slurs,
        frame_rate, duration=self.duration, envelope=self.envelope,
        portamento=self.portamento, vibrato_hz=self.vibrato[0],
        vibrato_depth=self.vibrato[1])
