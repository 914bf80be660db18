# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""What a prior file can be, known without TensorFlow.

The prior types (a prior JSON's 'type'; `priors.base.register_type` accepts
only these, so the list and the registry agree), the type fitted by default,
and the check of a prior's output path. Commands use them before TensorFlow
loads: their flags' choices and their checks of existing outputs.
"""


from ddsp_generative.core import errors
from ddsp_generative.core import filesystem

# The registered prior types (`priors.prior_types()`), sorted.
TYPES = ('conditional', 'conditional_net', 'gmm', 'hmm', 'standard_normal')
DEFAULT_TYPE = 'conditional_net'
# Priors over a clip's conditioning rather than z frames, fitted by their own
# command: the multi-instrument model's timbre prior
# (ddsp_generative_fit_timbre_prior).
CLIP_TYPES = ('timbre',)


def check_output(output, overwrite):
  """Refuses an output that is a directory, or exists without overwrite.

  Args:
    output: Path of the prior JSON to write.
    overwrite: Whether --overwrite was given.

  Raises:
    errors.UserError: output is a directory, or a URL that cannot be
      written (`filesystem.check_writable`).
    FileExistsError: output exists and overwrite is False.
  """
  filesystem.check_output_writable(output, '--output')
  if filesystem.isdir(output):
    raise errors.UserError(f'--output={output} is a directory: pass the path '
                           'of the prior JSON, e.g. .../prior.json.')
  if filesystem.exists(output) and not overwrite:
    raise FileExistsError(f'{output} exists; pass --overwrite to replace it.')
