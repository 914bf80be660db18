"""Loading a ddsp_run model, decoding without audio, and the sampler."""

import json
import os

import numpy as np
import pytest
import soundfile as sf

from ddsp_generative import controls
from ddsp_generative.sampling import model_io
from ddsp_generative import priors
from ddsp_generative.sampling import sampler as sampling


@pytest.fixture(scope='module')
def trained(tiny_model_dir):
  return model_io.load_model(tiny_model_dir)


@pytest.fixture(scope='module')
def prior(tiny_prior_path):
  return priors.load_prior(tiny_prior_path)


def test_load_model_reads_geometry_and_step(trained):
  assert trained.step == 10
  assert trained.sample_rate == 16000
  assert trained.frame_rate == 250
  assert trained.hop_size == 64
  assert trained.z_dims == 4  # gin/sizes/tiny.gin
  assert len(trained.fingerprint) == 16


@pytest.mark.parametrize('n_frames', [10, 250, 400])
def test_decode_any_length_without_audio(trained, n_frames):
  f0 = np.full([2, n_frames], 220.0, np.float32)
  ld = np.full([2, n_frames], -30.0, np.float32)
  z = np.zeros([2, n_frames, trained.z_dims], np.float32)
  audio = trained.decode(f0, ld, z)
  assert audio.shape == (2, n_frames * 64)
  assert np.all(np.isfinite(audio))


def test_decode_rejects_wrong_z(trained):
  with pytest.raises(ValueError, match='z must be'):
    trained.decode(np.full([1, 8], 220.0), np.full([1, 8], -30.0),
                   np.zeros([1, 8, trained.z_dims + 1]))


def test_missing_model_dir_is_a_clear_error(tmp_path):
  with pytest.raises(model_io.ModelLoadError, match='ddsp_run'):
    model_io.load_model(str(tmp_path / 'nope'))


def test_model_dir_without_checkpoint_is_a_clear_error(tmp_path):
  with pytest.raises(model_io.ModelLoadError, match='No checkpoint'):
    model_io.load_model(str(tmp_path))


def test_generate_writes_wav_png_json_and_same_seed_same_audio(
    trained, prior, tmp_path):
  source = controls.Note(pitch=64, duration=0.5)
  first = sampling.generate(trained, prior, source, n_samples=2, seed=3,
                          save_dir=str(tmp_path / 'a'), progress=False)
  again = sampling.generate(trained, prior, source, n_samples=1, seed=3,
                          save_dir=str(tmp_path / 'b'), progress=False)
  audio_a, sr = sf.read(first[0]['wav'])
  audio_b, _ = sf.read(again[0]['wav'])
  audio_other, _ = sf.read(first[1]['wav'])
  assert sr == 16000
  assert len(audio_a) == 0.5 * 16000
  np.testing.assert_array_equal(audio_a, audio_b)
  assert not np.array_equal(audio_a, audio_other)  # seed 4 differs
  with open(first[0]['png'], 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'
  with open(first[1]['json']) as f:
    sidecar = json.load(f)
  assert sidecar['kind'] == 'sample' and sidecar['format_version'] == 1
  assert sidecar['seed'] == 4
  assert sidecar['model']['step'] == 10
  assert sidecar['controls']['type'] == 'Note'
  assert sidecar['prior']['z_dims'] == trained.z_dims


def test_existing_samples_are_not_overwritten(trained, prior, tmp_path):
  source = controls.Note(duration=0.1)
  sampling.generate(trained, prior, source, save_dir=str(tmp_path),
                  progress=False)
  before = sorted(os.listdir(tmp_path))
  with pytest.raises(FileExistsError, match='--overwrite'):
    sampling.generate(trained, prior, source, save_dir=str(tmp_path),
                    progress=False)
  assert sorted(os.listdir(tmp_path)) == before


def test_prior_with_other_z_dims_is_rejected(trained, tmp_path):
  other = priors.GaussianMixturePrior(n_components=1).fit(
      np.random.default_rng(0).normal(size=[200, trained.z_dims + 2]))
  with pytest.raises(priors.PriorMismatchError, match='z_dims'):
    priors.check_compatible(other, trained.z_dims, trained.fingerprint)


@pytest.mark.parametrize('duration', [0, -1.0])
def test_non_positive_duration_is_rejected(duration):
  with pytest.raises(ValueError, match='positive'):
    controls.Note(duration=duration)


def test_out_of_range_pitch_is_clipped():
  f0, _ = controls.Note(pitch=140, duration=0.1).generate(250)
  np.testing.assert_allclose(f0, controls.midi_to_hz(controls.MAX_MIDI),
                             rtol=1e-5)


def test_melody_sample_records_its_settings(trained, prior, tmp_path):
  source = controls.Melody(pitches=(60, 67), durations=0.2)
  paths = sampling.generate(trained, prior, source, save_dir=str(tmp_path),
                            progress=False)
  with open(paths[0]['json']) as f:
    settings = json.load(f)['controls']
  assert settings['type'] == 'Melody'
  assert settings['settings']['pitches'] == [60, 67]
  audio, _ = sf.read(paths[0]['wav'])
  assert len(audio) == 0.4 * 16000
