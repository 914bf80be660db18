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
* `data` (the default for a descriptor not given): the median of the
  training data (its TFRecords' metadata), or, where that is unknown, the
  value of `FALLBACK`.

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
    kind: 'constant', 'ramp' or 'data'.
    start_value: The constant, or the ramp's first value.
    end_value: The ramp's last value (= start_value for a constant).
    ramp_secs: Seconds the ramp takes (None: the whole sample).
  """
  key: str
  kind: str
  start_value: float
  end_value: float
  ramp_secs: Optional[float] = None

  def values(self, start, n, total, frame_rate):
    """The curve on frames [start, start + n) of a `total`-frame sample.

    Returns:
      float32 [n].
    """
    frames = np.arange(start, start + n, dtype=np.float64)
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


def parse(spec, medians=None):
  """One --descriptor value, 'NAME=SPEC', -> a DescriptorCurve.

  Args:
    spec: e.g. 'centroid=1800', 'periodicity=ramp:0.9:0.4',
      'centroid=ramp:800:3000:2', 'flatness=data'.
    medians: {key: training median} for 'data'.

  Returns:
    A DescriptorCurve.

  Raises:
    DescriptorRequestError: Malformed, an unknown name, or out of range.
  """
  flag = f'--descriptor={spec}'
  name, sep, value = spec.partition('=')
  if not sep or not name.strip() or not value.strip():
    raise DescriptorRequestError(
        f'{flag}: use NAME=VALUE, NAME=ramp:FROM:TO[:SECS] or NAME=data, e.g. '
        '--descriptor=centroid=1800.')
  try:
    key = descriptors_lib.resolve(name.strip())
  except descriptors_lib.UnknownDescriptorError as e:
    raise DescriptorRequestError(f'{flag}: {e}.') from e
  value = value.strip()
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


def curves_for(model_descriptors, specs, medians=None):
  """{key: DescriptorCurve} for every descriptor a model decodes from.

  Args:
    model_descriptors: The model's descriptor keys (`TrainedModel.
      descriptors`).
    specs: The --descriptor values.
    medians: {key: training median}: the default ('data') of those not
      given.

  Returns:
    Dict in the model's order ({} for a model without descriptors).

  Raises:
    DescriptorRequestError: A malformed spec, one given twice, or one for
      a descriptor the model does not read.
  """
  given = {}
  for spec in specs or ():
    curve = parse(spec, medians)
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
    out[key] = given.get(key) or parse(f'{key}={DATA}', medians)
  return out


def block_values(curves, start, n, total, frame_rate):
  """{key: float32 [n]} of every curve on one block (None without curves)."""
  if not curves:
    return None
  return {k: c.values(start, n, total, frame_rate) for k, c in curves.items()}
