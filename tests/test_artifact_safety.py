# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Loading an artefact never runs code from it; Beam never reaches the network.

Real files: a copy of the tiny ddsp_run model dir (conftest), tampered with;
real envelope models saved by `envelopes.save_model`; a real Beam pipeline.
"""

import glob
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from ddsp_generative.core import artifacts
from ddsp_generative.core import gin_safety

from conftest import run_cli

ZEN = 'Beautiful is better than ugly'
SAMPLE = 'ddsp_generative.sample'


def _one_error_line(result, command):
  """The one stderr line of a failed command, checked to be the only one."""
  lines = [l for l in result.stderr.splitlines() if l.strip()]
  errors = [l for l in lines if l.startswith(f'{command}: error: ')]
  assert len(errors) == 1, result.stderr[-3000:]
  assert 'Traceback' not in result.stderr, result.stderr[-3000:]
  return errors[0]


@pytest.fixture
def model_copy(tmp_path, tiny_model_dir):
  """A copy of the tiny model dir: (its path, its operative config's path)."""
  model_dir = str(tmp_path / 'model')
  shutil.copytree(tiny_model_dir, model_dir)
  configs = glob.glob(os.path.join(model_dir, 'operative_config-*.gin'))
  assert len(configs) == 1, configs
  return model_dir, configs[0]


def _prepend(path, text):
  with open(path) as f:
    original = f.read()
  with open(path, 'w') as f:
    f.write(text + original)


def _sample_fails(model_dir, save_dir):
  """Runs the sample command on model_dir; returns its one error line."""
  result = run_cli(SAMPLE, f'--model_dir={model_dir}',
                   f'--save_dir={save_dir}', '--duration=0.2',
                   expect_ok=False)
  assert result.returncode == 1
  assert ZEN not in result.stdout + result.stderr
  return _one_error_line(result, 'ddsp_generative_sample')


def _written_samples(save_dir):
  """Sample files (WAV, PNG, JSON) under save_dir; its lock file aside."""
  return [os.path.join(d, f) for d, _, files in os.walk(save_dir)
          for f in files if f.endswith(('.wav', '.png', '.json'))]


def _load(model_dir):
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  return model_io.load_model(model_dir)


# ------------------------------------------------------ gin in model dirs.
@pytest.mark.parametrize('line', ['import this', 'import os'])
def test_sample_refuses_a_config_that_imports_a_module(model_copy, tmp_path,
                                                       line):
  model_dir, config = model_copy
  _prepend(config, f'# Shared model.\n{line}\n')
  save_dir = tmp_path / 'samples'
  error = _sample_fails(model_dir, save_dir)
  assert f'{config}, line 2: {line!r} refused' in error, error
  assert 'only import ddsp and ddsp_generative' in error, error
  assert 'delete that line' in error, error
  assert _written_samples(save_dir) == []


def test_dynamic_registration_is_refused_before_gin_sees_it(model_copy,
                                                            tmp_path):
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  model_dir, config = model_copy
  marker = tmp_path / 'ran'
  _prepend(config, 'from __gin__ import dynamic_registration\n'
           'import os\n'
           f"os.system.command = 'touch {marker}'\n")
  with pytest.raises(model_io.ModelConfigError) as error:
    _load(model_dir)
  message = str(error.value)
  assert isinstance(error.value, gin_safety.ArtifactCodeError)
  assert message.startswith(f"{config}, line 1: 'from __gin__ import "
                            "dynamic_registration' refused: dynamic "
                            'registration'), message
  assert '\n' not in message
  assert not marker.exists()


def test_include_is_refused_and_the_file_is_not_read(model_copy, tmp_path,
                                                     capfd):
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  model_dir, config = model_copy
  included = tmp_path / 'evil.gin'
  included.write_text('import this\n')
  _prepend(config, f"include '{included}'\n")
  already = 'this' in sys.modules
  with pytest.raises(model_io.ModelConfigError,
                     match=r'line 1: "include .*evil\.gin\'" refused: '
                           'loading an artefact never reads other files'):
    _load(model_dir)
  assert ZEN not in capfd.readouterr().out
  assert ('this' in sys.modules) == already


def test_include_is_refused_through_the_command(model_copy, tmp_path):
  model_dir, config = model_copy
  included = tmp_path / 'evil.gin'
  included.write_text('import this\n')
  _prepend(config, f"include '{included}'\n")
  save_dir = tmp_path / 'samples'
  error = _sample_fails(model_dir, save_dir)
  assert f'{config}, line 1: ' in error and 'include' in error, error
  assert _written_samples(save_dir) == []


def test_unparseable_config_is_one_line(model_copy):
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  model_dir, config = model_copy
  _prepend(config, 'Autoencoder.decoder = (1,\n')  # Never closed.
  with pytest.raises(model_io.ModelConfigError,
                     match=r'operative_config-\d+\.gin, line \d+: not a gin '
                           r'config \(.*\): the file is corrupt'):
    _load(model_dir)


def test_clean_config_still_loads_with_ddsp_imports(model_copy):
  model_dir, config = model_copy
  with open(config) as f:
    text = f.read()
  assert 'import ddsp' in text  # What ddsp_run writes.
  _prepend(config, 'import ddsp.training as ddsp2\nfrom ddsp import core\n'
           'import ddsp_generative.envelopes\n')
  trained = _load(model_dir)
  assert trained.step == 10 and trained.z_dims == 4
  audio = trained.decode(np.full([1, 8], 220.0), np.full([1, 8], -30.0),
                         np.zeros([1, 8, 4]))
  assert audio.shape == (1, 8 * 64) and np.all(np.isfinite(audio))


def test_check_artifact_config_accepts_what_ddsp_run_wrote(tiny_model_dir):
  from ddsp_generative.sampling import default_model  # pylint: disable=g-import-not-at-top
  for directory in (tiny_model_dir, default_model.model_dir()):
    for path in glob.glob(os.path.join(directory, 'operative_config-*.gin')):
      with open(path) as f:
        statements = gin_safety.check_artifact_config(f.read(), path)
      assert len(statements) > 20


# ---------------------------------------- tampered checkpoints and configs.
def _truncate_data(model_dir):
  data = glob.glob(os.path.join(model_dir, 'ckpt-10.data-*'))[0]
  with open(data, 'r+b') as f:
    f.truncate(os.path.getsize(data) // 2)


def _garbage_index(model_dir):
  with open(os.path.join(model_dir, 'ckpt-10.index'), 'wb') as f:
    f.write(np.random.default_rng(0).bytes(4096))


def _missing_shard(model_dir):
  os.remove(glob.glob(os.path.join(model_dir, 'ckpt-10.data-*'))[0])


def _append_to_config(model_dir, text):
  """Adds bindings after the config's own (the last binding wins)."""
  path = glob.glob(os.path.join(model_dir, 'operative_config-*.gin'))[0]
  with open(path, 'a') as f:
    f.write(text)


def _unknown_parameter(model_dir):
  _append_to_config(model_dir, 'Autoencoder.no_such_argument = 1\n')


def _unknown_reference(model_dir):
  _append_to_config(model_dir,
                    'Autoencoder.decoder = @decoders.NoSuchDecoder()\n')


@pytest.mark.parametrize('tamper, expected', [
    (_truncate_data, r'Cannot restore checkpoint .*ckpt-10 .*corrupt'),
    (_garbage_index, r'Cannot restore checkpoint .*ckpt-10 .*corrupt'),
    (_missing_shard, r'Cannot restore checkpoint .*No such file'),
    (_unknown_parameter, r'Cannot build the model of .*no_such_argument'),
    (_unknown_reference, r'Cannot build the model of .*NoSuchDecoder'),
])
def test_tampered_model_dir_is_a_one_line_error(model_copy, tamper, expected):
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  model_dir, _ = model_copy
  tamper(model_dir)
  with pytest.raises(model_io.ModelLoadError, match=expected) as error:
    _load(model_dir)
  assert '\n' not in str(error.value)
  assert 'ddsp_run --save_dir' in str(error.value)


def test_checkpoint_named_outside_the_model_dir_is_refused(model_copy,
                                                          tmp_path):
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  model_dir, _ = model_copy
  elsewhere = tmp_path / 'elsewhere'
  elsewhere.mkdir()
  for path in glob.glob(os.path.join(model_dir, 'ckpt-10.*')):
    shutil.move(path, elsewhere)
  with open(os.path.join(model_dir, 'checkpoint'), 'w') as f:
    f.write(f'model_checkpoint_path: "{elsewhere}/ckpt-10"\n'
            f'all_model_checkpoint_paths: "{elsewhere}/ckpt-10"\n')
  with pytest.raises(model_io.ModelLoadError,
                     match='names a checkpoint outside itself'):
    _load(model_dir)
  # The same checkpoint, given explicitly by the user, is theirs to load.
  trained = model_io.load_model(model_dir,
                                checkpoint=str(elsewhere / 'ckpt-10'))
  assert trained.step == 10


# --------------------------------------------------------- envelope models.
TINY_ENVELOPES = dict(n_frames=32, latent_dims=4, channels=[4, 4],
                      strides=[2, 2], kernel_size=3, hidden_units=8,
                      frame_rate=250)


@pytest.fixture
def envelope_dir(tmp_path):
  """A real (untrained) tiny envelope VAE saved by save_model."""
  from ddsp_generative import envelopes  # pylint: disable=g-import-not-at-top
  model = envelopes.EnvelopeVae(**TINY_ENVELOPES)
  model.build_all()
  save_dir = str(tmp_path / 'envelopes')
  envelopes.save_model(model, save_dir)
  return save_dir


def _edit_json(save_dir, edit):
  from ddsp_generative import envelopes  # pylint: disable=g-import-not-at-top
  path = os.path.join(save_dir, envelopes.MODEL_JSON)
  with open(path) as f:
    record = json.load(f)
  edit(record)
  with open(path, 'w') as f:
    json.dump(record, f)


def test_envelope_weights_outside_the_model_dir_are_refused(envelope_dir,
                                                            tmp_path):
  from ddsp_generative import envelopes  # pylint: disable=g-import-not-at-top
  from ddsp_generative.controls import envelope as envelope_control  # pylint: disable=g-import-not-at-top
  outside = tmp_path / 'outside.npz'
  shutil.copy(os.path.join(envelope_dir, envelopes.WEIGHTS_FILE), outside)
  # The checksum matches: only the location is wrong.
  _edit_json(envelope_dir, lambda r: r['weights'].update(
      file='../outside.npz', sha256=envelopes.saving.sha256(str(outside))))
  with pytest.raises(artifacts.ArtifactError,
                     match=r"weights file outside its directory "
                           r"\('\.\./outside\.npz' -> .*outside\.npz\)"):
    envelope_control.EnvelopeControl(envelope_dir)
  # A symlink inside the directory that leads outside is refused too.
  weights = os.path.join(envelope_dir, envelopes.WEIGHTS_FILE)
  os.remove(weights)
  os.symlink(outside, weights)
  _edit_json(envelope_dir, lambda r: r['weights'].update(
      file=envelopes.WEIGHTS_FILE))
  with pytest.raises(artifacts.ArtifactError, match='outside its directory'):
    envelopes.load_model(envelope_dir)


def _nan_weights(save_dir):
  import h5py  # pylint: disable=g-import-not-at-top
  from ddsp_generative import envelopes  # pylint: disable=g-import-not-at-top
  path = os.path.join(save_dir, envelopes.WEIGHTS_FILE)
  with h5py.File(path, 'r+') as f:
    kernels = []
    f.visititems(lambda name, obj: kernels.append(obj) if (
        isinstance(obj, h5py.Dataset) and 'kernel' in name) else None)
    kernels[0][...] = np.nan
  _edit_json(save_dir, lambda r: r['weights'].update(
      sha256=envelopes.saving.sha256(path)))


def _other_shape_weights(save_dir):
  from ddsp_generative import envelopes  # pylint: disable=g-import-not-at-top
  other = envelopes.EnvelopeVae(**dict(TINY_ENVELOPES, hidden_units=9))
  other.build_all()
  path = os.path.join(save_dir, envelopes.WEIGHTS_FILE)
  os.remove(path)
  other.save_weights(path, save_format='h5')
  _edit_json(save_dir, lambda r: r['weights'].update(
      sha256=envelopes.saving.sha256(path)))


def _missing_weights(save_dir):
  from ddsp_generative import envelopes  # pylint: disable=g-import-not-at-top
  os.remove(os.path.join(save_dir, envelopes.WEIGHTS_FILE))


def _huge_architecture(save_dir):
  _edit_json(save_dir, lambda r: r['config'].update(hidden_units=16384))


@pytest.mark.parametrize('tamper, expected', [
    (lambda d: _edit_json(d, lambda r: r['config'].update(n_frames=10**9)),
     r'invalid model config \(n_frames=1000000000, not an integer'),
    (lambda d: _edit_json(d, lambda r: r['config'].update(strides=[0, 2])),
     r'invalid model config \(strides=\[0, 2\]'),
    (lambda d: _edit_json(d, lambda r: r['config'].update(channels='64')),
     r"invalid model config \(channels='64'"),
    (lambda d: _edit_json(d, lambda r: r['config'].update(evil=1)),
     r"unknown keys \['evil'\]"),
    (lambda d: _edit_json(d, lambda r: r.update(weights=['x'])),
     'names no valid weights file'),
    (_huge_architecture, 'needs more than .* bytes of weights'),
    (_nan_weights, 'non-finite weights'),
    (_other_shape_weights, 'Cannot load .* Shape mismatch'),
    (_missing_weights, 'are missing'),
])
def test_tampered_envelope_model_is_a_one_line_error(envelope_dir, tamper,
                                                     expected):
  from ddsp_generative import envelopes  # pylint: disable=g-import-not-at-top
  tamper(envelope_dir)
  with pytest.raises(artifacts.ArtifactError, match=expected) as error:
    envelopes.load_model(envelope_dir)
  assert '\n' not in str(error.value)


def test_untampered_envelope_model_loads(envelope_dir):
  from ddsp_generative import envelopes  # pylint: disable=g-import-not-at-top
  model, record = envelopes.load_model(envelope_dir)
  assert record['config']['n_frames'] == 32
  assert model.sample(1, 60.0).shape == (1, 32, 2)


# -------------------------------------------------------------------- Beam.
def test_unknown_beam_runner_is_one_line_and_writes_nothing(tmp_path):
  from ddsp_generative.recipes import synthetic  # pylint: disable=g-import-not-at-top
  wavs = synthetic.write_dataset(str(tmp_path / 'audio'), n_files=1,
                                 secs_per_file=1.0, sample_rate=16000, seed=0)
  out_dir = tmp_path / 'data'
  result = run_cli('ddsp_generative.prepare_tfrecord',
                   f'--input_audio_filepatterns={wavs[0]}',
                   f'--output_tfrecord_path={out_dir}/train.tfrecord',
                   '--pipeline_options=--runner=PrismRunner',
                   expect_ok=False)
  assert result.returncode == 2
  error = _one_error_line(result, 'ddsp_generative_prepare_tfrecord')
  assert '--runner=PrismRunner is not supported' in error, error
  assert 'supported runners: DirectRunner' in error, error
  assert 'DataflowRunner' in error, error
  assert not out_dir.exists() or not os.listdir(out_dir)


@pytest.mark.parametrize('options, expected', [
    (['--runner=os.system'], 'not supported'),
    (['--runner=PortableRunner'], 'not supported'),
    (['--direct_num_workers=two'], "invalid int value: 'two'"),
    (['--direct_num_worker=2'], "Unknown Beam pipeline option "
                                "'--direct_num_worker=2'"),
    (['direct'], "'direct' is not --name"),
])
def test_bad_beam_options_are_refused_before_running(options, expected):
  from ddsp_generative.data_preparation import beam_runner  # pylint: disable=g-import-not-at-top
  with pytest.raises(beam_runner.PipelineOptionsError, match=expected) as e:
    beam_runner.resolve_options(options)
  assert '\n' not in str(e.value)
  assert 'supported runners: DirectRunner' in str(e.value)


# Run in a fresh process: every socket connection is refused (and recorded)
# before Beam is imported, so a runner that downloads (Prism fetches its
# binary from GitHub) or dials a job server is caught.
_NO_NETWORK_PIPELINE = r'''
import json, socket, sys
attempts = []
def refuse(*args, **kwargs):
  attempts.append(repr(args)[:200])
  raise OSError('network access refused by the test')
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
try:  # The guard itself works.
  socket.create_connection(('github.com', 443))
except OSError:
  pass
guard_works = len(attempts) == 1
del attempts[:]
import apache_beam as beam
from ddsp_generative.data_preparation import beam_runner
options, out = json.loads(sys.argv[1]), sys.argv[2]
if options == 'default':
  options = beam_runner.default_options(2)
runner = []
def build(pipeline):
  runner.append(type(pipeline.runner))
  (pipeline | beam.Create(list(range(10))) | beam.Map(lambda x: x * x)
   | beam.combiners.ToList()
   | beam.Map(lambda xs: open(out, 'w').write(json.dumps(sorted(xs)))))
beam_runner.run(options, build)
print(json.dumps({
    'guard_works': guard_works, 'attempts': attempts, 'options': options,
    'runner': runner[0].__module__ + '.' + runner[0].__name__,
    'modules': sorted(m for m in sys.modules if any(
        w in m for w in ('prism', 'docker', 'flink', 'spark')))}))
'''


@pytest.mark.parametrize('options', [
    'default',  # What the commands run: multi_processing on 2 workers.
    ['--runner=DirectRunner', '--direct_running_mode=in_memory'],
])
def test_pipelines_run_in_process_and_never_reach_the_network(tmp_path,
                                                              options):
  script = tmp_path / 'pipeline.py'
  script.write_text(_NO_NETWORK_PIPELINE)
  out = tmp_path / 'squares.json'
  result = subprocess.run(
      [sys.executable, str(script), json.dumps(options), str(out)],
      capture_output=True, text=True, timeout=300,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'))
  assert result.returncode == 0, result.stderr[-3000:]
  report = json.loads(result.stdout.strip().splitlines()[-1])
  assert report['guard_works']
  assert report['runner'] == ('apache_beam.runners.portability.'
                              'fn_api_runner.fn_runner.FnApiRunner')
  assert report['attempts'] == []
  assert report['modules'] == []  # No Prism, Docker, Flink or Spark runner.
  with open(out) as f:
    assert json.load(f) == [x * x for x in range(10)]
