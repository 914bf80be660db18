# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The publish protocol: lock, stale staging, manifest last, fault hook."""

import os
import subprocess
import sys
import textwrap

import pytest

from ddsp_generative.core import publish


def _write(path, text):
  with open(path, 'w') as f:
    f.write(text)


def _read(path):
  with open(path) as f:
    return f.read()


def test_publishes_set_manifest_last_and_replaces_old(tmp_path):
  for name in ('a-0-of-2', 'a-1-of-2', 'meta.json'):
    _write(tmp_path / name, 'old')
  with publish.output_set(tmp_path, 'a', manifest='meta.json',
                          replaces=[str(tmp_path / 'a-0-of-2'),
                                    str(tmp_path / 'a-1-of-2')]) as staging:
    assert os.path.dirname(staging) == str(tmp_path)
    _write(os.path.join(staging, 'a-0-of-1'), 'new')
    _write(os.path.join(staging, 'meta.json'), 'new')
    # Nothing is published before the block completes.
    assert _read(tmp_path / 'meta.json') == 'old'
  assert sorted(p for p in os.listdir(tmp_path) if not p.startswith('.')) == [
      'a-0-of-1', 'meta.json']
  assert _read(tmp_path / 'meta.json') == 'new'
  assert not publish.stale_entries(tmp_path, 'a')


def test_failed_block_publishes_nothing_and_keeps_old(tmp_path):
  _write(tmp_path / 'meta.json', 'old')
  with pytest.raises(RuntimeError):
    with publish.output_set(tmp_path, 'a', manifest='meta.json') as staging:
      _write(os.path.join(staging, 'meta.json'), 'new')
      raise RuntimeError('boom')
  assert _read(tmp_path / 'meta.json') == 'old'
  assert not publish.stale_entries(tmp_path, 'a')


def test_lock_is_reentrant_in_process(tmp_path):
  with publish.lock(tmp_path, 'out'):
    with publish.lock(tmp_path, 'out'):
      pass
    with publish.output_set(tmp_path, 'out') as staging:
      _write(os.path.join(staging, 'x'), '1')
  assert _read(tmp_path / 'x') == '1'


_HOLD = textwrap.dedent("""
    import sys, time
    from ddsp_generative.core import publish
    with publish.lock(sys.argv[1], 'out'):
      print('held', flush=True)
      time.sleep(60)
""")


def test_second_writer_refused_at_once(tmp_path):
  holder = subprocess.Popen([sys.executable, '-c', _HOLD, str(tmp_path)],
                            stdout=subprocess.PIPE, text=True)
  try:
    assert holder.stdout.readline().strip() == 'held'
    with pytest.raises(publish.OutputBusyError,
                       match=r'being written by another run \(pid \d+\)'):
      with publish.output_set(tmp_path, 'out'):
        pass
  finally:
    holder.kill()
    holder.wait()
  # The lock dies with its process.
  with publish.output_set(tmp_path, 'out') as staging:
    _write(os.path.join(staging, 'x'), '1')


_KILLED = textwrap.dedent("""
    import os, sys
    from ddsp_generative.core import publish
    with publish.output_set(sys.argv[1], 'a', manifest='meta.json') as s:
      for name in ('a-0', 'a-1', 'meta.json'):
        with open(os.path.join(s, name), 'w') as f:
          f.write('new')
""")


def test_kill_while_publishing_leaves_no_manifest_and_is_cleaned(tmp_path):
  for name in ('a-0', 'a-1', 'meta.json'):
    _write(tmp_path / name, 'old')
  env = dict(os.environ, **{publish.FAULT_ENV: 'publish:1'})
  result = subprocess.run([sys.executable, '-c', _KILLED, str(tmp_path)],
                          env=env, check=False)
  assert result.returncode == -9
  # The old manifest went first: readers see an incomplete set, not a mix
  # that looks complete.
  assert not (tmp_path / 'meta.json').exists()
  assert _read(tmp_path / 'a-0') == 'new'
  assert _read(tmp_path / 'a-1') == 'old'
  stale = publish.stale_entries(tmp_path, 'a')
  assert len(stale) == 1 and os.path.basename(stale[0]).startswith(
      '.staging-a-')
  # The next writer removes the leftover staging and publishes.
  with publish.output_set(tmp_path, 'a', manifest='meta.json') as staging:
    _write(os.path.join(staging, 'meta.json'), 'newer')
  assert not publish.stale_entries(tmp_path, 'a')
  assert _read(tmp_path / 'meta.json') == 'newer'


def test_stale_tmp_file_of_atomic_path_is_found(tmp_path):
  from ddsp_generative.core import artifacts  # pylint: disable=g-import-not-at-top
  target = tmp_path / 'prior.json'
  with artifacts.atomic_path(str(target)) as tmp:
    assert publish.stale_entries(tmp_path, 'prior.json') == [tmp]
    _write(tmp, '{}')
  assert not publish.stale_entries(tmp_path, 'prior.json')


def test_lock_file_removed_on_release(tmp_path):
  with publish.output_set(tmp_path, 'out') as staging:
    assert os.path.exists(publish.lock_path(tmp_path, 'out'))
    _write(os.path.join(staging, 'x'), '1')
  assert os.listdir(tmp_path) == ['x']


def test_stale_entries_are_per_name(tmp_path):
  os.mkdir(tmp_path / '.staging-train.tfrecord-abc')
  os.mkdir(tmp_path / '.staging-train.tfrecord2-abc')
  _write(tmp_path / '.tmp-train.tfrecord2-x.json', '{}')
  assert [os.path.basename(p) for p in publish.stale_entries(
      tmp_path, 'train.tfrecord')] == ['.staging-train.tfrecord-abc']


def test_output_directory_replaces_a_whole_directory_only_on_success(
    tmp_path):
  out = tmp_path / 'model'
  out.mkdir()
  _write(out / 'old.json', 'old')
  with pytest.raises(RuntimeError):
    with publish.output_directory(out) as staging:
      _write(os.path.join(staging, 'model.json'), 'new')
      raise RuntimeError('interrupted')
  assert os.listdir(out) == ['old.json']  # Untouched.
  assert sorted(os.listdir(tmp_path)) == ['model']  # No staging, no lock.
  with publish.output_directory(out) as staging:
    assert os.path.exists(publish.lock_path(tmp_path, 'model'))
    os.mkdir(os.path.join(staging, 'envelopes'))
    _write(os.path.join(staging, 'envelopes', 'vae.json'), '{}')
    _write(os.path.join(staging, 'model.json'), 'new')
  assert sorted(os.listdir(out)) == ['envelopes', 'model.json']
  assert _read(out / 'envelopes' / 'vae.json') == '{}'
  umask = os.umask(0)
  os.umask(umask)
  assert os.stat(out).st_mode & 0o777 == 0o777 & ~umask
  assert sorted(os.listdir(tmp_path)) == ['model']


_KILLED_DIRECTORY = textwrap.dedent("""
    import os, signal, sys
    from ddsp_generative.core import publish
    with publish.output_directory(sys.argv[1]) as s:
      with open(os.path.join(s, 'model.json'), 'w') as f:
        f.write('half')
      os.kill(os.getpid(), signal.SIGKILL)
""")


def test_killed_directory_writer_leaves_the_old_one_and_is_cleaned(
    tmp_path):
  out = tmp_path / 'model'
  out.mkdir()
  _write(out / 'model.json', 'old')
  result = subprocess.run([sys.executable, '-c', _KILLED_DIRECTORY, str(out)],
                          check=False)
  assert result.returncode == -9
  assert os.listdir(out) == ['model.json']
  assert _read(out / 'model.json') == 'old'
  assert len(publish.stale_entries(tmp_path, 'model')) == 1
  with publish.output_directory(out) as staging:
    _write(os.path.join(staging, 'model.json'), 'new')
  assert _read(out / 'model.json') == 'new'
  assert sorted(os.listdir(tmp_path)) == ['model']  # Leftover removed.
