# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Evaluate generated audio against real recordings, per sampling mode.

For the held-out real examples' own f0 and loudness, generates audio with z
from every sampling mode of the prior(s), plus the references (the real audio,
the autoencoder's resynthesis, random z), and writes into --save_dir a
versioned JSON report, Markdown tables (also printed) and two figures
(`evaluation.generation`, `generation_report`):

* first, the absolute section 'realism' (`evaluation.realism`): every set's
  1 s clips against real held-out clips, unpaired, by classifier two-sample
  tests (accuracy 0.5: indistinguishable), a Fréchet distance of clip
  features, the features and frequency bands that separate them, always
  beside the floor of one half of the real clips against the other (split
  at random, seeded; --realism_split=ordered: first half vs second in read
  order); and the long-term average spectra (`generation_ltas.png`);
* then the relative metrics: Fréchet distance to the real audio in a fixed
  MFCC embedding and the share of the random-z to resynthesis gap closed,
  k-NN precision/recall, f0 and loudness consistency, timbre flux and
  spectral flatness, and a spectrogram grid (`generation.png`).

Usage:

  ddsp_generative_evaluate_generation --model_dir=models/violin \
    --prior=models/violin/prior.json \
    --eval_tfrecord_pattern='data/violin/train.tfrecord-eval*' \
    --save_dir=models/violin/eval/generation

  # Several priors (e.g. gmm, hmm, conditional) in one table, two modes:
  ddsp_generative_evaluate_generation --model_dir=models/violin \
    --prior=models/violin/prior_gmm.json --prior=models/violin/prior_hmm.json \
    --modes=component,temporal \
    --eval_tfrecord_pattern='data/violin/train.tfrecord-eval*'

  # Also whole held-out tunes from their MIDI files (the 'midi' set; with
  # basic-pitch installed, note F1 against the MIDI, beside that of the
  # recording <name>.wav next to each <name>.mid):
  ddsp_generative_evaluate_generation --model_dir=models/violin \
    --eval_tfrecord_pattern='data/violin/train.tfrecord-eval*' \
    --midi_pattern='data/violin_heldout/*.mid'

  # A model without z (gin/harmonic_noise.gin): no prior; its set is the
  # model on the real controls:
  ddsp_generative_evaluate_generation --model_dir=models/violin_hn \
    --eval_tfrecord_pattern='data/violin/train.tfrecord-eval*'

  # Also clips from a gin control source (per-clip metrics only):
  ddsp_generative_evaluate_generation --model_dir=models/violin \
    --eval_tfrecord_pattern='data/violin/train.tfrecord-eval*' \
    --n_control_samples=4 \
    --gin_param="control_source.source = @Melody()"

The realism tests need at least 4 x --c2st_folds audible 1 s clips of real
audio (two halves of 2 x folds; default 5 folds: 20), and the MIDI set at
least 2 x folds audible clips: fewer stop the run with the fix
(--c2st_folds=2, more examples or MIDI files, --norealism). A VAE model (gin/harmonic_noise_vae_z.gin) is
evaluated with its 'standard_normal' prior. When --prior is not given,
`<model_dir>/prior.json` is used (a model without z needs none);
--save_dir defaults to `<model_dir>/eval/generation-<step>`.
"""

import glob
import os

from absl import flags
from ddsp_generative import cli
from ddsp_generative.evaluation import report_paths

FLAGS = flags.FLAGS

flags.DEFINE_string('model_dir', None, 'ddsp_run --save_dir of the model.')
flags.DEFINE_string('checkpoint', None, 'Checkpoint path; default latest.')
flags.DEFINE_multi_string('prior', None, 'Prior file(s) from '
                          'ddsp_generative_fit_prior; default '
                          '<model_dir>/prior.json.')
flags.DEFINE_string('eval_tfrecord_pattern', None,
                    'Held-out TFRecords (real audio and the control '
                    'contours), e.g. data/train.tfrecord-eval*.')
flags.DEFINE_list('modes', None, 'Sampling modes; default all each prior '
                  'supports (independent, component, temporal).')
flags.DEFINE_integer('n_examples', 64, 'Eval examples, evenly spread over '
                     'the eval set (0: all); at least 4.')
flags.DEFINE_integer('seed', 0, 'Clip i uses seed + i (z and noise).')
flags.DEFINE_string('save_dir', None, 'Output directory; default '
                    '<model_dir>/eval/generation-<step>.')
flags.DEFINE_enum('f0_estimator', None, ['pyin', 'yin', 'crepe'],
                  'Pitch estimator run on the audio; default the one that '
                  'made the TFRecords\' f0, else pyin.')
flags.DEFINE_float('voiced_threshold', 0.5,
                   'Real f0 confidence at or above which f0 is scored.')
flags.DEFINE_float('audible_db', -60.0, 'Requested loudness (dB) at or above '
                   'which a frame counts.')
flags.DEFINE_integer('knn_k', 3, 'Neighbour rank of precision/recall.')
flags.DEFINE_integer('max_points', 4000, 'Frames per set for precision/'
                     'recall (subsampled).')
flags.DEFINE_integer('n_control_samples', 0, 'Clips per set from the gin '
                     'control source (control_source.source; default a '
                     'Note); 0: none.')
flags.DEFINE_integer('n_figure_examples', 3, 'Examples (columns) in the '
                     'spectrogram grid; 0: no figure.')
cli.define_realism_flags('generated', __name__)
flags.DEFINE_string('midi_pattern', None, 'Glob of MIDI files of held-out '
                    'tunes (e.g. \'data/heldout/*.mid\'): adds the set '
                    '\'midi\' and, with basic-pitch installed, note F1 (with '
                    'that of <name>.wav beside <name>.mid).')
flags.DEFINE_string('expression', 'auto', 'How the \'midi\' set plays the '
                    'notes, as the sampler does: "auto" (<model_dir>/'
                    'expression/ when the model has an expression model, '
                    'else the rules), "rules", or an expression model\'s '
                    'directory.')
flags.DEFINE_boolean('overwrite', False, 'Replace an existing report.')
flags.DEFINE_multi_string('gin_file', [], 'Gin files for the control source.')
flags.DEFINE_multi_string('gin_param', [], 'Gin bindings for the control '
                          'source, e.g. "control_source.source = @Melody()".')


def _midi_paths():
  """The files --midi_pattern matches, sorted; [] without it."""
  if not FLAGS.midi_pattern:
    return []
  paths = sorted(p for p in glob.glob(FLAGS.midi_pattern)
                 if os.path.isfile(p))
  if not paths:
    raise cli.UsageError(f'--midi_pattern={FLAGS.midi_pattern} matches no '
                         'file: pass a glob of .mid files, e.g. '
                         "'data/heldout/*.mid'.")
  return paths


EXPRESSION_JSON = 'expression_vae.json'  # expression.saving.MODEL_JSON


def expression_bindings():
  """Gin bindings that play the MIDI set through --expression's model."""
  if FLAGS.expression == 'rules' or not FLAGS.midi_pattern:
    return []
  path = FLAGS.expression
  if path == 'auto':
    path = os.path.join(FLAGS.model_dir, 'expression')
    if not os.path.isfile(os.path.join(path, EXPRESSION_JSON)):
      return []
  return [f'MidiFile.expression = {path!r}']


def check_flags():
  """The checks that need no model: flags, paths, an existing report.

  Raises:
    cli.UserError: Naming the flag and the fix.
  """
  cli.check_args(FLAGS, {
      'model_dir': ' (a ddsp_run --save_dir)',
      'eval_tfrecord_pattern': ", e.g. 'data/train.tfrecord-eval*'"})
  if FLAGS.n_examples < 0 or 0 < FLAGS.n_examples < 4:
    raise cli.UsageError('--n_examples must be 0 (all) or >= 4.')
  if FLAGS.c2st_folds < 2:
    raise cli.UsageError(f'--c2st_folds must be >= 2, not '
                         f'{FLAGS.c2st_folds}.')
  if not os.path.isdir(FLAGS.model_dir):
    raise cli.UsageError(f'Model directory not found: {FLAGS.model_dir}. '
                         'Train one with `ddsp_run --mode=train '
                         '--save_dir=... --gin_file=gin/harmonic_noise_z.gin`.')
  _midi_paths()
  if FLAGS.expression not in ('auto', 'rules') and not os.path.isdir(
      FLAGS.expression):
    raise cli.UsageError(f'--expression={FLAGS.expression}: directory not '
                         'found ("auto", "rules" or a '
                         'ddsp_generative_train_expression --save_dir).')
  if FLAGS.save_dir:
    report_paths.check_generation_not_written(FLAGS.save_dir, FLAGS.overwrite)


def main(unused_argv):
  # TensorFlow and the model load here, once the checks passed.
  from ddsp_generative.evaluation import generation_report  # pylint: disable=g-import-not-at-top
  from ddsp_generative.evaluation import generation_run  # pylint: disable=g-import-not-at-top
  report, written = generation_run.evaluate_generation(
      FLAGS.model_dir, FLAGS.eval_tfrecord_pattern,
      checkpoint=FLAGS.checkpoint, prior_paths=FLAGS.prior, modes=FLAGS.modes,
      n_examples=FLAGS.n_examples, seed=FLAGS.seed, save_dir=FLAGS.save_dir,
      f0_estimator=FLAGS.f0_estimator,
      voiced_threshold=FLAGS.voiced_threshold, audible_db=FLAGS.audible_db,
      knn_k=FLAGS.knn_k, max_points=FLAGS.max_points,
      n_control_samples=FLAGS.n_control_samples,
      n_figure_examples=FLAGS.n_figure_examples,
      realism_section=FLAGS.realism, c2st_folds=FLAGS.c2st_folds,
      realism_split=FLAGS.realism_split, midi_paths=_midi_paths(),
      overwrite=FLAGS.overwrite, gin_files=FLAGS.gin_file,
      gin_params=expression_bindings() + list(FLAGS.gin_param))
  print(generation_report.markdown_table(report))
  for path in written:
    print(path)


def console_entry_point():
  cli.run(main, __name__, checks=check_flags)


if __name__ == '__main__':
  console_entry_point()
