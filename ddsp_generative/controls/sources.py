# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Pitch and loudness controls generated from scratch (no input audio).

Each control source is a small gin-registered class with a `config` dict of
its constructor arguments (recorded next to samples), on ddsp's scales: f0 in
Hz and loudness in dB as `ddsp.spectral_ops.compute_loudness` measures it (0
dB full scale, about -80 dB silence). A source gives its controls

* whole: `generate(frame_rate) -> (f0_hz [n_frames], loudness_db
  [n_frames])`;
* or block by block, for clips of any length in bounded memory:
  `iter_blocks(frame_rate, block_frames)` yields (f0_hz, loudness_db) blocks
  of `block_frames` frames (the last one shorter), whose concatenation is
  exactly `generate`'s output; `n_frames(frame_rate)` is the clip's length.

Sources here derive from `ControlSource`, which computes any range of frames
on its own (`frames(frame_rate, start, stop)`), so a 10-hour note never holds
more than a block of frames. `as_blocks` gives the same interface for any
other source (one with `generate` only is generated once, then sliced).

Sources here: `Note` (constant pitch), `Glissando` (a linear glide in pitch)
and `Melody` (notes and rests, per-note loudness or velocity, legato); all
take an ADSR loudness envelope and vibrato. `midi_controls.MidiFile` reads a
MIDI file. Through silences f0 stays at the last pitch, as f0 trackers such as
pYIN report it in the training data. Settings that are not finite (e.g. a gin
binding of 1e999) are refused when a source is made.
"""

from absl import logging
import gin
import numpy as np

from ddsp_generative.core import units

SILENCE_DB = -80.0
# Velocity 127 plays at the peak loudness, velocity 1 this many dB below it.
VELOCITY_DB_RANGE = 30.0


def velocity_to_db(velocity, peak_db=-25.0, db_range=VELOCITY_DB_RANGE):
  """Peak loudness of notes from MIDI velocities, linear in dB.

  Velocity 127 plays at `peak_db` and velocity 1 at `peak_db - db_range`:
  each velocity step is db_range / 126 dB (0.24 dB for the default 30 dB, so
  velocity 64 is 15 dB below 127). Velocities outside [1, 127] are clipped
  with a warning.

  Args:
    velocity: [n_notes] MIDI velocities.
    peak_db: Loudness of velocity 127 (dB), scalar or [n_notes].
    db_range: dB between velocities 127 and 1 (>= 0).

  Returns:
    [n_notes] peak loudness in dB.
  """
  if not np.isfinite(db_range) or db_range < 0:
    raise ValueError(f'velocity_db_range must be >= 0 dB, got {db_range}.')
  velocity = np.asarray(velocity, np.float64)
  clipped = np.clip(velocity, 1, 127)
  if np.any(clipped != velocity):
    logging.warning('velocity %s is outside [1, 127]: clipped.',
                    np.unique(velocity[clipped != velocity]).tolist())
  return np.asarray(peak_db, np.float64) - db_range * (127 - clipped) / 126.0


def check_finite(value, what):
  """Raises ValueError unless `value` (a number or numbers) is finite."""
  values = np.asarray(value, np.float64)
  if not np.all(np.isfinite(values)):
    raise ValueError(f'{what} must be finite, got {np.asarray(value).tolist()} '
                     '(a gin value such as 1e999 is infinite): give a finite '
                     'number.')


def _vibrato_at(frames, frame_rate, vibrato_hz, depth_cents):
  """Vibrato in cents at the given frame indices (see `vibrato_curve`)."""
  t = frames / frame_rate
  return depth_cents * np.sin(2 * np.pi * vibrato_hz * t)


def vibrato_curve(n_frames, frame_rate, vibrato_hz=0.0, depth_cents=0.0):
  """[n_frames] sinusoidal pitch deviation in cents, starting at 0."""
  return _vibrato_at(np.arange(n_frames), frame_rate, vibrato_hz,
                     depth_cents)


def _adsr_at(frames, n_frames, frame_rate, peak_db=-25.0, attack=0.05,
             decay=0.15, sustain_db=-4.0, release=0.15):
  """`adsr_db(n_frames, ...)` at the given frame indices only.

  Elementwise the same arithmetic as the whole envelope, so any range of
  frames equals the same slice of `adsr_db` exactly.

  Args:
    frames: [n] frame indices in [0, n_frames).
    n_frames: Frames in the note, release included.
    frame_rate: Frames per second.
    peak_db: See `adsr_db`.
    attack: See `adsr_db`.
    decay: See `adsr_db`.
    sustain_db: See `adsr_db`.
    release: See `adsr_db`.

  Returns:
    [n] float32 loudness in dB.
  """
  t = np.asarray(frames) / frame_rate
  dur = n_frames / frame_rate
  # Shape the envelope in linear amplitude, then convert to dB.
  sustain = 10 ** (sustain_db / 20.0)
  amp = np.full(t.shape, sustain)
  a = t < attack
  amp[a] = t[a] / max(attack, 1e-6)
  d = (t >= attack) & (t < attack + decay)
  amp[d] = 1.0 + (sustain - 1.0) * (t[d] - attack) / max(decay, 1e-6)
  r = t > dur - release
  amp[r] *= np.clip((dur - t[r]) / max(release, 1e-6), 0.0, 1.0)
  floor = 10 ** ((SILENCE_DB - peak_db) / 20.0)
  return (peak_db + 20.0 * np.log10(np.maximum(amp, floor))).astype(np.float32)


def adsr_db(n_frames, frame_rate, peak_db=-25.0, attack=0.05, decay=0.15,
            sustain_db=-4.0, release=0.15):
  """An ADSR loudness envelope in dB.

  Args:
    n_frames: Frames in the note, release included.
    frame_rate: Frames per second.
    peak_db: Loudness at the end of the attack.
    attack: Attack time (s), from silence to peak.
    decay: Decay time (s), from peak to sustain.
    sustain_db: Sustain level relative to the peak (dB, <= 0).
    release: Release time (s), at the end of the note, back to silence.

  Returns:
    [n_frames] loudness in dB.
  """
  return _adsr_at(np.arange(n_frames), n_frames, frame_rate, peak_db=peak_db,
                  attack=attack, decay=decay, sustain_db=sustain_db,
                  release=release)


class NoteLine:
  """f0 and loudness of one monophonic line of notes, any range of frames.

  A phrase is a note and the slurred notes after it: one ADSR envelope over
  the phrase (no re-attack), whose level moves to each note's peak_db over
  `portamento`, as its pitch glides to the note's pitch. Outside notes the
  loudness is SILENCE_DB and f0 holds the last pitch (the first one before
  the first note).

  It holds per-note arrays only (frame boundaries, pitches, levels), so
  `frames(start, stop)` costs memory for those frames and the notes, never
  for the whole line.

  Attributes:
    n_frames: Frames of the line.
  """

  def __init__(self, starts, ends, pitches, peak_dbs, slurs, frame_rate,
               duration=None, envelope=None, portamento=0.05,
               vibrato_hz=0.0, vibrato_depth=0.0):
    """Computes the notes' frame boundaries.

    Args:
      starts: [n_notes] onsets (s), increasing.
      ends: [n_notes] offsets (s), each after its onset and no later than
        the next onset. A note slurred to the next one is held until it
        starts.
      pitches: [n_notes] MIDI pitches (already clipped).
      peak_dbs: [n_notes] peak loudness of each note (dB).
      slurs: [n_notes] bool, True where a note continues the previous one's
        envelope (legato); ignored for the first note.
      frame_rate: Frames per second.
      duration: Seconds of output; None to end with the last note.
      envelope: adsr_db keyword arguments (attack, decay, sustain_db,
        release).
      portamento: Seconds of the pitch and level glide into a slurred note.
      vibrato_hz: Vibrato rate.
      vibrato_depth: Vibrato depth in cents, applied within notes.
    """
    n_notes = len(pitches)
    slurs = np.asarray(slurs, bool).copy()
    slurs[0] = False
    # Frame boundaries from absolute times (no rounding drift), each note at
    # least one frame long and slurred notes contiguous.
    s = np.round(np.asarray(starts, np.float64) * frame_rate).astype(int)
    e = np.round(np.asarray(ends, np.float64) * frame_rate).astype(int)
    for i in range(n_notes):
      if i:
        s[i] = max(s[i], e[i - 1])
        if slurs[i]:
          e[i - 1] = s[i]
      e[i] = max(e[i], s[i] + 1)
    self.n_frames = int(e[-1] if duration is None else
                        max(1, round(duration * frame_rate)))
    self.frame_rate = frame_rate
    self._starts, self._ends, self._slurs = s, e, slurs
    ramp = int(round(portamento * frame_rate))
    self._ramps = np.minimum(ramp, e - s)
    self._pitches = np.asarray(pitches, np.float64)
    self._levels = np.asarray(peak_dbs, np.float64)
    firsts = np.flatnonzero(~slurs)
    # Phrase p spans frames [phrase_starts[p], phrase_ends[p]).
    self._phrase_starts = s[firsts]
    self._phrase_ends = e[np.concatenate([firsts[1:], [n_notes]]) - 1]
    self._envelope = dict(envelope or {})
    self._vibrato = (vibrato_hz, vibrato_depth)

  def _held(self, values, frames, index):
    """values[i] of the note i each frame belongs to, glides included."""
    current = np.maximum(index, 0)
    out = values[current]
    offset = frames - self._starts[current]
    glide = ((index > 0) & self._slurs[current] &
             (offset < self._ramps[current]))
    if np.any(glide):
      note = current[glide]
      frac = (offset[glide] + 1.0) / (self._ramps[note] + 1.0)
      before = values[note - 1]
      out[glide] = before + (values[note] - before) * frac
    return out

  def frames(self, start, stop):
    """f0 and loudness of frames [start, stop).

    Args:
      start: First frame, >= 0.
      stop: End frame (exclusive), <= n_frames.

    Returns:
      f0_hz: [stop - start] float32.
      loudness_db: [stop - start] float32.
    """
    frames = np.arange(start, stop)
    # The note each frame belongs to (-1 before the first one): notes start
    # strictly after one another.
    index = np.searchsorted(self._starts, frames, side='right') - 1
    midi = self._held(self._pitches, frames, index)
    level = self._held(self._levels, frames, index)
    voiced = (index >= 0) & (frames < self._ends[np.maximum(index, 0)])
    loudness = np.full(len(frames), SILENCE_DB, np.float64)
    first = max(0, np.searchsorted(self._phrase_starts, start, 'right') - 1)
    last = np.searchsorted(self._phrase_starts, stop, 'left')
    for a, b in zip(self._phrase_starts[first:last],
                    self._phrase_ends[first:last]):
      lo, hi = max(a, start), min(b, stop)
      if lo >= hi:
        continue
      shape = _adsr_at(np.arange(lo - a, hi - a), b - a, self.frame_rate,
                       peak_db=0.0, **self._envelope)
      loudness[lo - start:hi - start] = np.maximum(
          level[lo - start:hi - start] + shape, SILENCE_DB)
    midi += voiced * _vibrato_at(frames, self.frame_rate,
                                 *self._vibrato) / 100.0
    return (units.midi_to_hz(midi).astype(np.float32),
            loudness.astype(np.float32))


def render_notes(starts, ends, pitches, peak_dbs, slurs, frame_rate,
                 duration=None, envelope=None, portamento=0.05,
                 vibrato_hz=0.0, vibrato_depth=0.0):
  """f0 and loudness of one monophonic line of notes, whole.

  Args:
    starts, ends, pitches, peak_dbs, slurs, frame_rate, duration, envelope,
    portamento, vibrato_hz, vibrato_depth: As for `NoteLine`.

  Returns:
    f0_hz: [n_frames] float32.
    loudness_db: [n_frames] float32.
  """
  line = NoteLine(starts, ends, pitches, peak_dbs, slurs, frame_rate,
                  duration=duration, envelope=envelope, portamento=portamento,
                  vibrato_hz=vibrato_hz, vibrato_depth=vibrato_depth)
  return line.frames(0, line.n_frames)


def _per_note(value, n, what):
  """A scalar or a sequence of n values as a list of n."""
  if np.ndim(value) == 0:
    return [value] * n
  value = list(value)
  if len(value) != n:
    raise ValueError(f'{what} has {len(value)} values for {n} notes: give one '
                     'value, or one per note.')
  return value


def _is_rest(pitch, what='Melody pitch'):
  """None or 0 is a rest; a pitch that is not finite is an error."""
  if pitch is None:
    return True
  check_finite(pitch, f'{what} {pitch}')
  return float(pitch) == 0


def adsr_args(attack, decay, sustain_db, release):
  """Checked keyword arguments of `adsr_db` (without peak_db)."""
  for name, value in (('attack', attack), ('decay', decay),
                      ('release', release)):
    if not np.isfinite(value) or value < 0:
      raise ValueError(f'{name} must be >= 0 seconds, got {value}.')
  check_finite(sustain_db, 'sustain_db')
  return dict(attack=attack, decay=decay, sustain_db=sustain_db,
              release=release)


def check_vibrato(vibrato_hz, vibrato_cents, what):
  """Checked (vibrato_hz, vibrato_cents) of a source named `what`."""
  check_finite(vibrato_hz, f'{what} vibrato_hz')
  check_finite(vibrato_cents, f'{what} vibrato_cents')
  return vibrato_hz, vibrato_cents


class Expression:
  """A trained expression model that plays a note source's notes.

  Made by `load_expression`; `line` gives an `expression.playing.
  ExpressionLine`, which has `NoteLine`'s interface.
  """

  def __init__(self, model, record, path, seed=0, temperature=1.0):
    self.model, self.record, self.path = model, record, path
    self.seed, self.temperature = int(seed), float(temperature)
    self.levels = record['training']['notes']['level_db_percentiles']

  def line(self, frame_rate, starts, ends, pitches, velocities,
           duration=None):
    """The notes played by the model at frame_rate (its own rate)."""
    from ddsp_generative.expression import playing  # pylint: disable=g-import-not-at-top
    if int(round(frame_rate)) != int(self.model.frame_rate):
      raise ValueError(
          f'The expression model {self.path} plays at '
          f'{self.model.frame_rate} frames/s, the DDSP model at '
          f'{frame_rate}: train one on the DDSP model\'s data.')
    return playing.ExpressionLine(
        self.model, starts, ends, pitches,
        playing.velocity_levels(velocities, self.levels), seed=self.seed,
        temperature=self.temperature, duration=duration)


def load_expression(path, seed=0, temperature=1.0):
  """Loads a saved expression model (`expression.saving`) as `Expression`.

  Raises:
    ValueError: A temperature that is not finite and >= 0.
    artifacts.ArtifactError: No or a bad model at `path`.
  """
  from ddsp_generative.expression import saving  # pylint: disable=g-import-not-at-top
  check_finite(temperature, 'expression_temperature')
  if temperature < 0:
    raise ValueError(f'expression_temperature must be >= 0, got '
                     f'{temperature}.')
  model, record = saving.load_model(path)
  return Expression(model, record, path, seed, temperature)


class ControlSource:
  """Base of the sources that compute any range of frames on their own.

  Subclasses define `n_frames(frame_rate)` and `frames(frame_rate, start,
  stop) -> (f0_hz, loudness_db)`, each [stop - start] float32; `generate`
  and `iter_blocks` follow.
  """

  def n_frames(self, frame_rate):
    """Frames of the clip at `frame_rate`."""
    raise NotImplementedError

  def frames(self, frame_rate, start, stop):
    """(f0_hz, loudness_db) of frames [start, stop), each [stop - start]."""
    raise NotImplementedError

  def generate(self, frame_rate):
    """Returns (f0_hz, loudness_db), each [n_frames]."""
    return self.frames(frame_rate, 0, self.n_frames(frame_rate))

  def iter_blocks(self, frame_rate, block_frames):
    """Yields (f0_hz, loudness_db) of consecutive blocks of block_frames.

    Args:
      frame_rate: Frames per second.
      block_frames: Frames per block (the last one shorter).

    Yields:
      ([n] float32, [n] float32) pairs; concatenated, `generate`'s output.
    """
    n_frames = self.n_frames(frame_rate)
    for start in range(0, n_frames, block_frames):
      yield self.frames(frame_rate, start, min(n_frames, start + block_frames))


class ControlBlocks:
  """The controls of any source at one frame rate, block after block.

  Iterating yields (start frame, f0_hz, loudness_db) blocks of `block_frames`
  frames (the last one shorter), from the start each time. Sources with
  `iter_blocks` and `n_frames` (every `ControlSource`) compute each block
  when it is needed; others (only `generate`) are generated once and sliced.

  Attributes:
    n_frames: Frames of the clip.
    block_frames: Frames per block.
  """

  def __init__(self, source, frame_rate, block_frames):
    if int(block_frames) < 1:
      raise ValueError(f'block_frames must be >= 1, got {block_frames}.')
    self.source = source
    self.frame_rate = frame_rate
    self.block_frames = int(block_frames)
    self._whole = None
    if hasattr(source, 'iter_blocks') and hasattr(source, 'n_frames'):
      self.n_frames = int(source.n_frames(frame_rate))
    else:
      f0_hz, loudness_db = source.generate(frame_rate)
      self._whole = (np.asarray(f0_hz, np.float32).reshape(-1),
                     np.asarray(loudness_db, np.float32).reshape(-1))
      if len(self._whole[0]) != len(self._whole[1]):
        raise ValueError(
            f'The {type(source).__name__} controls have {len(f0_hz)} f0 and '
            f'{len(loudness_db)} loudness frames: they must be as many.')
      self.n_frames = len(self._whole[0])

  def __iter__(self):
    if self._whole is None:
      blocks = self.source.iter_blocks(self.frame_rate, self.block_frames)
    else:
      # Names of their own: the loop below rebinds f0_hz and loudness_db,
      # which this generator would otherwise slice after the first block.
      whole_f0, whole_db = self._whole
      blocks = ((whole_f0[a:a + self.block_frames],
                 whole_db[a:a + self.block_frames])
                for a in range(0, self.n_frames, self.block_frames))
    start = 0
    for f0_hz, loudness_db in blocks:
      f0_hz = np.asarray(f0_hz, np.float32)
      loudness_db = np.asarray(loudness_db, np.float32)
      yield start, f0_hz, loudness_db
      start += len(f0_hz)


def as_blocks(source, frame_rate, block_frames):
  """`ControlBlocks` of any source (see there)."""
  return ControlBlocks(source, frame_rate, block_frames)


@gin.register(module='ddsp_generative.controls')
class Note(ControlSource):
  """One note: constant pitch with optional vibrato, ADSR loudness.

  With `expression` (an expression model's directory) the note is played by
  that model instead, in the same `duration`: released
  `expression.context.RELEASE_TAIL_SECS` before its end (at most half of
  it) to ring as the training notes do; the ADSR and vibrato arguments then
  do not apply.
  """

  def __init__(self, pitch=60.0, duration=2.0, peak_db=-25.0, attack=0.05,
               decay=0.15, sustain_db=-4.0, release=0.15, vibrato_hz=0.0,
               vibrato_cents=0.0, expression=None, expression_seed=0,
               expression_temperature=1.0):
    self.config = dict(pitch=pitch, duration=duration, peak_db=peak_db,
                       attack=attack, decay=decay, sustain_db=sustain_db,
                       release=release, vibrato_hz=vibrato_hz,
                       vibrato_cents=vibrato_cents, expression=expression,
                       expression_seed=expression_seed,
                       expression_temperature=expression_temperature)
    units.check_duration(duration)
    check_finite(pitch, 'Note pitch')
    check_finite(peak_db, 'Note peak_db')
    self.pitch = float(units.clip_midi(pitch))
    self.duration = duration
    self.envelope = dict(peak_db=peak_db,
                         **adsr_args(attack, decay, sustain_db, release))
    self.vibrato_hz, self.vibrato_cents = check_vibrato(
        vibrato_hz, vibrato_cents, 'Note')
    self.expression = None if expression is None else load_expression(
        expression, expression_seed, expression_temperature)
    self._lines = {}

  def _line(self, frame_rate):
    """The expression model's line of the note at frame_rate (made once)."""
    if frame_rate not in self._lines:
      from ddsp_generative.expression import context  # pylint: disable=g-import-not-at-top
      duration = float(self.duration)
      release = max(duration - context.RELEASE_TAIL_SECS, 0.5 * duration)
      self._lines[frame_rate] = self.expression.line(
          frame_rate, [0.0], [release], [self.pitch], [100.0],
          duration=duration)
    return self._lines[frame_rate]

  def n_frames(self, frame_rate):
    return max(1, int(round(self.duration * frame_rate)))

  def frames(self, frame_rate, start, stop):
    if self.expression is not None:
      return self._line(frame_rate).frames(start, stop)
    frames = np.arange(start, stop)
    cents = _vibrato_at(frames, frame_rate, self.vibrato_hz,
                        self.vibrato_cents)
    f0_hz = units.midi_to_hz(self.pitch + cents / 100.0).astype(np.float32)
    return f0_hz, _adsr_at(frames, self.n_frames(frame_rate), frame_rate,
                           **self.envelope)


@gin.register(module='ddsp_generative.controls')
class Glissando(ControlSource):
  """One note gliding from one pitch to another, linear in MIDI pitch.

  The pitch holds `start_pitch` until `glide_start`, reaches `end_pitch`
  `glide_time` seconds later (or on the last frame, whichever is first) and
  holds it; one ADSR envelope over the whole note.
  """

  def __init__(self, start_pitch=60.0, end_pitch=72.0, duration=2.0,
               glide_start=0.0, glide_time=None, peak_db=-25.0, attack=0.05,
               decay=0.15, sustain_db=-4.0, release=0.15, vibrato_hz=0.0,
               vibrato_cents=0.0):
    self.config = dict(start_pitch=start_pitch, end_pitch=end_pitch,
                       duration=duration, glide_start=glide_start,
                       glide_time=glide_time, peak_db=peak_db, attack=attack,
                       decay=decay, sustain_db=sustain_db, release=release,
                       vibrato_hz=vibrato_hz, vibrato_cents=vibrato_cents)
    units.check_duration(duration, 'Glissando duration')
    if not np.isfinite(glide_start) or not 0 <= glide_start < duration:
      raise ValueError(f'Glissando glide_start must be in [0, duration = '
                       f'{duration}) seconds, got {glide_start}.')
    if glide_time is None:
      glide_time = duration - glide_start
    units.check_duration(glide_time, 'Glissando glide_time')
    if glide_start + glide_time > duration + 1e-9:
      raise ValueError(
          f'Glissando glide_start + glide_time = {glide_start + glide_time} s '
          f'exceeds its duration ({duration} s): the glide would not reach '
          'end_pitch. Shorten the glide or lengthen the note.')
    check_finite([start_pitch, end_pitch], 'Glissando pitches')
    check_finite(peak_db, 'Glissando peak_db')
    self.pitches = units.clip_midi([start_pitch, end_pitch], 'Glissando pitch')
    self.duration = duration
    self.glide = (glide_start, glide_time)
    self.envelope = dict(peak_db=peak_db,
                         **adsr_args(attack, decay, sustain_db, release))
    self.vibrato = check_vibrato(vibrato_hz, vibrato_cents, 'Glissando')

  def n_frames(self, frame_rate):
    return max(1, int(round(self.duration * frame_rate)))

  def frames(self, frame_rate, start, stop):
    n_frames = self.n_frames(frame_rate)
    frames = np.arange(start, stop)
    t = frames / frame_rate
    glide_start, glide_time = self.glide
    glide_end = min(glide_start + glide_time, (n_frames - 1) / frame_rate)
    frac = np.clip((t - glide_start) / max(glide_end - glide_start, 1e-9),
                   0.0, 1.0)
    start_pitch, end_pitch = self.pitches
    midi = start_pitch + (end_pitch - start_pitch) * frac
    midi += _vibrato_at(frames, frame_rate, *self.vibrato) / 100.0
    return (units.midi_to_hz(midi).astype(np.float32),
            _adsr_at(frames, n_frames, frame_rate, **self.envelope))


class NoteLineSource(ControlSource):
  """A source whose controls are a `NoteLine` (one per frame rate)."""

  def note_line(self, frame_rate):
    """The `NoteLine` of this source at `frame_rate` (made once)."""
    lines = self.__dict__.setdefault('_lines', {})
    if frame_rate not in lines:
      lines[frame_rate] = self._make_line(frame_rate)
    return lines[frame_rate]

  def _make_line(self, frame_rate):
    raise NotImplementedError

  def n_frames(self, frame_rate):
    return self.note_line(frame_rate).n_frames

  def frames(self, frame_rate, start, stop):
    return self.note_line(frame_rate).frames(start, stop)


@gin.register(module='ddsp_generative.controls')
class Melody(NoteLineSource):
  """A sequence of notes and rests, one after another.

  A pitch of None or 0 is a rest: silence (SILENCE_DB) with f0 held at the
  previous pitch. Each note has its own ADSR envelope, at `peak_db` (one value
  or one per note), lowered by its velocity when `velocities` are given (see
  `velocity_to_db`). With `legato=True` consecutive notes share one envelope
  (no re-attack; a rest ends it) and glide to each pitch and level over
  `portamento` seconds. With `expression` (an expression model's directory)
  the notes are played by that model instead, as `MidiFile` plays them
  (re-attacked or slurred as the training audio plays consecutive notes;
  their levels from the velocities, else from peak_db, by rank; the last
  rings past its note-off); `legato`, the envelope and vibrato arguments
  then do not apply.
  """

  def __init__(self, pitches=(60, 62, 64, 65, 67), durations=0.5,
               peak_db=-25.0, vibrato_hz=0.0, vibrato_cents=0.0,
               velocities=None, velocity_db_range=VELOCITY_DB_RANGE,
               legato=False, portamento=0.05, attack=0.05, decay=0.15,
               sustain_db=-4.0, release=0.15, expression=None,
               expression_seed=0, expression_temperature=1.0):
    pitches = [pitches] if np.ndim(pitches) == 0 else list(pitches)
    self.config = dict(
        pitches=[None if p is None else np.asarray(p).item() for p in pitches],
        durations=np.atleast_1d(durations).tolist(),
        peak_db=np.asarray(peak_db).tolist(), vibrato_hz=vibrato_hz,
        vibrato_cents=vibrato_cents,
        velocities=(None if velocities is None else
                    np.atleast_1d(velocities).tolist()),
        velocity_db_range=velocity_db_range, legato=legato,
        portamento=portamento, attack=attack, decay=decay,
        sustain_db=sustain_db, release=release, expression=expression,
        expression_seed=expression_seed,
        expression_temperature=expression_temperature)
    n = len(pitches)
    if not n:
      raise ValueError('Melody needs at least one pitch.')
    durations = _per_note(durations, n, 'durations')
    peak_dbs = _per_note(peak_db, n, 'peak_db')
    for i, d in enumerate(durations):
      units.check_duration(
          d, f'Melody duration {i} (of note or rest {pitches[i]})')
    check_finite(peak_dbs, 'Melody peak_db')
    if velocities is not None:
      velocities = _per_note(velocities, n, 'velocities')
      check_finite(velocities, 'Melody velocities')
      peak_dbs = velocity_to_db(velocities, peak_dbs, velocity_db_range)
    if not np.isfinite(portamento) or portamento < 0:
      raise ValueError(f'portamento must be >= 0 seconds, got {portamento}.')
    rests = [_is_rest(p) for p in pitches]
    if all(rests):
      raise ValueError(f'Melody pitches {pitches} are all rests (None or 0): '
                       'give at least one MIDI pitch.')
    onsets = np.concatenate([[0.0], np.cumsum(durations, dtype=np.float64)])
    if not np.isfinite(onsets[-1]):
      raise ValueError(f'Melody durations add up to {onsets[-1]} s: give '
                       'finite durations.')
    keep = [i for i in range(n) if not rests[i]]
    self.starts = onsets[keep]
    self.ends = onsets[1:][keep]
    self.pitches = units.clip_midi([float(pitches[i]) for i in keep],
                                   'Melody pitch')
    self.peak_dbs = np.asarray(peak_dbs, np.float64)[keep]
    # Legato joins a note to the previous element when that is a note.
    self.slurs = [bool(legato) and i > 0 and not rests[i - 1] for i in keep]
    self.duration = float(onsets[-1])
    self.envelope = adsr_args(attack, decay, sustain_db, release)
    self.portamento = portamento
    self.vibrato = check_vibrato(vibrato_hz, vibrato_cents, 'Melody')
    self.ranks = np.asarray(velocities if velocities is not None else
                            peak_dbs, np.float64)[keep]
    self.expression = None if expression is None else load_expression(
        expression, expression_seed, expression_temperature)

  def _make_line(self, frame_rate):
    if self.expression is not None:
      return self.expression.line(frame_rate, self.starts, self.ends,
                                  self.pitches, self.ranks)
    return NoteLine(self.starts, self.ends, self.pitches, self.peak_dbs,
                    self.slurs, frame_rate, duration=self.duration,
                    envelope=self.envelope, portamento=self.portamento,
                    vibrato_hz=self.vibrato[0], vibrato_depth=self.vibrato[1])
