"""The walking skeleton: every stage of the pipeline, through its real CLI.

audio files -> ddsp_generative_prepare_tfrecord (Beam) -> ddsp_run (Magenta's
trainer, unchanged) -> ddsp_generative_extract_z (Beam) ->
ddsp_generative_fit_prior -> python -m ddsp_generative.sample -> WAV, with no
input audio.
"""

import json
import os
import subprocess
import sys

import conftest
import numpy as np
import soundfile as sf

BIN = os.path.dirname(sys.executable)


def _run(command):
  result = subprocess.run(command, capture_output=True, text=True,
                          timeout=600)
  assert result.returncode == 0, (command, result.stderr[-3000:])
  return result


def test_audio_to_sampled_wav(tmp_path):
  wavs = conftest.write_synthetic_wavs(tmp_path / 'audio', n_files=2,
                                       secs_per_file=2.0, seed=7)
  assert len(wavs) == 2
  data = str(tmp_path / 'data' / 'train.tfrecord')
  _run([os.path.join(BIN, 'ddsp_generative_prepare_tfrecord'),
        f'--input_audio_filepatterns={tmp_path}/audio/*.wav',
        f'--output_tfrecord_path={data}', '--example_secs=1',
        '--hop_secs=0.5', '--num_shards=1', '--f0_estimator=yin',
        '--pipeline_options=' + ','.join(conftest.BEAM_OPTIONS)])
  with open(tmp_path / 'data' / 'metadata_train.json') as f:
    assert json.load(f)['kind'] == 'tfrecord_metadata'

  model_dir = str(tmp_path / 'model')
  conftest.run_ddsp_run(model_dir, data + '*', num_steps=5)
  assert os.path.exists(os.path.join(model_dir, 'ckpt-5.index'))

  z_path = str(tmp_path / 'data' / 'z.tfrecord')
  _run([os.path.join(BIN, 'ddsp_generative_extract_z'),
        f'--input_tfrecord_filepatterns={data}*', f'--output_path={z_path}',
        f'--model_dir={model_dir}',
        '--pipeline_options=' + ','.join(conftest.BEAM_OPTIONS)])

  # The default prior (the network conditional prior), trained briefly.
  _run([os.path.join(BIN, 'ddsp_generative_fit_prior'),
        f'--z_dataset={z_path}', f'--output={model_dir}/prior.json',
        '--gin_param=ConditionalNetworkPrior.train_steps = 100',
        '--gin_param=ConditionalNetworkPrior.channels = 16'])

  result = _run([sys.executable, '-m', 'ddsp_generative.sample',
                 f'--model_dir={model_dir}', f'--save_dir={tmp_path}/out',
                 '--n_samples=2', '--pitch=62', '--duration=0.5', '--seed=1'])
  printed = [line for line in result.stdout.splitlines()
             if line.endswith('.wav')]
  assert len(printed) == 2
  for path in printed:
    audio, sample_rate = sf.read(path)
    assert sample_rate == 16000
    assert len(audio) == 8000
    assert np.all(np.isfinite(audio))
    assert np.max(np.abs(audio)) > 1e-4  # Not silent.
    with open(path[:-4] + '.json') as f:
      sidecar = json.load(f)
    assert sidecar['model']['step'] == 5
    assert sidecar['prior']['path'] == f'{model_dir}/prior.json'
    assert sidecar['prior']['type'] == 'conditional_net'
