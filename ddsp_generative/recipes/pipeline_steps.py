# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Run the pipeline's commands one after the other, as a user would.

Shared by the quick-start demo (`demo.py`) and the recipe of the embedded
default model (`make_default_model.py`): each step is its own process (the
CLIs are absl apps with global flags), its whole log goes to a file, and the
lines worth seeing (training steps, files written, errors) are echoed as
progress.
"""

import os
import re
import subprocess
import sys
import time

from ddsp_generative.core import errors

# Lines of the commands' logs worth showing as progress.
_PROGRESS = re.compile(
    r'(step: \d*00\t|^Wrote|^z dataset|^Fitted|held-out NLL|\.wav$|'
    r'^(\w+\.)*\w+Error: |^ddsp_generative\w*: |Chunks done: \d*0/|'
    r'^Trained|^Saved)')


class StepFailedError(errors.UserError):
  """A pipeline command failed; the message names its step and full log."""


def console_script(name):
  """A console script of this environment (beside the running Python)."""
  path = os.path.join(os.path.dirname(sys.executable), name)
  return path if os.path.exists(path) else name


def run_step(title, command, log_dir, done_marker=None, rerun=False):
  """Runs one pipeline command; its full log goes to log_dir.

  Args:
    title: What the step does.
    command: argv list.
    log_dir: Folder for the command's log.
    done_marker: A file the step writes; when it exists the step is skipped
      (unless rerun).
    rerun: Run the step even when done_marker exists.

  Returns:
    Wall-clock seconds the step took (0 when skipped).

  Raises:
    StepFailedError: The command failed (the end of its log is printed
      first; the command's own error line is in it).
  """
  if done_marker and os.path.exists(done_marker) and not rerun:
    print(f'== {title}: already done ({done_marker})', flush=True)
    return 0.0
  print(f'== {title}\n$ {" ".join(command)}', flush=True)
  os.makedirs(log_dir, exist_ok=True)
  log_path = os.path.join(log_dir, re.sub(r'\W+', '_', title).strip('_') +
                          '.log')
  start = time.time()
  tail = []
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  with open(log_path, 'w') as log, subprocess.Popen(
      command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
      env=env) as process:
    for line in process.stdout:
      log.write(line)
      tail = (tail + [line])[-40:]
      if _PROGRESS.search(line):
        print('   ' + line.rstrip()[-160:], flush=True)
  if process.returncode:
    sys.stdout.write(''.join(tail))
    sys.stdout.flush()
    raise StepFailedError(
        f'step failed ({title}, exit status {process.returncode}): see the '
        f'error above and the full log {log_path}.')
  took = time.time() - start
  print(f'   ({took:.0f} s, log: {log_path})', flush=True)
  return took
