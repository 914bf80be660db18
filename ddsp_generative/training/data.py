# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Data providers for `ddsp_run`, checked before any training starts.

`gin/datasets/tfrecord.gin` sets

  train.data_provider = @checked_tfrecord_provider()
  checked_tfrecord_provider.provider = @data.TFRecordProvider()

so users still configure ddsp's `TFRecordProvider` as usual (e.g.
`TFRecordProvider.file_pattern`), and ddsp's `train()` receives it only after
`checked_tfrecord_provider` verified that

* the file pattern matches TFRecords;
* their sample rate, frame rate and example length (from the metadata JSON
  beside them, else from the first record) match the provider's settings and
  the model's `N_SAMPLES` and `TIME_STEPS`;
* `ddsp_run`'s --gin_file/--gin_param bind only names gin knows
  (`gin_checks`), since ddsp_run skips unknown ones silently.

A file pattern may be a URL (`core.filesystem`): its TFRecords are checked
where they are, and when TensorFlow cannot read the URL itself (s3://, ...;
gs:// it can) the provider is pointed at local copies fetched once per
process (`filesystem.local_files`), so `ddsp_run` trains from a bucket.
"""

import gin

from ddsp_generative.core import filesystem
from ddsp_generative.core import tfrecords
from ddsp_generative.training import gin_checks


def provider_geometry(provider):
  """(sample_rate, frame_rate, n_samples, n_frames) a TFRecordProvider reads.

  Args:
    provider: A `ddsp.training.data.TFRecordProvider`.

  Returns:
    Tuple of ints.
  """
  # ddsp 3.7.0 keeps the lengths it parses in these attributes.
  # pylint: disable=protected-access
  return (int(provider.sample_rate), int(provider.frame_rate),
          int(provider._audio_length), int(provider._feature_length))


@gin.register(module='ddsp_generative.training.data')
def checked_tfrecord_provider(provider=gin.REQUIRED, n_samples=None,
                              time_steps=None, check_gin_flags=True):
  """Returns `provider` after checking its TFRecords and the gin flags.

  Args:
    provider: A `ddsp.training.data.TFRecordProvider`.
    n_samples: Audio samples per example the model synthesises (N_SAMPLES),
      or None not to check.
    time_steps: Frames per example the model's preprocessor produces
      (TIME_STEPS), or None not to check.
    check_gin_flags: Also check ddsp_run's --gin_file/--gin_param bindings.

  Returns:
    provider, reading local copies of a URL's files where TensorFlow
    cannot read the URL (module docstring), else unchanged.

  Raises:
    tfrecords.DatasetMismatchError: No TFRecords, or TFRecords whose
      geometry differs from the configuration.
    gin_checks.GinConfigError: Unknown names in ddsp_run's gin flags.
  """
  if check_gin_flags:
    gin_checks.check_ddsp_run_flags()
  sample_rate, frame_rate, audio_length, feature_length = provider_geometry(
      provider)
  problems = []
  if n_samples is not None and int(n_samples) != audio_length:
    problems.append(f'the model synthesises N_SAMPLES={n_samples} samples but '
                    f'the data provider reads {audio_length} '
                    '(EXAMPLE_SECS * SAMPLE_RATE)')
  if time_steps is not None and int(time_steps) != feature_length:
    problems.append(f'the model expects TIME_STEPS={time_steps} frames but '
                    f'the data provider reads {feature_length} '
                    '(EXAMPLE_SECS * FRAME_RATE)')
  if problems:
    raise tfrecords.DatasetMismatchError(
        'Inconsistent gin config: ' + '; '.join(problems) + '. Set '
        'EXAMPLE_SECS, N_SAMPLES and TIME_STEPS together (see '
        'gin/common/audio.gin).')
  # pylint: disable=protected-access
  tfrecords.check_geometry(
      provider._file_pattern, sample_rate, frame_rate, audio_length,
      feature_length,
      expected_from='the gin config (TFRecordProvider settings)')
  # ddsp 3.7.0's TFRecordProvider lists its files from this attribute.
  provider._file_pattern = filesystem.local_files(provider._file_pattern)
  return provider
