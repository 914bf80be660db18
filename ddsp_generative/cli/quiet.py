# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Quiet by default: no TensorFlow C++ logging, plain Python log lines.

TensorFlow 2.21's C++ side logs through absl's C++ logging, which
`TF_CPP_MIN_LOG_LEVEL` no longer fully silences (`cudart_stub.cc`,
`cuInit ... (303)`, "All log messages before absl::InitializeLog()"). So, at
the default verbosity, the process's stderr (file descriptor 2) is passed
through a filter that drops those lines and forwards everything else.
"""

import atexit
import logging as std_logging
import os
import re
import sys
import threading
import warnings

from absl import logging

# One TF/XLA C++ log line: 'I0000 00:00:1796163955.080709   14182 x.cc:31] ...'.
_NATIVE_LOG = re.compile(
    rb'^(\S+: )?[IWEF]\d{4} \d\d:\d\d:[\d.]+\s+\d+ [\w/.-]+\.(cc|h):\d+\]|'
    rb'^WARNING: All log messages before absl::InitializeLog\(\)|'
    rb'^To enable the following instructions: .* rebuild TensorFlow')

# Python log messages that are noise to the user (a library's internals).
_NOISY_MESSAGES = ('apitools not found',)


class _DropNoise(std_logging.Filter):

  def filter(self, record):
    message = str(record.msg)
    return not any(noise in message for noise in _NOISY_MESSAGES)

# Python loggers that report internals, not the user's run.
_NOISY_LOGGERS = ('apache_beam', 'tensorflow', 'h5py', 'numba', 'matplotlib',
                  'PIL', 'urllib3', 'botocore', 'aiobotocore', 's3fs',
                  'fsspec')


def verbose_requested(argv):
  """True when argv sets --verbosity/-v (the user wants native logs)."""
  for arg in argv[1:]:
    if arg == '--':
      break
    if re.match(r'^(--verbosity|-v)(=|$)', arg) or re.match(r'^-v\d', arg):
      return True
  return False


def quiet_environment(argv):
  """Sets TF_CPP_MIN_LOG_LEVEL=3 unless set or --verbosity is given.

  Must run before TensorFlow is imported.

  Args:
    argv: The command line, sys.argv.

  Returns:
    True when the run is to be quiet.
  """
  if verbose_requested(argv):
    return False
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
  root = std_logging.getLogger()
  if not any(isinstance(f, _DropNoise) for f in root.filters):
    root.addFilter(_DropNoise())
  return True


def is_command_process():
  """True when this process runs a ddsp_generative command (not a library)."""
  spec = getattr(sys.modules.get('__main__'), '__spec__', None)
  if spec is not None and spec.name.startswith('ddsp_generative.'):
    return True
  return os.path.basename(sys.argv[0] if sys.argv else '').startswith(
      'ddsp_generative_')


class _Stderr2Filter:
  """Replaces fd 2 with a pipe whose reader drops native log lines."""

  def __init__(self):
    self._original = os.dup(2)
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    self._read = os.fdopen(read_fd, 'rb', buffering=0)
    self._thread = threading.Thread(target=self._pump, daemon=True)
    self._thread.start()
    atexit.register(self.close)

  def _pump(self):
    pending = b''
    while True:
      chunk = self._read.read(65536)
      if not chunk:
        break
      pending += chunk
      *lines, pending = pending.split(b'\n')
      for line in lines:
        self._forward(line + b'\n')
      # Progress bars redraw with '\r' and no newline: pass them at once
      # (native log lines never hold a '\r').
      if b'\r' in pending:
        done, pending = pending.rsplit(b'\r', 1)
        os.write(self._original, done + b'\r')
    if pending:
      self._forward(pending)

  def _forward(self, line):
    if not _NATIVE_LOG.search(line):
      os.write(self._original, line)

  def close(self):
    """Restores fd 2 and flushes what the filter holds."""
    if self._original is None:
      return
    try:
      sys.stderr.flush()
    except (OSError, ValueError):
      pass
    os.dup2(self._original, 2)  # Closes the pipe's write end.
    self._thread.join(timeout=1)  # A lingering child may hold the pipe.
    os.close(self._original)
    self._original = None


_filter = None


def filter_native_logs():
  """Drops TF/XLA C++ log lines from this process's stderr (idempotent)."""
  global _filter
  if _filter is None:
    try:
      _filter = _Stderr2Filter()
    except OSError:  # No fd 2 (e.g. a closed stderr): nothing to filter.
      _filter = False


class PlainFormatter(std_logging.Formatter):
  """The message alone; warnings and errors prefixed by their level."""

  def format(self, record):
    message = record.getMessage()
    if record.exc_info:
      message += '\n' + self.formatException(record.exc_info)
    if record.levelno >= std_logging.WARNING:
      return f'{record.levelname.lower()}: {message}'
    return message


def plain_log_lines():
  """Prints absl log lines without absl's prefix; quiets library loggers."""
  logging.get_absl_handler().setFormatter(PlainFormatter())
  for name in _NOISY_LOGGERS:
    std_logging.getLogger(name).setLevel(std_logging.ERROR)
  # Library-internal warnings (deprecations, Beam's 'apitools not found').
  warnings.filterwarnings('ignore', category=DeprecationWarning)
  warnings.filterwarnings('ignore', category=FutureWarning)
