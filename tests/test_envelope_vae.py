"""The envelope VAE: data, training, sampling, saving, control source, CLI."""

import glob
import json
import os
import shutil

import gin
import numpy as np
import pytest

from conftest import FRAME_RATE
from conftest import run_cli
from ddsp_generative.core import artifacts
from ddsp_generative import controls
from ddsp_generative import envelopes
from ddsp_generative.controls import envelope as envelope_control
from ddsp_generative.sampling import sampler
from ddsp_generative.core import tfrecords
from ddsp_generative.envelopes import normalize

N_FRAMES = 250  # 1 s windows: the fixture's examples are 1 s.
TINY = ('EnvelopeVae.n_frames = 250', 'EnvelopeVae.latent_dims = 8',
        'EnvelopeVae.channels = (16, 32, 32, 32)',
        'EnvelopeVae.hidden_units = 64')


@pytest.fixture(autouse=True)
def clear_gin():
  gin.clear_config()
  yield
  gin.clear_config()


@pytest.fixture(scope='module')
def trained(tiny_tfrecords, tmp_path_factory):
  """(model, summary, save_dir): a tiny model trained 60 steps and saved."""
  save_dir = str(tmp_path_factory.mktemp('envelope_model'))
  gin.parse_config(TINY)
  try:
    model, summary = envelopes.train_envelope_vae(
        tiny_tfrecords, save_dir=save_dir, steps=60, batch_size=4, seed=0,
        progress=False)
  finally:
    gin.clear_config()
  return model, summary, save_dir


@pytest.fixture(scope='module')
def windows(tiny_tfrecords):
  return envelopes.load_windows(tiny_tfrecords, N_FRAMES)


def test_windows_are_normalised_relative_to_their_median_pitch(windows):
  env, midi = windows['envelopes'], windows['midi_pitch']
  assert env.shape == (len(midi), N_FRAMES, 2) and env.dtype == np.float32
  assert windows['stats']['windows'] == windows['stats']['examples'] > 0
  assert windows['stats']['padded_windows'] == 0
  # Synthetic melodies: pitches in a playable range, varying between windows.
  assert 40 < midi.min() < midi.max() < 100
  for e in env:
    # The data's voicing also used the f0 confidence: close, not equal.
    voiced = normalize.voiced_mask(None, normalize.unscale_loudness(e[:, 1]))
    assert abs(np.median(e[voiced, 0])) * 1200 < 5  # cents
  assert -1.01 <= env[..., 1].min() and env[..., 1].max() < 1.5


def test_normalisation_round_trip():
  t = np.arange(300) / FRAME_RATE
  f0_hz = 440.0 * 2 ** (0.3 * np.sin(2 * np.pi * 5 * t) / 12)
  loudness_db = np.where(t < 1.0, -20.0, -80.0)
  env, midi = normalize.normalize_window(f0_hz, loudness_db)
  assert midi == pytest.approx(69.0, abs=0.05)
  f0_back, loudness_back = normalize.to_controls(env, midi)
  np.testing.assert_allclose(f0_back, f0_hz, rtol=1e-4)
  np.testing.assert_allclose(loudness_back, loudness_db, atol=1e-4)
  assert normalize.normalize_window(f0_hz, np.full(300, -80.0)) is None


def test_read_controls_lists_every_example_whole(tiny_tfrecords, windows):
  # A list, unlike the lazy `tfrecords.read_examples` (another name).
  examples = envelopes.read_controls(tiny_tfrecords)
  assert isinstance(examples, list) and not hasattr(envelopes,
                                                    'read_examples')
  assert len(examples) == windows['stats']['examples']
  for example in examples:
    assert sorted(example) == ['f0_confidence', 'f0_hz', 'loudness_db']
    assert len(example['f0_hz']) == len(example['loudness_db']) == N_FRAMES


def test_short_examples_are_padded_with_silence(tiny_tfrecords):
  padded = envelopes.load_windows(tiny_tfrecords, 300)
  stats = padded['stats']
  assert stats['padded_windows'] == stats['examples'] == stats['windows']
  np.testing.assert_allclose(padded['envelopes'][:, 250:, 1], -1.0)


def test_training_reduces_the_loss(trained):
  _, summary, _ = trained
  initial, final = summary['initial_losses'], summary['final_losses']
  assert final['total'] < 0.7 * initial['total'], (initial, final)
  assert final['reconstruction'] < initial['reconstruction']
  assert np.all(np.isfinite(summary['history']['total']))
  assert summary['evaluation']['loudness_mae_db'] < 20


def test_saved_model_is_versioned_json_and_hdf5(trained):
  model, summary, save_dir = trained
  names = sorted(os.listdir(save_dir))
  assert names == [envelopes.MODEL_JSON, envelopes.WEIGHTS_FILE]
  with open(os.path.join(save_dir, envelopes.MODEL_JSON)) as f:
    record = json.load(f)
  assert record['kind'] == 'envelope_model'
  assert record['format_version'] == 1
  assert record['config'] == model.get_config()
  assert record['config']['latent_dims'] == 8
  assert record['normalization'] == normalize.constants()
  training = record['training']
  assert training['steps'] == 60 and training['seed'] == 0
  assert training['tfrecord_pattern'] == summary['tfrecord_pattern']
  assert training['final_losses']['total'] > 0
  assert 'history' not in training


def test_save_load_gives_identical_samples(trained):
  model, _, save_dir = trained
  loaded, _ = envelopes.load_model(save_dir)
  a = model.sample(3, midi_pitch=64.0, seed=7).numpy()
  b = loaded.sample(3, midi_pitch=64.0, seed=7).numpy()
  np.testing.assert_array_equal(a, b)
  assert not np.allclose(a, model.sample(3, 64.0, seed=8).numpy())
  assert a.shape == (3, N_FRAMES, 2)


@pytest.mark.parametrize('pitch', [48.0, 67.5])
def test_samples_follow_the_requested_pitch(trained, pitch):
  model, _, _ = trained
  f0_hz, loudness_db = model.sample_controls(4, midi_pitch=pitch, seed=3)
  assert f0_hz.shape == loudness_db.shape == (4, N_FRAMES)
  for f0, ld in zip(f0_hz, loudness_db):
    cents = 100 * (normalize.median_voiced_midi(f0, ld) - pitch)
    assert abs(cents) < 50, cents
    # Not a constant: the decoded contour moves.
    assert np.std(normalize.hz_to_midi(f0)) > 0.01
    assert np.std(ld) > 0.1
  # The condition reaches the decoder: another pitch decodes differently.
  other = model.sample(4, midi_pitch=pitch + 12, seed=3).numpy()
  assert not np.allclose(model.sample(4, pitch, seed=3).numpy(), other)


@pytest.mark.parametrize('method', ['slerp', 'lerp'])
def test_interpolation_endpoints_are_the_reconstructions(
    trained, windows, method):
  model, _, _ = trained
  env, midi = windows['envelopes'], windows['midi_pitch']
  path, pitches = model.interpolate(env[0], env[3], 5, midi[0], midi[3],
                                    method=method)
  path = path.numpy()
  assert path.shape == (5, N_FRAMES, 2)
  np.testing.assert_allclose(pitches[[0, -1]], midi[[0, 3]])
  rec = model.reconstruct(env[[0, 3]], midi[[0, 3]]).numpy()
  np.testing.assert_allclose(path[0], rec[0], atol=1e-4)
  np.testing.assert_allclose(path[-1], rec[1], atol=1e-4)
  assert not np.allclose(path[2], rec[0], atol=1e-3)
  assert not np.allclose(path[2], rec[1], atol=1e-3)
  with pytest.raises(ValueError, match='n_steps'):
    model.interpolate(env[0], env[3], 1)


def test_slerp_keeps_endpoints_and_norm():
  a, b = np.array([1.0, 0.0]), np.array([0.0, 2.0])
  z = envelopes.slerp(a, b, np.linspace(0, 1, 5))
  np.testing.assert_allclose(z[[0, -1]], [a, b], atol=1e-12)
  assert 1.0 < np.linalg.norm(z[2]) < 2.0


def test_chain_windows_crossfades_linearly():
  out = envelope_control.chain_windows([np.zeros(10), np.ones(10)], 16, 4)
  assert out.shape == (16,)
  np.testing.assert_allclose(out[:6], 0.0)
  np.testing.assert_allclose(out[6:10], [0.2, 0.4, 0.6, 0.8])
  np.testing.assert_allclose(out[10:], 1.0)


def test_envelope_control_is_gin_configurable(trained):
  _, _, save_dir = trained
  gin.parse_config([
      'import ddsp_generative.envelopes',  # As a user passes it to sample.
      'control_source.source = @EnvelopeControl()',
      f"EnvelopeControl.model_path = '{save_dir}'",
      'EnvelopeControl.pitch = 62', 'EnvelopeControl.seed = 5',
      'EnvelopeControl.duration = 2.5', 'EnvelopeControl.crossfade = 0.1',
  ])
  source = sampler.control_source()
  assert isinstance(source, envelope_control.EnvelopeControl)
  assert source.config['pitch'] == 62 and source.config['duration'] == 2.5
  f0_hz, loudness_db = source.generate(FRAME_RATE)
  # 2.5 s from 1 s windows: three windows, 0.1 s crossfades.
  assert f0_hz.shape == loudness_db.shape == (625,)
  assert f0_hz.dtype == loudness_db.dtype == np.float32
  assert np.all(np.isfinite(f0_hz)) and np.all(f0_hz > 0)
  midi = normalize.hz_to_midi(f0_hz)
  assert controls.MIN_MIDI <= midi.min() and midi.max() <= controls.MAX_MIDI
  # Same seed, same controls; one window by default.
  np.testing.assert_array_equal(f0_hz, source.generate(FRAME_RATE)[0])
  single = envelope_control.EnvelopeControl(save_dir, pitch=62, seed=5)
  assert single.generate(FRAME_RATE)[0].shape == (N_FRAMES,)


def test_bad_inputs_give_clear_errors(trained, tiny_tfrecords, tmp_path):
  model, _, save_dir = trained
  with pytest.raises(artifacts.ArtifactError, match='No envelope model'):
    envelope_control.EnvelopeControl(str(tmp_path / 'missing'))
  with pytest.raises(ValueError, match='needs model_path'):
    envelope_control.EnvelopeControl()
  source = envelope_control.EnvelopeControl(save_dir)
  with pytest.raises(ValueError, match='250 frames per second, not 100'):
    source.generate(100)
  with pytest.raises(tfrecords.DatasetMismatchError,
                     match='No TFRecords match'):
    envelopes.load_windows(str(tmp_path / 'none*.tfrecord'), N_FRAMES)
  gin.parse_config(TINY + ('EnvelopeVae.frame_rate = 100',))
  with pytest.raises(tfrecords.DatasetMismatchError,
                     match='250 frames per second'):
    envelopes.train_envelope_vae(tiny_tfrecords, steps=1, progress=False)
  with pytest.raises(FileExistsError, match='already saved'):
    envelopes.train_envelope_vae(tiny_tfrecords, save_dir=save_dir, steps=1)
  with pytest.raises(ValueError, match='Expected envelopes'):
    model.encode(np.zeros([1, 10, 2]), 60.0)
  # A weights file that is not the JSON's, then a missing one.
  broken = str(tmp_path / 'broken')
  shutil.copytree(save_dir, broken)
  with open(os.path.join(broken, envelopes.WEIGHTS_FILE), 'ab') as f:
    f.write(b'\0')
  with pytest.raises(artifacts.ArtifactError, match='SHA-256'):
    envelopes.load_model(broken)
  os.remove(os.path.join(broken, envelopes.WEIGHTS_FILE))
  with pytest.raises(artifacts.ArtifactError, match='missing'):
    envelopes.load_model(broken)
  # Another artefact kind.
  other = tmp_path / 'prior.json'
  other.write_text(json.dumps({'kind': 'prior', 'format_version': 1}))
  with pytest.raises(artifacts.ArtifactError, match='not a envelope_model'):
    envelopes.load_model(str(other))


def test_cli_trains_and_saves(tiny_tfrecords, tmp_path):
  save_dir = str(tmp_path / 'envelopes')
  args = ['--tfrecord_pattern=' + tiny_tfrecords, '--save_dir=' + save_dir,
          '--steps=20', '--batch_size=4', '--seed=1', '--noprogress'] + [
              '--gin_param=' + b for b in TINY]
  result = run_cli('ddsp_generative.train_envelopes', *args)
  assert 'Envelope VAE trained for 20 steps' in result.stdout
  assert sorted(os.listdir(save_dir)) == [envelopes.MODEL_JSON,
                                          envelopes.WEIGHTS_FILE]
  model, record = envelopes.load_model(
      os.path.join(save_dir, envelopes.MODEL_JSON))
  assert record['training']['seed'] == 1 and model.n_frames == N_FRAMES
  # Nothing temporary left behind (no --overwrite refusal: tested in-process).
  assert not glob.glob(os.path.join(save_dir, '.tmp-*'))
  empty = run_cli('ddsp_generative.train_envelopes',
                  '--tfrecord_pattern=' + str(tmp_path / 'nothing*'),
                  '--save_dir=' + str(tmp_path / 'x'), expect_ok=False)
  assert 'No TFRecords match' in empty.stderr
  assert not os.path.exists(str(tmp_path / 'x'))
