# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The one CLI convention of every command, run as a user runs it."""

import os
import re
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)

# A few of each command's own flags, which its --help must list.
OWN_FLAGS = {
    'ddsp_generative_prepare_tfrecord': ('input_audio_filepatterns',
                                         'output_tfrecord_path', 'gin_param',
                                         'instrument', 'descriptors'),
    'ddsp_generative_fit_timbre_prior': ('model_dir', 'tfrecord_pattern',
                                         'output', 'temperature'),
    'ddsp_generative_render_dataset': ('output_dir',),
    'ddsp_generative_evaluate_pitch': ('output', 'audio_filepatterns'),
    'ddsp_generative_extract_z': ('input_tfrecord_filepatterns',
                                  'output_path'),
    'ddsp_generative_fit_prior': ('z_dataset', 'output', 'holdout_fraction'),
    'ddsp_generative_prior_figures': ('z_dataset', 'save_dir'),
    'ddsp_generative_sample': ('save_dir', 'n_samples', 'midi_file',
                               'n_notes', 'key', 'register', 'tempo',
                               'instrument', 'blend', 'morph', 'descriptor'),
    'ddsp_generative_evaluate_reconstruction': ('model_dir',),
    'ddsp_generative_train_envelopes': ('tfrecord_pattern', 'save_dir'),
    'ddsp_generative_train_expression': ('note_dataset', 'save_dir',
                                         'models'),
    'ddsp_generative_evaluate_generation': ('model_dir', 'expression'),
    'ddsp_generative_transfer': ('input_audio', 'octave_shift', 'z',
                                 'descriptor'),
}

NATIVE_LOG_WORDS = ('cuda', 'cpu_feature_guard', 'absl::InitializeLog',
                    'ffmpeg', 'Traceback')


def console_scripts():
  with open(os.path.join(ROOT, 'setup.py')) as f:
    return re.findall(r"'(ddsp_generative_\w+) = ", f.read())


def run(args, env=None, timeout=300):
  environ = dict(os.environ)
  environ.pop('TF_CPP_MIN_LOG_LEVEL', None)
  environ.update(env or {})
  return subprocess.run(args, capture_output=True, text=True, env=environ,
                        timeout=timeout, cwd=ROOT)


def error_lines(result):
  return [l for l in result.stderr.splitlines() if l.strip()]


def test_every_console_script_is_covered():
  assert sorted(console_scripts()) == sorted(OWN_FLAGS)


@pytest.mark.parametrize('script', sorted(OWN_FLAGS))
def test_help_shows_own_flags_and_an_example(script):
  result = run([os.path.join(BIN, script), '--help'])
  assert result.returncode == 0, result.stderr[-2000:]
  for name in OWN_FLAGS[script]:
    assert f'--{name}' in result.stdout, (name, result.stdout[:3000])
  assert re.search(r'^\s+(python -m ddsp_generative\.\w+|ddsp_generative_\w+)'
                   r'( --| \\$)', result.stdout, re.M), result.stdout[:3000]
  assert 'USAGE:' not in result.stdout


def test_module_help_and_short_help():
  for flag in ('--help', '-h', '--helpshort'):
    result = run([sys.executable, '-m', 'ddsp_generative.sample', flag])
    assert result.returncode == 0, result.stderr[-2000:]
    assert '--n_samples' in result.stdout
    assert 'python -m ddsp_generative.sample --midi_file' in result.stdout


@pytest.mark.parametrize('script', ['ddsp_generative_sample',
                                    'ddsp_generative_fit_prior',
                                    'ddsp_generative_evaluate_pitch'])
def test_stray_argument_is_one_line(script):
  result = run([os.path.join(BIN, script), 'stray'])
  assert result.returncode == 2
  lines = error_lines(result)
  assert len(lines) == 1, result.stderr
  assert lines[0].startswith(f'{script}: error: ')
  assert 'stray' in lines[0]


@pytest.mark.parametrize('script,flag', [
    ('ddsp_generative_fit_prior', '--z_dataset'),
    ('ddsp_generative_extract_z', '--input_tfrecord_filepatterns'),
    ('ddsp_generative_train_envelopes', '--tfrecord_pattern'),
    ('ddsp_generative_evaluate_pitch', '--output'),
    ('ddsp_generative_render_dataset', '--output_dir'),
    ('ddsp_generative_transfer', '--input_audio'),
])
def test_missing_required_flag_is_one_line(script, flag):
  result = run([os.path.join(BIN, script)])
  assert result.returncode == 2
  lines = error_lines(result)
  assert len(lines) == 1, result.stderr
  assert lines[0].startswith(f'{script}: error: {flag} is required')


def test_required_flags_are_declared_one_way():
  # Every command declares its required flags with cli.check_args: not
  # absl's mark_flag(s)_as_required, nor a hand-made `required_hint` check.
  package = os.path.join(ROOT, 'ddsp_generative')
  commands = [n for n in os.listdir(package) if n.endswith('.py')]
  for name in commands:
    with open(os.path.join(package, name)) as f:
      source = f.read()
    assert 'mark_flag' not in source, name
    assert 'required_hint(' not in source, name


def test_check_args_names_the_first_missing_flag():
  from absl import flags  # pylint: disable=g-import-not-at-top
  from ddsp_generative import cli  # pylint: disable=g-import-not-at-top
  values = flags.FlagValues()
  flags.DEFINE_string('model_dir', None, 'The model.', flag_values=values)
  flags.DEFINE_string('output', None, 'Report JSON to write.',
                      flag_values=values)
  values(['command'])
  with pytest.raises(cli.UsageError) as raised:
    cli.check_args(values, ('output', 'model_dir'))
  assert str(raised.value) == (
      '--output is required: pass --output=... (Report JSON to write).')
  assert raised.value.exit_code == 2
  with pytest.raises(cli.UsageError, match=r'^--model_dir is required \(a '
                     r'ddsp_run --save_dir\)\.$'):
    cli.check_args(values, {'model_dir': ' (a ddsp_run --save_dir)'})
  values.output = values.model_dir = 'x'
  cli.check_args(values, ('output', 'model_dir'))  # Nothing missing.


def test_bad_flag_value_is_one_line():
  result = run([sys.executable, '-m', 'ddsp_generative.sample',
                '--duration=nan'])
  assert result.returncode == 2
  assert error_lines(result) == [
      'ddsp_generative_sample: error: --duration must be a positive number '
      'of seconds, not nan.']


def run_reporting_tensorflow(module, args):
  """Runs a command module as `python -m` does; stdout's last line says
  whether TensorFlow was imported. Returns (result, seconds)."""
  script = ('import runpy, sys\n'
            f'sys.argv = {[module] + list(args)!r}\n'
            'try:\n'
            f'  runpy.run_module({module!r}, run_name="__main__", '
            'alter_sys=True)\n'
            'finally:\n'
            '  print("tensorflow" in sys.modules)\n')
  start = time.monotonic()
  result = run([sys.executable, '-c', script])
  return result, time.monotonic() - start


def test_existing_output_refused_fast_before_tensorflow(tmp_path):
  existing = tmp_path / 'sample_000.wav'
  existing.write_bytes(b'not audio, but mine')
  result, elapsed = run_reporting_tensorflow(
      'ddsp_generative.sample', [f'--save_dir={tmp_path}'])
  assert result.returncode == 1
  assert elapsed < 3, elapsed
  lines = error_lines(result)
  assert len(lines) == 1, result.stderr
  assert 'sample_000.wav exists' in lines[0] and '--overwrite' in lines[0]
  assert result.stdout.strip() == 'False'  # TensorFlow never imported.
  assert existing.read_bytes() == b'not audio, but mine'


def _existing_outputs(command, d):
  """(args, files that exist) of a run of `command` whose output exists."""
  cases = {
      'extract_z': (['--input_tfrecord_filepatterns=data/train.tfrecord*',
                     f'--output_path={d}/z.tfrecord', f'--model_dir={d}'],
                    ['z.tfrecord-00000-of-00001',
                     'metadata_z.z_dataset.json']),
      'train_envelopes': ([f'--tfrecord_pattern={d}/train.tfrecord*',
                           f'--save_dir={d}'], ['envelope_vae.json']),
      'evaluate_generation': ([f'--model_dir={d}',
                               f'--eval_tfrecord_pattern={d}/x*',
                               f'--save_dir={d}/gen'], ['gen/generation.json']),
      'evaluate_reconstruction': ([f'--model_dir={d}',
                                   f'--eval_tfrecord_pattern={d}/x*',
                                   f'--output={d}/r.json'], ['r.json']),
      'evaluate_pitch': ([f'--audio_filepatterns={d}/*.wav',
                          f'--output={d}/p.json'], ['a.wav', 'p.json']),
      'fit_prior': ([f'--z_dataset={d}/z.tfrecord*',
                     f'--output={d}/prior.json'], ['prior.json']),
      'prior_figures': ([f'--z_dataset={d}/z.tfrecord*',
                         f'--save_dir={d}/figures'],
                        ['figures/prior_figures.json']),
  }
  return cases[command]


@pytest.mark.parametrize('command', [
    'extract_z', 'train_envelopes', 'evaluate_generation',
    'evaluate_reconstruction', 'evaluate_pitch', 'fit_prior',
    'prior_figures'])
def test_every_command_refuses_an_existing_output_before_tensorflow(
    command, tmp_path):
  args, existing = _existing_outputs(command, tmp_path)
  for name in existing:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_bytes(b'mine')
  result, elapsed = run_reporting_tensorflow(f'ddsp_generative.{command}',
                                             args)
  assert result.returncode in (1, 2), result.stderr[-3000:]
  lines = error_lines(result)
  assert len(lines) == 1, result.stderr[-3000:]
  assert lines[0].startswith(f'ddsp_generative_{command}: error: ')
  assert '--overwrite' in lines[0], lines[0]
  assert result.stdout.strip() == 'False', result.stdout  # No TensorFlow.
  assert elapsed < 3, elapsed
  for name in existing:
    assert (tmp_path / name).read_bytes() == b'mine'


def test_names_known_without_tensorflow_match_their_homes():
  # The commands check with these before TensorFlow loads.
  from ddsp_generative import envelopes  # pylint: disable=g-import-not-at-top
  from ddsp_generative import priors  # pylint: disable=g-import-not-at-top
  from ddsp_generative import train_envelopes  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import prior_files  # pylint: disable=g-import-not-at-top
  assert list(prior_files.TYPES) == priors.prior_types()
  assert train_envelopes.MODEL_JSON == envelopes.MODEL_JSON
  with pytest.raises(ValueError, match='core.prior_files.TYPES'):
    priors.base.register_type('not_a_listed_type')


def test_module_run_refuses_existing_output(tmp_path):
  (tmp_path / 'sample_000.wav').write_bytes(b'x')
  start = time.monotonic()
  result = run([sys.executable, '-m', 'ddsp_generative.sample',
                f'--save_dir={tmp_path}'])
  assert time.monotonic() - start < 3
  assert result.returncode == 1
  assert len(error_lines(result)) == 1, result.stderr


def test_default_sample_run_is_quiet(tmp_path):
  result = run([os.path.join(BIN, 'ddsp_generative_sample'),
                f'--save_dir={tmp_path}', '--duration=1'])
  assert result.returncode == 0, result.stderr[-3000:]
  output = result.stdout + result.stderr
  for word in NATIVE_LOG_WORDS:
    assert word not in output, (word, output[-3000:])
  assert not re.search(r'^[IWE]\d{4} ', output, re.M), output[-3000:]
  assert os.path.exists(tmp_path / 'sample_000.wav')


def test_corrupt_input_is_one_line(tmp_path):
  # A z dataset whose TFRecord is corrupted. (An unanticipated error's line,
  # and its traceback with --verbosity=1: tests/test_failure_messages.py.)
  (tmp_path / 'z.tfrecord-00000-of-00001').write_bytes(b'\0' * 64)
  (tmp_path / 'metadata_z.z_dataset.json').write_text(
      '{"kind": "z_dataset", "format_version": 1}')
  args = [os.path.join(BIN, 'ddsp_generative_fit_prior'),
          f'--z_dataset={tmp_path}/z.tfrecord',
          f'--output={tmp_path}/prior.json']
  quiet = run(args)
  assert quiet.returncode == 1
  lines = error_lines(quiet)
  assert len(lines) == 1, quiet.stderr
  assert lines[0].startswith('ddsp_generative_fit_prior: error: ')
  assert 'z.tfrecord' in lines[0]
  assert not os.path.exists(tmp_path / 'prior.json')


def test_planned_outputs_match_the_sampler():
  script = ('from ddsp_generative.sampling import requests\n'
            'from ddsp_generative.sampling import sampler\n'
            'want = [p for i in range(3) for p in '
            'sampler.sample_paths("d", i).values()]\n'
            'assert sorted(requests.planned_outputs("d", 3)) == sorted(want)\n'
            'print("ok")\n')
  result = run([sys.executable, '-c', script])
  assert result.stdout.strip() == 'ok', result.stderr[-2000:]


def test_provenance_command_can_be_pasted_back():
  from ddsp_generative.core import artifacts  # pylint: disable=g-import-not-at-top
  command = artifacts.command_line(
      ['/venv/bin/ddsp_generative_sample', '--gin_param=Note.pitch = 60',
       "--save_dir=it's here"])
  assert command == ("ddsp_generative_sample '--gin_param=Note.pitch = 60' "
                     "'--save_dir=it'\"'\"'s here'")


def test_default_model_recipe_defaults_match_the_shipped_manifest():
  script = (
      'import json\n'
      'from ddsp_generative import make_default_model as m\n'
      'from ddsp_generative.sampling import default_model\n'
      'm.FLAGS(["make_default_model"])\n'
      'with open(default_model.PACKAGE_DIR + "/manifest.json") as f:\n'
      '  shipped = json.load(f)\n'
      'shipped = shipped.get("payload", shipped)\n'
      'for name in ("instrument", "minutes", "seed", "train_steps", "prior",\n'
      '             "envelope_steps", "envelope_frames", "expression_steps"):\n'
      '  assert getattr(m.FLAGS, name) == shipped[name], name\n'
      'assert m.FLAGS.size in shipped["gin_files"]\n'
      'print("ok")\n')
  result = run([sys.executable, '-c', script])
  assert result.stdout.strip() == 'ok', result.stderr[-2000:]
  with open(os.path.join(ROOT, 'Makefile')) as f:
    target = f.read().split('\ndefault-model:', 1)[1].split('\n\n', 1)[0]
  passed = set(re.findall(r'--(\w+)=', target))
  assert passed <= {'work_dir'}, passed  # Scratch space only.
