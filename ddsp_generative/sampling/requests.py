# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""What a sampling run is asked to play, as gin bindings; no TensorFlow.

`python -m ddsp_generative.sample` turns its flags into a `ControlRequest`;
`control_bindings` turns that into the gin bindings of the control source
(a composed Phrase, a MidiFile, an EnvelopeControl, a Note, the embedded
default's phrase), parsed before the user's --gin_file/--gin_param so that
those override them. The choice of source, in order:

1. an envelope model (`envelope_model`);
2. a composed phrase when the model has a phrase model and no control is
   asked for (`phrase_model_path`);
3. a MIDI file;
4. the embedded default's phrase when neither pitch nor duration is given;
5. a Note at `pitch` for `duration`.

Notes, melodies, MIDI files and phrases are played by the model's
expression model unless `expression='rules'` (`expression_dir`).
Everything here is cheap to import, so the command's checks of existing
outputs (`planned_outputs`) run before TensorFlow loads.
"""

import dataclasses
import os
from typing import Optional

from ddsp_generative.core import errors
from ddsp_generative.sampling import default_model

EXPRESSION_DIR = 'expression'
PHRASE_MODEL_FILE = 'phrase_model.json'  # expression.phrases.FILE_NAME
PHRASE_FIELDS = ('n_notes', 'key', 'register', 'tempo')
NOTE_SOURCES = ('Note', 'Melody', 'Glissando', 'MidiFile', 'Phrase')
NEW_INSTRUMENT = 'new'  # --instrument=new: drawn from the timbre prior.


class TimbreRequestError(errors.UsageError, ValueError):
  """A malformed --instrument, --blend or --morph."""


@dataclasses.dataclass(frozen=True)
class TimbreRequest:
  """The timbre a multi-instrument model plays (the sampler's flags).

  Attributes:
    instrument: A name, or 'new' (a new instrument from the timbre prior).
    blend: 'name:weight,name:weight' (weights normalised to sum 1).
    morph: 'from,to': from one instrument to the other along each sample.
    morph_secs: Seconds the morph takes (then held); None: the sample's.
  """
  instrument: Optional[str] = None
  blend: Optional[str] = None
  morph: Optional[str] = None
  morph_secs: Optional[float] = None

  def flag(self):
    """The flag(s) given, as typed."""
    return ' '.join(f'--{name}={getattr(self, name)}'
                    for name in ('instrument', 'blend', 'morph')
                    if getattr(self, name)) or '(no timbre flag)'

  def choice(self, frame_rate=250):
    """The `priors.TimbrePrior` (mode, options) asked for.

    Args:
      frame_rate: The model's frame rate (for morph_secs).

    Returns:
      (mode, options), or (None, {}) when nothing is asked.

    Raises:
      TimbreRequestError: Several choices, or a malformed one.
    """
    given = [f'--{name}' for name in ('instrument', 'blend', 'morph')
             if getattr(self, name)]
    if len(given) > 1:
      raise TimbreRequestError(f'Give one of {", ".join(given)}, not '
                               'several.')
    if self.morph_secs is not None and not (self.morph and
                                            self.morph_secs > 0):
      raise TimbreRequestError('--morph_secs needs --morph and a positive '
                               f'number of seconds, not {self.morph_secs}.')
    if self.blend:
      names, weights = [], []
      for part in self.blend.split(','):
        name, _, weight = part.partition(':')
        try:
          weights.append(float(weight) if weight else 1.0)
        except ValueError as e:
          raise TimbreRequestError(
              f'--blend={self.blend}: {weight!r} is not a weight; e.g. '
              '--blend=violin:0.7,flute:0.3.') from e
        names.append(name.strip())
      return 'blend', {'instruments': tuple(names), 'weights': tuple(weights)}
    if self.morph:
      names = tuple(n.strip() for n in self.morph.split(','))
      if len(names) != 2 or not all(names):
        raise TimbreRequestError(f'--morph={self.morph}: give two '
                                 'instruments, e.g. --morph=violin,flute.')
      options = {'instruments': names}
      if self.morph_secs:
        options['morph_frames'] = int(round(self.morph_secs * frame_rate))
      return 'morph', options
    if self.instrument == NEW_INSTRUMENT:
      return 'new', {}
    if self.instrument:
      return 'instrument', {'instrument': self.instrument}
    return None, {}


@dataclasses.dataclass(frozen=True)
class ControlRequest:
  """The controls a run asks for (the sampler's flags of the same names).

  Attributes:
    pitch: MIDI pitch of a Note (or of the envelope control).
    duration: Seconds of the Note, the envelope control or the phrase.
    peak_db: Peak loudness of the note sources (dB), or None.
    midi_file: A MIDI file to play.
    envelope_model: An envelope VAE directory, or 'default'.
    expression: 'auto', 'rules' or an expression model directory.
    phrase_model: 'auto', 'none' or a phrase_model.json.
    n_notes: Notes of a composed phrase.
    key: Key of a composed phrase ("D major", "none").
    register: "LOW-HIGH" MIDI pitches of a composed phrase.
    tempo: Speed factor of a composed phrase.
    seed: The run's seed (sample i uses seed + i).
  """
  pitch: Optional[float] = None
  duration: Optional[float] = None
  peak_db: Optional[float] = None
  midi_file: Optional[str] = None
  envelope_model: Optional[str] = None
  expression: str = 'auto'
  phrase_model: str = 'auto'
  n_notes: Optional[int] = None
  key: Optional[str] = None
  register: Optional[str] = None
  tempo: Optional[float] = None
  seed: int = 0

  @property
  def asks_for_a_control(self):
    """True when a MIDI file, an envelope model or a pitch is asked for."""
    return bool(self.midi_file or self.envelope_model or
                self.pitch is not None)


def phrase_model_path(request, model_dir):
  """The phrase model that composes when no control is asked for, or None.

  Args:
    request: A ControlRequest.
    model_dir: The model directory (the embedded default's when None).
  """
  if request.asks_for_a_control or request.phrase_model == 'none':
    return None
  if request.phrase_model != 'auto':
    return request.phrase_model
  model_dir = model_dir or default_model.PACKAGE_DIR
  path = os.path.join(model_dir, EXPRESSION_DIR, PHRASE_MODEL_FILE)
  return path if os.path.isfile(path) else None


def parse_register(text):
  """(low, high) MIDI pitches of a register ("62-81").

  Raises:
    errors.UserError: Naming the form.
  """
  try:
    low, high = (float(v) for v in text.split('-'))
  except ValueError:
    low = high = None
  if low is None or not 0 <= low <= high <= 127:
    raise errors.UserError(
        f'--register={text}: give "LOW-HIGH" MIDI pitches in [0, 127], low '
        'first, e.g. --register=62-81.')
  return low, high


def expression_dir(request, model_dir):
  """The expression model the request asks for, or None for the rules."""
  if request.expression == 'rules':
    return None
  if request.expression != 'auto':
    return request.expression
  path = os.path.join(model_dir, EXPRESSION_DIR)
  return path if os.path.isdir(path) else None


def control_bindings(request, model_dir, using_default_model,
                     level_bindings=(), expression=None):
  """Gin bindings of the control source a request asks for.

  Args:
    request: A ControlRequest.
    model_dir: The model directory (None: the embedded default).
    using_default_model: Sampling the embedded default model (its own tuned
      levels and phrase).
    level_bindings: For other models, the note sources' levels inside their
      training loudness (`sampler.default_level_bindings`).
    expression: None, or the expression model that plays the notes.

  Returns:
    List of gin bindings, parsed before --gin_file/--gin_param.
  """
  bindings = (list(default_model.DEFAULT_LEVELS) if using_default_model
              else list(level_bindings))
  if request.envelope_model:
    path = request.envelope_model
    if path == 'default':
      path = default_model.envelopes_dir()
    bindings += ['control_source.source = @EnvelopeControl()',
                 f'EnvelopeControl.model_path = {path!r}',
                 f'EnvelopeControl.seed = {request.seed!r}']
    for name in ('pitch', 'duration'):
      if getattr(request, name) is not None:
        bindings.append(f'EnvelopeControl.{name} = '
                        f'{getattr(request, name)!r}')
    return bindings
  phrase = phrase_model_path(request, model_dir)
  if phrase:
    bindings += ['control_source.source = @Phrase()',
                 f'Phrase.model_path = {phrase!r}',
                 f'Phrase.seed = {request.seed!r}']
    if expression:
      bindings.append(f'Phrase.expression = {expression!r}')
    for name in ('n_notes', 'duration', 'key', 'tempo'):
      if getattr(request, name) is not None:
        bindings.append(f'Phrase.{name} = {getattr(request, name)!r}')
    if request.register:
      low, high = parse_register(request.register)
      bindings += [f'Phrase.low = {low!r}', f'Phrase.high = {high!r}']
  elif request.midi_file:
    bindings += ['control_source.source = @MidiFile()',
                 f'MidiFile.path = {request.midi_file!r}']
    if expression:
      bindings += [f'MidiFile.expression = {expression!r}',
                   f'MidiFile.expression_seed = {request.seed!r}']
  elif (using_default_model and request.pitch is None and
        request.duration is None):
    # A phrase, unless a Note is asked for; --gin_file/--gin_param come
    # after and override it.
    bindings += list(default_model.DEFAULT_CONTROLS)
  if not phrase:
    for name, binding in (('pitch', 'Note.pitch'),
                          ('duration', 'Note.duration')):
      if getattr(request, name) is not None:
        bindings.append(f'{binding} = {getattr(request, name)!r}')
  if expression and not phrase and not request.midi_file:
    # Notes and melodies (of pitch, the default phrase or --gin_param) are
    # played by the expression model too.
    for name in ('Note', 'Melody'):
      bindings += [f'{name}.expression = {expression!r}',
                   f'{name}.expression_seed = {request.seed!r}']
  if request.peak_db is not None:
    bindings += [f'{name}.peak_db = {request.peak_db!r}'
                 for name in NOTE_SOURCES]
  return bindings


def planned_outputs(save_dir, n_samples, midi=False):
  """The files a run would write, as `sampler.sample_paths` names them.

  Kept here (with a test that it matches) so that the check of existing
  outputs needs no heavy import.

  Args:
    save_dir: The run's save_dir.
    n_samples: Samples in the run.
    midi: A composed phrase: its MIDI file too.

  Returns:
    Paths, for every sample its WAV, PNG, JSON (and MIDI).
  """
  exts = ('wav', 'png', 'json') + (('mid',) if midi else ())
  return [os.path.join(save_dir, f'sample_{i:03d}.{ext}')
          for i in range(n_samples) for ext in exts]
