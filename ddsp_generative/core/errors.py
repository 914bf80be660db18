# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The one error class for bad user input.

Library code raises `UserError` (or a subclass) when the user asked for
something that cannot be done (a missing file, a model without a prior, a flag
out of range); its message names the fix. Commands print it as one line,
`<command>: error: <message>`, with no traceback (see `ddsp_generative.cli`).
Subclasses keep their other bases (e.g. `ValueError`) so existing `except`
clauses still catch them.
"""


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
