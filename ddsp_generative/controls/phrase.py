# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Phrase: a new phrase composed by a phrase model, then played.

`Phrase` composes notes with a saved `expression.phrases.PhraseModel`
(`ddsp_generative_train_expression` fits one beside the expression model)
and plays them like `MidiFile` plays a file's notes: through an expression
model when `expression` names one, else by the rules (ADSR envelopes at
`peak_db`, each note re-attacked). Another seed composes another phrase:
`for_seed(seed)` is the same source with a new seed, which the sampler uses
for each sample, and `write_midi(path)` saves what was composed as a
one-track MIDI file. `config` records the settings and the notes.
"""

import copy
import os

import gin
import numpy as np

from ddsp_generative.controls import sources
from ddsp_generative.core import units
from ddsp_generative.expression import context

MIDI_PROGRAM = 0  # General MIDI program of the written file's track.


@gin.register(module='ddsp_generative.controls')
class Phrase(sources.NoteLineSource):
  """A composed phrase (see the module doc)."""

  def __init__(self, model_path, seed=0, n_notes=None, duration=None,
               low=None, high=None, key='auto', tempo=1.0, temperature=1.0,
               expression=None, expression_temperature=1.0, peak_db=-25.0,
               velocity_db_range=sources.VELOCITY_DB_RANGE, attack=0.05,
               decay=0.15, sustain_db=-4.0, release=0.15):
    """Composes the phrase.

    Args:
      model_path: A saved phrase model (phrase_model.json, or the directory
        holding it).
      seed: Composition seed; also the expression model's.
      n_notes: Notes; None: the model's default (or what fits duration).
      duration: Seconds of the phrase (the notes and, played by an
        expression model, the last one's ring); None: as many as n_notes
        take.
      low: Lowest MIDI pitch; None: the training notes' lowest.
      high: Highest MIDI pitch; None: the training notes' highest.
      key: 'auto' (a training melody's key), None/'none', or e.g.
        'D major' (`phrases.parse_key`).
      tempo: Speed relative to the training melodies.
      temperature: Randomness of the phrase model (1: as learned).
      expression: None (the rules), or an expression model's directory.
      expression_temperature: Its latents' prior scale.
      peak_db: Rules only: loudness of velocity 127 (dB).
      velocity_db_range: Rules only: dB between velocities 127 and 1.
      attack: Rules only: ADSR attack (s).
      decay: Rules only: ADSR decay (s).
      sustain_db: Rules only: sustain level relative to the peak (dB).
      release: Rules only: ADSR release (s).

    Raises:
      phrases.PhraseModelError: No or a bad model, or a bad setting.
    """
    from ddsp_generative.expression import phrases  # pylint: disable=g-import-not-at-top
    self._arguments = dict(
        model_path=os.fspath(model_path), seed=int(seed), n_notes=n_notes,
        duration=duration, low=low, high=high, key=key, tempo=tempo,
        temperature=temperature, expression=expression,
        expression_temperature=expression_temperature, peak_db=peak_db,
        velocity_db_range=velocity_db_range, attack=attack, decay=decay,
        sustain_db=sustain_db, release=release)
    sources.check_finite(peak_db, 'Phrase peak_db')
    self.envelope = sources.adsr_args(attack, decay, sustain_db, release)
    self.model = phrases.load(model_path)
    self.expression = None
    if expression is not None:
      self.expression = sources.load_expression(expression, seed,
                                                expression_temperature)
    self._compose(int(seed))

  def _compose(self, seed):
    """Composes the phrase of `seed` (the models already loaded)."""
    args = dict(self._arguments, seed=seed)
    fill = args['duration']
    if fill is not None and self.expression is not None:
      # The last note rings within the duration.
      fill = max(fill - context.RELEASE_TAIL_SECS, 0.5 * fill)
    composed = self.model.compose(
        seed=seed, n_notes=args['n_notes'], duration=fill,
        low=args['low'], high=args['high'], key=args['key'],
        tempo=args['tempo'], temperature=args['temperature'])
    notes = composed['notes']
    self.starts, self.ends = notes[:, 0], notes[:, 1]
    self.pitches = units.clip_midi(notes[:, 2], 'Phrase pitch')
    self.velocities = notes[:, 3]
    self.peak_dbs = sources.velocity_to_db(
        self.velocities, args['peak_db'], args['velocity_db_range'])
    self.unit_secs = composed['unit_secs']
    self.config = dict(
        args, composed_key=composed['key'],
        register=list(composed['register']),
        unit_secs=round(composed['unit_secs'], 4),
        notes=np.round(notes, 4).tolist())
    self.__dict__.pop('_lines', None)
    if self.expression is not None:
      e = self.expression
      self.expression = sources.Expression(e.model, e.record, e.path, seed,
                                           e.temperature)

  def for_seed(self, seed):
    """This source with another seed (a new phrase; models shared)."""
    other = copy.copy(self)
    other._compose(int(seed))  # pylint: disable=protected-access
    return other

  def write_midi(self, path):
    """Writes the composed notes as a one-track MIDI file at path."""
    import pretty_midi  # pylint: disable=g-import-not-at-top
    midi = pretty_midi.PrettyMIDI(initial_tempo=60.0 / self.unit_secs)
    track = pretty_midi.Instrument(program=MIDI_PROGRAM,
                                   name='ddsp_generative phrase')
    for start, end, pitch, velocity in zip(self.starts, self.ends,
                                           self.pitches, self.velocities):
      track.notes.append(pretty_midi.Note(
          velocity=int(velocity), pitch=int(round(pitch)),
          start=float(start), end=float(end)))
    midi.instruments.append(track)
    midi.write(path)

  def _make_line(self, frame_rate):
    duration = self._arguments['duration']
    if self.expression is not None:
      return self.expression.line(frame_rate, self.starts, self.ends,
                                  self.pitches, self.velocities,
                                  duration=duration)
    return sources.NoteLine(
        self.starts, self.ends, self.pitches, self.peak_dbs,
        np.zeros(len(self.starts), bool), frame_rate, duration=duration,
        envelope=self.envelope)
