# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Priors are validated on fit and load, checked for rates, published safely.

Tampered prior files are written from real fitted priors (a GMM and an HMM on
the tiny model's z, extracted by Beam; a conditional and a network prior on
it too): each is refused in one line naming the file, the parameter and the
fix, by `priors.load_prior` and by `python -m ddsp_generative.sample`, which
then writes nothing. A z dataset at 200 frames/s is refused for a 250
frames/s model. `ddsp_generative_fit_prior` refuses a second concurrent
writer, leaves nothing on every error path, and a kill in the middle of
publishing leaves no prior that loads, which the next run cleans up.
"""

import base64
import copy
import json
import logging
import os
import signal
import subprocess
import sys
import time

import conftest
from ddsp_generative import priors
from ddsp_generative.core import artifacts
from ddsp_generative.core import errors
from ddsp_generative.core import publish
from ddsp_generative.core import z_dataset
from ddsp_generative.priors import fitting
import gin
import numpy as np
import pytest
import synthetic_z

TINY_NET = ['ConditionalNetworkPrior.channels = 4',
            'ConditionalNetworkPrior.dilations = (1, 2)',
            'ConditionalNetworkPrior.batch_size = 4',
            'ConditionalNetworkPrior.segment_frames = 32']


@pytest.fixture(autouse=True)
def clear_gin():
  yield
  gin.clear_config()


@pytest.fixture(scope='module')
def real_z(tiny_prior_path):
  """The tiny model's z dataset path, its examples and metadata."""
  path = os.path.join(os.path.dirname(tiny_prior_path), 'z.tfrecord')
  sequences, metadata = z_dataset.read_z_dataset(path)
  return path, sequences, metadata


@pytest.fixture(scope='module')
def records(tiny_prior_path, real_z, tmp_path_factory):
  """Saved records of real fitted priors: {'gmm', 'hmm', 'conditional',
  'conditional_net'} -> the JSON dict."""
  _, sequences, metadata = real_z
  root = tmp_path_factory.mktemp('fitted')
  fitted = {
      'hmm': priors.HiddenMarkovPrior(n_components=2, em_iterations=3),
      'conditional': priors.ConditionalMixturePrior(n_components=2,
                                                    em_iterations=3),
      'conditional_net': priors.ConditionalNetworkPrior(
          channels=4, dilations=(1, 2), train_steps=20, batch_size=4,
          segment_frames=32),
  }
  out = {}
  with open(tiny_prior_path) as f:
    out['gmm'] = json.load(f)
  for name, prior in fitted.items():
    prior.fit(sequences, model_fingerprint=metadata['model_fingerprint'],
              seed=0, frame_rate=metadata['frame_rate'])
    path = str(root / f'{name}.json')
    prior.save(path)
    with open(path) as f:
      out[name] = json.load(f)
  return out


def write_record(path, record):
  with open(path, 'w') as f:
    json.dump(record, f)  # allow_nan: NaN and Infinity as Python writes them.
  return str(path)


def one_line_refusal(error, path, *words):
  message = str(error)
  assert '\n' not in message
  assert path in message, message
  assert 'ddsp_generative_fit_prior' in message, message
  for word in words:
    assert word in message, message
  assert isinstance(error, errors.UserError)


# Each tampering: (prior, function(record) changing it in place, words the
# refusal names).
def _set(key, value):
  def change(record):
    record['params'][key] = value
  return change


def _scale_ar(record):
  p = record['params']
  coef = np.asarray(p['ar_coefficients'])
  d = coef.shape[-1]
  coef[:, :d] = 3.0 * np.eye(d)
  p['ar_coefficients'] = coef.tolist()


def _negative_variance(record):
  tril = np.asarray(record['params']['scale_tril'])
  tril[0, 0, 0] = -abs(tril[0, 0, 0])
  record['params']['scale_tril'] = tril.tolist()


def _nan_entry(key, index=(0, 0)):
  def change(record):
    array = np.asarray(record['params'][key], np.float64)
    array[index] = np.nan
    record['params'][key] = array.tolist()
  return change


def _inf_entry(key):
  def change(record):
    array = np.asarray(record['params'][key], np.float64)
    array.flat[-1] = np.inf
    record['params'][key] = array.tolist()
  return change


def _wrong_shape(record):
  record['params']['means'] = [row[:-1] for row in record['params']['means']]


def _weights_sum(record):
  record['params']['weights'] = [0.9 * w for w in record['params']['weights']]


def _upper(record):
  tril = np.asarray(record['params']['scale_tril'])
  tril[0, 0, -1] = 0.5
  record['params']['scale_tril'] = tril.tolist()


def _transition_row(record):
  matrix = np.asarray(record['params']['transition_matrix'])
  matrix[1] = [0.7, 0.7]
  record['params']['transition_matrix'] = matrix.tolist()


def _net_weight(value):
  def change(record):
    weight = record['params']['weights']['in_kernel']
    array = np.frombuffer(base64.b64decode(weight['base64']), '<f4').copy()
    array[0] = value
    weight['base64'] = base64.b64encode(array.tobytes()).decode('ascii')
  return change


def _net_garbage(record):
  record['params']['weights']['out_bias']['base64'] = '!!not base64!!'


def _net_matrix(key, make):
  def change(record):
    d = len(record['params']['z_mean'])
    record['params'][key] = make(d).tolist()
  return change


def _top(key, value):
  def change(record):
    record[key] = value
  return change


def _config(key, value):
  def change(record):
    record['config'][key] = value
  return change


def _drop(key):
  def change(record):
    del record['params'][key]
  return change


def _negate(key):
  def change(record):
    record['params'][key] = [-abs(v) for v in record['params'][key]]
  return change


def _swap_range(record):
  record['params']['condition_range'] = [
      [high, low] for low, high in record['params']['condition_range']]


TAMPERED = {
    'gmm_nan_mean': ('gmm', _nan_entry('means'), ["'means'", 'NaN']),
    'gmm_inf_scale': ('gmm', _inf_entry('scale_tril'), ["'scale_tril'",
                                                        'infinite']),
    'gmm_wrong_shape': ('gmm', _wrong_shape, ["'means'", 'shape']),
    'gmm_negative_variance': ('gmm', _negative_variance,
                              ["'scale_tril'", '<= 0']),
    'gmm_weights_sum': ('gmm', _weights_sum, ["'weights'", 'not 1']),
    'gmm_negative_weight': ('gmm', _set('weights', [-0.5, 1.5]),
                            ["'weights'", 'outside [0, 1]']),
    'gmm_not_triangular': ('gmm', _upper, ["'scale_tril'", 'triangular']),
    'gmm_strings': ('gmm', _set('means', [['a', 'b']]),
                    ["'means'", 'not an array of numbers']),
    'gmm_missing': ('gmm', _drop('weights'), ["'weights'", 'missing']),
    'gmm_params_list': ('gmm', _top('params', [1, 2]), ["'params'"]),
    'unknown_type': ('gmm', _top('type', 'flow'),
                     ["Unknown prior type 'flow'"]),
    'bad_z_dims': ('gmm', _top('z_dims', 'four'), ["'z_dims'"]),
    'bad_frame_rate': ('gmm', _top('frame_rate', -250), ["'frame_rate'"]),
    'bad_step': ('gmm', _top('model_step', 'x'), ["'model_step'"]),
    'bad_config': ('gmm', _config('n_components', 'x'), ["'config'"]),
    'bad_mode': ('gmm', _config('default_mode', 'temporal'),
                 ["'config'", 'temporal']),
    'hmm_unstable_ar': ('hmm', _scale_ar, ["'ar_coefficients'", 'unstable',
                                           'spectral radius 3']),
    'hmm_transition': ('hmm', _transition_row,
                       ["'transition_matrix'", 'row 1']),
    'hmm_nan_noise': ('hmm', _nan_entry('ar_scale_tril', (0, 0, 0)),
                      ["'ar_scale_tril'", 'NaN']),
    'conditional_range': ('conditional', _swap_range,
                          ["'condition_range'", 'minimum above']),
    'conditional_unstable': ('conditional', _scale_ar, ['unstable']),
    'net_nan_weight': ('conditional_net', _net_weight(np.nan),
                       ["weights['in_kernel']", 'NaN']),
    'net_garbage_weight': ('conditional_net', _net_garbage,
                           ["weights['out_bias']", 'cannot be decoded']),
    'net_unstable_ar': ('conditional_net', _net_matrix(
        'ar_matrix', lambda d: 1.5 * np.eye(d)), ["'ar_matrix'", 'unstable']),
    'net_not_psd': ('conditional_net', _net_matrix(
        'z_cov', lambda d: -np.eye(d)), ["'z_cov'", 'positive definite']),
    'net_negative_std': ('conditional_net', _negate('z_std'),
                         ["'z_std'", 'must be > 0']),
    'net_config': ('conditional_net', _config('channels', 5),
                   ["'weights'", 'config']),
}


@pytest.mark.parametrize('case', sorted(TAMPERED))
def test_tampered_prior_is_refused_on_load(records, tmp_path, case):
  name, change, words = TAMPERED[case]
  record = copy.deepcopy(records[name])
  change(record)
  path = write_record(tmp_path / 'prior.json', record)
  with pytest.raises(priors.InvalidPriorError) as error:
    priors.load_prior(path)
  one_line_refusal(error.value, path, *words)


def test_real_priors_load_and_sample(records, tmp_path):
  for name, record in records.items():
    prior = priors.load_prior(write_record(tmp_path / f'{name}.json', record))
    controls = {c: np.full(20, 300.0 if c == 'f0_hz' else -30.0)
                for c in prior.CONDITIONS}
    z = prior.sample(20, seed=0, **controls)
    assert np.all(np.isfinite(z)) and z.shape[-1] == record['z_dims']
    assert prior.frame_rate == 250


def test_bad_json_is_refused(records, tmp_path):
  path = tmp_path / 'prior.json'
  text = json.dumps(records['gmm'])
  path.write_text(text[:len(text) // 2])  # Truncated.
  with pytest.raises(artifacts.ArtifactError) as error:
    priors.load_prior(str(path))
  assert str(path) in str(error.value) and '\n' not in str(error.value)


def sample_cli(model_dir, prior_path, save_dir):
  return conftest.run_cli('ddsp_generative.sample', f'--model_dir={model_dir}',
                          f'--prior={prior_path}', f'--save_dir={save_dir}',
                          '--duration=0.2', expect_ok=False)


def error_lines(result):
  return [line for line in result.stderr.splitlines()
          if line.startswith('ddsp_generative_') and ': error: ' in line]


@pytest.mark.parametrize('case', ['gmm_nan_mean', 'hmm_unstable_ar',
                                  'gmm_negative_variance', 'bad_json'])
def test_sampler_refuses_a_tampered_prior(records, tiny_model_dir, tmp_path,
                                          case):
  path = str(tmp_path / 'prior.json')
  if case == 'bad_json':
    with open(path, 'w') as f:
      f.write(json.dumps(records['gmm'])[:1000])
    words = ['Cannot read prior file']
  else:
    name, change, words = TAMPERED[case]
    record = copy.deepcopy(records[name])
    change(record)
    write_record(path, record)
  save_dir = tmp_path / 'samples'
  result = sample_cli(tiny_model_dir, path, save_dir)
  assert result.returncode == 1, result.stderr[-2000:]
  lines = error_lines(result)
  assert len(lines) == 1, result.stderr[-2000:]
  assert lines[0].startswith('ddsp_generative_sample: error: ')
  assert path in lines[0]
  for word in words:
    assert word in lines[0]
  assert 'Traceback' not in result.stderr
  assert not save_dir.exists() or not os.listdir(save_dir)


# ------------------------------------------------------------- Rates.
def synthetic_z_dataset(path, metadata, z_dims, n_examples=6, n_frames=120,
                        seed=0, nan=False):
  rng = np.random.default_rng(seed)
  examples = []
  for _ in range(n_examples):
    z = rng.normal(size=(n_frames, z_dims)).astype(np.float32)
    examples.append({'z': z,
                     'f0_hz': np.full(n_frames, 220.0, np.float32),
                     'loudness_db': np.full(n_frames, -30.0, np.float32)})
  if nan:
    examples[2]['z'][7, 1] = np.nan
  z_dataset.write_z_dataset(str(path), examples, metadata)
  return str(path)


def test_prior_of_another_frame_rate_is_refused(real_z, tiny_model_dir,
                                                tmp_path, caplog):
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  trained = model_io.load_model(tiny_model_dir)
  assert trained.frame_rate == 250
  _, _, metadata = real_z
  at_200 = {**{k: metadata[k] for k in z_dataset.REQUIRED_METADATA},
            'frame_rate': 200, 'sample_rate': trained.sample_rate}
  pattern = synthetic_z_dataset(tmp_path / 'z200.tfrecord', at_200,
                                trained.z_dims)
  output = str(tmp_path / 'prior.json')
  gin.parse_config(['GaussianMixturePrior.n_components = 2'])
  fitting.fit_prior(pattern, output, prior_name='gmm')
  prior = priors.load_prior(output)
  assert (prior.frame_rate, prior.sample_rate) == (200, trained.sample_rate)
  with open(output) as f:
    record = json.load(f)
  assert record['frame_rate'] == 200
  with pytest.raises(priors.PriorMismatchError) as error:
    priors.check_compatible(prior, trained.z_dims, trained.fingerprint,
                            frame_rate=trained.frame_rate,
                            sample_rate=trained.sample_rate)
  message = str(error.value)
  assert 'frame_rate=200' in message and 'frame_rate=250' in message
  assert 'ddsp_generative_fit_prior' in message and '\n' not in message
  # Without the rate (older callers) the check is as before.
  priors.check_compatible(prior, trained.z_dims, trained.fingerprint)

  # The tiny model's own z (250 frames/s) passes; an older prior file
  # without any recorded rate loads, with a warning at the check.
  real = priors.load_prior(os.path.join(os.path.dirname(real_z[0]),
                                        'prior.json'))
  assert real.frame_rate == 250 and real.sample_rate == trained.sample_rate
  priors.check_compatible(real, trained.z_dims, trained.fingerprint,
                          frame_rate=trained.frame_rate,
                          sample_rate=trained.sample_rate)
  record = {k: v for k, v in record.items()
            if k not in ('frame_rate', 'sample_rate')}
  del record['fit_info']['z_dataset']['frame_rate']
  del record['fit_info']['z_dataset']['sample_rate']
  old = priors.load_prior(write_record(tmp_path / 'old.json', record))
  assert old.frame_rate is None
  with caplog.at_level(logging.WARNING):
    priors.check_compatible(old, trained.z_dims, trained.fingerprint,
                            frame_rate=trained.frame_rate)
  assert 'does not record the frame rate' in caplog.text
  # A file of before the top-level field: the rate from its fit_info.
  record['fit_info']['z_dataset']['frame_rate'] = 200
  older = priors.load_prior(write_record(tmp_path / 'older.json', record))
  assert older.frame_rate == 200


# ------------------------------------------------- fit_prior: fitting.
def test_fit_refuses_nan_z_and_diverging_fits(tmp_path):
  metadata = {'frame_rate': 250, 'model_dir': '/m', 'model_step': 1,
              'model_fingerprint': 'fp', 'source_tfrecord_pattern': '/d'}
  pattern = synthetic_z_dataset(tmp_path / 'z.tfrecord', metadata, 4,
                                nan=True)
  sequences, _ = z_dataset.read_z_dataset(pattern)
  sequences = [{k: np.array(v) for k, v in s.items()} for s in sequences]
  with pytest.raises(priors.PriorDataError, match=r'example 2, frame 7'):
    priors.GaussianMixturePrior(n_components=2).fit(sequences)
  sequences[2]['z'][7, 1] = 0.0
  sequences[1]['f0_hz'][3] = np.inf
  with pytest.raises(priors.PriorDataError, match=r'f0_hz holds 1'):
    priors.ConditionalMixturePrior(n_components=2).fit(sequences)
  # A diverging fit is an error, not a prior.
  prior = priors.ConditionalNetworkPrior(
      channels=4, dilations=(1,), train_steps=10, batch_size=2,
      segment_frames=32, learning_rate=1e8, final_learning_rate=1e8)
  with pytest.raises(priors.PriorFitError, match='diverged'):
    prior.fit(synthetic_z.conditional_examples(4, 100), seed=0)
  with pytest.raises(ValueError, match='not fitted'):
    prior.save(str(tmp_path / 'never.json'))
  assert not os.path.exists(tmp_path / 'never.json')
  with pytest.raises(ValueError, match='max_spectral_radius'):
    priors.HiddenMarkovPrior(max_spectral_radius=1.0)


def fit_cli(*args, env=None, timeout=300):
  full_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', **(env or {}))
  return subprocess.run(
      [sys.executable, '-m', 'ddsp_generative.fit_prior'] + list(args),
      capture_output=True, text=True, env=full_env, timeout=timeout,
      check=False)


def visible(directory):
  return sorted(p for p in os.listdir(directory) if not p.startswith('.'))


def leftovers(directory, name='prior.json'):
  return publish.stale_entries(directory, name)


@pytest.fixture(scope='module')
def bad_inputs(real_z, tmp_path_factory):
  """z datasets fit_prior must refuse: {case: (z_dataset flag, gin flags,
  exit code, words of the message)}."""
  path, _, metadata = real_z
  root = tmp_path_factory.mktemp('bad_inputs')
  garbage = root / 'garbage'
  garbage.mkdir()
  (garbage / 'z.tfrecord-00000-of-00001').write_bytes(b'\x07' * 64)
  (garbage / 'metadata_z.z_dataset.json').write_text('{"kind": "z_da')
  truncated = root / 'truncated'
  truncated.mkdir()
  shard = z_dataset.list_files(path)[0]
  with open(shard, 'rb') as f:
    data = f.read()
  (truncated / 'z.tfrecord-00000-of-00001').write_bytes(data[:len(data) // 2])
  with open(z_dataset.z_metadata_path(path)) as f:
    (truncated / os.path.basename(z_dataset.z_metadata_path(path))
    ).write_text(f.read())
  nan = synthetic_z_dataset(
      root / 'nan' / 'z.tfrecord',
      {k: metadata[k] for k in z_dataset.REQUIRED_METADATA}, 4, nan=True)
  return {
      'missing': (str(root / 'nowhere' / 'z.tfrecord'), [], 1,
                  ['not found']),
      'garbage': (str(garbage / 'z.tfrecord'), [], 1, ['Cannot read']),
      'truncated': (str(truncated / 'z.tfrecord'), [], 1, []),
      'nan_z': (nan, [], 1, ['NaN', 'example 2, frame 7']),
      'bad_gin_syntax': (path, ['--gin_param=GaussianMixturePrior.x = = 1'],
                         2, ['--gin_param']),
      'unknown_prior_class': (
          path, ['--gin_param=prior_to_fit.prior_class = @NoSuchPrior'], 2,
          ['NoSuchPrior']),
      'bad_gin_value': (
          path, ["--gin_param=GaussianMixturePrior.n_components = 'x'",
                 '--prior=gmm'], 2, ["'x'", '--gin_param']),
  }


@pytest.mark.parametrize('case', [
    'missing', 'garbage', 'truncated', 'nan_z', 'bad_gin_syntax',
    'unknown_prior_class', 'bad_gin_value'])
def test_fit_prior_errors_are_one_line_and_write_nothing(bad_inputs, tmp_path,
                                                         case):
  pattern, extra, code, words = bad_inputs[case]
  out = tmp_path / 'out'
  out.mkdir()
  (out / 'prior.json').write_text('old')  # With --overwrite: kept as it was.
  result = fit_cli(f'--z_dataset={pattern}', f'--output={out}/prior.json',
                   '--overwrite', *extra)
  assert result.returncode == code, result.stderr[-2000:]
  lines = error_lines(result)
  assert len(lines) == 1, result.stderr[-2000:]
  assert lines[0].startswith('ddsp_generative_fit_prior: error: ')
  for word in words:
    assert word in lines[0], lines[0]
  assert 'Traceback' not in result.stderr
  assert visible(out) == ['prior.json']
  assert (out / 'prior.json').read_text() == 'old'
  assert not leftovers(out)


def test_fit_prior_configuration_errors_are_usage_errors(real_z, tmp_path):
  path, _, _ = real_z
  output = str(tmp_path / 'prior.json')
  with pytest.raises(fitting.PriorConfigError, match="'temporal'"):
    fitting.fit_prior(path, output, prior_name='gmm', default_mode='temporal')
  with pytest.raises(priors.InvalidPriorError, match="'flow'"):
    fitting.fit_prior(path, output, prior_name='flow')
  gin.parse_config(['GaussianMixturePrior.candidate_n_components = 3'])
  with pytest.raises(fitting.PriorConfigError, match='gin_param'):
    fitting.fit_prior(path, output, prior_name='gmm')
  assert fitting.PriorConfigError.exit_code == 2
  assert not os.listdir(tmp_path)
  gin.clear_config()
  with pytest.raises(errors.UserError, match='is a directory'):
    fitting.fit_prior(path, str(tmp_path), prior_name='gmm')


# ------------------------------------------------ fit_prior: publishing.
def test_second_concurrent_fit_prior_is_refused(real_z, tmp_path):
  path, _, _ = real_z
  output = tmp_path / 'prior.json'
  lock = publish.lock_path(tmp_path, 'prior.json')
  first = subprocess.Popen(
      [sys.executable, '-m', 'ddsp_generative.fit_prior',
       f'--z_dataset={path}', f'--output={output}', '--prior=conditional_net',
       '--gin_param=ConditionalNetworkPrior.train_steps = 100000'] + [
           f'--gin_param={p}' for p in TINY_NET],
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'))
  try:
    deadline = time.time() + 240
    while time.time() < deadline:
      if os.path.exists(lock) and open(lock).read().startswith('pid'):
        break
      assert first.poll() is None, first.communicate()[1][-2000:]
      time.sleep(0.5)
    else:
      pytest.fail('the first fit_prior never took the lock')
    started = time.time()
    second = fit_cli(f'--z_dataset={path}', f'--output={output}',
                     '--prior=gmm', '--overwrite')
    assert second.returncode == 1, second.stderr[-2000:]
    lines = error_lines(second)
    assert len(lines) == 1, second.stderr[-2000:]
    assert 'being written by another run' in lines[0]
    assert f'pid {first.pid}' in lines[0]
    assert time.time() - started < 60  # Refused before reading or fitting.
    assert first.poll() is None  # The first run goes on.
    assert not output.exists()
  finally:
    first.send_signal(signal.SIGKILL)
    first.communicate()


def test_kill_at_publish_leaves_no_prior_and_next_run_cleans_up(
    real_z, tiny_model_dir, tmp_path):
  path, _, _ = real_z
  out = tmp_path / 'model'
  output = out / 'prior.json'
  flags = [f'--z_dataset={path}', f'--output={output}', '--prior=gmm',
           '--gin_param=GaussianMixturePrior.n_components = 2']
  first = fit_cli(*flags)
  assert first.returncode == 0, first.stderr[-2000:]
  assert priors.load_prior(str(output)).num_components == 2
  # Killed while publishing the replacement: after the old manifest (the
  # prior itself) is removed, before the new one is moved in.
  killed = fit_cli(*flags[:-1], '--overwrite',
                   '--gin_param=GaussianMixturePrior.n_components = 3',
                   env={publish.FAULT_ENV: 'publish:0'})
  assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
  assert not output.exists()
  stale = leftovers(out)
  assert len(stale) == 1 and os.path.basename(stale[0]).startswith(
      '.staging-prior.json-')
  # Nothing half-written is ever loaded: no prior, a clear refusal.
  with pytest.raises(artifacts.ArtifactError, match='not found'):
    priors.load_prior(str(output))
  result = sample_cli(tiny_model_dir, str(output), tmp_path / 'samples')
  assert result.returncode == 1
  lines = error_lines(result)
  assert len(lines) == 1 and str(output) in lines[0], lines
  assert 'not found' in lines[0] or 'No prior' in lines[0], lines
  # The next run removes the leftover and publishes.
  again = fit_cli(*flags[:-1],
                  '--gin_param=GaussianMixturePrior.n_components = 3')
  assert again.returncode == 0, again.stderr[-2000:]
  assert not leftovers(out)
  assert priors.load_prior(str(output)).num_components == 3
  assert visible(out) == ['prior.json']
