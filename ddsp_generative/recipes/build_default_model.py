# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Rebuild the embedded default model from nothing (`make default-model`).

`build` runs every step as the command a user runs (each in its own process,
logged under `<work_dir>/logs`): render a data set, prepare TFRecords, train
with `ddsp_run`, extract z, fit the prior, train the envelope VAE and the
expression VAE and the phrase model (on the note dataset the prepare step
writes); then `package` writes the weights (no optimizer state), the
operative config, the prior, the envelope, expression and phrase models and
`manifest.json`. Steps whose outputs exist are skipped unless `rerun`.
"""

import json
import os
import platform
import shutil
import time

from ddsp_generative import gin_path
from ddsp_generative.recipes import pipeline_steps

MANIFEST_FORMAT_VERSION = 1
# 129 linear bands (62.5 Hz at 16 kHz) instead of the size mixin's 33 (242
# Hz): with 33 the lowest band spans 0-242 Hz and the model lays a flat noise
# floor below the instrument's lowest notes, the largest single difference
# from real recordings (benchmarks/RESULTS.md, issue 14: resynthesis C2ST
# 1.00/0.99 -> 0.97/0.93, Fréchet distance to real -29%).
NOISE_BANDS = 129


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
  """Percentiles of the training controls (`core.control_ranges` format).

  Args:
    file_pattern: TFRecords in ddsp's schema.

  Returns:
    {'f0_hz': {...}, 'loudness_db': {...}, 'n_frames': N}: percentiles (5,
    10, 50, 90, 95) over audible frames, recorded in the manifest.
  """
  import numpy as np  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import control_ranges as ranges_lib  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import tfrecords  # pylint: disable=g-import-not-at-top
  examples = list(tfrecords.read_examples(file_pattern,
                                          keys=('f0_hz', 'loudness_db')))
  return ranges_lib.from_controls(
      np.concatenate([ex['f0_hz'] for ex in examples]),
      np.concatenate([ex['loudness_db'] for ex in examples]))


def package(model_dir, prior_path, envelope_dir, output_dir, manifest,
            expression_dir=None):
  """Writes the model's weights, config, prior, envelope and expression models.

  Args:
    model_dir: The ddsp_run --save_dir.
    prior_path: The fitted prior JSON.
    envelope_dir: The envelope VAE's save dir.
    output_dir: Destination; replaced only once the copy is complete.
    manifest: Dict recorded as manifest.json.
    expression_dir: The expression VAE's save dir (copied as
      `expression/`, where the sampler finds it), or None.
  """
  from ddsp_generative.core import artifacts  # pylint: disable=g-import-not-at-top
  from ddsp_generative.core import publish  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  trained = model_io.load_model(model_dir)
  with publish.output_directory(output_dir) as staging:
    # Weights only: the optimizer's slots would triple the size.
    tf.train.Checkpoint(model=trained.model).write(
        os.path.join(staging, f'ckpt-{trained.step}'))
    with open(os.path.join(staging, f'operative_config-{trained.step}.gin'),
              'w') as f:
      f.write(trained.operative_config)
    shutil.copy(prior_path, os.path.join(staging, 'prior.json'))
    shutil.copytree(envelope_dir, os.path.join(staging, 'envelopes'))
    if expression_dir:
      shutil.copytree(expression_dir, os.path.join(staging, 'expression'))
    manifest = dict(manifest, model=trained.info(),
                    files=sorted(os.listdir(staging)))
    manifest['model']['model_dir'] = 'default_model'
    artifacts.write_json(os.path.join(staging, 'manifest.json'),
                         'default_model', MANIFEST_FORMAT_VERSION, manifest)
  size = sum(os.path.getsize(os.path.join(root, name))
             for root, _, names in os.walk(output_dir) for name in names)
  print(f'Saved the default model to {output_dir} ({size / 2**20:.1f} MiB).')


def build(work_dir, output_dir, instrument='violin', minutes=15.0, seed=0,
          train_steps=5000, size='gin/sizes/small.gin',
          prior='conditional_net', envelope_steps=3000, envelope_frames=250,
          rerun=False, recipe=None, noise_bands=NOISE_BANDS,
          expression_steps=2000):
  """Runs every step of the recipe and packages the model.

  Args:
    work_dir: Audio, TFRecords, checkpoints and logs (kept: resume).
    output_dir: Where the packaged model goes; replaced only when every step
      succeeded.
    instrument: Instrument to render.
    minutes: Minutes of audio to render.
    seed: Seed of rendering, priors and envelopes.
    train_steps: ddsp_run training steps.
    size: Size gin mixin.
    prior: Prior type (ddsp_generative_fit_prior --prior).
    envelope_steps: Envelope VAE training steps.
    envelope_frames: Envelope VAE window (frames).
    rerun: Redo steps whose outputs exist.
    recipe: The command line recorded in the manifest.
    noise_bands: Bands of the filtered noise (`N_NOISE_BANDS`).
    expression_steps: Expression VAE training steps (on the note dataset
      the prepare step writes); 0: none is trained or shipped.
  """
  work = os.path.abspath(work_dir)
  output_dir = os.path.abspath(output_dir)
  audio_dir = os.path.join(work, 'audio')
  data = os.path.join(work, 'data', f'{instrument}.tfrecord')
  model_dir = os.path.join(work, 'model')
  z_path = os.path.join(work, 'data', 'z.tfrecord')
  prior_path = os.path.join(work, 'prior.json')
  envelope_dir = os.path.join(work, 'envelopes')
  expression_dir = os.path.join(work, 'expression')
  logs = os.path.join(work, 'logs')
  script = pipeline_steps.console_script
  overwrite = ['--overwrite'] if rerun else []
  times = StepTimes(os.path.join(work, 'step_times.json'))

  times.add('render', pipeline_steps.run_step('1. render the dataset', [
      script('ddsp_generative_render_dataset'),
      f'--instrument={instrument}', f'--minutes={minutes}',
      f'--seed={seed}', f'--output_dir={audio_dir}',
  ] + overwrite, logs, rerun=rerun,
      done_marker=os.path.join(audio_dir, 'dataset.json')))
  times.add('prepare', pipeline_steps.run_step('2. prepare TFRecords (Beam)', [
      script('ddsp_generative_prepare_tfrecord'),
      f'--input_audio_filepatterns={audio_dir}/*.wav',
      f'--output_tfrecord_path={data}', '--example_secs=1',
      '--hop_secs=0.5', '--eval_split_fraction=0.1', '--num_shards=4',
  ] + overwrite, logs, rerun=rerun, done_marker=os.path.join(
      work, 'data', f'metadata_{instrument}.json')))
  times.add('train', pipeline_steps.run_step('3. train (ddsp_run)', [
      script('ddsp_run'), '--mode=train', f'--save_dir={model_dir}',
      f'--gin_search_path={gin_path.PACKAGE_DIR}',
      '--gin_file=gin/harmonic_noise_z.gin', f'--gin_file={size}',
      f"--gin_param=TFRecordProvider.file_pattern='{data}-train*'",
      f'--gin_param=train.num_steps={train_steps}',
      f'--gin_param=N_NOISE_BANDS={noise_bands}',
      '--gin_param=train.steps_per_save=500',
      '--gin_param=Trainer.checkpoints_to_keep=2',
  ], logs, rerun=rerun, done_marker=os.path.join(
      model_dir, f'ckpt-{train_steps}.index')))
  times.add('extract_z', pipeline_steps.run_step('4. extract z (Beam)', [
      script('ddsp_generative_extract_z'),
      f'--input_tfrecord_filepatterns={data}-train*',
      f'--output_path={z_path}', f'--model_dir={model_dir}',
  ] + overwrite, logs, rerun=rerun, done_marker=os.path.join(
      work, 'data', 'metadata_z.z_dataset.json')))
  times.add('fit_prior', pipeline_steps.run_step('5. fit the prior', [
      script('ddsp_generative_fit_prior'), f'--z_dataset={z_path}',
      f'--output={prior_path}', f'--prior={prior}',
      f'--seed={seed}',
  ] + overwrite, logs, rerun=rerun, done_marker=prior_path))
  times.add('train_envelopes', pipeline_steps.run_step(
      '6. train the envelope VAE', [
          script('ddsp_generative_train_envelopes'),
          f'--tfrecord_pattern={data}-train*', f'--save_dir={envelope_dir}',
          f'--steps={envelope_steps}', f'--seed={seed}',
          f'--gin_param=EnvelopeVae.n_frames={envelope_frames}',
      ], logs, rerun=rerun,
      done_marker=os.path.join(envelope_dir, 'envelope_vae.json')))
  if expression_steps:
    times.add('train_expression', pipeline_steps.run_step(
        '7. train the expression VAE and the phrase model', [
            script('ddsp_generative_train_expression'),
            '--note_dataset=' + os.path.join(work, 'data',
                                             f'notes_{instrument}.json'),
            f'--save_dir={expression_dir}', f'--steps={expression_steps}',
            f'--seed={seed}', '--noprogress',
        ] + overwrite, logs, rerun=rerun,
        # Written last (after the VAE's expression_vae.json).
        done_marker=os.path.join(expression_dir, 'phrase_model.json')))

  manifest = {
      'recipe': recipe,
      'instrument': instrument,
      'minutes': minutes,
      'seed': seed,
      'gin_files': ['gin/harmonic_noise_z.gin', size],
      'gin_params': [f'N_NOISE_BANDS = {noise_bands}'],
      'train_steps': train_steps,
      'prior': prior,
      'envelope_steps': envelope_steps,
      'envelope_frames': envelope_frames,
      'expression_steps': expression_steps,
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
  package(model_dir, prior_path, envelope_dir, output_dir, manifest,
          expression_dir if expression_steps else None)
