# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""How every report's files are written: one set, its JSON the manifest.

Reports (generation, reconstruction, pitch, prior figures) publish their
files through `core.publish`: `report_set` stages them in a folder inside
the destination and moves them in only when all are written, the JSON (the
manifest readers look at) last; the set is named after its JSON, so a second
run writing the same report is refused at once (`publish.OutputBusyError`),
a command holding `publish.lock(directory, name)` for its whole run. A run
killed while publishing leaves files without their JSON: the next run
removes its staging, and refuses to replace the leftovers without
--overwrite, saying what they are (`check_not_written`).
"""

import contextlib
import os

from ddsp_generative.core import errors
from ddsp_generative.core import publish


class ReportExistsError(errors.UsageError, FileExistsError):
  """A report's files exist and --overwrite was not given."""


def check_not_written(paths, manifest, overwrite, choose='--save_dir'):
  """Refuses to replace an existing report without --overwrite.

  Args:
    paths: Every file the report writes.
    manifest: Its JSON, the file written last.
    overwrite: Whether --overwrite was given.
    choose: The flag choosing another destination, for the message.

  Raises:
    ReportExistsError: One of the paths exists and overwrite is False.
  """
  existing = [p for p in paths if os.path.lexists(p)]
  if not existing or overwrite:
    return
  if os.path.lexists(manifest):
    raise ReportExistsError(f'{manifest} exists: pass --overwrite or choose '
                            f'another {choose}.')
  raise ReportExistsError(
      f'{existing[0]} exists without its report {manifest} (left by an '
      'interrupted run?): pass --overwrite to replace it, or choose another '
      f'{choose}.')


def lock(manifest, what):
  """Holds the lock of the report whose JSON is `manifest` (a whole run).

  Args:
    manifest: Path of the report's JSON.
    what: How to name the report in a busy error, e.g. 'The pitch report
      /x/pitch.json'.

  Returns:
    The `publish.lock` context manager.
  """
  directory, name = os.path.split(os.path.abspath(manifest))
  return publish.lock(directory, name, what=what)


@contextlib.contextmanager
def report_set(manifest, what, replaces=()):
  """Stages a report's files in its JSON's folder; publishes them, JSON last.

  Args:
    manifest: Path of the report's JSON; its folder receives the set.
    what: How to name the report (busy errors, the stage of other errors).
    replaces: Old files of the report not in the new set (e.g. a figure no
      longer drawn): removed when publishing.

  Yields:
    The staging folder: write every file there under its published base
    name, the JSON as `os.path.basename(manifest)`.
  """
  directory, name = os.path.split(os.path.abspath(manifest))
  with errors.stage(f'writing {what[:1].lower() + what[1:]}'):
    with publish.output_set(directory, name, manifest=name,
                            replaces=replaces, what=what) as staging:
      yield staging
