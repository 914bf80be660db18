# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""One filesystem layer for local paths and remote URLs.

Every file the two Beam pipelines read or write (inputs, the work
directory, shards, metadata, publishing) and every model directory and
prior file that is loaded goes through these functions. A path is either
local (`data/train.tfrecord`, `/mnt/nfs/x`) or a URL with a scheme
(`s3://bucket/data/train.tfrecord`, `gs://...`, `memory://...`); local
paths keep the exact behaviour of `os` (atomic `os.replace`, `flock` locks
in `core.publish`), URLs go through fsspec.

Why fsspec, not tf.io.gfile: TensorFlow 2.21's own filesystems are the
local one, `gs://` and the per-process `ram://` only (`s3://`, `hdfs://` and
`http://` raise "File system scheme not implemented": they moved to
tensorflow-io, which has no build for TF 2.21), and its GCS client's
endpoints are compiled in, so no local server can stand in for it in a
test. fsspec (installed with dask) reaches S3 (`s3fs`), GCS (`gcsfs`),
Azure (`adlfs`), HDFS, HTTP and more through one API, each backend a
pip package, and S3 can be served offline by moto's server, which is how
this layer is tested (`tests/test_remote_filesystem.py`): a real HTTP
object store shared by the DirectRunner's worker processes. fsspec's
`memory://` is per-process too, so it serves the single-process tests
only.

What stays local: readers that only TensorFlow can read (tf.data over
TFRecords, checkpoints) get a local copy of a remote file, model directory
or file pattern (`local_copy`, `local_tree`, `local_files`: the last is how
`ddsp_run` trains from a URL, through `training.data`); the files are
fetched through this layer. TF checkpoints are written by `ddsp_run` to
its --save_dir, which stays local (or `gs://`, which TF writes natively).

Object stores have no rename and no lock: on a URL `replace` is a copy and
a delete, a staged file is uploaded in one PUT (whole or not at all), and
`core.publish` takes no lock (one writer per output is the caller's care).
"""

import contextlib
import hashlib
import os
import posixpath
import shutil
import tempfile
import uuid

from ddsp_generative.core import errors

# Where `local_tree` and `local_copy` put the files they fetch.
_CACHE_DIRS = []


class RemoteFilesystemError(errors.UserError, OSError):
  """A URL's filesystem is not installed, not reachable or not writable."""


def is_url(path):
  """True for a URL with a scheme other than file:// (e.g. s3://b/x)."""
  path = os.fspath(path)
  scheme, sep, _ = path.partition('://')
  return bool(sep) and scheme.isidentifier() and scheme.lower() != 'file'


def _fs(path):
  """(fsspec filesystem, its path) of a URL; one-line errors if unknown."""
  import fsspec  # pylint: disable=g-import-not-at-top
  try:
    fs, inner = fsspec.core.url_to_fs(path)
  except ImportError as e:
    raise RemoteFilesystemError(
        f'Cannot open {path}: {e} (the filesystem of its scheme is a pip '
        'package, e.g. s3fs for s3://, gcsfs for gs://, adlfs for az://).'
    ) from e
  except ValueError as e:
    raise RemoteFilesystemError(f'Cannot open {path}: {e}') from e
  return fs, inner


def _fresh(fs):
  """Drops fsspec's listing cache: other processes write the same store."""
  fs.invalidate_cache()
  return fs


def abspath(path):
  """An absolute local path, or the URL as it is (without a trailing /)."""
  path = os.fspath(path)
  return path.rstrip('/') if is_url(path) else os.path.abspath(path)


def join(path, *names):
  """os.path.join for local paths, '/'-joined for URLs."""
  path = os.fspath(path)
  return posixpath.join(path, *names) if is_url(path) else os.path.join(
      path, *names)


def split(path):
  """(directory, base name), for local paths and URLs."""
  path = os.fspath(path)
  if not is_url(path):
    return os.path.split(path)
  head, _, tail = path.rstrip('/').rpartition('/')
  return (head if not head.endswith(':/') else head + '/'), tail


def dirname(path):
  return split(path)[0]


def basename(path):
  return split(path)[1]


def _ask(path, local, method):
  """`local(path)` for a local path, else the fsspec `method` on the URL."""
  if not is_url(path):
    return local(path)
  fs, inner = _fs(path)
  return getattr(_fresh(fs), method)(inner)


def exists(path):
  return _ask(path, os.path.exists, 'exists')


def isdir(path):
  return _ask(path, os.path.isdir, 'isdir')


def isfile(path):
  return _ask(path, os.path.isfile, 'isfile')


def getsize(path):
  """Size in bytes of a file."""
  return int(_ask(path, os.path.getsize, 'size'))


def listdir(path, files_only=False):
  """Base names in a directory ([] if it does not exist, on a URL).

  Args:
    path: Directory.
    files_only: Only regular files (no folders).
  """
  if not is_url(path):
    return [name for name in os.listdir(path) if not files_only or
            os.path.isfile(os.path.join(path, name))]
  fs, inner = _fs(path)
  try:
    entries = _fresh(fs).ls(inner, detail=True)
  except FileNotFoundError:
    return []
  return sorted(posixpath.basename(e['name'].rstrip('/')) for e in entries
                if not files_only or e['type'] == 'file')


def glob(pattern, recursive=False):
  """Paths matching a glob pattern (URLs for a URL pattern), sorted."""
  pattern = os.fspath(pattern)
  if not is_url(pattern):
    import glob as glob_lib  # pylint: disable=g-import-not-at-top
    return sorted(glob_lib.glob(pattern, recursive=recursive))
  fs, inner = _fs(pattern)
  # In the pattern's own spelling (memory://x and memory:///x are one).
  scheme, _, rest = pattern.partition('://')
  lead = f'{scheme}:///' if rest.startswith('/') else f'{scheme}://'
  return sorted(lead + p.lstrip('/') for p in _fresh(fs).glob(inner))


def escape(path):
  """The path with glob's special characters escaped."""
  import glob as glob_lib  # pylint: disable=g-import-not-at-top
  if not is_url(path):
    return glob_lib.escape(path)
  scheme, _, rest = path.partition('://')
  return f'{scheme}://{glob_lib.escape(rest)}'


def makedirs(path):
  """Creates a directory and its parents (a no-op on object stores)."""
  if not is_url(path):
    os.makedirs(path, exist_ok=True)
    return
  fs, inner = _fs(path)
  fs.makedirs(inner, exist_ok=True)


def remove(path, missing_ok=True):
  """Removes a file."""
  if not is_url(path):
    if missing_ok:
      with contextlib.suppress(FileNotFoundError):
        os.remove(path)
    else:
      os.remove(path)
    return
  fs, inner = _fs(path)
  try:
    _fresh(fs).rm_file(inner)
  except FileNotFoundError:
    if not missing_ok:
      raise


def rmtree(path):
  """Removes a directory and everything below it; no error if missing."""
  if not is_url(path):
    shutil.rmtree(path, ignore_errors=True)
    return
  fs, inner = _fs(path)
  with contextlib.suppress(FileNotFoundError):
    if _fresh(fs).exists(inner):
      fs.rm(inner, recursive=True)
  fs.invalidate_cache()


def replace(source, destination):
  """Moves a file onto `destination` (os.replace locally: atomic)."""
  if not is_url(source) and not is_url(destination):
    os.replace(source, destination)
    return
  if not is_url(source):
    upload(source, destination)
    os.remove(source)
    return
  fs, inner = _fs(source)
  _, inner_dest = _fs(destination)
  fs.mv(inner, inner_dest)
  fs.invalidate_cache()


def upload(local_path, destination):
  """Copies a local file to `destination` (one PUT: whole or not at all)."""
  if not is_url(destination):
    shutil.copyfile(local_path, destination)
    return
  fs, inner = _fs(destination)
  fs.put_file(local_path, inner)
  fs.invalidate_cache()


def open(path, mode='rb'):  # pylint: disable=redefined-builtin
  """Opens a file (the builtin open locally, fsspec's file for a URL).

  A remote file opened for writing appears when it is closed, whole.
  """
  if not is_url(path):
    import builtins  # pylint: disable=g-import-not-at-top
    return builtins.open(path, mode)
  fs, inner = _fs(path)
  return fs.open(inner, mode)


def mkdtemp(prefix, directory):
  """A new uniquely named folder in `directory` (tempfile.mkdtemp locally).

  On an object store the folder is only a prefix: it exists once a file is
  written under it.
  """
  if not is_url(directory):
    return tempfile.mkdtemp(prefix=prefix, dir=directory)
  path = join(directory, f'{prefix}{uuid.uuid4().hex[:8]}')
  makedirs(path)
  return path


def _cache_dir(what, source):
  """(local folder for the files fetched from source, True if new).

  One folder per (what, source) and process, removed at exit: the same
  URL is fetched once.
  """
  key = hashlib.sha1(source.encode()).hexdigest()[:12]
  prefix = f'ddsp_generative-{what}-{key}-'
  for cached in _CACHE_DIRS:
    if os.path.basename(cached).startswith(prefix):
      return cached, False
  if not _CACHE_DIRS:
    import atexit  # pylint: disable=g-import-not-at-top
    atexit.register(lambda: [shutil.rmtree(d, ignore_errors=True)
                             for d in _CACHE_DIRS])
  path = tempfile.mkdtemp(prefix=prefix)
  _CACHE_DIRS.append(path)
  return path, True


@contextlib.contextmanager
def local_copy(path):
  """Yields a local path holding the file at `path` (itself if local).

  For readers that only take local paths (tf.data, audioread). A remote
  file is fetched into a temporary folder, removed after the block.
  """
  if not is_url(path):
    yield path
    return
  directory = tempfile.mkdtemp(prefix='ddsp_generative-fetch-')
  try:
    local = os.path.join(directory, basename(path) or 'file')
    fs, inner = _fs(path)
    fs.get_file(inner, local)
    yield local
  finally:
    shutil.rmtree(directory, ignore_errors=True)


def local_tree(path, exclude=()):
  """A local folder holding the files under directory `path` (itself if local).

  The files of a remote directory (a ddsp_run model directory's
  checkpoints, operative config, prior, expression models) are fetched
  into a folder of this process, removed at exit. The same URL is fetched
  once per process.

  Args:
    path: A local directory or the URL of one.
    exclude: Names of top-level subfolders not to fetch (e.g. ddsp_run's
      'summaries').

  Returns:
    A local directory path.

  Raises:
    RemoteFilesystemError: The URL's filesystem is unknown or unreachable.
  """
  if not is_url(path):
    return path
  local, new = _cache_dir('tree', abspath(path))
  if not new:
    return local
  fs, inner = _fs(path)
  root = inner.rstrip('/')
  for found in _fresh(fs).find(root):
    relative = posixpath.relpath(found, root)
    if relative.split('/')[0] in exclude or any(
        part.startswith('.') for part in relative.split('/')):
      continue
    target = os.path.join(local, *relative.split('/'))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    fs.get_file(found, target)
  return local


# URL schemes TensorFlow's own filesystems read (tf.data, checkpoints).
TF_SCHEMES = ('gs',)


def tf_readable(path):
  """True for a local path or a URL TensorFlow reads itself (gs://)."""
  path = os.fspath(path)
  return not is_url(path) or path.partition('://')[0].lower() in TF_SCHEMES


def local_files(pattern):
  """A pattern TensorFlow can read for the files a URL pattern matches.

  For tf.data readers (ddsp's TFRecordProvider under `ddsp_run`): the files
  of a URL that TensorFlow cannot read (s3://, memory://, ...) are fetched
  once per process into a local folder, removed at exit, and the returned
  pattern matches exactly those copies. Local paths, gs:// URLs and a URL
  pattern that matches nothing come back unchanged (the reader's own error
  then names them).

  Args:
    pattern: A glob pattern, local or a URL.

  Returns:
    A glob pattern.

  Raises:
    RemoteFilesystemError: The URL's filesystem is unknown or unreachable.
  """
  pattern = os.fspath(pattern)
  if tf_readable(pattern):
    return pattern
  paths = glob(pattern)
  if not paths:
    return pattern
  local, new = _cache_dir('files', pattern)
  if not new:
    return os.path.join(local, 'f*')
  for i, path in enumerate(paths):
    fs, inner = _fs(path)
    # Numbered: files of one pattern may share a name in two folders.
    fs.get_file(inner, os.path.join(local, f'f{i:05d}-{basename(path)}'))
  return os.path.join(local, 'f*')


def check_output_writable(path, flag):
  """`check_writable` on the directory of output file or prefix `path`."""
  check_writable(dirname(abspath(path)), flag)


def check_writable(directory, flag):
  """Writes and removes a probe file in `directory`, before any work.

  Local directories are checked by the commands' own output checks; this
  one catches URLs whose filesystem is not installed, whose bucket does not
  exist or which the credentials may not write.

  Args:
    directory: The output's directory (a URL or a local path).
    flag: The flag that named it, for the message (e.g.
      '--output_tfrecord_path').

  Raises:
    RemoteFilesystemError: One line naming the URL, the reason and the fix.
  """
  if not is_url(directory):
    return
  probe = join(directory, f'.write-probe-{uuid.uuid4().hex[:8]}')
  try:
    with open(probe, 'wb') as f:
      f.write(b'probe')
    remove(probe)
  except RemoteFilesystemError as e:
    raise RemoteFilesystemError(f'{flag}: {e}') from e
  except Exception as e:  # pylint: disable=broad-except
    detail = ' '.join(str(e).split())[:200] or type(e).__name__
    raise RemoteFilesystemError(
        f'{flag}: cannot write to {directory} ({type(e).__name__}: '
        f'{detail}): create the bucket or folder, or give credentials that '
        'may write there (e.g. AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and '
        'AWS_ENDPOINT_URL for s3://), then run again; nothing was written.'
    ) from e
