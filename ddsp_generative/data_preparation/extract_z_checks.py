# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The checks of `ddsp_generative_extract_z` that need no model, Beam or
TensorFlow: its flags and its output (`extract_z_lib` runs them again)."""


import numpy as np

from ddsp_generative.core import errors
from ddsp_generative.core import filesystem
from ddsp_generative.core import tfrecords
from ddsp_generative.core import z_dataset

MAX_BATCH_SIZE = 4096


class ParameterError(errors.UsageError, ValueError):
  """A bad --batch_size, --num_shards or --output_path."""


OutputExistsError = tfrecords.OutputExistsError


def existing_outputs(output_path):
  """The z dataset's files at `output_path` (shards, then the metadata)."""
  metadata = z_dataset.z_metadata_path(output_path)
  found = z_dataset.dataset_files(output_path)
  return found + ([metadata] if filesystem.exists(metadata) else [])


def validate_parameters(output_path, batch_size=8, num_shards=0):
  """Raises ParameterError (exit status 2) for bad flags.

  Args:
    output_path: z dataset TFRecord prefix: a file name, not a folder, and
      not one whose metadata name it would match (`z_metadata_path`).
    batch_size: Examples per encoder call, 1..MAX_BATCH_SIZE.
    num_shards: Output shards, 0 (automatic) or more.
  """
  for name, value, low in (('batch_size', batch_size, 1),
                           ('num_shards', num_shards, 0)):
    if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
        or value < low):
      raise ParameterError(
          f'--{name} must be a whole number >= {low}, not {value!r}.')
  if batch_size > MAX_BATCH_SIZE:
    raise ParameterError(f'--batch_size must be at most {MAX_BATCH_SIZE}, '
                         f'not {batch_size}.')
  if (not output_path or not filesystem.basename(output_path)
      or filesystem.isdir(output_path)):
    raise ParameterError(
        f'--output_path ({output_path!r}) must be a TFRecord prefix such as '
        'data/z.tfrecord, not a folder.')
  if z_dataset.tfrecord_prefix(output_path) != output_path:
    raise ParameterError(
        f'--output_path ({output_path!r}) must be a TFRecord prefix such as '
        'data/z.tfrecord, without wildcards or a shard suffix.')
  try:
    z_dataset.z_metadata_path(output_path)
  except ValueError as e:
    raise ParameterError(str(e)) from e


def refuse_existing(output_path):
  """Raises OutputExistsError if a z dataset, whole or not, is there."""
  tfrecords.refuse_existing(
      existing_outputs(output_path), output_path,
      z_dataset.z_metadata_path(output_path), 'z dataset', '--output_path')
