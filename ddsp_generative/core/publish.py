# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The one publish protocol for every output set.

An output set is the files one run produces for one name: TFRecord shards
and their metadata, a z dataset's shards and metadata, a prior, a sample's
WAV + PNG + JSON, a report's files, a rendered data set. Every writer goes
through `output_set` (or, for a directory that is itself the output and is
replaced as a whole, such as the packaged default model, through
`output_directory`, which locks, cleans and stages the same way):

1. **Lock.** `lock(directory, name)` takes an exclusive, non-blocking
   `flock` on `<directory>/.<name>.lock`; a second writer of the same output
   fails at once with `OutputBusyError` naming the other process. Locks are
   re-entrant within a process (a sampler holds its `--save_dir` for the run
   and publishes each sample under it), released with the process (a killed
   run leaves no stale lock, only an unlocked file) and removed on release.
2. **Clean.** Under the lock, staging left by a killed run for this name
   (`.staging-<name>-*` folders, `.tmp-<name>-*` files) cannot belong to a
   live writer: it is removed and named in a warning.
3. **Stage.** The caller writes the whole set into a fresh staging folder on
   the destination's filesystem.
4. **Publish.** Only when the block completes: the old manifest (the file
   readers require, e.g. `metadata_train.json`) is removed first, then the
   old files the set replaces, then the new files are moved in with
   `os.replace`, the manifest last. A reader that requires the manifest sees
   the old set or the new one, never a mix; a run killed while publishing
   leaves files without a manifest, which readers refuse as incomplete.

On a remote URL (`core.filesystem`: an object store) the same steps run
without the lock, which object stores cannot give (one writer per output
is then the caller's care), and each move is a copy and a delete; the
manifest is still removed first and published last.

For tests, `DDSP_GENERATIVE_FAULT=publish` (or `publish:N`) kills the process
with SIGKILL during publishing, after the old manifest is gone and N (default
1) new files have moved: the worst moment for an interruption.
"""

import contextlib
import errno
import fcntl
import os
import shutil
import signal
import tempfile

from absl import logging

from ddsp_generative.core import errors
from ddsp_generative.core import filesystem

FAULT_ENV = 'DDSP_GENERATIVE_FAULT'
STAGING_PREFIX = '.staging-'
TMP_PREFIX = '.tmp-'

# name -> (open lock file, depth), for the locks this process holds.
_HELD = {}


class OutputBusyError(errors.UserError, RuntimeError):
  """Another run is writing the same output."""


def lock_path(directory, name):
  """Path of the lock file of output `name` in `directory`."""
  return filesystem.join(filesystem.abspath(directory), f'.{name}.lock')


@contextlib.contextmanager
def lock(directory, name, what=None):
  """Holds the exclusive lock of output `name` in `directory`.

  Args:
    directory: Where the output lives (created if needed).
    name: The output's name (a file name, prefix or folder name).
    what: How to name the output in the error, default its path.

  Yields:
    The lock file's path (None for a URL: object stores have no lock).

  Raises:
    OutputBusyError: Another process holds the lock.
  """
  if filesystem.is_url(directory):
    yield None
    return
  path = lock_path(directory, name)
  if path in _HELD:
    handle, depth = _HELD[path]
    _HELD[path] = (handle, depth + 1)
    try:
      yield path
    finally:
      handle, depth = _HELD[path]
      _HELD[path] = (handle, depth - 1)
    return
  os.makedirs(os.path.dirname(path), exist_ok=True)
  handle = _acquire(path, what or os.path.join(os.path.dirname(path), name))
  handle.seek(0)
  handle.truncate()
  handle.write(f'pid {os.getpid()}\n')
  handle.flush()
  _HELD[path] = (handle, 1)
  try:
    yield path
  finally:
    handle, depth = _HELD[path]
    if depth > 1:
      _HELD[path] = (handle, depth - 1)
    else:
      del _HELD[path]
      # Unlinked while still locked: a writer that opened the old file sees
      # that it is gone (`_acquire` checks) and takes a new one.
      with contextlib.suppress(FileNotFoundError):
        os.remove(path)
      handle.close()


def directory_lock(path, what=None):
  """The lock of a directory that is itself the output (a model's).

  It lies beside the directory (`<parent>/.<name>.lock`), so the directory
  holds only the output's files.

  Args:
    path: The output directory.
    what: How to name it in the error.

  Returns:
    The `lock` context manager.
  """
  parent, name = filesystem.split(filesystem.abspath(path))
  return lock(parent, name, what=what)


def _acquire(path, what):
  """Opens and flocks the lock file at path; raises OutputBusyError."""
  while True:
    handle = open(path, 'a+')  # pylint: disable=consider-using-with
    try:
      fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
      handle.seek(0)
      holder = ' '.join(handle.read().split())[:200] or 'another process'
      handle.close()
      if e.errno not in (errno.EWOULDBLOCK, errno.EACCES, errno.EAGAIN):
        raise
      raise OutputBusyError(
          f'{what} is being written by another run ({holder}): wait for it '
          'to finish or choose another output.') from None
    try:
      current = os.stat(path)
    except FileNotFoundError:
      current = None
    opened = os.fstat(handle.fileno())
    if current is not None and (current.st_ino, current.st_dev) == (
        opened.st_ino, opened.st_dev):
      return handle
    handle.close()  # Its holder removed it as we opened it: try again.


def stale_entries(directory, name):
  """Staging folders and temporary files a killed run left for `name`."""
  directory = filesystem.abspath(directory)
  found = []
  for prefix in (STAGING_PREFIX, TMP_PREFIX):
    found += filesystem.glob(filesystem.join(
        filesystem.escape(directory), filesystem.escape(prefix + name) + '-*'))
  return sorted(found)


def clean_stale(directory, name):
  """Removes what a killed run left for `name`; call it under `lock`.

  Args:
    directory: The output's directory.
    name: The output's name.

  Returns:
    The paths removed.
  """
  removed = []
  for path in stale_entries(directory, name):
    if filesystem.isdir(path) and not os.path.islink(path):
      filesystem.rmtree(path)
    else:
      filesystem.remove(path)
    removed.append(path)
  if removed:
    logging.warning('Removed %d leftover(s) of an interrupted run: %s.',
                    len(removed), ', '.join(removed))
  return removed


def _fault_after():
  """Files to move before the test fault hook kills us, or None."""
  value = os.environ.get(FAULT_ENV, '')
  if not value.startswith('publish'):
    return None
  _, _, count = value.partition(':')
  return int(count or 1)


def _fault(moved, fault_after):
  if fault_after is not None and moved >= fault_after:
    os.kill(os.getpid(), signal.SIGKILL)


@contextlib.contextmanager
def output_set(directory, name, manifest=None, replaces=(), what=None,
               before_manifest=()):
  """Stages an output set and publishes it, manifest last, on success.

  Args:
    directory: Where the set's files go (created if needed).
    name: The set's name: locks, staging and stale-cleaning are per name
      (e.g. 'train.tfrecord', 'sample_003', 'prior.json').
    manifest: Base name of the file readers require (written last and
      removed first), or None.
    replaces: Paths of old files the new set replaces that it may not
      overwrite by name (e.g. shards of an old shard count); or a callable
      returning them, called at publish time.
    what: How to name the output in a busy error.
    before_manifest: Base names published after the other files and
      before the manifest, and whose old versions are removed first with
      the old manifest (files that describe the set, e.g. the note dataset
      beside TFRecord shards: a run killed while publishing leaves new
      shards without metadata, which readers refuse as incomplete, never
      an old note dataset beside them).

  Yields:
    The staging folder: write every file of the set into it, under the base
    name it is published as. Subfolders are not published.

  Raises:
    OutputBusyError: Another run writes the same output.
  """
  directory = filesystem.abspath(directory)
  filesystem.makedirs(directory)
  with lock(directory, name, what=what):
    clean_stale(directory, name)
    staging = filesystem.mkdtemp(f'{STAGING_PREFIX}{name}-', directory)
    try:
      yield staging
      _publish(staging, directory, manifest, replaces, before_manifest)
    finally:
      filesystem.rmtree(staging)


@contextlib.contextmanager
def output_directory(path, what=None):
  """Stages a whole directory beside `path`; it replaces `path` on success.

  The directory's lock (`directory_lock`) is held, staging left by a killed
  run is removed (`clean_stale`), and the staging folder (in the parent, on
  the same filesystem) is moved onto `path` with `os.replace` only when the
  block completes, after the old directory is removed; if the block raises,
  `path` is left as it was.

  Args:
    path: The output directory (its parent is created if needed).
    what: How to name it in a busy error.

  Yields:
    The staging folder: write the whole directory's contents there.

  Raises:
    OutputBusyError: Another run writes the same directory.
  """
  parent, name = os.path.split(os.path.abspath(path))
  with lock(parent, name, what=what or path):
    clean_stale(parent, name)
    staging = tempfile.mkdtemp(prefix=f'{STAGING_PREFIX}{name}-', dir=parent)
    try:
      yield staging
      umask = os.umask(0)
      os.umask(umask)
      os.chmod(staging, 0o777 & ~umask)  # mkdtemp's 0700 hides it.
      if os.path.lexists(path) and not os.path.isdir(path):
        os.remove(path)
      elif os.path.exists(path):
        shutil.rmtree(path)
      os.replace(staging, path)
    finally:
      shutil.rmtree(staging, ignore_errors=True)


def _publish(staging, directory, manifest, replaces, before_manifest=()):
  """Moves the staged files into `directory`: `before_manifest` second to
  last, the manifest last."""
  umask = os.umask(0)
  os.umask(umask)
  local = not filesystem.is_url(staging)
  staged = sorted(filesystem.listdir(staging, files_only=True))
  fault_after = _fault_after()
  old = replaces() if callable(replaces) else replaces
  # The old manifest (and the files that describe the old set) go first.
  for entry in ([manifest] if manifest is not None else []) + list(
      before_manifest):
    filesystem.remove(filesystem.join(directory, entry))
  new_paths = {filesystem.join(directory, entry) for entry in staged}
  for path in old:
    if filesystem.abspath(path) not in new_paths:
      filesystem.remove(path)
  late = set(before_manifest)
  ordered = [e for e in staged if e != manifest and e not in late]
  ordered += [e for e in staged if e in late]
  ordered += [e for e in staged if e == manifest]
  for moved, entry in enumerate(ordered):
    _fault(moved, fault_after)
    source = filesystem.join(staging, entry)
    if local:  # mkstemp/mkdtemp create owner-only files: the usual mode.
      os.chmod(source, 0o666 & ~umask)
    filesystem.replace(source, filesystem.join(directory, entry))
