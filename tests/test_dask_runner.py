"""Both Beam pipelines on Beam's DaskRunner give the DirectRunner's records.

A real dask.distributed cluster: a scheduler and two worker processes
(`LocalCluster(processes=True)`), which import this package from its
install; nothing is shared with the test in Python memory.
"""

import glob
import json
import os

import pytest

from conftest import BEAM_OPTIONS
from conftest import write_synthetic_wavs

distributed = pytest.importorskip(
    'distributed', reason='dask is not installed: pip install '
    '"ddsp_generative[dask]" (the DaskRunner needs dask and distributed)')

DASK_RUNNER = '--runner=apache_beam.runners.dask.dask_runner.DaskRunner'


@pytest.fixture(scope='module')
def cluster():
  with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                processes=True,
                                dashboard_address=None) as local:
    yield local


def dask_options(cluster_):
  return [DASK_RUNNER, f'--dask_client_address={cluster_.scheduler_address}']


def _records(pattern, parse=False):
  """{shard name: [records]} of the TFRecords matching pattern.

  Records as bytes, or parsed ({feature: its float values}: protobuf may
  write a map's entries in any order).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  def values(record):
    if not parse:
      return record
    features = tf.train.Example.FromString(record).features.feature
    return {k: list(v.float_list.value) for k, v in features.items()}

  return {os.path.basename(path): [values(r.numpy()) for r in
                                   tf.data.TFRecordDataset(path)]
          for path in sorted(glob.glob(pattern))}


def _without_run_info(record):
  """A metadata record without what differs between runs (provenance)."""
  return {k: v for k, v in record.items() if k != 'provenance'}


def _json(path):
  with open(path) as f:
    return json.load(f)


def test_prepare_tfrecord_on_dask_equals_direct(tmp_path, cluster):
  from ddsp_generative.core import artifacts  # pylint: disable=g-import-not-at-top
  from ddsp_generative.data_preparation import prepare_tfrecord_lib  # pylint: disable=g-import-not-at-top
  paths = write_synthetic_wavs(tmp_path / 'audio', n_files=4,
                               secs_per_file=2.0)
  # 0.5 s chunks: more chunks than files, spread over the workers; an eval
  # split so that the plan (all chunks' keys) matters.
  args = dict(sample_rate=16000, frame_rate=250, example_secs=0.5,
              hop_secs=0.25, chunk_secs=0.5, eval_split_fraction=0.25,
              f0_estimator='yin')
  outputs = {}
  for name, options in (('direct', BEAM_OPTIONS),
                        ('dask', dask_options(cluster))):
    prefix = str(tmp_path / name / 'train.tfrecord')
    outputs[name] = (prefix, prepare_tfrecord_lib.prepare_tfrecord(
        paths, prefix, pipeline_options=options, **args))
  (direct_prefix, direct), (dask_prefix, dask) = (outputs['direct'],
                                                  outputs['dask'])
  assert dask['provenance']['pipeline_options'][0] == DASK_RUNNER
  # Same metadata: counts, files, splits, shards, the counters of every
  # stage (counted in the outputs: the DaskRunner reports no metrics).
  assert _without_run_info(dask) == _without_run_info(direct)
  assert direct['counters']['estimate-f0'] == direct['counters']['chunk'] > 8
  assert set(direct['splits']) == {'train', 'eval'}
  # Same shards, record for record, byte for byte.
  direct_records = _records(direct_prefix + '-*')
  assert sum(map(len, direct_records.values())) == direct['n_examples']
  assert _records(dask_prefix + '-*') == direct_records
  # Same note dataset.
  assert _without_run_info(
      _json(artifacts.tfrecord_notes_path(dask_prefix))) == _without_run_info(
          _json(artifacts.tfrecord_notes_path(direct_prefix)))


def test_extract_z_on_dask_equals_direct(tmp_path, cluster, tiny_tfrecords,
                                         tiny_model_dir):
  from ddsp_generative.core import z_dataset  # pylint: disable=g-import-not-at-top
  from ddsp_generative.data_preparation import extract_z_lib  # pylint: disable=g-import-not-at-top
  metadata = {}
  for name, options in (('direct', BEAM_OPTIONS),
                        ('dask', dask_options(cluster))):
    metadata[name] = extract_z_lib.extract_z(
        tiny_tfrecords, str(tmp_path / name / 'z.tfrecord'), tiny_model_dir,
        batch_size=4, num_shards=2, pipeline_options=options)
  direct, dask = metadata['direct'], metadata['dask']
  assert _without_run_info(dask) == _without_run_info(direct)
  assert direct['counters']['examples-encoded'] == direct['n_examples'] > 4
  assert direct['counters']['batches-encoded'] >= direct['n_examples'] / 4
  records = {name: _records(z_dataset.tfrecord_prefix(
      str(tmp_path / name / 'z.tfrecord')) + '-*', parse=True)
             for name in metadata}
  assert len(records['direct']) == 2
  # The same examples in the same order with the same values: the batches
  # and shards are functions of the records, not of the runner.
  assert records['dask'] == records['direct']


def test_dask_runner_options_are_checked(cluster):
  from ddsp_generative.data_preparation import beam_runner  # pylint: disable=g-import-not-at-top
  # The scheduler is reached and its workers checked first.
  options, explicit = beam_runner.resolve_options(
      '--runner=DaskRunner,--dask_client_address=' +
      cluster.scheduler_address)
  assert explicit
  assert options[-1] == '--dask_partition_size=1'  # One input a partition.
  options, _ = beam_runner.resolve_options(
      ['--runner=dask', '--dask_npartitions=3'])
  assert options == ['--runner=dask', '--dask_npartitions=3']
  with pytest.raises(beam_runner.PipelineOptionsError, match='dask_nworkers'):
    beam_runner.resolve_options(['--runner=DaskRunner', '--dask_nworkers=2'])


def test_an_unreachable_scheduler_is_refused_before_any_work(tmp_path):
  import time  # pylint: disable=g-import-not-at-top
  from conftest import run_cli  # pylint: disable=g-import-not-at-top
  from ddsp_generative.data_preparation import beam_runner  # pylint: disable=g-import-not-at-top
  nowhere = '--dask_client_address=tcp://127.0.0.1:9'
  start = time.monotonic()
  with pytest.raises(beam_runner.PipelineOptionsError,
                     match='Cannot reach the Dask scheduler'):
    beam_runner.resolve_options([DASK_RUNNER, nowhere])
  assert time.monotonic() - start < 2 * beam_runner.DASK_CONNECT_TIMEOUT_SECS
  wavs = write_synthetic_wavs(str(tmp_path / 'audio'), n_files=1,
                              secs_per_file=1.0)
  output = tmp_path / 'data' / 'x.tfrecord'
  result = run_cli('ddsp_generative.prepare_tfrecord',
                   f'--input_audio_filepatterns={wavs[0]}',
                   f'--output_tfrecord_path={output}',
                   f'--pipeline_options={DASK_RUNNER},{nowhere}',
                   expect_ok=False)
  lines = [l for l in result.stderr.splitlines() if l.strip()]
  assert result.returncode != 0 and len(lines) == 1, result.stderr
  assert 'dask scheduler' in lines[0]
  assert not output.parent.exists() or not os.listdir(output.parent)


def test_workers_without_this_package_are_refused():
  from ddsp_generative import version  # pylint: disable=g-import-not-at-top
  from ddsp_generative.data_preparation import beam_runner  # pylint: disable=g-import-not-at-top
  check = beam_runner.check_worker_versions
  check({'tcp://a:1': version.__version__}, 'tcp://s:8786')
  for versions, match in (({'tcp://a:1': None}, 'cannot import'),
                          ({'tcp://a:1': '0.0.1'}, 'has ddsp_generative 0.0.1'),
                          ({}, 'no workers')):
    with pytest.raises(beam_runner.PipelineOptionsError, match=match):
      check(versions, 'tcp://s:8786')
