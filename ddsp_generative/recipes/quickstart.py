# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The quick-start pipeline (`make demo-pipeline`): from synthetic audio to
samples.

`run` writes synthetic melodies, then runs each command a user runs in its own
process (logged under `<save_dir>/logs`): prepare TFRecords, train a tiny
model with `ddsp_run`, extract z, fit a prior, sample. Steps whose outputs
exist are skipped unless `rerun`.
"""

import os
import sys

from ddsp_generative import gin_path
from ddsp_generative.recipes import pipeline_steps
from ddsp_generative.recipes import synthetic


def run(save_dir, train_steps=300, n_files=6, secs_per_file=10.0,
        n_samples=3, rerun=False):
  """Runs the whole pipeline and prints the sample files.

  Args:
    save_dir: Where everything goes.
    train_steps: Training steps of the tiny model.
    n_files: Synthetic audio files.
    secs_per_file: Seconds per synthetic file.
    n_samples: Audio files to sample.
    rerun: Redo steps whose outputs exist.
  """
  root = os.path.abspath(save_dir)
  audio_dir = os.path.join(root, 'audio')
  data = os.path.join(root, 'data', 'train.tfrecord')
  model_dir = os.path.join(root, 'model')
  z_path = os.path.join(root, 'data', 'z.tfrecord')
  prior_path = os.path.join(model_dir, 'prior.json')
  samples_dir = os.path.join(root, 'samples')
  python = sys.executable

  if rerun or not os.path.isdir(audio_dir):
    print(f'== 1. synthetic melodies -> {audio_dir}', flush=True)
    synthetic.write_dataset(audio_dir, n_files=n_files,
                            secs_per_file=secs_per_file)
  overwrite = ['--overwrite'] if rerun else []
  logs = os.path.join(root, 'logs')
  pipeline_steps.run_step('2. prepare TFRecords (Beam)', [
      pipeline_steps.console_script('ddsp_generative_prepare_tfrecord'),
      f'--input_audio_filepatterns={audio_dir}/*.wav',
      f'--output_tfrecord_path={data}',
      '--example_secs=1', '--hop_secs=0.2', '--num_shards=2',
  ] + overwrite, logs, done_marker=os.path.join(root, 'data',
                                                'metadata_train.json'))
  pipeline_steps.run_step('3. train the autoencoder (ddsp_run, tiny size)', [
      pipeline_steps.console_script('ddsp_run'), '--mode=train',
      f'--save_dir={model_dir}',
      f'--gin_search_path={gin_path.PACKAGE_DIR}',
      '--gin_file=gin/harmonic_noise_z.gin', '--gin_file=gin/sizes/tiny.gin',
      f"--gin_param=TFRecordProvider.file_pattern='{data}*'",
      f'--gin_param=train.num_steps={train_steps}',
      f'--gin_param=train.steps_per_save={train_steps}',
      '--gin_param=train.steps_per_summary=50',
  ], logs, rerun=rerun,
      done_marker=os.path.join(model_dir, f'ckpt-{train_steps}.index'))
  pipeline_steps.run_step('4. extract z (Beam)', [
      pipeline_steps.console_script('ddsp_generative_extract_z'),
      f"--input_tfrecord_filepatterns={data}*",
      f'--output_path={z_path}', f'--model_dir={model_dir}',
  ] + overwrite, logs, done_marker=os.path.join(root, 'data',
                                                'metadata_z.z_dataset.json'))
  pipeline_steps.run_step('5. fit a Gaussian-mixture prior over z', [
      pipeline_steps.console_script('ddsp_generative_fit_prior'),
      f'--z_dataset={z_path}',
      f'--output={prior_path}', '--prior=gmm',
  ] + overwrite, logs, done_marker=prior_path)
  pipeline_steps.run_step('6. sample new audio, no input audio', [
      python, '-m', 'ddsp_generative.sample', f'--model_dir={model_dir}',
      f'--save_dir={samples_dir}', f'--n_samples={n_samples}',
      '--gin_param=control_source.source = @Melody()',
      '--gin_param=Melody.pitches = (60, 64, 67, 72, 67, 64)',
      '--gin_param=Melody.durations = 0.5', '--overwrite',
  ], logs, rerun=rerun)
  print('\nWrote (listen to the WAVs; each has a spectrogram PNG and a JSON '
        'sidecar):')
  for name in sorted(os.listdir(samples_dir)):
    print(' ', os.path.join(samples_dir, name))
