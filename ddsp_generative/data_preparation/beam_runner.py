# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Running this package's Beam pipelines: options, the local runner, counters.

Both pipelines (prepare_tfrecord, extract_z) run with the same defaults: the
DirectRunner on every core (`--direct_running_mode=multi_processing`), or in
memory on one, falling back to one in-memory worker when multi-processing
fails and the options were not given explicitly.

'DirectRunner' is pinned to Beam's Python FnApiRunner, the runner Beam's
DirectRunner itself picks for batch pipelines like these, so nothing is
downloaded: since Beam 2.6x the DirectRunner first tries the Prism runner,
a Go binary it fetches from GitHub at run time.
"""

from absl import logging
import apache_beam as beam

IN_MEMORY_OPTIONS = ('--runner=DirectRunner', '--direct_running_mode=in_memory')
_DIRECT_RUNNERS = (None, 'directrunner', 'direct', 'switchingdirectrunner')


def default_options(n_cpus=None):
  """DirectRunner using every core (multi_processing), or in_memory on one.

  The workers log at WARNING, except absl (this package's progress lines).

  Args:
    n_cpus: Cores to use; None: `os.cpu_count()`.

  Returns:
    List of Beam command-line options.
  """
  import os  # pylint: disable=g-import-not-at-top
  n_cpus = n_cpus or os.cpu_count() or 1
  if n_cpus < 2:
    return list(IN_MEMORY_OPTIONS)
  return ['--runner=DirectRunner', '--direct_running_mode=multi_processing',
          f'--direct_num_workers={n_cpus}',
          '--default_sdk_harness_log_level=WARNING',
          '--sdk_harness_log_level_overrides={"absl":"INFO"}']


def resolve_options(pipeline_options=()):
  """Beam options as a list: a list, or one comma-separated string.

  Args:
    pipeline_options: Options given by the user; empty for `default_options()`.

  Returns:
    (options, explicit): the list, and whether the user gave it.
  """
  if isinstance(pipeline_options, str):
    pipeline_options = pipeline_options.split(',')
  given = [o for o in (pipeline_options or []) if o]
  return (given, True) if given else (default_options(), False)


def _local_runner(options):
  """Beam's FnApiRunner, set up as the DirectRunner sets it up for batch."""
  # pylint: disable=g-import-not-at-top
  from apache_beam.portability.api import beam_provision_api_pb2
  from apache_beam.runners.portability import portable_runner
  from apache_beam.runners.portability.fn_api_runner import fn_runner
  # pylint: enable=g-import-not-at-top
  encoded = portable_runner.JobServiceHandle.encode_pipeline_options(
      options.get_all_options())
  return fn_runner.FnApiRunner(provision_info=fn_runner.ExtendedProvisionInfo(
      beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded)))


def make_pipeline(pipeline_options):
  """A Beam pipeline with these options; 'DirectRunner' runs on FnApiRunner.

  Args:
    pipeline_options: List of Beam command-line options.

  Returns:
    A `beam.Pipeline`.
  """
  options = beam.options.pipeline_options.PipelineOptions(
      list(pipeline_options))
  runner = options.view_as(beam.options.pipeline_options.StandardOptions).runner
  if runner is None or (isinstance(runner, str) and
                        runner.lower() in _DIRECT_RUNNERS):
    return beam.Pipeline(runner=_local_runner(options), options=options)
  return beam.Pipeline(options=options)


def run(pipeline_options, build):
  """Builds a pipeline with `build(pipeline)`, runs it to completion.

  Args:
    pipeline_options: List of Beam command-line options.
    build: Callable adding the transforms to a `beam.Pipeline`.

  Returns:
    The finished `PipelineResult`.
  """
  pipeline = make_pipeline(pipeline_options)
  build(pipeline)
  result = pipeline.run()
  result.wait_until_finish()
  return result


def run_with_fallback(run_once, options, can_fall_back, before_retry=None):
  """Runs `run_once(options)`; reruns it in memory if multi-processing failed.

  Args:
    run_once: Callable(options) running the pipeline, returning its result.
    options: List of Beam options.
    can_fall_back: Whether a failed multi_processing run may be rerun with
      IN_MEMORY_OPTIONS (False for options the user gave).
    before_retry: Optional callable run before the rerun (e.g. to empty the
      staging directory).

  Returns:
    (the options of the run that succeeded, what run_once returned).
  """
  try:
    return options, run_once(options)
  except Exception as e:  # pylint: disable=broad-except
    if not can_fall_back or 'multi_processing' not in ' '.join(options):
      raise
    logging.warning(
        'The multi_processing DirectRunner failed (%s: %s); running again '
        'with --direct_running_mode=in_memory.', type(e).__name__, e)
  if before_retry is not None:
    before_retry()
  options = list(IN_MEMORY_OPTIONS)
  return options, run_once(options)


def counters(result, namespace):
  """A finished pipeline's counters in `namespace`, {name: total}, sorted.

  Committed values where the runner reports them, else attempted ones; {}
  for a runner without metrics support.
  """
  try:
    query = result.metrics().query(
        beam.metrics.MetricsFilter().with_namespace(namespace))
  except Exception:  # pylint: disable=broad-except
    return {}
  totals = {}
  for counter in query['counters']:
    value = counter.committed
    if value is None:
      value = counter.attempted
    name = counter.key.metric.name
    totals[name] = totals.get(name, 0) + int(value or 0)
  return dict(sorted(totals.items()))
