"""`python -m ddsp_generative.sample`: default model, control flags, errors."""

import json
import os
import re

import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from ddsp_generative.core import audio_io
from ddsp_generative import controls
from ddsp_generative.sampling import default_model
from ddsp_generative.core import f0 as f0_lib

from conftest import run_cli


def _write_midi(path, notes):
  midi = pretty_midi.PrettyMIDI()
  violin = pretty_midi.Instrument(program=40)
  for pitch, start, end in notes:
    violin.notes.append(pretty_midi.Note(velocity=100, pitch=pitch,
                                         start=start, end=end))
  midi.instruments.append(violin)
  midi.write(str(path))
  return str(path)


def _wavs(directory):
  return sorted(f for f in os.listdir(directory) if f.endswith('.wav'))


def test_default_model_is_embedded_and_small():
  root = default_model.model_dir()
  size = sum(os.path.getsize(os.path.join(d, f))
             for d, _, files in os.walk(root) for f in files)
  assert size < 20 * 2**20
  manifest = default_model.manifest()
  assert manifest['kind'] == 'default_model'
  assert manifest['train_steps'] > 0
  assert os.path.exists(default_model.prior_path())
  assert os.path.exists(os.path.join(default_model.envelopes_dir(),
                                     'envelope_vae.json'))


def test_pitch_of_default_model_follows_requested_f0():
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative import priors  # pylint: disable=g-import-not-at-top
  from ddsp_generative.sampling import sampler  # pylint: disable=g-import-not-at-top
  trained = model_io.load_model(default_model.model_dir())
  prior = priors.load_prior(default_model.prior_path())
  melody = controls.Melody(pitches=(62, 69, 74), durations=0.3, peak_db=-5)
  f0_hz, loudness_db = melody.generate(trained.frame_rate)
  audio = sampler.synthesize(trained, prior, f0_hz, loudness_db, seed=0)
  assert audio.shape == (len(f0_hz) * trained.hop_size,)
  estimate, confidence = f0_lib.estimate_f0(
      audio, trained.sample_rate, trained.frame_rate, len(f0_hz), 'yin')
  # Frames of sustained notes: 60 ms after each onset, before each release.
  frames = np.arange(len(f0_hz))
  note_frames = int(0.3 * trained.frame_rate)
  offset = frames % note_frames
  steady = (offset > 15) & (offset < note_frames - 40)
  cents = 1200 * np.abs(np.log2(estimate[steady] / f0_hz[steady]))
  assert np.mean(cents < 50) >= 0.9, np.round(cents)
  assert np.median(cents) < 20


def test_sample_with_no_arguments_uses_the_default_model(tmp_path):
  save_dir = str(tmp_path / 'samples')
  # --phrase_model=none: its fixed phrase (tests/test_phrases.py covers the
  # composed one, the default).
  result = run_cli('ddsp_generative.sample', f'--save_dir={save_dir}',
                   '--phrase_model=none',
                   '--gin_param=Melody.durations = 0.2', timeout=600)
  assert os.path.join(save_dir, 'sample_000.wav') in result.stdout
  with open(os.path.join(save_dir, 'sample_000.json')) as f:
    sidecar = json.load(f)
  assert sidecar['model']['step'] == default_model.manifest()['model']['step']
  assert sidecar['controls']['type'] == 'Melody'
  assert sidecar['prior']['type'] == default_model.manifest()['prior'] == (
      'conditional_net')
  assert sidecar['prior']['conditions'] == ['f0_hz', 'loudness_db']
  # Played by the model's expression model: the last note rings 0.5 s.
  settings = sidecar['controls']['settings']
  assert settings['expression'] == os.path.join(default_model.PACKAGE_DIR,
                                                'expression')
  audio, rate = sf.read(os.path.join(save_dir, 'sample_000.wav'))
  n_notes = len(settings['pitches'])
  assert rate == 16000 and len(audio) == int((n_notes * 0.2 + 0.5) * rate)
  assert 0.01 < np.abs(audio).max() <= 1.0


def test_midi_and_envelope_flags(tmp_path, tiny_model_dir, tiny_prior_path):
  midi = _write_midi(tmp_path / 'tune.mid', [(60, 0.0, 0.3), (64, 0.3, 0.6),
                                             (67, 0.7, 1.0)])
  save_dir = str(tmp_path / 'midi')
  run_cli('ddsp_generative.sample', f'--model_dir={tiny_model_dir}',
          f'--prior={tiny_prior_path}', f'--save_dir={save_dir}',
          f'--midi_file={midi}', '--chunk_frames=60')
  with open(os.path.join(save_dir, 'sample_000.json')) as f:
    sidecar = json.load(f)
  assert sidecar['controls']['type'] == 'MidiFile'
  assert abs(sidecar['duration_secs'] - 1.0) < 0.05

  save_dir = str(tmp_path / 'envelope')
  run_cli('ddsp_generative.sample', f'--model_dir={tiny_model_dir}',
          f'--prior={tiny_prior_path}', f'--save_dir={save_dir}',
          '--envelope_model=default', '--pitch=65', '--duration=0.5')
  with open(os.path.join(save_dir, 'sample_000.json')) as f:
    sidecar = json.load(f)
  assert sidecar['controls']['type'] == 'EnvelopeControl'
  assert sidecar['controls']['settings']['pitch'] == 65.0
  assert abs(sidecar['duration_secs'] - 0.5) < 0.01


@pytest.mark.parametrize('args,message', [
    (['--duration=0'], 'positive'),
    (['--midi_file={bad_midi}'], 'MIDI'),
    (['--midi_file={missing}'], 'not found|No such|does not exist'),
    (['--model_dir={missing}'], 'Model directory not found'),
])
def test_bad_input_is_a_clear_error_and_writes_nothing(
    tmp_path, tiny_model_dir, tiny_prior_path, args, message):
  bad_midi = tmp_path / 'bad.mid'
  bad_midi.write_bytes(os.urandom(200))
  names = {'bad_midi': str(bad_midi), 'missing': str(tmp_path / 'nothing')}
  args = [a.format(**names) for a in args]
  if not any(a.startswith('--model_dir') for a in args):
    args += [f'--model_dir={tiny_model_dir}', f'--prior={tiny_prior_path}']
  save_dir = tmp_path / 'out'
  result = run_cli('ddsp_generative.sample', f'--save_dir={save_dir}', *args,
                   expect_ok=False)
  assert re.search(message, result.stderr), (
      result.stderr[-2000:])
  assert 'Traceback' not in result.stderr
  assert not save_dir.exists() or not _wavs(save_dir)


def test_prior_of_another_model_is_a_clear_error(tmp_path, tiny_model_dir):
  result = run_cli('ddsp_generative.sample', f'--model_dir={tiny_model_dir}',
                   f'--prior={default_model.prior_path()}',
                   f'--save_dir={tmp_path}', expect_ok=False)
  assert 'z_dims' in result.stderr and 'Traceback' not in result.stderr
  assert not _wavs(tmp_path)


def test_wav_writer_leaves_nothing_when_interrupted(tmp_path):
  path = str(tmp_path / 'a.wav')
  with pytest.raises(RuntimeError):
    with audio_io.wav_writer(path, 16000) as write:
      write(np.zeros(1000, np.float32))
      raise RuntimeError('interrupted')
  assert os.listdir(tmp_path) == []
  with audio_io.wav_writer(path, 16000) as write:
    for _ in range(3):
      write(np.full(100, 0.5, np.float32))
  audio, _ = sf.read(path)
  assert len(audio) == 300 and np.allclose(audio, 0.5, atol=1e-4)
