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

Beam's DaskRunner (`--runner=DaskRunner`, with --dask_client_address=...,
needs the `dask` extra) runs both pipelines on a dask.distributed cluster:
they use no multi-output ParDo, no side input and no Beam file sink (the
DaskRunner sends every output of a ParDo to every consumer, recomputes a
side input's upstream in each task reading it, and drops what finish_bundle
outputs), count in their outputs (it reports no metrics), and its client is
closed when the run ends.

Options are checked before anything runs (`check_options`): a runner other
than those in `SUPPORTED_RUNNERS` (the Prism, portable, Flink and Spark
runners download a binary, a job server or a container at run time; a
dotted name would import any module), an option Beam does not know (it
would drop it with a warning) or a value it cannot parse is a one-line
`PipelineOptionsError`.
"""

import argparse
import contextlib
import io

from absl import logging
import apache_beam as beam

from ddsp_generative.core import errors

IN_MEMORY_OPTIONS = ('--runner=DirectRunner', '--direct_running_mode=in_memory')
_DIRECT_RUNNERS = (None, 'directrunner', 'direct', 'switchingdirectrunner')
# --runner values accepted (any case, 'Runner' suffix optional) and where
# each runs.
SUPPORTED_RUNNERS = {
    'DirectRunner': 'the default: this machine, in-process',
    'DataflowRunner': 'Google Cloud; needs apache-beam[gcp]',
    'DaskRunner': 'a dask.distributed cluster (--dask_client_address); '
                  'needs ddsp_generative[dask]',
}
DASK_RUNNER = 'apache_beam.runners.dask.dask_runner.DaskRunner'
_SUPPORTED_NAMES = {'directrunner': 'DirectRunner',
                    'direct': 'DirectRunner',
                    'switchingdirectrunner': 'DirectRunner',
                    'dataflowrunner': 'DataflowRunner',
                    'dataflow': 'DataflowRunner',
                    'daskrunner': 'DaskRunner',
                    'dask': 'DaskRunner',
                    DASK_RUNNER.lower(): 'DaskRunner'}


class PipelineOptionsError(errors.UsageError, ValueError):
  """Beam pipeline options this package cannot run with."""


def supported_runners_text():
  """'DirectRunner (where), DataflowRunner (where)', for messages."""
  return ', '.join(f'{name} ({where})'
                   for name, where in SUPPORTED_RUNNERS.items())


def _runner_flag(flags):
  """The --runner value among `flags` (the last one), or None."""
  runner = None
  for i, flag in enumerate(flags):
    if flag.startswith('--runner='):
      runner = flag.split('=', 1)[1]
    elif flag == '--runner' and i + 1 < len(flags):
      runner = flags[i + 1]
  return runner


def is_dask(runner):
  """Whether a --runner value names Beam's DaskRunner."""
  return (isinstance(runner, str) and
          _SUPPORTED_NAMES.get(runner.lower()) == 'DaskRunner')


def _import_dask_runner():
  """Imports Beam's DaskRunner (which registers its --dask_* options).

  Raises:
    PipelineOptionsError: dask or distributed is not installed.
  """
  try:
    # pylint: disable=g-import-not-at-top,unused-import
    import distributed
    from apache_beam.runners.dask import dask_runner
    # pylint: enable=g-import-not-at-top,unused-import
  except ImportError as e:
    raise PipelineOptionsError(
        f'--runner=DaskRunner needs dask and distributed ({e}): pip install '
        '"ddsp_generative[dask]" (the versions in constraints.txt).') from e
  return dask_runner


def _unknown_and_errors(flags):
  """Beam's own parse of `flags`: (unknown args, parse error or None)."""
  parsers = []

  def capture(parser):
    parser.exit_on_error = False  # Raise ArgumentError instead of exiting.
    parsers.append(parser)

  stderr = io.StringIO()
  try:
    with contextlib.redirect_stderr(stderr):
      beam.options.pipeline_options.PipelineOptions([]).get_all_options(
          add_extra_args_fn=capture)
      _, unknown = parsers[0].parse_known_args(flags)
  except argparse.ArgumentError as e:
    return [], str(e)
  except SystemExit:  # An error argparse reports by exiting.
    lines = [l for l in stderr.getvalue().splitlines() if 'error:' in l]
    return [], (lines[-1].split('error:', 1)[1].strip() if lines
                else 'Beam cannot parse them')
  return unknown, None


def check_options(pipeline_options):
  """Beam options, checked: supported runner, known options, valid values.

  Args:
    pipeline_options: List of Beam command-line options.

  Returns:
    The `PipelineOptions`.

  Raises:
    PipelineOptionsError: One line naming the option and the supported
      runners.
  """
  flags = [str(o) for o in pipeline_options]
  hint = ('--pipeline_options takes Beam options, e.g. '
          '--pipeline_options=--runner=DirectRunner,--direct_num_workers=2; '
          f'supported runners: {supported_runners_text()}')
  for flag in flags:
    if not flag.startswith('--'):
      raise PipelineOptionsError(
          f'Beam pipeline option {flag!r} is not --name or --name=value; '
          f'{hint}.')
  if is_dask(_runner_flag(flags)):
    _import_dask_runner()
  unknown, error = _unknown_and_errors(flags)
  if error:
    raise PipelineOptionsError(
        f'Bad Beam pipeline option ({error}); {hint}.')
  if unknown:
    raise PipelineOptionsError(
        f'Unknown Beam pipeline option {unknown[0]!r} (Beam would drop it); '
        f'{hint}.')
  options = beam.options.pipeline_options.PipelineOptions(flags)
  runner = options.view_as(beam.options.pipeline_options.StandardOptions).runner
  if runner is not None and (
      not isinstance(runner, str) or runner.lower() not in _SUPPORTED_NAMES):
    raise PipelineOptionsError(
        f'--runner={runner} is not supported (the Prism, portable, Flink '
        'and Spark runners download a binary, a job server or a container '
        'at run time); supported runners: '
        f'{supported_runners_text()}.')
  return options


# Seconds to wait for a Dask scheduler before giving up (checked before any
# work).
DASK_CONNECT_TIMEOUT_SECS = 5


def check_worker_versions(versions, address):
  """Refuses workers without this package, or with another version.

  Args:
    versions: {worker address: ddsp_generative's version there, None
      where it cannot be imported}.
    address: The scheduler's address, for the message.

  Raises:
    PipelineOptionsError: Naming the first bad worker and the fix.
  """
  from ddsp_generative import version  # pylint: disable=g-import-not-at-top
  if not versions:
    raise PipelineOptionsError(
        f'The Dask scheduler at {address} has no workers: start some with '
        f'`dask worker {address}` (in an environment with '
        f'ddsp_generative[dask] {version.__version__}).')
  for worker, found in sorted(versions.items()):
    if found != version.__version__:
      what = ('cannot import ddsp_generative' if found is None else
              f'has ddsp_generative {found}')
      raise PipelineOptionsError(
          f'Dask worker {worker} {what}; this run needs '
          f'{version.__version__} on every worker: pip install '
          f'"ddsp_generative[dask]=={version.__version__}" where the workers '
          'run (the same environment as here), then restart them.')


def check_dask_cluster(flags):
  """Connects to --dask_client_address and checks its workers, before work.

  Without an address Beam's DaskRunner starts a local cluster: nothing to
  check.

  Args:
    flags: Beam options (a list).

  Raises:
    PipelineOptionsError: The scheduler cannot be reached, has no workers,
      or a worker lacks this package's version.
  """
  address = None
  for flag in flags:
    if flag.startswith('--dask_client_address='):
      address = flag.split('=', 1)[1]
  if not address:
    return
  import distributed  # pylint: disable=g-import-not-at-top
  try:
    client = distributed.Client(address, timeout=DASK_CONNECT_TIMEOUT_SECS)
  except (OSError, TimeoutError) as e:
    raise PipelineOptionsError(
        f'Cannot reach the Dask scheduler at {address} ({type(e).__name__}: '
        f'{" ".join(str(e).split())[:200]}): start it (`dask scheduler`) and '
        f'its workers (`dask worker {address}`), or fix '
        '--dask_client_address.') from e
  def package_version():
    # Defined here, so that it travels by value: a worker without this
    # package can still run it.
    try:
      from ddsp_generative import version  # pylint: disable=g-import-not-at-top,redefined-outer-name
    except ImportError:
      return None
    return version.__version__

  try:
    try:
      versions = client.run(package_version)
    except Exception as e:  # pylint: disable=broad-except
      raise PipelineOptionsError(
          f'Cannot run on the Dask workers of {address} ({type(e).__name__}: '
          f'{" ".join(str(e).split())[:200]}): check that they run the same '
          'Python and ddsp_generative[dask] as here.') from e
    check_worker_versions(versions, address)
  finally:
    client.close()


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

  Raises:
    PipelineOptionsError: Options this package cannot run with (see
      `check_options`), before anything runs.
  """
  if isinstance(pipeline_options, str):
    pipeline_options = pipeline_options.split(',')
  given = [o for o in (pipeline_options or []) if o]
  if given:
    check_options(given)
    if is_dask(_runner_flag(given)):
      check_dask_cluster(given)
    given = with_dask_defaults(given)
  return (given, True) if given else (default_options(), False)


def with_dask_defaults(flags):
  """On the DaskRunner, one input per Dask partition unless the flags say.

  Beam's DaskRunner puts up to 128 elements of a `Create` in one partition
  (one task) and every later stage keeps the partitions of its input, so
  the few inputs of these pipelines (files) would run on one worker.

  Args:
    flags: Beam options (checked).

  Returns:
    The flags, with --dask_partition_size=1 added on the DaskRunner when
    neither --dask_partition_size nor --dask_npartitions is given.
  """
  flags = list(flags)
  if is_dask(_runner_flag(flags)) and not any(
      f.split('=', 1)[0] in ('--dask_partition_size', '--dask_npartitions')
      for f in flags):
    flags.append('--dask_partition_size=1')
  return flags


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

  Raises:
    PipelineOptionsError: Options this package cannot run with (see
      `check_options`).
  """
  options = check_options(list(pipeline_options))
  runner = options.view_as(beam.options.pipeline_options.StandardOptions).runner
  if runner is None or runner.lower() in _DIRECT_RUNNERS:
    return beam.Pipeline(runner=_local_runner(options), options=options)
  if is_dask(runner):
    return beam.Pipeline(runner=_import_dask_runner().DaskRunner(),
                         options=options)
  try:
    return beam.Pipeline(options=options)
  except (ImportError, ValueError) as e:  # No apache-beam[gcp], no project.
    detail = ' '.join(str(e).split())
    raise PipelineOptionsError(
        f'--runner={runner} cannot start ({detail}): pip install '
        '"apache-beam[gcp]" and pass its options (--project, --region, '
        '--temp_location), or run locally with --runner=DirectRunner.'
    ) from e


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
  try:
    result.wait_until_finish()
  finally:
    client = getattr(result, 'client', None)  # The DaskRunner's.
    if client is not None:
      client.close()
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
