# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""EnvelopeControl: (f0, loudness) controls sampled from a trained EnvelopeVae.

A control source (`ddsp_generative.controls` contract) for the sampler, e.g.

  --gin_param="import ddsp_generative.envelopes"
  --gin_param="control_source.source = @EnvelopeControl()"
  --gin_param="EnvelopeControl.model_path = 'models/violin/envelopes'"
  --gin_param="EnvelopeControl.pitch = 64"

(the `import` binding registers EnvelopeControl with gin where nothing else
imported this package). Its frame rate must be the model's: `n_frames`,
`frames` and `generate` refuse another.

A duration longer than the model's window chains windows sampled one after
the other (each from its own z, all at the requested pitch), overlapping by
`crossfade` seconds in which the two are mixed linearly, in MIDI pitch and
in dB: a window's ending (often a release) flows into the next one's start.
A shorter duration keeps the start of one window.

It is a `sources.ControlSource`: any range of frames is computed on its own,
so the sampler pulls a clip of any length block by block in bounded memory.
Windows are decoded lazily, WINDOWS_PER_DECODE at a time (group g of windows
draws its z from `priors.call_seed(seed, g)`, so group 0 is what
`EnvelopeVae.sample(n, seed=seed)` draws), and at most two groups are held:
the one a block is in and the one before it, whose last window crossfades
into the next group. Every range of frames is thus bitwise the same slice of
the whole clip, whatever the blocks.

The saved model is data (`envelopes.saving.load_model` checks it: files
inside its directory, a sane architecture, finite weights); controls it
generates that are not finite are refused too.
"""

import collections
import math

import gin
import numpy as np
import tensorflow as tf

from ddsp_generative import priors
from ddsp_generative.controls import sources
from ddsp_generative.core import artifacts
from ddsp_generative.core import units
from ddsp_generative.envelopes import normalize
from ddsp_generative.envelopes import saving

# Windows decoded in one call (one group): 16 one-second windows cost about
# 10 ms on a CPU core, a few MB of activations.
WINDOWS_PER_DECODE = 16
# Groups of decoded windows kept between calls of `frames`.
_CACHED_GROUPS = 2


def n_windows_for(n_frames, window_frames, crossfade_frames):
  """Windows that chained with crossfades cover n_frames frames.

  Args:
    n_frames: Frames of the clip, >= 1.
    window_frames: Frames per window.
    crossfade_frames: Frames shared by consecutive windows, at most
      window_frames // 2.

  Returns:
    Number of windows, >= 1.
  """
  if n_frames <= window_frames:
    return 1
  return 1 + math.ceil(
      (n_frames - window_frames) / (window_frames - crossfade_frames))


def chained_frames(window_at, start, stop, window_frames, crossfade_frames,
                   n_windows):
  """Frames [start, stop) of windows chained with linear crossfades.

  Window k starts at frame k * (window_frames - crossfade_frames); in its
  first crossfade_frames frames (k >= 1) it is mixed with the end of window
  k - 1, the weight of window k rising linearly from 1 / (crossfade_frames +
  1) to crossfade_frames / (crossfade_frames + 1). Only the windows that the
  range touches are asked for: window after window, each crossfade asking
  for window k, then k - 1.

  Args:
    window_at: Function k -> [..., window_frames] array of window k (MIDI
      pitch or dB), for k in [0, n_windows).
    start: First frame, >= 0.
    stop: End frame (exclusive), inside the windows.
    window_frames: Frames per window.
    crossfade_frames: Frames shared by consecutive windows, at most
      window_frames // 2 (so a frame mixes at most two windows).
    n_windows: Number of windows.

  Returns:
    [..., stop - start] float64.

  Raises:
    ValueError: The crossfade is longer than half a window, or the windows
      do not cover frame stop - 1.
  """
  if not 0 <= crossfade_frames <= window_frames // 2:
    raise ValueError(f'crossfade_frames must be in [0, {window_frames // 2}] '
                     f'(half a window), got {crossfade_frames}.')
  hop = window_frames - crossfade_frames
  covered = (n_windows - 1) * hop + window_frames
  if stop > covered:
    raise ValueError(f'{n_windows} windows cover {covered} frames, not '
                     f'{stop}.')
  frames = np.arange(start, stop)
  if not len(frames):
    return np.zeros(np.shape(window_at(0))[:-1] + (0,), np.float64)
  index = np.minimum(frames // hop, n_windows - 1)
  offset = frames - index * hop
  ramp = (np.arange(crossfade_frames) + 1.0) / (crossfade_frames + 1.0)
  first, last = int(index[0]), int(index[-1])
  # index never decreases: window first + i has frames [bounds[i],
  # bounds[i + 1]) of the range.
  bounds = np.searchsorted(index, np.arange(first, last + 2))
  pieces = []
  for k, lo, hi in zip(range(first, last + 1), bounds[:-1], bounds[1:]):
    o = offset[lo:hi]
    values = np.asarray(window_at(k), np.float64)[..., o]
    mixed = (o < crossfade_frames) & (k > 0)
    if np.any(mixed):
      r = ramp[o[mixed]]
      previous = np.asarray(window_at(k - 1), np.float64)
      values[..., mixed] = (previous[..., o[mixed] + hop] * (1.0 - r) +
                            values[..., mixed] * r)
    pieces.append(values)
  return np.concatenate(pieces, axis=-1)


def chain_windows(windows, n_frames, crossfade_frames):
  """Joins windows with linear crossfades (see `chained_frames`).

  Args:
    windows: List of [window_frames] arrays (MIDI pitch or dB), all of one
      length.
    n_frames: Length of the result; the windows must cover it.
    crossfade_frames: Frames shared by consecutive windows (at most half a
      window).

  Returns:
    [n_frames] float64.
  """
  return chained_frames(lambda k: windows[k], 0, n_frames, len(windows[0]),
                        crossfade_frames, len(windows))


@gin.register(module='ddsp_generative.envelopes')
class EnvelopeControl(sources.ControlSource):
  """Pitch and loudness envelopes sampled from a trained EnvelopeVae."""

  def __init__(self, model_path=None, pitch=60.0, seed=0, duration=None,
               crossfade=0.1, temperature=1.0):
    """Loads the model.

    Args:
      model_path: Saved model: its directory or `envelope_vae.json`.
      pitch: Requested MIDI pitch: the median voiced pitch of every window.
      seed: Integer seed (>= 0) of the latent samples.
      duration: Seconds; default one window of the model (e.g. 3 s).
      crossfade: Seconds shared by consecutive windows when duration is
        longer than one window (at most half a window).
      temperature: Scale of the prior's standard deviation.

    Raises:
      ValueError: No model_path, a non-positive duration, a negative seed or
        crossfade, or a setting that is not finite.
      artifacts.ArtifactError: The model cannot be loaded.
    """
    self.config = dict(model_path=model_path, pitch=pitch, seed=seed,
                       duration=duration, crossfade=crossfade,
                       temperature=temperature)
    if not model_path:
      raise ValueError('EnvelopeControl needs model_path (a model saved by '
                       'ddsp_generative_train_envelopes), e.g. --gin_param='
                       '"EnvelopeControl.model_path = \'models/envelopes\'".')
    if duration is not None:
      units.check_duration(duration)
    sources.check_finite(pitch, 'EnvelopeControl pitch')
    sources.check_finite(crossfade, 'EnvelopeControl crossfade')
    sources.check_finite(temperature, 'EnvelopeControl temperature')
    if crossfade < 0:
      raise ValueError(f'crossfade must be >= 0 seconds, got {crossfade}.')
    if int(seed) != seed or seed < 0:
      raise ValueError(f'EnvelopeControl seed must be an integer >= 0, got '
                       f'{seed}.')
    self.model, self.record = saving.load_model(model_path)
    self.pitch = float(units.clip_midi(pitch))
    self.seed = int(seed)
    self.duration = duration
    self.crossfade = float(crossfade)
    self.temperature = float(temperature)
    self._decode = tf.function(self.model.decode, input_signature=[
        tf.TensorSpec([None, self.model.latent_dims], tf.float32),
        tf.TensorSpec([], tf.float32)])
    # Group index -> [windows, 2, window_frames] (MIDI pitch, dB), newest
    # last.
    self._groups = collections.OrderedDict()

  def _layout(self, frame_rate):
    """(n_frames, window_frames, crossfade_frames, n_windows) at frame_rate.

    Raises:
      ValueError: frame_rate differs from the model's.
    """
    model = self.model
    if int(round(frame_rate)) != model.frame_rate or frame_rate <= 0:
      raise ValueError(
          f'The envelope model {self.config["model_path"]} was trained at '
          f'{model.frame_rate} frames per second, not {frame_rate}: use a '
          'DDSP model with the same frame rate, or train envelopes on its '
          'TFRecords.')
    window = model.n_frames
    n_frames = window if self.duration is None else max(
        1, int(round(self.duration * frame_rate)))
    crossfade = min(int(round(self.crossfade * frame_rate)), window // 2)
    return n_frames, window, crossfade, n_windows_for(n_frames, window,
                                                      crossfade)

  def _group(self, group, n_windows):
    """Windows of group `group` as [n, 2, window_frames] (MIDI pitch, dB).

    Raises:
      artifacts.ArtifactError: The model's output is not finite.
    """
    if group in self._groups:
      self._groups.move_to_end(group)
      return self._groups[group]
    size = min(WINDOWS_PER_DECODE, n_windows - group * WINDOWS_PER_DECODE)
    z = self.temperature * tf.random.stateless_normal(
        [size, self.model.latent_dims], seed=priors.call_seed(self.seed,
                                                              group))
    envelopes = self._decode(z, tf.constant(self.pitch, tf.float32)).numpy()
    if not np.all(np.isfinite(envelopes)):
      raise artifacts.ArtifactError(
          f'The envelope model {self.config["model_path"]} generates '
          'non-finite envelopes: its weights are broken or were tampered '
          f'with; {saving.TRAIN_HINT} again.')
    midi, loudness_db = normalize.denormalize(envelopes, self.pitch)
    self._groups[group] = np.stack([midi, loudness_db], axis=1)
    while len(self._groups) > _CACHED_GROUPS:
      self._groups.popitem(last=False)
    return self._groups[group]

  def n_frames(self, frame_rate):
    """Frames of the clip at `frame_rate` (the model's; others raise)."""
    return self._layout(frame_rate)[0]

  def frames(self, frame_rate, start, stop):
    """Samples controls of frames [start, stop).

    Decodes only the windows these frames need (see the module docstring).

    Args:
      frame_rate: Frames per second; must be the model's.
      start: First frame, >= 0.
      stop: End frame (exclusive), <= n_frames(frame_rate).

    Returns:
      (f0_hz [stop - start], loudness_db [stop - start]), float32.

    Raises:
      ValueError: frame_rate differs from the model's, or the range is not
        inside the clip.
      artifacts.ArtifactError: The model's output is not finite (tampered
        or broken weights).
    """
    n_frames, window, crossfade, n_windows = self._layout(frame_rate)
    if not 0 <= start <= stop <= n_frames:
      raise ValueError(f'Frames [{start}, {stop}) are not inside the '
                       f'{n_frames} frames of this EnvelopeControl.')

    def window_at(k):
      return self._group(k // WINDOWS_PER_DECODE,
                         n_windows)[k % WINDOWS_PER_DECODE]

    midi, loudness_db = chained_frames(window_at, start, stop, window,
                                       crossfade, n_windows)
    return (units.midi_to_hz(midi).astype(np.float32),
            loudness_db.astype(np.float32))
