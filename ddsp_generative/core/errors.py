# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The error classes for bad user input, and `stage` for the other errors.

Library code raises `UserError` (or a subclass) when the user asked for
something that cannot be done (a missing file, a model without a prior, a flag
out of range); its message names the fix. Commands print it as one line,
`<command>: error: <message>`, with no traceback (see `ddsp_generative.cli`).
Subclasses keep their other bases (e.g. `ValueError`) so existing `except`
clauses still catch them.

Any other exception is a bug or an unanticipated failure; `stage(...)`
annotates those escaping a block with what it was doing ('reading the prior
/x/prior.json'), so that the command's one line names the stage and the file.
"""

import contextlib


class UserError(Exception):
  """Bad user input; the message says what to do instead.

  Attributes:
    exit_code: The process exit status a command returns for it: 1, or 2 for
      usage errors (wrong or missing flags).
  """

  exit_code = 1


class UsageError(UserError):
  """A wrong, missing or contradictory flag (exit status 2)."""

  exit_code = 2


# The attribute `stage` sets on an exception escaping it.
STAGE_ATTRIBUTE = 'ddsp_generative_stage'


@contextlib.contextmanager
def stage(description):
  """Annotates any exception escaping the block with what was being done.

  The innermost stage wins: an exception already annotated keeps its
  description. Commands print it (`cli.runner`): `<command>: error:
  <Type> while <description>: <message>`; Python 3.11+ also shows it as a
  note under the traceback. A `UserError` is left alone: its message is
  complete.

  Args:
    description: What the block does, for 'while <description>', naming its
      file, e.g. 'reading the prior /x/prior.json'.

  Yields:
    Nothing.
  """
  try:
    yield
  except Exception as e:
    if not isinstance(e, UserError) and stage_of(e) is None:
      try:
        setattr(e, STAGE_ATTRIBUTE, description)
      except AttributeError:  # An exception type without a __dict__.
        pass
      else:
        if hasattr(e, 'add_note'):  # Python 3.11+.
          e.add_note(f'(while {description})')
    raise


def stage_of(e):
  """The description of the innermost `stage` an exception escaped, or None.

  Args:
    e: An exception.

  Returns:
    The description of the stage it (or an exception it was raised from,
    `raise ... from`) escaped, else None.
  """
  seen = set()
  while e is not None and id(e) not in seen:
    seen.add(id(e))
    description = getattr(e, STAGE_ATTRIBUTE, None)
    if isinstance(description, str):
      return description
    e = e.__cause__
  return None
