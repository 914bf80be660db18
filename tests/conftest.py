"""Shared fixtures: small real datasets written by the real pipelines."""

import os

import pytest

from ddsp_generative.recipes import synthetic

SAMPLE_RATE = 16000
FRAME_RATE = 250
# In-process DirectRunner: fastest for the few files of a test.
BEAM_OPTIONS = ('--runner=DirectRunner', '--direct_running_mode=in_memory',
                '--direct_num_workers=1')


def write_synthetic_wavs(directory, n_files=2, secs_per_file=3.0, seed=0):
  return synthetic.write_dataset(str(directory), n_files=n_files,
                                 secs_per_file=secs_per_file,
                                 sample_rate=SAMPLE_RATE, seed=seed)


@pytest.fixture
def clear_gin():
  """Clears gin's bindings after the test (use with pytest.mark.usefixtures)."""
  import gin  # pylint: disable=g-import-not-at-top
  yield
  gin.clear_config()


def write_z_pattern(directory, examples, metadata):
  """Writes a z dataset of `examples` in directory; returns its pattern.

  Args:
    directory: A folder (e.g. `tmp_path_factory.mktemp('z')`).
    examples: Dicts with 'z' [n_frames, z_dims] (and 'f0_hz',
      'loudness_db' [n_frames]), as `z_dataset.write_z_dataset` takes them.
    metadata: Its metadata (frame_rate, model_dir, model_step, ...).

  Returns:
    The file pattern, '<directory>/z.tfrecord*'.
  """
  from ddsp_generative.core import z_dataset  # pylint: disable=g-import-not-at-top
  path = os.path.join(str(directory), 'z.tfrecord')
  z_dataset.write_z_dataset(path, examples, metadata)
  return path + '*'


@pytest.fixture(scope='session')
def tiny_tfrecords(tmp_path_factory):
  """TFRecords of 1 s examples from synthetic melodies (6 s of audio).

  Returns:
    The TFRecord file pattern, e.g. '/tmp/.../train.tfrecord*'.
  """
  from ddsp_generative.data_preparation import prepare_tfrecord_lib  # pylint: disable=g-import-not-at-top
  root = tmp_path_factory.mktemp('tiny_dataset')
  paths = write_synthetic_wavs(root / 'audio')
  output = os.path.join(str(root), 'train.tfrecord')
  prepare_tfrecord_lib.prepare_tfrecord(
      paths, output, num_shards=1, sample_rate=SAMPLE_RATE,
      frame_rate=FRAME_RATE, example_secs=1, hop_secs=0.5, chunk_secs=0,
      f0_estimator='yin', pipeline_options=BEAM_OPTIONS)
  return output + '*'


TINY_INSTRUMENTS = ('reed', 'string')


@pytest.fixture(scope='session')
def tiny_instrument_tfrecords(tmp_path_factory):
  """Labelled TFRecords of two 'instruments' (folders of synthetic melodies).

  Returns:
    The TFRecord file pattern; its examples hold an 'instrument' label, the
    name of their file's folder (TINY_INSTRUMENTS).
  """
  from ddsp_generative.data_preparation import prepare_tfrecord_lib  # pylint: disable=g-import-not-at-top
  root = tmp_path_factory.mktemp('tiny_instruments')
  paths = []
  for i, name in enumerate(TINY_INSTRUMENTS):
    paths += write_synthetic_wavs(root / 'audio' / name, n_files=1,
                                  secs_per_file=3.0, seed=10 * i)
  output = os.path.join(str(root), 'train.tfrecord')
  prepare_tfrecord_lib.prepare_tfrecord(
      paths, output, num_shards=1, sample_rate=SAMPLE_RATE,
      frame_rate=FRAME_RATE, example_secs=1, hop_secs=0.5, chunk_secs=0,
      f0_estimator='yin', pipeline_options=BEAM_OPTIONS,
      instrument='from_directory')
  return output + '*'


def run_ddsp_run(save_dir, tfrecord_pattern, num_steps=10, extra=(),
                 gin_file='gin/harmonic_noise_z.gin', check=True):
  """Trains with Magenta's `ddsp_run` (unchanged), tiny size, as a user does.

  Returns the CompletedProcess; with check=False a failure is returned, not
  asserted.
  """
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  from ddsp_generative import gin_path  # pylint: disable=g-import-not-at-top
  ddsp_run = os.path.join(os.path.dirname(sys.executable), 'ddsp_run')
  command = [
      ddsp_run, '--mode=train', f'--save_dir={save_dir}',
      f'--gin_search_path={gin_path.PACKAGE_DIR}',
      f'--gin_file={gin_file}', '--gin_file=gin/sizes/tiny.gin',
      f"--gin_param=TFRecordProvider.file_pattern='{tfrecord_pattern}'",
      '--gin_param=batch_size=2',
      f'--gin_param=train.num_steps={num_steps}',
      f'--gin_param=train.steps_per_save={num_steps}',
      '--gin_param=train.steps_per_summary=5',
  ] + list(extra)
  result = subprocess.run(command, capture_output=True, text=True,
                          timeout=600)
  if check:
    assert result.returncode == 0, result.stderr[-3000:]
  return result


@pytest.fixture(scope='session')
def tiny_model_dir(tmp_path_factory, tiny_tfrecords):
  """A tiny harmonic_noise_z model trained for 10 steps by ddsp_run."""
  save_dir = str(tmp_path_factory.mktemp('tiny_model'))
  run_ddsp_run(save_dir, tiny_tfrecords, num_steps=10)
  return save_dir


@pytest.fixture(scope='session')
def tiny_vae_model_dir(tmp_path_factory, tiny_tfrecords):
  """A tiny harmonic_noise_vae_z model trained for 10 steps by ddsp_run."""
  save_dir = str(tmp_path_factory.mktemp('tiny_vae_model'))
  run_ddsp_run(save_dir, tiny_tfrecords, num_steps=10,
               gin_file='gin/harmonic_noise_vae_z.gin')
  return save_dir


@pytest.fixture(scope='session')
def tiny_multi_model_dir(tmp_path_factory, tiny_instrument_tfrecords):
  """A tiny multi-instrument model (ddsp_run) and its timbre prior (CLI)."""
  save_dir = str(tmp_path_factory.mktemp('multi_model'))
  run_ddsp_run(save_dir, tiny_instrument_tfrecords, num_steps=10,
               gin_file='gin/multi_instrument.gin',
               extra=[f'--gin_param=INSTRUMENTS={list(TINY_INSTRUMENTS)!r}'])
  result = run_cli('ddsp_generative.fit_timbre_prior',
                   f'--model_dir={save_dir}',
                   f'--tfrecord_pattern={tiny_instrument_tfrecords}',
                   f'--output={save_dir}/prior.json')
  assert 'reed' in result.stdout and 'string' in result.stdout
  return save_dir


@pytest.fixture(scope='session')
def tiny_prior_path(tmp_path_factory, tiny_tfrecords, tiny_model_dir):
  """z extracted with the tiny model's encoder (Beam) and a GMM prior on it."""
  from ddsp_generative.priors import fitting  # pylint: disable=g-import-not-at-top
  from ddsp_generative.data_preparation import extract_z_lib  # pylint: disable=g-import-not-at-top
  root = tmp_path_factory.mktemp('tiny_z')
  z_path = os.path.join(str(root), 'z.tfrecord')
  extract_z_lib.extract_z(tiny_tfrecords, z_path, tiny_model_dir,
                          batch_size=4, pipeline_options=BEAM_OPTIONS)
  prior_path = os.path.join(str(root), 'prior.json')
  fitting.fit_prior(z_path, prior_path, prior_name='gmm', seed=0)
  return prior_path


def run_cli(module, *args, expect_ok=True, timeout=300):
  """Runs `python -m module args` as a user would; returns CompletedProcess.

  CLIs are absl apps that define global flags, so tests run them in their own
  process (two CLIs imported into one process would define flags twice).
  """
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  result = subprocess.run([sys.executable, '-m', module] + list(args),
                          capture_output=True, text=True, env=env,
                          timeout=timeout)
  if expect_ok:
    assert result.returncode == 0, result.stderr[-3000:]
  else:
    assert result.returncode != 0, result.stdout[-2000:]
  return result
