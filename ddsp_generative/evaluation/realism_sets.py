# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The absolute realism section of an evaluation report, from its sets.

`evaluation.realism.compare` judges sets of 1 s clips against real held-out
recordings, next to a real-vs-real floor. This module feeds it what the
generation and reconstruction evaluations hold: the eval TFRecords' examples
and, for each generated set, either one clip per real clip (a paired set:
resynthesis, or generation from the real examples' controls) or clips of its
own (an unpaired set, e.g. audio rendered from MIDI files).

The real clips (`real_clips`) are the eval examples cut into 1 s clips
(`realism.cut_clips`: a 1 s example is one clip, a 4 s one four; clips below
-50 dBFS RMS dropped), in the order the examples are read
(`tfrecords.read_examples`: the shards sorted by name, each shard's examples
as written; `ddsp_generative_prepare_tfrecord` writes a shard's chunks in a
fixed shuffle, the order of the hash of their audio, and a chunk's examples
in time order). `realism.compare` splits them into halves A and B
(`realism.real_halves`): by default ('random') a seeded permutation, so both
halves sample the same passages and pitches; 'ordered' takes the first half
of the clips and the second, mostly different chunks of the recordings (at
most one chunk straddles the boundary), so the floor also measures how the
passages differ. Where the examples overlap (TFRecords made with --hop_secs
shorter than --example_secs) neighbouring clips share audio and, split at
random, often fall in different halves: the floor is then optimistic;
prepare eval TFRecords with --hop_secs equal to --example_secs. A paired
set's clips are cut alike (`paired_clips`): clip i comes from the same
example and the same second as real clip i, so it is kept or dropped with
it, whatever its own level (a silent resynthesis stays in, and is easy to
tell from real audio), and only those made from half A's clips are used.

`section` checks that every set has enough clips for the `folds`-fold tests
(one line naming the fix, exit 2 in a command) and returns the compare
result with what the real clips are.
"""

import numpy as np

from ddsp_generative.core import errors
from ddsp_generative.evaluation import clip_features
from ddsp_generative.evaluation import realism

REAL_CLIPS_ORDER = (
    'the eval examples in read order (shards sorted by name; in a shard, its '
    'chunks in a fixed shuffle by the hash of their audio, a chunk\'s '
    'examples in time order), each cut into 1 s clips; halves A and B per '
    '`real_halves.split`: random (a seeded permutation: the same passages) '
    'or ordered (the first and second half of the clips: mostly different '
    'chunks of the recordings)')


class RealismSetsError(errors.UsageError, ValueError):
  """Too few clips (real or generated) for the realism tests asked for."""


def min_clips_per_half(folds):
  """Clips each real half (and each set) needs for folds-fold tests: int."""
  return 2 * folds


def real_clips(audio, sample_rate, folds, more_examples='more eval examples'):
  """The real examples' audible 1 s clips, refused when too few.

  Args:
    audio: [n_examples, n_samples] real examples in read order.
    sample_rate: Audio sample rate.
    folds: Cross-validation folds of the tests.
    more_examples: How to ask for more examples, for the message (e.g.
      'more eval examples (--n_examples=0: all)').

  Returns:
    (clips, index): float32 [m, clip_samples] clips and int [m] their
    positions among all the candidate clips (`realism.cut_clips`).

  Raises:
    RealismSetsError: Fewer than `4 * folds` audible clips.
  """
  clips, index = realism.cut_clips(audio, sample_rate, return_index=True)
  need = 2 * min_clips_per_half(folds)
  if len(clips) < need:
    per_example = max(1, int(np.shape(audio)[-1] //
                             round(realism.CLIP_SECS * sample_rate)))
    raise RealismSetsError(
        f'The realism tests need >= {need} audible 1 s real clips for '
        f'{folds} folds (two halves of {need // 2}); the {len(audio)} eval '
        f'examples give {len(clips)} of {len(audio) * per_example}: use '
        f'{more_examples}, fewer folds (--c2st_folds, >= 2) or '
        '--norealism.')
  return clips, index


def paired_clips(audio, sample_rate, index):
  """A paired set's clips, cut as the real ones were.

  Args:
    audio: [n_examples, n_samples] audio, example i made from real example i.
    sample_rate: Audio sample rate.
    index: The real clips' index from `real_clips`.

  Returns:
    float32 [m, clip_samples]: clip k made from real clip k.
  """
  return realism.cut_clips(audio, sample_rate, min_rms_db=None)[index]


def section(real, index, sets, sample_rate, paired=(), kinds=None, seed=0,
            folds=5, split='random', progress=False, n_examples=None,
            more_clips=None):
  """The realism section of a report: every set against real half B.

  Args:
    real: Real clips from `real_clips`.
    index: Their index from `real_clips`.
    sets: {name: audio}: a paired set (named in `paired`) as [n_examples,
      n_samples] audio, example i made from real example i; another set as
      [m, clip_samples] clips (`realism.cut_clips`).
    sample_rate: Audio sample rate.
    paired: Names of the paired sets.
    kinds: Optional {name: kind} recorded with the sets (e.g. 'mode').
    seed: Seed of the tests.
    folds: Cross-validation folds.
    split: How the real clips are halved: 'random' or 'ordered'
      (`realism.real_halves`).
    progress: Show a progress bar over the sets.
    n_examples: Real examples the clips were cut from, for the record.
    more_clips: {name: how to get more clips of that set}, for the message.

  Returns:
    `realism.compare`'s dict, plus 'real_clips' (what they are: 'order',
    'n_examples', 'n_clips', 'min_rms_db') and 'kinds'.

  Raises:
    RealismSetsError: An unpaired set has too few clips.
  """
  need = min_clips_per_half(folds)
  clips = {}
  for name, audio in sets.items():
    if name in paired:
      clips[name] = paired_clips(audio, sample_rate, index)
      continue
    clips[name] = np.asarray(audio, np.float32)
    if len(clips[name]) < need:
      hint = (more_clips or {}).get(name, 'more audio')
      raise RealismSetsError(
          f'The {name!r} set has {len(clips[name])} audible 1 s clips; the '
          f'{folds}-fold realism tests need >= {need}: give {hint}, fewer '
          'folds (--c2st_folds, >= 2) or --norealism.')
  result = realism.compare(real, clips, sample_rate, seed=seed, folds=folds,
                           paired_sets=tuple(paired), progress=progress,
                           split=split)
  result['real_clips'] = {'order': REAL_CLIPS_ORDER,
                          'n_examples': n_examples, 'n_clips': int(len(real)),
                          'min_rms_db': clip_features.MIN_RMS_DB}
  result['kinds'] = dict(kinds or {})
  return result
