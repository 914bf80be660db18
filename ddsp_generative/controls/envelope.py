# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""EnvelopeControl: (f0, loudness) controls sampled from a trained EnvelopeVae.

A control source (`ddsp_generative.controls` contract) for the sampler, e.g.

  --gin_param="import ddsp_generative.envelopes"
  --gin_param="control_source.source = @EnvelopeControl()"
  --gin_param="EnvelopeControl.model_path = 'models/violin/envelopes'"
  --gin_param="EnvelopeControl.pitch = 64"

(the `import` binding registers EnvelopeControl with gin where nothing else
imported this package). Its frame rate must be the model's: `generate`
refuses another.

A duration longer than the model's window chains windows sampled one after
the other (each from its own z, all at the requested pitch), overlapping by
`crossfade` seconds in which the two are mixed linearly, in MIDI pitch and
in dB: a window's ending (often a release) flows into the next one's start.
A shorter duration keeps the start of one window.

The saved model is data (`envelopes.saving.load_model` checks it: files
inside its directory, a sane architecture, finite weights); controls it
generates that are not finite are refused too.
"""

import math

import gin
import numpy as np

from ddsp_generative.core import artifacts
from ddsp_generative.core import units
from ddsp_generative.envelopes import normalize
from ddsp_generative.envelopes import saving


def chain_windows(windows, n_frames, crossfade_frames):
  """Joins windows with linear crossfades.

  Args:
    windows: List of [window_frames] arrays (MIDI pitch or dB).
    n_frames: Length of the result; the windows must cover it.
    crossfade_frames: Frames shared by consecutive windows.

  Returns:
    [n_frames] float64.
  """
  out = np.asarray(windows[0], np.float64)
  ramp = (np.arange(crossfade_frames) + 1.0) / (crossfade_frames + 1.0)
  for window in windows[1:]:
    window = np.asarray(window, np.float64)
    if crossfade_frames:
      mixed = (out[-crossfade_frames:] * (1.0 - ramp) +
               window[:crossfade_frames] * ramp)
      out = np.concatenate([out[:-crossfade_frames], mixed])
    out = np.concatenate([out, window[crossfade_frames:]])
  if len(out) < n_frames:
    raise ValueError(f'{len(windows)} windows cover {len(out)} frames, not '
                     f'{n_frames}.')
  return out[:n_frames]


@gin.register(module='ddsp_generative.envelopes')
class EnvelopeControl:
  """Pitch and loudness envelopes sampled from a trained EnvelopeVae."""

  def __init__(self, model_path=None, pitch=60.0, seed=0, duration=None,
               crossfade=0.1, temperature=1.0):
    """Loads the model.

    Args:
      model_path: Saved model: its directory or `envelope_vae.json`.
      pitch: Requested MIDI pitch: the median voiced pitch of every window.
      seed: Integer seed of the latent samples.
      duration: Seconds; default one window of the model (e.g. 3 s).
      crossfade: Seconds shared by consecutive windows when duration is
        longer than one window (at most half a window).
      temperature: Scale of the prior's standard deviation.

    Raises:
      ValueError: No model_path, or a non-positive duration.
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
    if crossfade < 0:
      raise ValueError(f'crossfade must be >= 0 seconds, got {crossfade}.')
    self.model, self.record = saving.load_model(model_path)
    self.pitch = float(units.clip_midi(pitch))
    self.seed = int(seed)
    self.duration = duration
    self.crossfade = float(crossfade)
    self.temperature = float(temperature)

  def generate(self, frame_rate):
    """Samples controls.

    Args:
      frame_rate: Frames per second; must be the model's.

    Returns:
      (f0_hz [n_frames], loudness_db [n_frames]), float32.

    Raises:
      ValueError: frame_rate differs from the model's.
      artifacts.ArtifactError: The model's output is not finite (tampered
        or broken weights).
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
    n_windows = 1
    if n_frames > window:
      n_windows += math.ceil((n_frames - window) / (window - crossfade))
    envelopes = model.sample(n_windows, self.pitch, seed=self.seed,
                             temperature=self.temperature)
    envelopes = envelopes.numpy()
    if not np.all(np.isfinite(envelopes)):
      raise artifacts.ArtifactError(
          f'The envelope model {self.config["model_path"]} generates '
          'non-finite envelopes: its weights are broken or were tampered '
          f'with; {saving.TRAIN_HINT} again.')
    midi, loudness_db = normalize.denormalize(envelopes, self.pitch)
    midi = chain_windows(list(midi), n_frames, crossfade)
    loudness_db = chain_windows(list(loudness_db), n_frames, crossfade)
    return (units.midi_to_hz(midi).astype(np.float32),
            loudness_db.astype(np.float32))
