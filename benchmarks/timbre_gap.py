# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Where the resynthesis' timbre gap is: decode-time variants, side by side.

One model, one set of held-out 1 s clips, one run: the autoencoder's
resynthesis and variants of it that change only how its two synthesizers
are mixed, each scored by the absolute realism test
(`ddsp_generative.evaluation.realism.compare`: C2ST and Fréchet distance
against real half B, with the real-vs-real floor). A variant that moves the
C2ST or the Fréchet distance says which part of the sound separates:

* 'resynthesis': harmonic + filtered noise, as the model plays;
* 'noise_x<g>': the filtered noise scaled by g (--noise_gains, e.g. 0.5:
  6 dB down, 1.41: 3 dB up);
* 'harmonic_only': no noise at all;
* 'noise_band0_off': the noise filter's lowest band (0 Hz to one band's
  width: 242 Hz with 33 bands at 16 kHz) switched off;
* 'noise_hp<f>': the noise through a 4th-order Butterworth high-pass at f Hz
  (--highpass_hz, comma-separated), i.e. no noise below the instrument's
  lowest notes;
* 'f0_jitter<c>': the harmonic synthesizer played with its f0 perturbed,
  frame by frame, by Gaussian noise of c cents (--f0_jitter_cents; the
  synthesizer interpolates it to the sample rate, so the jitter is
  band-limited to half the frame rate): harmonics that are not exactly
  periodic, as a bowed or blown tone's are not.

Every variant uses the same encoder z, decoder outputs and noise draw (seed
= the batch's first clip index), so only the mix differs.

With --both_highpass_hz=F (> 0) the same run scores everything a second
time with the real clips and every set through
`ddsp_generative.core.audio_io.highpass` at F Hz (the 2nd-order Butterworth
of `prepare_tfrecord --highpass_hz`, clip by clip): content below F (a DC offset, sub-sonic rumble) that the
test would otherwise see on one side only. The shipped yardstick
(`evaluation.realism`, feature set v1) is unchanged; this is a diagnosis.

  python benchmarks/timbre_gap.py \
    --model_dir=ddsp_generative/sampling/default_model \
    --eval_tfrecord_pattern='/tmp/work/violin/heldout/violin.tfrecord-*' \
    --highpass_hz=150,250 --both_highpass_hz=20 \
    --output=/tmp/work/timbre_gap_violin.json
"""

import json

from absl import app
from absl import flags

flags.DEFINE_string('model_dir', None, 'A ddsp_run model dir with a z '
                    'encoder and harmonic + filtered noise synthesizers.')
flags.DEFINE_string('eval_tfrecord_pattern', None, 'Held-out TFRecords '
                    '(files the model never trained on, no overlap).')
flags.DEFINE_list('highpass_hz', ['150', '250'], 'Noise high-pass cut-offs.')
flags.DEFINE_list('noise_gains', ['0.5'], 'Gains of the noise variants.')
flags.DEFINE_list('f0_jitter_cents', [], 'Standard deviations (cents) of '
                  'the f0-jitter variants.')
flags.DEFINE_integer('folds', 5, 'Cross-validation folds.')
flags.DEFINE_integer('seed', 0, 'Seed of the realism test.')
flags.DEFINE_float('both_highpass_hz', 0.0, 'Also score with real and '
                   'generated clips both high-passed at this frequency (0: '
                   'off).')
flags.DEFINE_string('output', None, 'Optional JSON of the realism section '
                    '(with --both_highpass_hz: {"as_is", "highpassed"}).')
FLAGS = flags.FLAGS

BATCH = 16
SILENT_DB = -50.0


def variants(parts, sample_rate, cutoffs, gains):
  """{name: [n, n_samples]} mixes of the synthesizers' signals.

  Args:
    parts: From `decode_parts`.
    sample_rate: Audio rate in Hz.
    cutoffs: Noise high-pass cut-offs in Hz.
    gains: Noise gains.
  """
  import numpy as np  # pylint: disable=g-import-not-at-top
  import scipy.signal  # pylint: disable=g-import-not-at-top
  harmonic, noise = parts['harmonic'], parts['noise']
  sets = {'resynthesis': harmonic + noise}
  for gain in gains:
    sets[f'noise_x{gain:g}'] = harmonic + gain * noise
  sets['harmonic_only'] = harmonic
  sets['noise_band0_off'] = harmonic + parts['noise_band0_off']
  for name, jittered in parts['jitter'].items():
    sets[name] = jittered + noise
  for cutoff in cutoffs:
    sos = scipy.signal.butter(4, cutoff, 'highpass', fs=sample_rate,
                              output='sos')
    sets[f'noise_hp{cutoff:g}'] = harmonic + scipy.signal.sosfilt(
        sos, noise, axis=-1).astype(np.float32)
  return sets


def decode_parts(trained, audio, f0_hz, loudness_db, jitter_cents=()):
  """The synthesizers' signals, each [n, n_samples].

  Returns:
    {'harmonic', 'noise', 'noise_band0_off', 'jitter': {'f0_jitter<c>':
    the harmonic signal with f0 jittered by c cents}}.
  """
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tqdm import tqdm  # pylint: disable=g-import-not-at-top
  model = trained.model
  parts = [[], [], []]
  jitter = {f'f0_jitter{c:g}': [] for c in jitter_cents}
  for i in tqdm(range(0, len(audio), BATCH), desc='resynthesis',
                unit='batch'):
    features = trained._audio_features(  # pylint: disable=protected-access
        audio[i:i + BATCH], f0_hz[i:i + BATCH], loudness_db[i:i + BATCH])
    features = model.encode(features, training=False)
    features.update(model.decoder(features, training=False))
    for k, band0_off in enumerate((False, True)):
      controls = dict(features)
      if band0_off:
        magnitudes = controls['noise_magnitudes'].numpy()
        magnitudes[..., 0] = -30.0  # exp_sigmoid(-35): about 1e-7.
        controls['noise_magnitudes'] = tf.convert_to_tensor(magnitudes)
      tf.random.set_seed(i)
      outputs = model.processor_group(controls, return_outputs_dict=True)
      signals = outputs['controls']
      if not band0_off:
        parts[0].append(signals['harmonic']['signal'].numpy())
        parts[1].append(signals['filtered_noise']['signal'].numpy())
      else:
        parts[2].append(signals['filtered_noise']['signal'].numpy())
    rng = np.random.default_rng(i)
    harmonic = model.processor_group.processors[0]
    for cents in jitter_cents:
      f0 = features['f0_hz'].numpy()
      f0 = f0 * 2.0 ** (rng.normal(0.0, cents, f0.shape) / 1200.0)
      signal = harmonic(features['amps'], features['harmonic_distribution'],
                        tf.constant(f0, tf.float32))
      jitter[f'f0_jitter{cents:g}'].append(signal.numpy())
  harmonic, noise, band0_off = (np.concatenate(p) for p in parts)
  return {'harmonic': harmonic, 'noise': noise, 'noise_band0_off': band0_off,
          'jitter': {k: np.concatenate(v) for k, v in jitter.items()}}


def main(argv):
  del argv
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  trained = model_io.load_model(FLAGS.model_dir)
  data = trained.read_tfrecords(FLAGS.eval_tfrecord_pattern)
  rms_db = 20 * np.log10(np.sqrt(np.mean(data['audio'] ** 2, 1)) + 1e-9)
  keep = rms_db > SILENT_DB
  audio, f0_hz, loudness_db = (data[k][keep] for k in
                               ('audio', 'f0_hz', 'loudness_db'))
  parts = decode_parts(trained, audio, f0_hz, loudness_db,
                       [float(c) for c in FLAGS.f0_jitter_cents])
  sets = variants(parts, trained.sample_rate,
                  [float(c) for c in FLAGS.highpass_hz],
                  [float(g) for g in FLAGS.noise_gains])
  print(f'{FLAGS.model_dir} (step {trained.step}), {len(audio)} held-out '
        f'clips of {FLAGS.eval_tfrecord_pattern}\n')
  sections = {'as_is': score(audio, sets, trained.sample_rate)}
  if FLAGS.both_highpass_hz > 0:
    sections['highpassed'] = score(
        *both_highpassed(audio, sets, trained.sample_rate,
                                  FLAGS.both_highpass_hz),
        trained.sample_rate,
        title=f'real and every set high-passed at '
        f'{FLAGS.both_highpass_hz:g} Hz')
  if FLAGS.output:
    with open(FLAGS.output, 'w') as f:
      json.dump(sections if len(sections) > 1 else sections['as_is'], f)


def both_highpassed(audio, sets, sample_rate, cutoff):
  """(audio, sets), each [n, n_samples], clip by clip through
  `audio_io.highpass` at cutoff."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import audio_io  # pylint: disable=g-import-not-at-top
  def apply(x):
    return np.stack([audio_io.highpass(clip, sample_rate, cutoff)
                     for clip in x])
  return apply(audio), {name: apply(x) for name, x in sets.items()}


def score(audio, sets, sample_rate, title='as decoded'):
  """Prints and returns `realism.compare` of the sets against real audio."""
  from ddsp_generative.evaluation import realism  # pylint: disable=g-import-not-at-top
  section = realism.compare(audio, sets, sample_rate, seed=FLAGS.seed,
                            folds=FLAGS.folds, paired_sets=tuple(sets),
                            progress=True)
  print(f'### {title}\n')
  print(realism.markdown_table(section, caption=False))
  print('| set | ' + ' | '.join(b['band'] for b in
                                 section['floor']['bands']) + ' |')
  print('|' + ' --- |' * (1 + len(section['floor']['bands'])))
  for name, row in section['sets'].items():
    print(f'| {name} | ' + ' | '.join(f"{b['difference_db']:+.1f} dB"
                                      for b in row['bands']) + ' |')
  print()
  return section


if __name__ == '__main__':
  flags.mark_flags_as_required(['model_dir', 'eval_tfrecord_pattern'])
  app.run(main)
