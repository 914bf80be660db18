"""One pip command installs ddsp_generative with ddsp (the rebuilt wheel).

`pip install --find-links=third_party/wheels .` (or the built wheel) must give
a package whose `ddsp_run` and `python -m ddsp_generative.sample` work. The
rebuilt `ddsp-3.7.0+tf2.21` wheel in third_party/wheels is checked offline:
its RECORD hashes (pip verifies them), its LICENSE, its relaxed metadata.

The fresh-venv test is the cheap version of a real install: it builds this
package's wheel, makes a fresh virtual environment that sees `.venv`'s
already installed dependencies (TensorFlow etc.) through a `.pth` file
pointing at a folder of links to them (without ddsp, ddsp_generative and
their .pth files), runs the one documented pip command against the wheel with
PIP_NO_INDEX=1 (so it stays offline: pip must find ddsp in third_party/wheels
and everything else already installed), and checks `ddsp_run --helpfull`,
`python -m ddsp_generative.sample --help` and that `ddsp` and
`ddsp_generative` import from the fresh venv; then, from a folder outside the
checkout, that `ddsp_run` trains one step of a tiny model on the installed
gin files (`--gin_search_path=$(python -m ddsp_generative.gin_path)`) and
that `python -m ddsp_generative.sample` writes a WAV from the default model
the wheel embeds. It does NOT cover: resolving
and downloading the heavy dependencies from PyPI (versions, wheels available
for this Python), nor a venv with nothing shared; that full install is run by
hand (README, Installation: about 6 minutes).
"""

import base64
import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WHEELS = os.path.join(ROOT, 'third_party', 'wheels')
DDSP_WHEEL = os.path.join(WHEELS, 'ddsp-3.7.0+tf2.21-py3-none-any.whl')
DIST_INFO = 'ddsp-3.7.0+tf2.21.dist-info/'
STARTUP_PTH = 'zz_ddsp_generative_env.pth'


def _record_hash(data):
  digest = hashlib.sha256(data).digest()
  return 'sha256=' + base64.urlsafe_b64encode(digest).rstrip(b'=').decode()


def test_rebuilt_ddsp_wheel_record_license_and_metadata():
  with zipfile.ZipFile(DDSP_WHEEL) as whl:
    names = set(whl.namelist())
    rows = list(csv.reader(io.StringIO(
        whl.read(DIST_INFO + 'RECORD').decode('utf-8'))))
    recorded = {row[0] for row in rows}
    assert recorded == names
    for name, digest, size in rows:
      if name == DIST_INFO + 'RECORD':
        assert (digest, size) == ('', '')
        continue
      data = whl.read(name)
      assert (digest, int(size)) == (_record_hash(data), len(data)), name
    # Only ddsp: its package and its dist-info.
    assert all(n.startswith(('ddsp/', DIST_INFO)) for n in names)
    assert 'ddsp/training/ddsp_run.py' in names
    assert 'Apache License' in whl.read(DIST_INFO + 'LICENSE').decode()
    metadata = whl.read(DIST_INFO + 'METADATA').decode('utf-8')
  assert 'Version: 3.7.0+tf2.21\n' in metadata
  requires = [l.split(':', 1)[1].strip() for l in metadata.splitlines()
              if l.startswith('Requires-Dist:')]
  assert 'tensorflow>=2.16' in requires and 'tf-keras' in requires
  assert "crepe ; extra == 'crepe'" in requires
  # No stale pin of 2023 is left.
  assert not [r for r in requires if '<=' in r or '<1.24' in r], requires


def test_rebuild_script_is_deterministic_and_checks_sha256(tmp_path):
  sys.path.insert(0, os.path.join(ROOT, 'third_party'))
  try:
    import rebuild_ddsp_wheel  # pylint: disable=g-import-not-at-top
  finally:
    sys.path.pop(0)
  fake = tmp_path / rebuild_ddsp_wheel.OFFICIAL_NAME
  shutil.copy(DDSP_WHEEL, fake)
  with pytest.raises(ValueError, match='not the official'):
    rebuild_ddsp_wheel.rebuild(str(fake), str(tmp_path / 'out'))
  official = os.environ.get('DDSP_OFFICIAL_WHEEL')
  if not official:
    pytest.skip('Set DDSP_OFFICIAL_WHEEL to PyPI\'s ddsp 3.7.0 wheel (pip '
                'download --no-deps ddsp==3.7.0) to check the committed '
                'rebuild byte for byte.')
  out = rebuild_ddsp_wheel.rebuild(official, str(tmp_path / 'out'))
  with open(out, 'rb') as a, open(DDSP_WHEEL, 'rb') as b:
    assert a.read() == b.read()


def _shadow_site_packages(directory):
  """Links to .venv's installed packages, less ddsp, ddsp_generative, .pth."""
  purelib = sysconfig.get_paths()['purelib']
  os.makedirs(directory)
  for name in os.listdir(purelib):
    lower = name.lower()
    if (lower.endswith('.pth') or lower.startswith(('ddsp', '__editable__'))):
      continue
    os.symlink(os.path.join(purelib, name), os.path.join(directory, name))
  return directory


def _run(args, returncodes=(0,), **kwargs):
  env = dict(os.environ, PIP_NO_INDEX='1', PIP_DISABLE_PIP_VERSION_CHECK='1',
             TF_CPP_MIN_LOG_LEVEL='3')
  env.pop('PYTHONPATH', None)
  env.pop('TF_USE_LEGACY_KERAS', None)  # The start-up .pth must set it.
  result = subprocess.run(args, capture_output=True, text=True, env=env,
                          timeout=600, check=False, **kwargs)
  assert result.returncode in returncodes, (args, result.stdout[-3000:],
                                  result.stderr[-3000:])
  return result.stdout


def test_one_pip_command_in_fresh_venv_gives_ddsp_run_and_sample(
    tmp_path, tiny_tfrecords):
  src = tmp_path / 'src'
  shutil.copytree(os.path.join(ROOT, 'ddsp_generative'),
                  src / 'ddsp_generative',
                  ignore=shutil.ignore_patterns('__pycache__'))
  for name in ('setup.py', 'pyproject.toml', 'README.md', STARTUP_PTH):
    shutil.copy(os.path.join(ROOT, name), src / name)
  _run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
        '--no-build-isolation', '-w', str(tmp_path / 'dist'), str(src)])
  (wheel,) = os.listdir(tmp_path / 'dist')

  venv = tmp_path / 'venv'
  _run([sys.executable, '-m', 'venv', str(venv)])
  python = str(venv / 'bin' / 'python')
  purelib = _run([python, '-c', 'import sysconfig; '
                  'print(sysconfig.get_paths()["purelib"])']).strip()
  shadow = _shadow_site_packages(str(tmp_path / 'shared'))
  with open(os.path.join(purelib, 'shared_venv.pth'), 'w') as f:
    f.write(shadow + '\n')

  # The one documented command (README, Installation), on the built wheel.
  _run([python, '-m', 'pip', 'install', f'--find-links={WHEELS}',
        str(tmp_path / 'dist' / wheel)], cwd=ROOT)

  assert os.path.exists(os.path.join(purelib, STARTUP_PTH))
  where = _run([python, '-c', 'import importlib.metadata as m, ddsp, '
                'ddsp_generative; print(ddsp.__file__); '
                'print(ddsp_generative.__file__); print(m.version("ddsp"))'])
  ddsp_file, package_file, version = where.split()
  assert ddsp_file.startswith(purelib), ddsp_file
  assert package_file.startswith(purelib), package_file
  assert version == '3.7.0+tf2.21'
  # absl's --helpfull exits 1 after listing the flags of ddsp_run's module.
  usage = _run([str(venv / 'bin' / 'ddsp_run'), '--helpfull'],
               returncodes=(0, 1))
  assert 'ddsp.training.ddsp_run:' in usage and '--gin_search_path' in usage
  assert 'n_samples' in _run([python, '-m', 'ddsp_generative.sample',
                              '--help'])

  # They work, outside the checkout, as the README says: ddsp_run trains a
  # step on the installed gin files; the sampler plays the default model
  # the wheel embeds.
  outside = tmp_path / 'elsewhere'
  outside.mkdir()
  gin_dir = _run([python, '-m', 'ddsp_generative.gin_path'],
                 cwd=outside).strip()
  assert gin_dir.startswith(purelib), gin_dir
  _run([str(venv / 'bin' / 'ddsp_run'), '--mode=train',
        f'--save_dir={outside / "model"}', f'--gin_search_path={gin_dir}',
        '--gin_file=gin/harmonic_noise_z.gin',
        '--gin_file=gin/sizes/tiny.gin',
        f"--gin_param=TFRecordProvider.file_pattern='{tiny_tfrecords}'",
        '--gin_param=batch_size=2', '--gin_param=train.num_steps=1',
        '--gin_param=train.steps_per_save=1'], cwd=outside)
  assert any(n.startswith('ckpt-1') for n in os.listdir(outside / 'model'))
  printed = _run([python, '-m', 'ddsp_generative.sample',
                  f'--save_dir={outside / "samples"}', '--duration=1'],
                 cwd=outside)
  wav = outside / 'samples' / 'sample_000.wav'
  assert printed.split() == [str(wav)] and wav.stat().st_size > 16000
