"""Both pipelines, models and priors on a non-local filesystem (issue 16).

The store is S3 as moto's server gives it: a real HTTP object store on
localhost, reached through `core.filesystem` (fsspec + s3fs) by this process,
by the DirectRunner's worker processes and by every CLI subprocess, offline.
"""

import json
import os
import subprocess
import sys

import conftest
import numpy as np
import pytest
import soundfile as sf

pytest.importorskip('s3fs', reason="pip install '.[remote]'")
moto_server = pytest.importorskip('moto.server',
                                  reason="pip install '.[remote]'")

from ddsp_generative.core import artifacts  # pylint: disable=g-import-not-at-top,wrong-import-position
from ddsp_generative.core import filesystem  # pylint: disable=g-import-not-at-top,wrong-import-position
from ddsp_generative.core import publish  # pylint: disable=g-import-not-at-top,wrong-import-position
from ddsp_generative.core import z_dataset  # pylint: disable=g-import-not-at-top,wrong-import-position

BIN = os.path.dirname(sys.executable)
BUCKET = 'ddsp-test'


@pytest.fixture(scope='module')
def store():
  """s3://ddsp-test on a moto server; its address in this process's env."""
  server = moto_server.ThreadedMotoServer(ip_address='127.0.0.1', port=0,
                                          verbose=False)
  server.start()
  host, port = server.get_host_and_port()
  env = {'AWS_ACCESS_KEY_ID': 'test', 'AWS_SECRET_ACCESS_KEY': 'test',
         'AWS_DEFAULT_REGION': 'us-east-1',
         'AWS_ENDPOINT_URL': f'http://{host}:{port}'}
  saved = {k: os.environ.get(k) for k in env}
  os.environ.update(env)
  import fsspec  # pylint: disable=g-import-not-at-top
  fsspec.filesystem('s3').mkdir(BUCKET)
  try:
    yield f's3://{BUCKET}'
  finally:
    server.stop()
    for k, v in saved.items():
      if v is None:
        os.environ.pop(k, None)
      else:
        os.environ[k] = v


def _cli(*command, expect_ok=True):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  result = subprocess.run(list(command), capture_output=True, text=True,
                          env=env, timeout=600)
  assert (result.returncode == 0) == expect_ok, (command,
                                                 result.stderr[-3000:])
  return result


def _error_lines(result):
  return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize('root', ['memory://fs-test', 's3'])
def test_layer_operations(store, root, tmp_path):
  root = store + '/layer' if root == 's3' else root
  folder = filesystem.join(root, 'a')
  filesystem.makedirs(folder)
  with filesystem.open(filesystem.join(folder, 'x.txt'), 'wb') as f:
    f.write(b'hello')
  local = tmp_path / 'y.txt'
  local.write_bytes(b'world!')
  filesystem.upload(str(local), filesystem.join(folder, 'y.txt'))
  assert filesystem.listdir(folder) == ['x.txt', 'y.txt']
  assert filesystem.glob(filesystem.join(folder, '*.txt')) == [
      filesystem.join(folder, 'x.txt'), filesystem.join(folder, 'y.txt')]
  assert filesystem.getsize(filesystem.join(folder, 'y.txt')) == 6
  assert filesystem.isdir(folder) and not filesystem.isfile(folder)
  filesystem.replace(filesystem.join(folder, 'x.txt'),
                     filesystem.join(folder, 'z.txt'))
  assert filesystem.listdir(folder) == ['y.txt', 'z.txt']
  with filesystem.local_copy(filesystem.join(folder, 'z.txt')) as path:
    assert open(path, 'rb').read() == b'hello'
  tree = filesystem.local_tree(root)
  assert sorted(os.listdir(os.path.join(tree, 'a'))) == ['y.txt', 'z.txt']
  assert filesystem.split(filesystem.join(folder, 'z.txt')) == (folder,
                                                                 'z.txt')
  filesystem.rmtree(folder)
  assert not filesystem.exists(filesystem.join(folder, 'y.txt'))
  assert filesystem.listdir(folder) == []


def test_local_files_give_tensorflow_a_pattern_it_reads(tmp_path):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  root = 'memory://local-files'
  for folder, payload in (('a', b'one'), ('b', b'two')):
    path = filesystem.join(root, folder, 'rec-0')  # The same name twice.
    with filesystem.open(path, 'wb') as f:
      f.write(payload)
  pattern = filesystem.local_files(root + '/*/rec-*')
  assert not filesystem.is_url(pattern)
  assert sorted(open(p, 'rb').read() for p in tf.io.gfile.glob(pattern)) == [
      b'one', b'two']
  assert filesystem.local_files(root + '/*/rec-*') == pattern  # Fetched once.
  for unchanged in (str(tmp_path / '*.tfrecord'), 'gs://bucket/x*',
                    root + '/none-*'):
    assert filesystem.local_files(unchanged) == unchanged


def test_publish_on_a_url(store):
  directory = store + '/publish'
  with publish.output_set(directory, 'set', manifest='manifest.json') as st:
    assert filesystem.is_url(st)
    artifacts.write_json(filesystem.join(st, 'manifest.json'), 'test', 1,
                         {'n': 1})
    with artifacts.atomic_path(filesystem.join(st, 'set-0')) as tmp:
      with open(tmp, 'w') as f:
        f.write('shard')
  assert filesystem.listdir(directory) == ['manifest.json', 'set-0']
  assert artifacts.read_json(filesystem.join(directory, 'manifest.json'),
                             'test', (1,))['n'] == 1
  # A block that fails publishes nothing and leaves no staging behind.
  with pytest.raises(RuntimeError):
    with publish.output_set(directory, 'other', manifest='m.json') as st:
      artifacts.write_json(filesystem.join(st, 'm.json'), 'test', 1, {})
      raise RuntimeError('killed')
  assert filesystem.listdir(directory) == ['manifest.json', 'set-0']


def test_unwritable_output_urls_fail_first(store, tmp_path):
  wavs = conftest.write_synthetic_wavs(tmp_path / 'audio', n_files=1,
                                       secs_per_file=1.0)
  assert wavs
  for output, says in (('s3://no-such-bucket/d/train.tfrecord',
                        'create the bucket'),
                       ('gs://bucket/d/train.tfrecord', 'gcsfs')):
    result = _cli(os.path.join(BIN, 'ddsp_generative_prepare_tfrecord'),
                  f'--input_audio_filepatterns={tmp_path}/audio/*.wav',
                  f'--output_tfrecord_path={output}', expect_ok=False)
    lines = _error_lines(result)
    assert len(lines) == 1, result.stderr[-2000:]
    assert '--output_tfrecord_path' in lines[0] and says in lines[0]
    assert 'Traceback' not in result.stderr
  result = _cli(os.path.join(BIN, 'ddsp_generative_extract_z'),
                f'--input_tfrecord_filepatterns={tmp_path}/none*',
                '--output_path=s3://no-such-bucket/z.tfrecord',
                f'--model_dir={tmp_path}', expect_ok=False)
  assert len(_error_lines(result)) == 1 and 'create the bucket' in (
      result.stderr)
  result = _cli(os.path.join(BIN, 'ddsp_generative_fit_prior'),
                f'--z_dataset={tmp_path}/z.tfrecord',
                '--output=s3://no-such-bucket/m/prior.json', expect_ok=False)
  assert len(_error_lines(result)) == 1 and 'create the bucket' in (
      result.stderr)
  # Nothing half-published in the store.
  assert filesystem.listdir(store) in ([], ['layer'], ['layer', 'publish'],
                                       ['publish'])


def test_round_trip_through_the_store(store, tmp_path):
  """prepare -> train one step -> extract -> fit -> sample, on s3://.

  Remote: the input audio, the TFRecords and their metadata (written by the
  DirectRunner's worker processes), the file pattern ddsp_run trains from,
  the model directory extract_z and the sampler load, the z dataset, the
  prior. Local: ddsp_run's save_dir (TF checkpoints reach TensorFlow's
  filesystems only, which have no s3://; the test uploads it), the copies
  of the TFRecords tf.data reads, and the sampler's WAVs.
  """
  import fsspec  # pylint: disable=g-import-not-at-top
  fs = fsspec.filesystem('s3')
  for wav in conftest.write_synthetic_wavs(tmp_path / 'audio', n_files=2,
                                           secs_per_file=1.0, seed=3):
    fs.put_file(wav, f'{BUCKET}/trip/audio/{os.path.basename(wav)}')
  root = store + '/trip'
  data = root + '/data/train.tfrecord'
  # The default Beam options: worker processes reach the store themselves.
  _cli(os.path.join(BIN, 'ddsp_generative_prepare_tfrecord'),
       f'--input_audio_filepatterns={root}/audio/*.wav',
       f'--output_tfrecord_path={data}', '--example_secs=1', '--hop_secs=0.5',
       '--num_shards=1', '--f0_estimator=yin')
  metadata = artifacts.read_json(root + '/data/metadata_train.json',
                                 'tfrecord_metadata', (2,))
  assert metadata['n_examples'] >= 2 and all(
      f['path'].startswith(root) for f in metadata['files'])
  assert filesystem.listdir(root + '/data') == [
      'metadata_train.json', 'notes_train.json',
      'train.tfrecord-00000-of-00001']

  # ddsp_run reads the TFRecords from the bucket (checked_tfrecord_provider
  # points ddsp's provider at local copies: tf.data has no s3://).
  local_model = str(tmp_path / 'model')
  conftest.run_ddsp_run(local_model, data + '*', num_steps=1)
  model = root + '/model'
  for name in os.listdir(local_model):
    if os.path.isfile(os.path.join(local_model, name)):
      fs.put_file(os.path.join(local_model, name), f'{BUCKET}/trip/model/'
                  f'{name}')

  z_path = root + '/data/z.tfrecord'
  _cli(os.path.join(BIN, 'ddsp_generative_extract_z'),
       f'--input_tfrecord_filepatterns={data}*', f'--output_path={z_path}',
       f'--model_dir={model}', '--batch_size=2',
       '--pipeline_options=' + ','.join(conftest.BEAM_OPTIONS))
  z_metadata = z_dataset.read_z_metadata(z_path)
  assert z_metadata['model_dir'] == model and z_metadata['model_step'] == 1
  assert z_metadata['n_examples'] == metadata['n_examples']

  _cli(os.path.join(BIN, 'ddsp_generative_fit_prior'),
       f'--z_dataset={z_path}', f'--output={model}/prior.json',
       '--prior=gmm')
  assert filesystem.isfile(model + '/prior.json')

  result = _cli(sys.executable, '-m', 'ddsp_generative.sample',
                f'--model_dir={model}', f'--save_dir={tmp_path}/out',
                '--n_samples=1', '--pitch=62', '--duration=0.5', '--seed=1')
  wavs = [line for line in result.stdout.splitlines()
          if line.endswith('.wav')]
  assert len(wavs) == 1
  audio, rate = sf.read(wavs[0])
  assert rate == 16000 and len(audio) == 8000
  assert np.all(np.isfinite(audio)) and np.max(np.abs(audio)) > 1e-4
  with open(wavs[0][:-4] + '.json') as f:
    sidecar = json.load(f)
  assert sidecar['model']['step'] == 1
  assert sidecar['model']['model_dir'] == model  # The URL, not the copy.


def test_dask_workers_prepare_into_the_store(store, tmp_path):
  """prepare_tfrecord on a 2-process Dask cluster, input and output s3://:
  the workers (started with the store's address in their environment)
  write their part files to the store themselves; the records equal a
  local DirectRunner run's."""
  distributed = pytest.importorskip('distributed')
  import fsspec  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from ddsp_generative.data_preparation import prepare_tfrecord_lib  # pylint: disable=g-import-not-at-top
  fs = fsspec.filesystem('s3')
  wavs = conftest.write_synthetic_wavs(tmp_path / 'audio', n_files=2,
                                       secs_per_file=1.0, seed=5)
  for wav in wavs:
    fs.put_file(wav, f'{BUCKET}/dask/audio/{os.path.basename(wav)}')
  root = store + '/dask'
  args = dict(sample_rate=16000, frame_rate=250, example_secs=0.5,
              hop_secs=0.25, chunk_secs=0.5, f0_estimator='yin',
              num_shards=1)
  with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                processes=True,
                                dashboard_address=None) as cluster:
    remote = prepare_tfrecord_lib.prepare_tfrecord(
        filesystem.glob(f'{root}/audio/*.wav'), root + '/data/train.tfrecord',
        pipeline_options=[
            '--runner=apache_beam.runners.dask.dask_runner.DaskRunner',
            f'--dask_client_address={cluster.scheduler_address}'], **args)
  local = prepare_tfrecord_lib.prepare_tfrecord(
      sorted(wavs), str(tmp_path / 'local' / 'train.tfrecord'),
      pipeline_options=conftest.BEAM_OPTIONS, **args)
  assert remote['n_examples'] == local['n_examples'] > 0
  assert filesystem.listdir(root + '/data') == [
      'metadata_train.json', 'notes_train.json',
      'train.tfrecord-00000-of-00001']
  with filesystem.local_copy(root + '/data/train.tfrecord-00000-of-00001') as (
      path):
    remote_records = [r.numpy() for r in tf.data.TFRecordDataset(path)]
  local_records = [r.numpy() for r in tf.data.TFRecordDataset(
      str(tmp_path / 'local' / 'train.tfrecord-00000-of-00001'))]
  assert remote_records == local_records
