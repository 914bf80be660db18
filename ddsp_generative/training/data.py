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

from ddsp.training import data as ddsp_data
import gin

from ddsp_generative.core import descriptors as descriptors_lib
from ddsp_generative.core import filesystem
from ddsp_generative.core import tfrecords
from ddsp_generative.training import gin_checks


class DerivedTFRecordProvider(ddsp_data.TFRecordProvider):
  """A TFRecordProvider over another's files and geometry, to extend.

  The base of the providers `checked_tfrecord_provider` returns for models
  that read more than ddsp's features (`timbre.InstrumentTFRecordProvider`,
  `descriptors.DescriptorTFRecordProvider`), so that users still configure
  ddsp's `TFRecordProvider`.
  """

  def __init__(self, provider):
    """Constructor.

    Args:
      provider: The `ddsp.training.data.TFRecordProvider` gin configured.
    """
    # pylint: disable=protected-access
    super().__init__(
        file_pattern=provider._file_pattern,
        example_secs=provider._audio_length // provider.sample_rate,
        sample_rate=provider.sample_rate, frame_rate=provider.frame_rate)
    # ddsp 3.7.0 keeps the lengths it parses in these attributes.
    self._audio_length = provider._audio_length
    self._audio_16k_length = provider._audio_16k_length
    self._feature_length = provider._feature_length


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
                              time_steps=None, check_gin_flags=True,
                              instruments=None, descriptors=None):
  """Returns `provider` after checking its TFRecords and the gin flags.

  Args:
    provider: A `ddsp.training.data.TFRecordProvider`.
    n_samples: Audio samples per example the model synthesises (N_SAMPLES),
      or None not to check.
    time_steps: Frames per example the model's preprocessor produces
      (TIME_STEPS), or None not to check.
    check_gin_flags: Also check ddsp_run's --gin_file/--gin_param bindings.
    instruments: None, or the instrument names of a multi-instrument model
      (INSTRUMENTS, in id order): the TFRecords must be labelled with them
      (`check_instruments`) and the provider returned adds each example's
      'instrument_id' (`timbre.InstrumentTFRecordProvider`).
    descriptors: None, or the timbre descriptors a model decodes from
      (DESCRIPTORS, `core.descriptors`): the TFRecords must hold them
      (`check_descriptors`) and the provider returned reads them
      (`descriptors.DescriptorTFRecordProvider`).

  Returns:
    provider, reading local copies of a URL's files where TensorFlow
    cannot read the URL (module docstring), else unchanged; with
    `instruments`, an `InstrumentTFRecordProvider` over it.

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
  if instruments is not None and descriptors:
    raise tfrecords.DatasetMismatchError(
        'A model cannot yet decode from both INSTRUMENTS and DESCRIPTORS: '
        'use gin/multi_instrument.gin or gin/harmonic_noise_descriptors.gin.')
  if instruments is not None:
    check_instruments(provider._file_pattern, instruments)
  if descriptors:
    check_descriptors(provider._file_pattern, descriptors)
  # ddsp 3.7.0's TFRecordProvider lists its files from this attribute.
  provider._file_pattern = filesystem.local_files(provider._file_pattern)
  if instruments is not None:
    from ddsp_generative.training import timbre  # pylint: disable=g-import-not-at-top
    provider = timbre.InstrumentTFRecordProvider(provider, instruments)
  if descriptors:
    from ddsp_generative.training import descriptors as descriptors_training  # pylint: disable=g-import-not-at-top
    provider = descriptors_training.DescriptorTFRecordProvider(provider,
                                                               descriptors)
  return provider


def check_descriptors(file_pattern, descriptors):
  """Raises unless the TFRecords hold every descriptor a model decodes from.

  Args:
    file_pattern: TFRecord file pattern.
    descriptors: Keys or short names of `core.descriptors` (DESCRIPTORS).

  Raises:
    descriptors_lib.UnknownDescriptorError: A name that is no descriptor.
    tfrecords.DatasetMismatchError: TFRecords without them (prepared with
      --nodescriptors, or by ddsp's own pipeline), naming the fix.
  """
  wanted = [descriptors_lib.resolve(d) for d in descriptors]
  held = tfrecords.dataset_features(file_pattern)
  missing = [k for k in wanted if k not in held]
  if missing:
    raise tfrecords.DatasetMismatchError(
        f'The TFRecords of {file_pattern} lack the descriptor(s) '
        f'{", ".join(missing)} the model decodes from (DESCRIPTORS): '
        'prepare them again with ddsp_generative_prepare_tfrecord (it '
        'stores them unless --nodescriptors).')


def dataset_instruments(file_pattern):
  """{instrument: examples} the metadata of a pattern's TFRecords count.

  Args:
    file_pattern: TFRecord file pattern (or URL).

  Returns:
    Dict sorted by name; {} when the TFRecords hold no labels.

  Raises:
    tfrecords.DatasetMismatchError: TFRecords without metadata (their labels
      cannot be known before training).
  """
  files = tfrecords.match_files(file_pattern)
  found, missing = tfrecords.find_metadata(files)
  if missing:
    raise tfrecords.DatasetMismatchError(
        f'{len(missing)} TFRecord file(s) of {file_pattern} have no metadata '
        f'JSON beside them (e.g. {missing[0]}): prepare them with '
        'ddsp_generative_prepare_tfrecord --instrument=from_directory.')
  counts = {}
  for record in found.values():
    for name, n in (record.get('instruments') or {}).items():
      counts[name] = counts.get(name, 0) + n
  return dict(sorted(counts.items()))


def check_instruments(file_pattern, instruments):
  """Raises unless every instrument label of the TFRecords is in the list.

  Args:
    file_pattern: TFRecord file pattern.
    instruments: The model's instrument names (the INSTRUMENTS macro).

  Raises:
    tfrecords.DatasetMismatchError: Unlabelled TFRecords, or labels outside
      `instruments`, naming the --gin_param that fits the data.
  """
  counts = dataset_instruments(file_pattern)
  if not counts:
    raise tfrecords.DatasetMismatchError(
        f'The TFRecords of {file_pattern} hold no instrument labels: prepare '
        'them with ddsp_generative_prepare_tfrecord '
        '--instrument=from_directory (one folder per instrument) or '
        '--instrument=NAME.')
  unknown = [name for name in counts if name not in instruments]
  if unknown or not instruments:
    binding = 'INSTRUMENTS=' + repr(list(instruments) + unknown)
    raise tfrecords.DatasetMismatchError(
        f'The TFRecords of {file_pattern} hold instrument(s) '
        f'{", ".join(unknown)} that INSTRUMENTS ({list(instruments)}) lacks: '
        f'train with --gin_param="{binding}".')
