# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Descriptor curves a model decodes from besides f0 and loudness.

A model of gin/harmonic_noise_descriptors.gin is told, frame by frame, the
timbre descriptors it should play (`core.descriptors`: spectral centroid,
flatness, periodicity, odd/even harmonic ratio). The sampler's
`--descriptor=NAME=SPEC` (repeatable) sets one curve per descriptor:

* a number: constant, e.g. `centroid=1800` (Hz) or `periodicity=0.8`;
* `ramp:A:B`: from A to B linearly over the whole sample;
* `ramp:A:B:SECS`: from A to B over SECS seconds, then held at B;
* `follow` (the default for a descriptor not given, when the training
  data's metadata has its model): predicted frame by frame from the
  requested pitch and loudness by the linear fit of the training data
  (`core.descriptors.follow`), so that a crescendo brightens as the
  recordings do;
* `data` (the default where there is no such fit): the median of the
  training data, or, where that is unknown too, the value of `FALLBACK`.

Curves are computed per block (`values(start, n, total)`), so they stream
with the controls; nothing here imports TensorFlow.
"""

import dataclasses
import math
from typing import Optional

import numpy as np

from ddsp_generative.core import descriptors as descriptors_lib
from ddsp_generative.core import errors

DATA = 'data'
FOLLOW = 'follow'
# Where the training medians are unknown: a violin-like middle.
FALLBACK = {descriptors_lib.CENTROID: 1500.0,
            descriptors_lib.FLATNESS: 1e-3,
            descriptors_lib.PERIODICITY: 0.8,
            descriptors_lib.ODD_EVEN: 0.0}


class DescriptorRequestError(errors.UsageError, ValueError):
  """A malformed --descriptor."""


@dataclasses.dataclass(frozen=True)
class DescriptorCurve:
  """One descriptor's requested curve.

  Attributes:
    key: The descriptor (`core.descriptors.DESCRIPTOR_KEYS`).
    kind: 'constant', 'ramp', 'data' or 'follow'.
    start_value: The constant, or the ramp's first value.
    end_value: The ramp's last value (= start_value for a constant).
    ramp_secs: Seconds the ramp takes (None: the whole sample).
    model: For 'follow', the fit of `core.descriptors.solve_regression`.
  """
  key: str
  kind: str
  start_value: float
  end_value: float
  ramp_secs: Optional[float] = None
  model: Optional[dict] = None

  def values(self, start, n, total, frame_rate, f0_hz=None,
             loudness_db=None):
    """The curve on frames [start, start + n) of a `total`-frame sample.

    Args:
      start: First frame.
      n: Frames.
      total: Frames of the whole sample (a ramp's length by default).
      frame_rate: Frames per second.
      f0_hz: [n] requested f0 of these frames (for 'follow').
      loudness_db: [n] requested loudness (for 'follow').

    Returns:
      float32 [n].
    """
    frames = np.arange(start, start + n, dtype=np.float64)
    if self.kind == FOLLOW:
      return descriptors_lib.follow(self.key, self.model, f0_hz, loudness_db)
    if self.kind != 'ramp':
      return np.full(n, self.start_value, np.float32)
    length = (self.ramp_secs * frame_rate if self.ramp_secs
              else max(total - 1, 1))
    t = np.clip(frames / max(length, 1e-9), 0.0, 1.0)
    return (self.start_value + t * (self.end_value - self.start_value)).astype(
        np.float32)

  def describe(self):
    """JSON-friendly description, for the sample's sidecar."""
    out = {'kind': self.kind, 'value': self.start_value}
    if self.kind == FOLLOW:
      out = {'kind': FOLLOW, 'model': self.model}
    if self.kind == 'ramp':
      out = {'kind': 'ramp', 'from': self.start_value, 'to': self.end_value,
             'secs': self.ramp_secs}
    return out


def _number(text, flag):
  try:
    value = float(text)
  except ValueError:
    value = math.nan
  if not math.isfinite(value):
    raise DescriptorRequestError(f'{flag}: {text!r} is not a number.')
  return value


def _check_range(key, value, flag):
  if key in (descriptors_lib.FLATNESS, descriptors_lib.PERIODICITY) and not (
      0.0 <= value <= 1.0):
    raise DescriptorRequestError(f'{flag}: {key} lies in [0, 1], got {value:g}.')
  if key == descriptors_lib.CENTROID and value <= 0:
    raise DescriptorRequestError(f'{flag}: the centroid is in Hz (> 0), got '
                                 f'{value:g}.')


def parse(spec, medians=None, follow_models=None):
  """One --descriptor value, 'NAME=SPEC', -> a DescriptorCurve.

  Args:
    spec: e.g. 'centroid=1800', 'periodicity=ramp:0.9:0.4',
      'centroid=ramp:800:3000:2', 'flatness=data', 'centroid=follow'.
    medians: {key: training median} for 'data'.
    follow_models: {key: fit} for 'follow' (the metadata's
      training_controls['descriptor_follow']); None when only the syntax is
      checked.

  Returns:
    A DescriptorCurve.

  Raises:
    DescriptorRequestError: Malformed, an unknown name, or out of range.
  """
  flag = f'--descriptor={spec}'
  name, sep, value = spec.partition('=')
  if not sep or not name.strip() or not value.strip():
    raise DescriptorRequestError(
        f'{flag}: use NAME=VALUE, NAME=ramp:FROM:TO[:SECS], NAME=follow or '
        'NAME=data, e.g. --descriptor=centroid=1800.')
  try:
    key = descriptors_lib.resolve(name.strip())
  except descriptors_lib.UnknownDescriptorError as e:
    raise DescriptorRequestError(f'{flag}: {e}.') from e
  value = value.strip()
  if value == FOLLOW:
    if follow_models is None:  # Syntax only: known once the model loads.
      return DescriptorCurve(key, FOLLOW, math.nan, math.nan)
    if key not in follow_models:
      raise DescriptorRequestError(
          f'{flag}: the training data\'s metadata has no fit of {key} on '
          'pitch and loudness (TFRecords of an older version?): use '
          f'--descriptor={name.strip()}=data or a value.')
    return DescriptorCurve(key, FOLLOW, math.nan, math.nan,
                           model=follow_models[key])
  if value == DATA:
    median = (medians or {}).get(key, FALLBACK[key])
    return DescriptorCurve(key, DATA, float(median), float(median))
  if value.startswith('ramp:'):
    parts = value.split(':')[1:]
    if len(parts) not in (2, 3):
      raise DescriptorRequestError(
          f'{flag}: a ramp is ramp:FROM:TO or ramp:FROM:TO:SECS.')
    a, b = (_number(p, flag) for p in parts[:2])
    secs = _number(parts[2], flag) if len(parts) == 3 else None
    if secs is not None and secs <= 0:
      raise DescriptorRequestError(f'{flag}: the ramp\'s SECS must be > 0.')
    for v in (a, b):
      _check_range(key, v, flag)
    return DescriptorCurve(key, 'ramp', a, b, secs)
  v = _number(value, flag)
  _check_range(key, v, flag)
  return DescriptorCurve(key, 'constant', v, v)


def curves_for(model_descriptors, specs, medians=None, follow_models=None):
  """{key: DescriptorCurve} for every descriptor a model decodes from.

  Args:
    model_descriptors: The model's descriptor keys (`TrainedModel.
      descriptors`).
    specs: The --descriptor values.
    medians: {key: training median}: the default ('data') of those not
      given and without a fit.
    follow_models: {key: fit} (`core.descriptors.solve_regression`): the
      default ('follow') of those not given.

  Returns:
    Dict in the model's order ({} for a model without descriptors).

  Raises:
    DescriptorRequestError: A malformed spec, one given twice, or one for
      a descriptor the model does not read.
  """
  given = {}
  follow_models = follow_models or {}
  for spec in specs or ():
    curve = parse(spec, medians, follow_models)
    if curve.key in given:
      raise DescriptorRequestError(
          f'--descriptor={spec}: {curve.key} is given twice.')
    given[curve.key] = curve
  extra = [k for k in given if k not in model_descriptors]
  if extra:
    reads = (', '.join(model_descriptors) if model_descriptors else
             'none (it decodes from f0 and loudness only)')
    raise DescriptorRequestError(
        f'The model does not decode from {", ".join(extra)}: the descriptors '
        f'it reads are {reads}.')
  out = {}
  for key in model_descriptors:
    default = FOLLOW if key in follow_models else DATA
    out[key] = given.get(key) or parse(f'{key}={default}', medians,
                                       follow_models)
  return out


def block_values(curves, start, n, total, frame_rate, f0_hz, loudness_db):
  """{key: float32 [n]} of every curve on one block (None without curves).

  f0_hz and loudness_db are the block's requested controls [n].
  """
  if not curves:
    return None
  return {k: c.values(start, n, total, frame_rate, f0_hz, loudness_db)
          for k, c in curves.items()}
