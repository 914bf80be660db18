# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Pitch and loudness controls generated from scratch (no input audio).

Each control source is a small gin-registered class with one method,
`generate(frame_rate) -> (f0_hz [n_frames], loudness_db [n_frames])`, and a
`config` dict of its constructor arguments (recorded next to samples), on
ddsp's scales: f0 in Hz and loudness in dB as `ddsp.spectral_ops.
compute_loudness` measures it (0 dB full scale, about -80 dB silence).

Sources here: `Note` (constant pitch), `Glissando` (a linear glide in pitch)
and `Melody` (notes and rests, per-note loudness or velocity, legato); all
take an ADSR loudness envelope and vibrato. `midi_controls.MidiFile` reads a
MIDI file. Through silences f0 stays at the last pitch, as f0 trackers such as
pYIN report it in the training data.
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


def vibrato_curve(n_frames, frame_rate, vibrato_hz=0.0, depth_cents=0.0):
  """[n_frames] sinusoidal pitch deviation in cents, starting at 0."""
  t = np.arange(n_frames) / frame_rate
  return depth_cents * np.sin(2 * np.pi * vibrato_hz * t)


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
  t = np.arange(n_frames) / frame_rate
  dur = n_frames / frame_rate
  # Shape the envelope in linear amplitude, then convert to dB.
  sustain = 10 ** (sustain_db / 20.0)
  amp = np.full(n_frames, sustain)
  a = t < attack
  amp[a] = t[a] / max(attack, 1e-6)
  d = (t >= attack) & (t < attack + decay)
  amp[d] = 1.0 + (sustain - 1.0) * (t[d] - attack) / max(decay, 1e-6)
  r = t > dur - release
  amp[r] *= np.clip((dur - t[r]) / max(release, 1e-6), 0.0, 1.0)
  floor = 10 ** ((SILENCE_DB - peak_db) / 20.0)
  return (peak_db + 20.0 * np.log10(np.maximum(amp, floor))).astype(np.float32)


def _held_steps(values, starts, ends, slurs, n_frames, ramp_frames):
  """values[i] from frame starts[i] until the next start (held through gaps).

  Where slurs[i], the first min(ramp_frames, note length) frames of note i
  ramp linearly from values[i - 1]. Frames before the first note hold
  values[0].
  """
  out = np.full(n_frames, values[0], np.float64)
  nexts = list(starts[1:]) + [n_frames]
  for i, (value, start, nxt) in enumerate(zip(values, starts, nexts)):
    out[start:nxt] = value
    if i and slurs[i]:
      g = min(ramp_frames, ends[i] - start)
      frac = (np.arange(g) + 1.0) / (g + 1.0)
      out[start:start + g] = values[i - 1] + (value - values[i - 1]) * frac
  return out


def render_notes(starts, ends, pitches, peak_dbs, slurs, frame_rate,
                 duration=None, envelope=None, portamento=0.05,
                 vibrato_hz=0.0, vibrato_depth=0.0):
  """f0 and loudness of one monophonic line of notes.

  A phrase is a note and the slurred notes after it: one ADSR envelope over
  the phrase (no re-attack), whose level moves to each note's peak_db over
  `portamento`, as its pitch glides to the note's pitch. Outside notes the
  loudness is SILENCE_DB and f0 holds the last pitch (the first one before
  the first note).

  Args:
    starts: [n_notes] onsets (s), increasing.
    ends: [n_notes] offsets (s), each after its onset and no later than the
      next onset. A note slurred to the next one is held until it starts.
    pitches: [n_notes] MIDI pitches (already clipped).
    peak_dbs: [n_notes] peak loudness of each note (dB).
    slurs: [n_notes] bool, True where a note continues the previous one's
      envelope (legato); ignored for the first note.
    frame_rate: Frames per second.
    duration: Seconds of output; None to end with the last note.
    envelope: adsr_db keyword arguments (attack, decay, sustain_db, release).
    portamento: Seconds of the pitch and level glide into a slurred note.
    vibrato_hz: Vibrato rate.
    vibrato_depth: Vibrato depth in cents, applied within notes.

  Returns:
    f0_hz: [n_frames] float32.
    loudness_db: [n_frames] float32.
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
  n_frames = int(e[-1] if duration is None else
                 max(1, round(duration * frame_rate)))
  total = max(n_frames, int(e[-1]))
  ramp = int(round(portamento * frame_rate))
  midi = _held_steps(np.asarray(pitches, np.float64), s, e, slurs, total,
                     ramp)
  level = _held_steps(np.asarray(peak_dbs, np.float64), s, e, slurs, total,
                      ramp)
  voiced = np.zeros(total, bool)
  loudness = np.full(total, SILENCE_DB, np.float64)
  firsts = [i for i in range(n_notes) if not slurs[i]] + [n_notes]
  for first, nxt in zip(firsts[:-1], firsts[1:]):
    a, b = s[first], e[nxt - 1]
    shape = adsr_db(b - a, frame_rate, peak_db=0.0, **(envelope or {}))
    loudness[a:b] = np.maximum(level[a:b] + shape, SILENCE_DB)
  for a, b in zip(s, e):
    voiced[a:b] = True
  midi += voiced * vibrato_curve(total, frame_rate, vibrato_hz,
                                 vibrato_depth) / 100.0
  return (units.midi_to_hz(midi[:n_frames]).astype(np.float32),
          loudness[:n_frames].astype(np.float32))


def _per_note(value, n, what):
  """A scalar or a sequence of n values as a list of n."""
  if np.ndim(value) == 0:
    return [value] * n
  value = list(value)
  if len(value) != n:
    raise ValueError(f'{what} has {len(value)} values for {n} notes: give one '
                     'value, or one per note.')
  return value


def _is_rest(pitch):
  return pitch is None or not np.isfinite(float(pitch)) or float(pitch) == 0


def adsr_args(attack, decay, sustain_db, release):
  """Checked keyword arguments of `adsr_db` (without peak_db)."""
  for name, value in (('attack', attack), ('decay', decay),
                      ('release', release)):
    if not np.isfinite(value) or value < 0:
      raise ValueError(f'{name} must be >= 0 seconds, got {value}.')
  return dict(attack=attack, decay=decay, sustain_db=sustain_db,
              release=release)


@gin.register(module='ddsp_generative.controls')
class Note:
  """One note: constant pitch with optional vibrato, ADSR loudness."""

  def __init__(self, pitch=60.0, duration=2.0, peak_db=-25.0, attack=0.05,
               decay=0.15, sustain_db=-4.0, release=0.15, vibrato_hz=0.0,
               vibrato_cents=0.0):
    self.config = dict(pitch=pitch, duration=duration, peak_db=peak_db,
                       attack=attack, decay=decay, sustain_db=sustain_db,
                       release=release, vibrato_hz=vibrato_hz,
                       vibrato_cents=vibrato_cents)
    units.check_duration(duration)
    self.pitch = float(units.clip_midi(pitch))
    self.duration = duration
    self.envelope = dict(peak_db=peak_db,
                         **adsr_args(attack, decay, sustain_db, release))
    self.vibrato_hz = vibrato_hz
    self.vibrato_cents = vibrato_cents

  def generate(self, frame_rate):
    """Returns (f0_hz, loudness_db), each [n_frames]."""
    n_frames = max(1, int(round(self.duration * frame_rate)))
    cents = vibrato_curve(n_frames, frame_rate, self.vibrato_hz,
                          self.vibrato_cents)
    f0_hz = units.midi_to_hz(self.pitch + cents / 100.0).astype(np.float32)
    return f0_hz, adsr_db(n_frames, frame_rate, **self.envelope)


@gin.register(module='ddsp_generative.controls')
class Glissando:
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
    self.pitches = units.clip_midi([start_pitch, end_pitch], 'Glissando pitch')
    self.duration = duration
    self.glide = (glide_start, glide_time)
    self.envelope = dict(peak_db=peak_db,
                         **adsr_args(attack, decay, sustain_db, release))
    self.vibrato = (vibrato_hz, vibrato_cents)

  def generate(self, frame_rate):
    """Returns (f0_hz, loudness_db), each [n_frames]."""
    n_frames = max(1, int(round(self.duration * frame_rate)))
    t = np.arange(n_frames) / frame_rate
    glide_start, glide_time = self.glide
    glide_end = min(glide_start + glide_time, t[-1])
    frac = np.clip((t - glide_start) / max(glide_end - glide_start, 1e-9),
                   0.0, 1.0)
    start, end = self.pitches
    midi = start + (end - start) * frac
    midi += vibrato_curve(n_frames, frame_rate, *self.vibrato) / 100.0
    return (units.midi_to_hz(midi).astype(np.float32),
            adsr_db(n_frames, frame_rate, **self.envelope))


@gin.register(module='ddsp_generative.controls')
class Melody:
  """A sequence of notes and rests, one after another.

  A pitch of None or 0 is a rest: silence (SILENCE_DB) with f0 held at the
  previous pitch. Each note has its own ADSR envelope, at `peak_db` (one value
  or one per note), lowered by its velocity when `velocities` are given (see
  `velocity_to_db`). With `legato=True` consecutive notes share one envelope
  (no re-attack; a rest ends it) and glide to each pitch and level over
  `portamento` seconds.
  """

  def __init__(self, pitches=(60, 62, 64, 65, 67), durations=0.5,
               peak_db=-25.0, vibrato_hz=0.0, vibrato_cents=0.0,
               velocities=None, velocity_db_range=VELOCITY_DB_RANGE,
               legato=False, portamento=0.05, attack=0.05, decay=0.15,
               sustain_db=-4.0, release=0.15):
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
        sustain_db=sustain_db, release=release)
    n = len(pitches)
    if not n:
      raise ValueError('Melody needs at least one pitch.')
    durations = _per_note(durations, n, 'durations')
    peak_dbs = _per_note(peak_db, n, 'peak_db')
    for i, d in enumerate(durations):
      units.check_duration(
          d, f'Melody duration {i} (of note or rest {pitches[i]})')
    if velocities is not None:
      peak_dbs = velocity_to_db(_per_note(velocities, n, 'velocities'),
                                peak_dbs, velocity_db_range)
    if not np.isfinite(portamento) or portamento < 0:
      raise ValueError(f'portamento must be >= 0 seconds, got {portamento}.')
    rests = [_is_rest(p) for p in pitches]
    if all(rests):
      raise ValueError(f'Melody pitches {pitches} are all rests (None or 0): '
                       'give at least one MIDI pitch.')
    onsets = np.concatenate([[0.0], np.cumsum(durations, dtype=np.float64)])
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
    self.vibrato = (vibrato_hz, vibrato_cents)

  def generate(self, frame_rate):
    """Returns (f0_hz, loudness_db), each [n_frames]."""
    return render_notes(self.starts, self.ends, self.pitches, self.peak_dbs,
                        self.slurs, frame_rate, duration=self.duration,
                        envelope=self.envelope, portamento=self.portamento,
                        vibrato_hz=self.vibrato[0],
                        vibrato_depth=self.vibrato[1])
