"""Install-time and import-time environment: Keras 2, optional CREPE."""

import os
import subprocess
import sys

import pytest

from ddsp_generative import environment

PY = sys.executable


def _run(code, env=None):
  return subprocess.run([PY, '-c', code], capture_output=True, text=True,
                        env=env, timeout=300)


def test_startup_hook_selects_keras2_for_any_process():
  # A bare interpreter (as ddsp_run's console script is) gets the setting
  # from the installed .pth file, with nothing exported by hand.
  env = {k: v for k, v in os.environ.items() if k != 'TF_USE_LEGACY_KERAS'}
  result = _run('import os; print(os.environ.get("TF_USE_LEGACY_KERAS"))',
                env=env)
  assert result.stdout.strip() == '1', result.stderr


def test_ddsp_imports_on_keras2_without_crepe():
  result = _run(
      'import ddsp, ddsp.training\n'
      'from ddsp_generative import environment as e\n'
      'e.check_keras2()\n'
      'print(ddsp.__version__, e.crepe_available())')
  assert result.returncode == 0, result.stderr[-2000:]
  version, crepe_available = result.stdout.split()[-2:]
  assert version == '3.7.0'
  # This environment has no CREPE (it cannot be installed offline).
  assert crepe_available == 'False'


def test_using_crepe_without_it_says_how_to_install():
  if environment.crepe_available():
    pytest.skip('CREPE is installed here.')
  import crepe  # pylint: disable=g-import-not-at-top
  with pytest.raises(environment.CrepeNotInstalledError,
                     match=r'ddsp_generative\[crepe\]'):
    crepe.predict  # pylint: disable=pointless-statement
  with pytest.raises(environment.CrepeNotInstalledError, match='pyin'):
    environment.require_crepe()


def test_ddsp_compute_f0_without_crepe_raises_clear_error():
  if environment.crepe_available():
    pytest.skip('CREPE is installed here.')
  import numpy as np  # pylint: disable=g-import-not-at-top
  import ddsp  # pylint: disable=g-import-not-at-top
  with pytest.raises(environment.CrepeNotInstalledError, match='crepe'):
    ddsp.spectral_ops.compute_f0(np.zeros(16000, np.float32), 250)


@pytest.mark.parametrize('version', [(3, 9), (3, 13)])
def test_unsupported_python_is_named(version):
  with pytest.raises(RuntimeError, match=r'needs Python 3\.10 to 3\.12'):
    environment.check_python_version(version)


def test_supported_python_passes():
  environment.check_python_version((3, 11))


def test_keras3_is_detected():
  env = dict(os.environ, TF_USE_LEGACY_KERAS='0')
  result = _run('from ddsp_generative import environment as e\n'
                'e.check_keras2()', env=env)
  assert result.returncode != 0
  assert 'Keras 3' in result.stderr


def test_missing_ddsp_says_how_to_install():
  # Hide ddsp from a fresh interpreter: the error names the one pip command.
  result = _run(
      'import sys\n'
      'class Block:\n'
      '  def find_spec(self, name, path=None, target=None):\n'
      '    if name == "ddsp" or name.startswith("ddsp."):\n'
      '      raise ModuleNotFoundError("No module named ddsp", name="ddsp")\n'
      'sys.meta_path.insert(0, Block())\n'
      'from ddsp_generative import environment\n'
      'environment.require_ddsp()\n')
  assert result.returncode != 0
  assert '--find-links=third_party/wheels' in result.stderr


def test_wheel_ships_gin_files_and_startup_hook(tmp_path):
  import zipfile  # pylint: disable=g-import-not-at-top
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  result = subprocess.run(
      [PY, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q',
       '-w', str(tmp_path), root], capture_output=True, text=True,
      timeout=300, cwd=str(tmp_path))
  assert result.returncode == 0, result.stderr[-2000:]
  (wheel,) = [f for f in os.listdir(tmp_path) if f.endswith('.whl')]
  names = zipfile.ZipFile(tmp_path / wheel).namelist()
  assert 'zz_ddsp_generative_env.pth' in names
  assert 'ddsp_generative/gin/harmonic_noise_z.gin' in names
  assert 'ddsp_generative/gin/sizes/tiny.gin' in names
