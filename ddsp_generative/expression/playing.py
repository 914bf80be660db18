# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Playing notes with a trained ExpressionVae: f0 and loudness, any length.

`ExpressionLine` has the interface of `controls.sources.NoteLine`
(`n_frames`, `frames(start, stop)` -> f0_hz, loudness_db), so a note-based
control source plays through it instead of the rules. Its decoder runs
block by block with its GRU state carried (memory bounded by a block and
the notes); frames asked for in order cost one pass, a jump backwards
starts again from the beginning.

Each note's z is drawn once from N(0, temperature^2 I) with a stateless
seed: the same notes and seed give the same controls; another seed plays
them differently. A note's level comes from its MIDI velocity by quantile
mapping (`velocity_levels`): the notes' velocities, ranked within the
phrase, take the levels the training notes had at the same ranks, so a
file's dynamics land in the training data's range whatever its velocity
range.
"""

import numpy as np
import tensorflow as tf

from ddsp_generative.core import units
from ddsp_generative.expression import context

RELEASE_TAIL_SECS = context.RELEASE_TAIL_SECS
BLOCK_MODEL_FRAMES = 2048


def velocity_levels(velocities, level_percentiles):
  """Levels (dB) for MIDI velocities by quantile mapping (module docstring).

  Args:
    velocities: [n_notes] MIDI velocities (any positive scale).
    level_percentiles: {'5': dB, '10': dB, ...}: the training notes' level
      percentiles (`training.level_stats`).

  Returns:
    float64 [n_notes] levels; all the median level when the velocities are
    all equal.
  """
  velocities = np.asarray(velocities, np.float64)
  q = np.array(sorted(float(k) for k in level_percentiles)) / 100.0
  values = np.array([level_percentiles[k] for k in sorted(
      level_percentiles, key=float)], np.float64)
  if not len(velocities):
    return velocities
  order = np.argsort(velocities, kind='stable')
  ranks = np.empty(len(velocities))
  ranks[order] = np.arange(len(velocities))
  for v in np.unique(velocities):  # Ties share their mean rank.
    same = velocities == v
    ranks[same] = ranks[same].mean()
  u = (ranks + 0.5) / len(velocities)
  if np.all(velocities == velocities[0]):
    u[:] = 0.5
  return np.interp(u, q, values)


def close_gaps(onsets, releases, max_gap=context.LEGATO_SECS):
  """Note-offs moved onto the next onset when the gap is at most max_gap.

  The training notes come from the audio (`segmentation`): a short silence
  in a score (a MIDI file's 10-60 ms between notes) rings through in a
  recording, and the notes found in it touch. Played as written, such gaps
  are frames the model never saw between notes, and it dips deeper there
  than the instrument does.

  Args:
    onsets: [n_notes] seconds, increasing.
    releases: [n_notes] note-offs.
    max_gap: Longest gap closed (s).

  Returns:
    float64 [n_notes] note-offs.
  """
  onsets = np.asarray(onsets, np.float64)
  releases = np.asarray(releases, np.float64).copy()
  if len(onsets) > 1:
    gap = onsets[1:] - releases[:-1]
    close = (gap > 0) & (gap <= max_gap)
    releases[:-1][close] = onsets[1:][close]
  return releases


class ExpressionLine:
  """f0 and loudness of notes played by an ExpressionVae, any frames.

  Attributes:
    n_frames: Frames of the line.
  """

  def __init__(self, model, onsets, releases, pitches, levels, seed=0,
               temperature=1.0, duration=None):
    """Prepares the notes and draws their latents.

    Args:
      model: A trained `model.ExpressionVae`; its frame rate is the line's.
      onsets: [n_notes] seconds, increasing.
      releases: [n_notes] note-offs (s), each after its onset; gaps to the
        next onset up to context.LEGATO_SECS are closed (`close_gaps`).
      pitches: [n_notes] MIDI pitches.
      levels: [n_notes] levels (dB), e.g. `velocity_levels`.
      seed: Seed of the notes' latents.
      temperature: Scale of the latents' prior.
      duration: Seconds of output; None: the last note-off plus
        RELEASE_TAIL_SECS (the release rings past it).
    """
    n = len(onsets)
    releases = close_gaps(onsets, releases)
    notes = np.zeros((n, 5))
    notes[:, context.ONSET] = onsets
    notes[:, context.RELEASE] = releases
    notes[:, context.OFFSET] = releases
    notes[:, context.PITCH] = pitches
    notes[:, context.LEVEL] = levels
    self._notes = notes
    self.model = model
    self.frame_rate = model.frame_rate
    end = (float(np.max(releases)) + RELEASE_TAIL_SECS if n else 1.0) if (
        duration is None) else float(duration)
    self.n_frames = max(1, int(round(end * self.frame_rate)))
    self._z = model.sample_latents(
        n, seed=tf.constant([int(seed) & 0x7FFFFFFF, 1729], tf.int64),
        temperature=float(temperature))
    self._restart()

  def _restart(self):
    self._state = None
    self._done = 0  # Model frames decoded so far.
    self._buffer_start = 0
    self._buffer = np.zeros((0, 2), np.float32)

  def _decode_until(self, stop_model_frame):
    """Decodes model frames up to stop_model_frame (exclusive)."""
    hop = self.model.hop
    while self._done < stop_model_frame:
      end = min(stop_model_frame, self._done + BLOCK_MODEL_FRAMES)
      times = np.arange(self._done, end) * hop / self.frame_rate
      ctx, ids = context.features(self._notes, times)
      out, self._state = self.model.decode(
          tf.constant(ctx[np.newaxis]), self._z,
          tf.constant(ids[np.newaxis]), state=self._state)
      self._buffer = np.concatenate([self._buffer, out.numpy()[0]])
      self._done = end

  def frames(self, start, stop):
    """f0 and loudness of frames [start, stop).

    Returns:
      f0_hz: [stop - start] float32.
      loudness_db: [stop - start] float32.
    """
    hop = self.model.hop
    first_model = start // hop
    if first_model < self._buffer_start:
      self._restart()
    last_model = (max(stop, start + 1) - 1) // hop + 2  # For interpolation.
    self._decode_until(last_model)
    keep = first_model - self._buffer_start
    if keep > 0:  # Drop what is behind: memory bounded by a block.
      self._buffer = self._buffer[keep:]
      self._buffer_start = first_model
    frames = np.arange(start, stop)
    positions = frames / hop - self._buffer_start
    index = np.arange(len(self._buffer))
    deviation = np.interp(positions, index, self._buffer[:, 0])
    loudness = np.interp(positions, index, self._buffer[:, 1])
    k = np.maximum(context.note_index(self._notes, frames / self.frame_rate),
                   0)
    pitch = self._notes[k, context.PITCH] if len(self._notes) else (
        np.full(len(frames), 60.0))
    midi = np.clip(pitch + deviation, units.MIN_MIDI, units.MAX_MIDI)
    return (units.midi_to_hz(midi).astype(np.float32),
            context.unscale_loudness(loudness).astype(np.float32))
