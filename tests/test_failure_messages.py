"""Every failure is one line naming the stage or file; reports publish safely.

Run as a user runs the commands (subprocesses through their real `main`),
on real files in tmp_path: real disk-full (/dev/full), permission, symlink
loop and path errors, gin's own errors, a second writer of a report, and a
run killed (SIGKILL) while it publishes its report.
"""

import errno
import json
import os
import subprocess
import sys
import textwrap

import pytest

from ddsp_generative.core import publish
from ddsp_generative.core import z_dataset
import synthetic_z

PY = sys.executable
FIGURES = 'ddsp_generative.prior_figures'
FIGURE_FILES = ('heldout_nll.png', 'n_components.png', 'z_pca.png',
                'z_tsne.png', 'prior_figures.json')
# Small and fast: one prior type, two mixture sizes, 60 map points.
FAST = ('--fit=gmm', '--gin_param=GaussianMixturePrior.candidate_n_components'
        ' = [1, 2]', '--candidate_n_components=1,2', '--n_points=60',
        '--tsne_iterations=250')


def run(args, env=None, cwd=None):
  environ = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  environ.update(env or {})
  return subprocess.run([PY] + list(args), capture_output=True, text=True,
                        env=environ, cwd=cwd, timeout=300)


def error_lines(result):
  return [l for l in result.stderr.splitlines() if ': error: ' in l]


def one_error(result, command):
  """The one error line of a failed run (no traceback, nothing else)."""
  assert 'Traceback' not in result.stderr, result.stderr[-3000:]
  lines = error_lines(result)
  assert len(lines) == 1, result.stderr[-3000:]
  assert lines[0].startswith(f'ddsp_generative_{command}: error: '), lines
  return lines[0]


def visible(directory):
  return sorted(n for n in os.listdir(directory) if not n.startswith('.'))


@pytest.fixture(scope='module')
def z_pattern(tmp_path_factory):
  path = str(tmp_path_factory.mktemp('z') / 'z.tfrecord')
  z_dataset.write_z_dataset(
      path, synthetic_z.conditional_examples(n_examples=6, n_frames=60,
                                             seed=0),
      {'frame_rate': 250, 'model_dir': '/models/ae', 'model_step': 1,
       'model_fingerprint': 'fp', 'source_tfrecord_pattern': '/data/x*'})
  return path + '*'


def figures(z_pattern, save_dir, *extra, env=None):
  return run(['-m', FIGURES, f'--z_dataset={z_pattern}',
              f'--save_dir={save_dir}', *FAST, *extra], env=env)


# ------------------------------------------------ the runner's one line ----
_PROBE = textwrap.dedent('''
    """A command whose main fails as asked (argv[1])."""
    import errno, os, sys
    from ddsp_generative import cli
    from ddsp_generative.core import artifacts
    from ddsp_generative.core import errors


    def main(unused_argv):
      case, path = os.environ['CASE'], os.environ.get('TARGET', '')
      if case == 'stage':
        with errors.stage(f'reading the prior {path}'):
          {}['z_dims']
      if case == 'frame':
        artifacts.provenance(extra=5)  # A TypeError inside the package.
      if case == 'write':
        with errors.stage(f'writing the report {path}'):
          with open(path, 'w') as f:
            f.write('x' * 100)
      if case == 'erofs':  # No read-only mount to write to for real here.
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
      if case == 'step':  # A recipe's step (demo, make_default_model) fails.
        from ddsp_generative.recipes import pipeline_steps
        pipeline_steps.run_step('9. a failing step', [
            sys.executable, '-c',
            'import sys; print("boom: the step failed"); sys.exit(3)'], path)


    if __name__ == '__main__':
      cli.run(main, __name__)
''')


@pytest.fixture
def probe(tmp_path):
  (tmp_path / 'probe_command.py').write_text(_PROBE)

  def run_probe(case, target='', *flags):
    return run(['-m', 'probe_command', *flags],
               env={'CASE': case, 'TARGET': str(target),
                    'PYTHONPATH': str(tmp_path)}, cwd=str(tmp_path))

  return run_probe


def test_unexpected_error_names_its_stage_and_file(probe):
  result = probe('stage', '/x/prior.json')
  assert result.returncode == 1
  assert one_error(result, 'probe_command') == (
      "ddsp_generative_probe_command: error: KeyError while reading the "
      "prior /x/prior.json: 'z_dims' -- rerun with --verbosity=1 for the "
      'traceback.')
  verbose = probe('stage', '/x/prior.json', '--verbosity=1')
  assert verbose.returncode == 1
  assert 'Traceback' in verbose.stderr
  assert verbose.stderr.rstrip().endswith(
      'KeyError while reading the prior /x/prior.json (see the traceback '
      'above).')


def test_unexpected_error_without_stage_names_the_innermost_frame(probe):
  result = probe('frame')
  assert result.returncode == 1
  line = one_error(result, 'probe_command')
  assert line.startswith(
      'ddsp_generative_probe_command: error: TypeError in '
      'ddsp_generative.core.artifacts.provenance (artifacts.py:'), line
  assert line.endswith('-- rerun with --verbosity=1 for the traceback.')


def test_failed_recipe_step_is_one_line(probe, tmp_path):
  # As every command fails: `<command>: error: ...`, after the step's log.
  result = probe('step', tmp_path / 'logs')
  assert result.returncode == 1
  log = tmp_path / 'logs' / '9_a_failing_step.log'
  assert one_error(result, 'probe_command') == (
      'ddsp_generative_probe_command: error: step failed (9. a failing step, '
      f'exit status 3): see the error above and the full log {log}.')
  assert 'boom: the step failed' in result.stdout
  assert log.read_text() == 'boom: the step failed\n'


def test_disk_full_names_what_was_written(probe):
  result = probe('write', '/dev/full')  # Real ENOSPC on every write.
  assert result.returncode == 1
  assert one_error(result, 'probe_command').endswith(
      'error: disk full while writing the report /dev/full: free space or '
      'choose another output.')


def test_symlink_loop_directory_and_read_only_are_named(probe, tmp_path):
  loop = tmp_path / 'loop'
  os.symlink('loop', loop)
  line = one_error(probe('write', loop / 'report.json'), 'probe_command')
  assert line.endswith(f'{loop}/report.json: too many levels of symbolic '
                       'links (a symlink loop); fix or remove the link.')
  line = one_error(probe('write', tmp_path), 'probe_command')
  assert line.endswith(f'{tmp_path} is a directory, where a file was '
                       'expected; give a file path.')
  line = one_error(probe('erofs', '/mnt/ro/report.json'), 'probe_command')
  assert line.endswith('cannot write /mnt/ro/report.json: read-only file '
                       'system; choose another output.')


def _unwritable_dir(tmp_path):
  """A directory this process cannot create files in, for real."""
  if os.geteuid() != 0:
    locked = tmp_path / 'locked'
    locked.mkdir()
    locked.chmod(0o555)
    return str(locked), 'permission denied'
  # root ignores permissions; sysfs still refuses new entries.
  try:
    os.mkdir('/sys/ddsp_generative_probe')
  except OSError as e:
    if e.errno == errno.EPERM:
      return '/sys', 'operation not permitted'
  else:
    os.rmdir('/sys/ddsp_generative_probe')
  pytest.skip('running as root, and no directory refuses root here')


def test_unwritable_and_impossible_outputs_are_one_line(z_pattern, tmp_path):
  directory, denied = _unwritable_dir(tmp_path)
  out = os.path.join(directory, 'ddsp_generative_figures')
  try:
    result = figures(z_pattern, out)
    assert result.returncode == 1
    assert one_error(result, 'prior_figures').endswith(
        f'cannot write {out}: {denied}; fix the permissions or choose '
        'another output.')
    assert not os.path.exists(out)
  finally:
    if directory != '/sys':
      os.chmod(directory, 0o755)
  (tmp_path / 'a_file').write_text('mine')
  result = figures(z_pattern, tmp_path / 'a_file' / 'figures')
  assert result.returncode == 1
  assert one_error(result, 'prior_figures').endswith(
      f'{tmp_path}/a_file/figures: not a directory (it, or a folder on its '
      'path, is a file); fix the path.')
  assert (tmp_path / 'a_file').read_text() == 'mine'


# ------------------------------------------------------------------ gin ----
@pytest.mark.parametrize('param,message', [
    ('Nope.x = 1', "gin: No configurable matching 'Nope'."),
    ('GaussianMixturePrior.nope = 1',
     "gin: Configurable 'GaussianMixturePrior' doesn't have a parameter "
     "named 'nope'."),
    ('GaussianMixturePrior.n_components = (1,',
     'gin: cannot parse the bindings: EOF in multi-line statement'),
    ('x y z', "gin: Couldn't parse statement, expected ':' or '='."),
])
def test_gin_errors_are_one_usage_line(param, message, z_pattern, tmp_path):
  result = figures(z_pattern, tmp_path / 'out', f'--gin_param={param}')
  assert result.returncode == 2
  line = one_error(result, 'prior_figures')
  assert f'error: {message}' in line, line
  assert line.endswith('(check --gin_file/--gin_param)')
  assert not os.path.exists(tmp_path / 'out')


def test_missing_gin_file_is_one_usage_line(z_pattern, tmp_path):
  result = figures(z_pattern, tmp_path / 'out', '--gin_file=nowhere.gin')
  assert result.returncode == 2
  line = one_error(result, 'prior_figures')
  assert 'gin: Unable to open file: nowhere.gin.' in line
  assert len([l for l in result.stderr.splitlines() if l.strip()]) == 1, (
      result.stderr)  # Not gin's own 'Path not found' log lines either.


def test_gin_error_of_fit_prior_is_one_usage_line(z_pattern, tmp_path):
  result = run(['-m', 'ddsp_generative.fit_prior', "--gin_param=Nope.x = 1",
                f'--z_dataset={z_pattern}',
                f'--output={tmp_path / "prior.json"}'])
  assert result.returncode == 2
  assert "No configurable matching 'Nope'" in one_error(result, 'fit_prior')
  assert not os.path.exists(tmp_path / 'prior.json')


# ------------------------------------------------------- bad inputs ----
def test_bad_inputs_of_the_report_commands_are_one_line(tmp_path):
  empty = tmp_path / 'empty'
  empty.mkdir()
  not_audio = tmp_path / 'not_audio'
  not_audio.mkdir()
  (not_audio / 'x.wav').write_bytes(b'RIFF\x10\0\0\0WAVEjunk' + bytes(64))
  (not_audio / 'x.f0.csv').write_text('time,f0_hz\n0.0,220\n0.01,220\n')
  cases = [
      ('evaluate_pitch', [f'--audio_filepatterns={empty}',
                          f'--output={tmp_path / "p.json"}'],
       f'{empty} is a directory'),
      ('evaluate_pitch', [f'--audio_filepatterns={not_audio}/*.wav',
                          '--estimators=yin',
                          f'--output={tmp_path / "p.json"}'],
       f'Cannot read the audio {not_audio}/x.wav: '),
      ('evaluate_reconstruction', [f'--model_dir={tmp_path / "nowhere"}',
                                   f'--eval_tfrecord_pattern={empty}/*'],
       'Model directory not found'),
      ('evaluate_generation', [f'--model_dir={empty}',
                               f'--eval_tfrecord_pattern={empty}/*'],
       f'No checkpoint in {empty}'),
      ('prior_figures', [f'--z_dataset={empty}/z.tfrecord*',
                         f'--save_dir={tmp_path / "f"}'],
       'z_dataset file not found'),
      ('train_envelopes', [f'--tfrecord_pattern={empty}/*',
                           f'--save_dir={not_audio / "x.wav"}'],
       f'{not_audio}/x.wav is not a directory'),
  ]
  for command, args, message in cases:
    result = run(['-m', f'ddsp_generative.{command}', *args])
    assert result.returncode in (1, 2), (command, args)
    line = one_error(result, command)
    assert message in line, (command, line)
    # train_envelope_vae is called through gin, which appends 'In call to
    # configurable ...' to what it raises: dropped.
    assert 'In call to configurable' not in line
  for name in ('p.json', 'f'):
    assert not os.path.exists(tmp_path / name), name


# ----------------------------------------------------------- publishing ----
_HOLD = textwrap.dedent('''
    import sys, time
    from ddsp_generative.core import publish
    with publish.lock(sys.argv[1], sys.argv[2]):
      print('held', flush=True)
      time.sleep(120)
''')


def test_second_writer_of_a_report_is_refused(z_pattern, tmp_path):
  save_dir = tmp_path / 'figures'
  holder = subprocess.Popen([PY, '-c', _HOLD, str(save_dir),
                             'prior_figures.json'],
                            stdout=subprocess.PIPE, text=True)
  try:
    assert holder.stdout.readline().strip() == 'held'
    result = figures(z_pattern, save_dir)
    assert result.returncode == 1
    line = one_error(result, 'prior_figures')
    assert (f'The prior figures {save_dir}/prior_figures.json is being '
            f'written by another run (pid {holder.pid})') in line, line
    assert visible(save_dir) == []
  finally:
    holder.kill()
    holder.wait()


def test_second_pitch_report_writer_is_refused(tmp_path):
  output = tmp_path / 'pitch.json'
  holder = subprocess.Popen([PY, '-c', _HOLD, str(tmp_path), 'pitch.json'],
                            stdout=subprocess.PIPE, text=True)
  (tmp_path / 'a.wav').write_bytes(b'')
  (tmp_path / 'a.f0.csv').write_text('time,f0_hz\n0.0,220\n')
  try:
    assert holder.stdout.readline().strip() == 'held'
    result = run(['-m', 'ddsp_generative.evaluate_pitch',
                  f'--audio_filepatterns={tmp_path}/*.wav',
                  '--estimators=yin', f'--output={output}'])
    assert result.returncode == 1
    assert f'The pitch report {output} is being written by another run' in (
        one_error(result, 'evaluate_pitch'))
  finally:
    holder.kill()
    holder.wait()
  assert not output.exists()
  assert not (tmp_path / 'pitch_plots').exists()


def test_second_envelope_trainer_is_refused(tmp_path):
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  pattern = str(tmp_path / 'train.tfrecord')
  floats = lambda v: tf.train.Feature(  # pylint: disable=g-long-lambda
      float_list=tf.train.FloatList(value=v))
  with tf.io.TFRecordWriter(pattern) as writer:
    for pitch in (220.0, 330.0):
      writer.write(tf.train.Example(features=tf.train.Features(feature={
          'audio': floats(np.zeros(16000)),
          'audio_16k': floats(np.zeros(16000)),
          'f0_hz': floats(np.full(250, pitch)),
          'f0_confidence': floats(np.ones(250)),
          'loudness_db': floats(np.full(250, -30.0))})).SerializeToString())
  save_dir = tmp_path / 'envelopes'
  holder = subprocess.Popen([PY, '-c', _HOLD, str(tmp_path), 'envelopes'],
                            stdout=subprocess.PIPE, text=True)
  try:
    assert holder.stdout.readline().strip() == 'held'
    result = run(['-m', 'ddsp_generative.train_envelopes',
                  f'--tfrecord_pattern={pattern}', f'--save_dir={save_dir}',
                  '--steps=2', '--batch_size=2'])
    assert result.returncode == 1
    assert (f'The envelope model in {save_dir} is being written by another '
            'run') in one_error(result, 'train_envelopes')
  finally:
    holder.kill()
    holder.wait()
  assert not save_dir.exists()


def test_kill_while_publishing_a_report(z_pattern, tmp_path):
  save_dir = tmp_path / 'figures'
  killed = figures(z_pattern, save_dir,
                   env={publish.FAULT_ENV: 'publish:2'})
  assert killed.returncode == -9, killed.stderr[-3000:]
  # Two figures moved in, the JSON (the manifest, last) never: incomplete.
  assert visible(save_dir) == ['heldout_nll.png', 'n_components.png']
  stale = publish.stale_entries(save_dir, 'prior_figures.json')
  assert len(stale) == 1 and '.staging-prior_figures.json-' in stale[0]
  # The next run refuses to replace the leftovers silently, saying why.
  refused = figures(z_pattern, save_dir)
  assert refused.returncode == 2
  assert one_error(refused, 'prior_figures').endswith(
      f'{save_dir}/heldout_nll.png exists without its report '
      f'{save_dir}/prior_figures.json (left by an interrupted run?): pass '
      '--overwrite to replace it, or choose another --save_dir.')
  # With --overwrite it removes the staging and publishes the whole set.
  again = figures(z_pattern, save_dir, '--overwrite')
  assert again.returncode == 0, again.stderr[-3000:]
  assert 'Removed 1 leftover(s) of an interrupted run' in again.stderr
  assert visible(save_dir) == sorted(FIGURE_FILES)
  assert not publish.stale_entries(save_dir, 'prior_figures.json')
  with open(save_dir / 'prior_figures.json') as f:
    assert json.load(f)['figures'] == list(FIGURE_FILES[:4])
