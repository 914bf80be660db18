# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
r"""Reproduce the embedded default model: one command, every step real.

`python -m ddsp_generative.sample` with no --model_dir samples the model in
`ddsp_generative/sampling/default_model/`. This recipe rebuilds it from nothing:

  1. render 15 minutes of violin with ground-truth pitch
     (`ddsp_generative_render_dataset`: public-domain melodies, FluidR3 GM);
  2. `ddsp_generative_prepare_tfrecord` (Beam; pYIN; 1 s examples, 10% eval);
  3. `ddsp_run` (Magenta's trainer, unchanged) with
     `gin/harmonic_noise_z.gin` + `gin/sizes/small.gin`;
  4. `ddsp_generative_extract_z` (Beam) over the training examples;
  5. `ddsp_generative_fit_prior` (by default the network conditional prior:
     z given the pitch and loudness around each frame);
  6. `ddsp_generative_train_envelopes` (the envelope VAE control model, on
     1 s windows: the examples' length);
  7. package: the model's weights without the optimizer's state (a
     `tf.train.Checkpoint(model=...)`), its operative gin config, the prior,
     the envelope model and `manifest.json` (what produced each file: steps,
     seeds, versions, hardware, wall-clock time of every step).

Usage (about 40 minutes on 2 CPU cores with the default --train_steps):

  make default-model
  # or
  python -m ddsp_generative.make_default_model --work_dir=/tmp/default_model \
    --output_dir=ddsp_generative/sampling/default_model

Steps whose outputs exist in --work_dir are skipped (resume after an
interruption); --output_dir is replaced only when every step succeeded.
"""

import json
import os
import platform
import shutil
import sys
import tempfile
import time

from absl import app
from absl import flags

from ddsp_generative import gin_path
from ddsp_generative.recipes import pipeline_steps

FLAGS = flags.FLAGS

flags.DEFINE_string('work_dir', '/tmp/ddsp_generative_default_model',
                    'Audio, TFRecords, checkpoints and logs.')
flags.DEFINE_string('output_dir', None, 'Where the packaged model goes '
                    '(default: the package\'s default_model/).')
flags.DEFINE_string('instrument', 'violin', 'Instrument to render.')
flags.DEFINE_float('minutes', 15.0, 'Minutes of audio to render.')
flags.DEFINE_integer('seed', 0, 'Seed of rendering, priors and envelopes.')
flags.DEFINE_integer('train_steps', 4000, 'ddsp_run training steps.')
flags.DEFINE_string('size', 'gin/sizes/small.gin', 'Size mixin.')
flags.DEFINE_string('prior', 'conditional_net',
                    'Prior type (ddsp_generative_fit_prior --prior).')
flags.DEFINE_integer('envelope_steps', 3000, 'Envelope VAE training steps.')
flags.DEFINE_integer('envelope_frames', 250, 'Envelope VAE window (frames): '
                     'the examples\' length, since windows longer than an '
                     'example would be mostly padding.')
flags.DEFINE_boolean('rerun', False, 'Redo steps whose outputs exist.')

MANIFEST_FORMAT_VERSION = 1


class StepTimes:
  """Wall-clock seconds of each step, kept in the work dir across resumes."""

  def __init__(self, path):
    self.path = path
    self.secs = {}
    if os.path.exists(path):
      with open(path) as f:
        self.secs = json.load(f)

  def add(self, step, secs):
    if secs:  # 0: skipped, done by an earlier run.
      self.secs[step] = round(secs, 1)
      with open(self.path, 'w') as f:
        json.dump(self.secs, f, indent=2)


def control_ranges(file_pattern):
  """Percentiles of the training controls, to choose sampling levels.

  Args:
    file_pattern: TFRecords in ddsp's schema.

  Returns:
    {'loudness_db': {...}, 'f0_hz': {...}} percentiles (5, 10, 50, 90, 95)
    over audible frames (loudness above -60 dB).
  """
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ddsp_generative.envelopes import data  # pylint: disable=g-import-not-at-top
  examples = data.read_examples(file_pattern)
  loudness = np.concatenate([ex['loudness_db'] for ex in examples])
  f0 = np.concatenate([ex['f0_hz'] for ex in examples])
  audible = loudness > -60.0
  pct = (5, 10, 50, 90, 95)
  return {name: {f'p{p}': round(float(v), 1)
                 for p, v in zip(pct, np.percentile(x[audible], pct))}
          for name, x in (('loudness_db', loudness), ('f0_hz', f0))}


def package(model_dir, prior_path, envelope_dir, output_dir, manifest):
  """Writes the model's weights, config, prior and envelope model.

  Args:
    model_dir: The ddsp_run --save_dir.
    prior_path: The fitted prior JSON.
    envelope_dir: The envelope VAE's save dir.
    output_dir: Destination; replaced only once the copy is complete.
    manifest: Dict recorded as manifest.json.
  """
  from ddsp_generative.core import artifacts  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  trained = model_io.load_model(model_dir)
  parent = os.path.dirname(os.path.abspath(output_dir))
  os.makedirs(parent, exist_ok=True)
  staging = tempfile.mkdtemp(prefix='.tmp-default-model-', dir=parent)
  try:
    # Weights only: the optimizer's slots would triple the size.
    tf.train.Checkpoint(model=trained.model).write(
        os.path.join(staging, f'ckpt-{trained.step}'))
    with open(os.path.join(staging, f'operative_config-{trained.step}.gin'),
              'w') as f:
      f.write(trained.operative_config)
    shutil.copy(prior_path, os.path.join(staging, 'prior.json'))
    shutil.copytree(envelope_dir, os.path.join(staging, 'envelopes'))
    manifest = dict(manifest, model=trained.info(),
                    files=sorted(os.listdir(staging)))
    manifest['model']['model_dir'] = 'default_model'
    artifacts.write_json(os.path.join(staging, 'manifest.json'),
                         'default_model', MANIFEST_FORMAT_VERSION, manifest)
    os.chmod(staging, 0o755)  # mkdtemp's 0700 would hide it from others.
    if os.path.exists(output_dir):
      shutil.rmtree(output_dir)
    os.replace(staging, output_dir)
  finally:
    if os.path.exists(staging):
      shutil.rmtree(staging)
  size = sum(os.path.getsize(os.path.join(root, name))
             for root, _, names in os.walk(output_dir) for name in names)
  print(f'Saved the default model to {output_dir} ({size / 2**20:.1f} MiB).')


def main(unused_argv):
  from ddsp_generative.sampling import default_model  # pylint: disable=g-import-not-at-top
  work = os.path.abspath(FLAGS.work_dir)
  output_dir = os.path.abspath(FLAGS.output_dir or default_model.PACKAGE_DIR)
  audio_dir = os.path.join(work, 'audio')
  data = os.path.join(work, 'data', f'{FLAGS.instrument}.tfrecord')
  model_dir = os.path.join(work, 'model')
  z_path = os.path.join(work, 'data', 'z.tfrecord')
  prior_path = os.path.join(work, 'prior.json')
  envelope_dir = os.path.join(work, 'envelopes')
  logs = os.path.join(work, 'logs')
  script = pipeline_steps.console_script
  rerun = FLAGS.rerun
  overwrite = ['--overwrite'] if rerun else []
  times = StepTimes(os.path.join(work, 'step_times.json'))

  times.add('render', pipeline_steps.run_step('1. render the dataset', [
      script('ddsp_generative_render_dataset'),
      f'--instrument={FLAGS.instrument}', f'--minutes={FLAGS.minutes}',
      f'--seed={FLAGS.seed}', f'--output_dir={audio_dir}',
  ] + overwrite, logs, rerun=rerun,
      done_marker=os.path.join(audio_dir, 'dataset.json')))
  times.add('prepare', pipeline_steps.run_step('2. prepare TFRecords (Beam)', [
      script('ddsp_generative_prepare_tfrecord'),
      f'--input_audio_filepatterns={audio_dir}/*.wav',
      f'--output_tfrecord_path={data}', '--example_secs=1',
      '--hop_secs=0.5', '--eval_split_fraction=0.1', '--num_shards=4',
  ] + overwrite, logs, rerun=rerun, done_marker=os.path.join(
      work, 'data', f'metadata_{FLAGS.instrument}.json')))
  times.add('train', pipeline_steps.run_step('3. train (ddsp_run)', [
      script('ddsp_run'), '--mode=train', f'--save_dir={model_dir}',
      f'--gin_search_path={gin_path.PACKAGE_DIR}',
      '--gin_file=gin/harmonic_noise_z.gin', f'--gin_file={FLAGS.size}',
      f"--gin_param=TFRecordProvider.file_pattern='{data}-train*'",
      f'--gin_param=train.num_steps={FLAGS.train_steps}',
      '--gin_param=train.steps_per_save=500',
      '--gin_param=Trainer.checkpoints_to_keep=2',
  ], logs, rerun=rerun, done_marker=os.path.join(
      model_dir, f'ckpt-{FLAGS.train_steps}.index')))
  times.add('extract_z', pipeline_steps.run_step('4. extract z (Beam)', [
      script('ddsp_generative_extract_z'),
      f'--input_tfrecord_filepatterns={data}-train*',
      f'--output_path={z_path}', f'--model_dir={model_dir}',
  ] + overwrite, logs, rerun=rerun, done_marker=os.path.join(
      work, 'data', 'metadata_z.z_dataset.json')))
  times.add('fit_prior', pipeline_steps.run_step('5. fit the prior', [
      script('ddsp_generative_fit_prior'), f'--z_dataset={z_path}',
      f'--output={prior_path}', f'--prior={FLAGS.prior}',
      f'--seed={FLAGS.seed}',
  ] + overwrite, logs, rerun=rerun, done_marker=prior_path))
  times.add('train_envelopes', pipeline_steps.run_step(
      '6. train the envelope VAE', [
          script('ddsp_generative_train_envelopes'),
          f'--tfrecord_pattern={data}-train*', f'--save_dir={envelope_dir}',
          f'--steps={FLAGS.envelope_steps}', f'--seed={FLAGS.seed}',
          f'--gin_param=EnvelopeVae.n_frames={FLAGS.envelope_frames}',
      ], logs, rerun=rerun,
      done_marker=os.path.join(envelope_dir, 'envelope_vae.json')))

  manifest = {
      'recipe': ' '.join(['python -m ddsp_generative.make_default_model'] +
                         sys.argv[1:]),
      'instrument': FLAGS.instrument,
      'minutes': FLAGS.minutes,
      'seed': FLAGS.seed,
      'gin_files': ['gin/harmonic_noise_z.gin', FLAGS.size],
      'train_steps': FLAGS.train_steps,
      'prior': FLAGS.prior,
      'envelope_steps': FLAGS.envelope_steps,
      'envelope_frames': FLAGS.envelope_frames,
      'hardware': {'machine': platform.machine(),
                   'processor': platform.processor(),
                   'cpu_count': os.cpu_count(), 'gpu': None},
      # Of the run that made each output (steps resumed later are not
      # timed again).
      'step_wall_secs': times.secs,
      'finished': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
  }
  manifest['training_controls'] = control_ranges(f'{data}-train*')
  with open(os.path.join(audio_dir, 'dataset.json')) as f:
    manifest['dataset'] = json.load(f).get('provenance', {})
  package(model_dir, prior_path, envelope_dir, output_dir, manifest)


if __name__ == '__main__':
  app.run(main)
