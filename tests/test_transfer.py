"""Resynthesis and timbre transfer of a recording (`ddsp_generative.transfer`).

Most checks run the library in-process on the embedded default model (a
violin trained for 5,000 steps, so its output follows f0 and loudness) with
harmonic tones written here; the command runs end to end once.
"""

import json
import os

import numpy as np
import pytest
import soundfile as sf

from ddsp_generative.core import f0 as f0_lib
from ddsp_generative.core import units
from ddsp_generative.sampling import default_model
from ddsp_generative.sampling import sampler
from ddsp_generative.sampling import transfer

from conftest import run_cli

SAMPLE_RATE = 16000
FRAME_RATE = 250
# Frames skipped at each end of a tone (its 50 ms fades and the estimator's
# edges) when its pitch is compared.
EDGE_FRAMES = 25


def _tone(path, hz, secs=1.0, amp=0.06, sample_rate=SAMPLE_RATE, seed=0):
  """Writes a harmonic tone: 1/k partials up to 7.5 kHz, 50 ms fades, over
  a -60 dBFS noise floor (as a recording has). Returns the path."""
  t = np.arange(int(secs * sample_rate)) / sample_rate
  audio = sum(amp / k * np.sin(2 * np.pi * hz * k * t)
              for k in range(1, int(7500 / hz) + 1))
  audio = audio * np.minimum(1.0, np.minimum(t, secs - t) / 0.05)
  audio += 1e-3 * np.random.default_rng(seed).standard_normal(len(t))
  sf.write(str(path), audio.astype(np.float32), sample_rate)
  return str(path)


def _pitch(audio):
  """Median f0 (Hz) re-estimated (YIN) on a clip's steady frames."""
  n_frames = len(audio) // (SAMPLE_RATE // FRAME_RATE) + 1
  f0_hz, _ = f0_lib.estimate_f0(audio, SAMPLE_RATE, FRAME_RATE, n_frames,
                                'yin')
  return float(np.median(f0_hz[EDGE_FRAMES:-EDGE_FRAMES]))


def _rms_db(audio):
  return 20 * np.log10(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))


def _read(paths):
  audio, rate = sf.read(paths['wav'], dtype='float32')
  assert rate == SAMPLE_RATE
  with open(paths['json']) as f:
    return audio, json.load(f)


@pytest.fixture(scope='module')
def violin():
  """The embedded model, its prior and the prior's path."""
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  trained = model_io.load_model(default_model.model_dir())
  z_source, prior, prior_path = transfer.choose_z(trained)
  assert z_source == 'prior'  # Its directory has a prior.json.
  return trained, prior, prior_path


def _transfer(violin, input_path, save_dir, **kwargs):
  trained, prior, prior_path = violin
  if kwargs.get('z_source') != 'encoder':
    kwargs.update(z_source='prior', prior=prior, prior_path=prior_path)
  return _read(transfer.transfer(trained, input_path, save_dir,
                                 progress=False, **kwargs))


@pytest.fixture(scope='module')
def tone_runs(violin, tmp_path_factory):
  """A 330 Hz tone at 22.05 kHz (resampled) transferred three ways."""
  root = tmp_path_factory.mktemp('transfer_tone')
  path = _tone(root / 'tone.wav', 330.0, amp=0.3, sample_rate=22050)
  return {name: _transfer(violin, path, str(root / name), **kwargs)
          for name, kwargs in (
              ('plain', dict(octave_shift=0)),
              ('octave', dict(octave_shift=1)),
              ('quieter', dict(octave_shift=0, loudness_shift_db=-10.0)))}


def test_octave_shift_lands_an_octave_higher(tone_runs):
  plain, plain_sidecar = tone_runs['plain']
  octave, octave_sidecar = tone_runs['octave']
  assert len(plain) == len(octave) == SAMPLE_RATE  # The input's 1 s.
  # Re-estimated on the outputs: the unshifted one plays the input's pitch,
  # the shifted one an octave above it (ignoring the shift gives 0 cents).
  assert abs(units.cents(_pitch(plain), 330.0)) < 50
  assert abs(units.cents(_pitch(octave), _pitch(plain)) - 1200) < 50
  assert octave_sidecar['adjustments']['octave_shift'] == {
      'requested': 1, 'auto': 1, 'applied': 1}
  assert plain_sidecar['adjustments']['octave_shift']['applied'] == 0
  assert octave_sidecar['output_controls']['f0_hz']['p50'] == pytest.approx(
      2 * plain_sidecar['output_controls']['f0_hz']['p50'], rel=1e-3)


def test_loudness_shift_changes_the_output_level(tone_runs):
  plain, plain_sidecar = tone_runs['plain']
  quieter, sidecar = tone_runs['quieter']
  # The decoder maps loudness to amplitudes through a network: about the
  # shift, not exactly.
  assert -13.0 < _rms_db(quieter) - _rms_db(plain) < -7.0
  assert sidecar['rms_db'] == pytest.approx(_rms_db(quieter), abs=0.01)
  shift = sidecar['adjustments']['loudness_shift_db']
  assert shift['requested'] == -10.0
  assert shift['applied'] == pytest.approx(shift['auto'] - 10.0)
  assert shift['auto'] == pytest.approx(
      plain_sidecar['adjustments']['loudness_shift_db']['applied'])


def test_resynthesis_is_closer_to_its_own_clip(violin, tmp_path):
  from ddsp_generative.evaluation import reconstruction  # pylint: disable=g-import-not-at-top
  # 1.6 s: three overlapping encoder windows of the model's 1 s examples.
  paths = [_tone(tmp_path / f'{name}.wav', hz, secs=1.6, seed=i)
           for i, (name, hz) in enumerate((('low', 392.0), ('high', 659.0)))]
  clips = np.stack([sf.read(p, dtype='float32')[0] for p in paths])
  for i, path in enumerate(paths):
    audio, sidecar = _transfer(violin, path, str(tmp_path / 'out'),
                               z_source='encoder', auto_adjust=False)
    assert sidecar['z_source'] == 'encoder' and sidecar['prior'] is None
    assert sidecar['encoder_window_frames'] == 250
    distance = reconstruction.spectral_distance(clips, np.stack([audio] * 2))
    assert distance[i] < 0.85 * distance[1 - i], distance


def test_blocks_do_not_change_the_result(violin, tmp_path, monkeypatch):
  """Analysis, encoder windows and decoding run in blocks: same audio."""
  path = _tone(tmp_path / 'long.wav', 440.0, secs=2.0, sample_rate=22050)
  kwargs = dict(z_source='encoder', f0_estimator='yin')
  whole, _ = _transfer(violin, path, str(tmp_path / 'whole'), **kwargs)
  monkeypatch.setattr(transfer, 'ANALYSIS_BLOCK_SECS', 0.3)
  monkeypatch.setattr(sampler, 'BLOCK_FRAMES', 97)
  blocks, _ = _transfer(violin, path, str(tmp_path / 'blocks'), **kwargs)
  assert len(blocks) == len(whole)
  # Measured 4e-4 of the peak: a few LSBs of the 16-bit WAVs.
  assert np.max(np.abs(blocks - whole)) < 2e-3 * np.max(np.abs(whole))


def test_adjust_controls_quiets_what_is_not_a_note():
  n = 500
  f0_hz = np.full(n, 440.0)
  loudness_db = np.where(np.arange(n) < 300, -10.0, -50.0)
  confidence = np.where(np.arange(n) < 300, 0.95, 0.05)
  ranges = {'f0_hz': {'p50': 880.0}, 'loudness_db': {'p50': -6.0}}
  out_f0, out_db, facts = transfer.adjust_controls(
      f0_hz, confidence, loudness_db, ranges, nyquist=8000.0)
  assert facts['octave_shift'] == {'requested': None, 'auto': 1,
                                   'applied': 1}
  assert facts['loudness_shift_db']['auto'] == pytest.approx(4.0)
  np.testing.assert_allclose(out_f0, 880.0)
  np.testing.assert_allclose(out_db[20:280], -6.0)  # Notes: shifted only.
  assert np.all(out_db[350:] < -50.0 + 4.0 - 15.0)  # Rest: ~20 dB quieter.
  assert facts['output_median_loudness_db'] == pytest.approx(-6.0)
  _, plain_db, facts = transfer.adjust_controls(
      f0_hz, confidence, loudness_db, ranges, nyquist=8000.0,
      auto_adjust=False, octave_shift=-1, loudness_shift_db=3.0)
  np.testing.assert_allclose(plain_db, loudness_db + 3.0)
  assert facts['octave_shift']['applied'] == -1


def _one_line_exit_2(excinfo, *words):
  message = str(excinfo.value)
  assert excinfo.value.exit_code == 2
  assert '\n' not in message
  for word in words:
    assert word in message, message


def test_shifts_out_of_range_are_refused():
  f0_hz, confidence = np.full(100, 330.0), np.full(100, 0.9)
  loudness_db = np.full(100, -10.0)
  with pytest.raises(transfer.TransferInputError) as excinfo:
    transfer.adjust_controls(f0_hz, confidence, loudness_db, None, 8000.0,
                             octave_shift=5)
  # 330 Hz fits 20 Hz..8 kHz for octave shifts -4..+4.
  _one_line_exit_2(excinfo, '--octave_shift', '[-4, 4]')
  with pytest.raises(transfer.TransferInputError) as excinfo:
    transfer.adjust_controls(f0_hz, confidence, loudness_db, None, 8000.0,
                             octave_shift=-5)
  _one_line_exit_2(excinfo, '[-4, 4]')
  with pytest.raises(transfer.TransferInputError) as excinfo:
    transfer.adjust_controls(f0_hz, confidence, loudness_db, None, 8000.0,
                             loudness_shift_db=40.0)
  _one_line_exit_2(excinfo, '--loudness_shift')


def test_bad_recordings_and_priors_are_one_line(violin, tmp_path):
  from ddsp_generative import priors  # pylint: disable=g-import-not-at-top
  trained, prior, prior_path = violin
  garbage = tmp_path / 'garbage.wav'
  garbage.write_bytes(b'RIFF this is not audio' * 10)
  silent = tmp_path / 'silent.wav'
  sf.write(str(silent), np.zeros(SAMPLE_RATE, np.float32), SAMPLE_RATE)
  save_dir = str(tmp_path / 'out')
  for path, error, word in ((garbage, transfer.TransferInputError,
                             'readable audio'),
                            (silent, transfer.SilentInputError, 'silent')):
    with pytest.raises(error) as excinfo:
      transfer.transfer(trained, str(path), save_dir, z_source='prior',
                        prior=prior, progress=False)
    _one_line_exit_2(excinfo, str(path), word)
  assert not os.path.exists(save_dir) or not os.listdir(save_dir)
  # A prior fitted on another model's z (3 dimensions, not 8).
  other = priors.StandardNormalPrior().fit(
      np.random.default_rng(0).standard_normal([50, 3]), frame_rate=250,
      sample_rate=16000)
  other.save(str(tmp_path / 'other.json'))
  with pytest.raises(transfer.TransferInputError) as excinfo:
    transfer.choose_z(trained, 'prior', str(tmp_path / 'other.json'))
  _one_line_exit_2(excinfo, 'other.json', 'z_dims=3')
  # Existing outputs are kept unless overwrite, as the sampler does.
  tone = _tone(tmp_path / 'tone.wav', 440.0, secs=0.5)
  os.makedirs(save_dir, exist_ok=True)
  existing = transfer.output_paths(save_dir, tone)['json']
  with open(existing, 'w') as f:
    f.write('{}')
  with pytest.raises(transfer.TransferExistsError, match='--overwrite'):
    transfer.transfer(trained, tone, save_dir, z_source='prior',
                      prior=prior, progress=False)


def _no_z_model(model_dir):
  """A model without z (gin/harmonic.gin, tiny), saved as ddsp_run does."""
  import ddsp  # pylint: disable=g-import-not-at-top
  import gin  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from ddsp_generative import gin_path  # pylint: disable=g-import-not-at-top
  gin.clear_config()
  gin.add_config_file_search_path(gin_path.PACKAGE_DIR)
  with gin.unlock_config():
    gin.parse_config_files_and_bindings(
        ['gin/harmonic.gin', 'gin/sizes/tiny.gin'], [])
  model = ddsp.training.models.get_model()
  model({'audio': tf.zeros([1, 16000]), 'f0_hz': tf.fill([1, 250], 220.0),
         'loudness_db': tf.fill([1, 250], -30.0)}, training=False)
  tf.train.Checkpoint(model=model).save(os.path.join(model_dir, 'ckpt'))
  with open(os.path.join(model_dir, 'operative_config-0.gin'), 'w') as f:
    f.write(gin.operative_config_str())
  gin.clear_config()
  return model_dir


def test_model_without_z_needs_neither_encoder_nor_prior(tmp_path):
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  model_dir = _no_z_model(str(tmp_path / 'model'))
  trained = model_io.load_model(model_dir)
  assert trained.z_dims is None
  with pytest.raises(transfer.TransferInputError) as excinfo:
    transfer.choose_z(trained, 'encoder')
  _one_line_exit_2(excinfo, '--z=encoder', 'no z encoder')
  assert transfer.choose_z(trained) == (None, None, None)
  tone = _tone(tmp_path / 'tone.wav', 440.0, secs=0.5, sample_rate=44100)
  audio, sidecar = _read(transfer.transfer(
      trained, tone, str(tmp_path / 'out'), z_source=None, progress=False,
      f0_estimator='yin'))
  assert len(audio) == SAMPLE_RATE // 2
  assert sidecar['z_source'] is None and sidecar['prior'] is None
  assert sidecar['input']['sample_rate'] == 44100


def test_command_end_to_end_with_auto_adjust(tmp_path):
  tone = _tone(tmp_path / 'tone.wav', 330.0, amp=0.3)
  save_dir = str(tmp_path / 'out')
  result = run_cli('ddsp_generative.transfer', f'--input_audio={tone}',
                   f'--save_dir={save_dir}', timeout=600)
  wav = os.path.join(save_dir, 'tone_transfer.wav')
  assert result.stdout.strip() == wav
  assert sorted(os.listdir(save_dir)) == [
      'tone_transfer.json', 'tone_transfer.png', 'tone_transfer.wav']
  assert sf.info(wav).subtype == 'PCM_16'
  with open(os.path.join(save_dir, 'tone_transfer.json')) as f:
    sidecar = json.load(f)
  assert sidecar['kind'] == 'transfer' and sidecar['z_source'] == 'prior'
  assert sidecar['prior']['type'] == 'conditional_net'
  assert sidecar['f0_estimator'] == 'pyin'
  from ddsp_generative.envelopes import saving  # pylint: disable=g-import-not-at-top
  assert sidecar['input']['sha256'] == saving.sha256(tone)
  # Auto-adjust: the notes' median loudness moves onto the training median,
  # and MIDI 64 goes up the octave nearest the training median (MIDI 72).
  adjust = sidecar['adjustments']
  training = default_model.manifest()['training_controls']
  assert adjust['training_median_loudness_db'] == (
      training['loudness_db']['p50'])
  assert adjust['input_median_loudness_db'] + adjust['loudness_shift_db'][
      'auto'] == pytest.approx(training['loudness_db']['p50'])
  assert adjust['output_median_loudness_db'] == pytest.approx(
      training['loudness_db']['p50'], abs=1e-3)
  assert abs(adjust['input_median_midi'] - 64.0) < 0.3
  assert adjust['octave_shift'] == {'requested': None, 'auto': 1,
                                    'applied': 1}


def test_command_refuses_a_missing_file_with_one_line(tmp_path):
  result = run_cli('ddsp_generative.transfer',
                   f'--input_audio={tmp_path / "nope.wav"}',
                   f'--save_dir={tmp_path / "out"}', expect_ok=False)
  assert result.returncode == 2
  lines = result.stderr.strip().splitlines()
  assert len(lines) == 1 and 'nope.wav: file not found' in lines[0], lines
  assert not os.path.exists(tmp_path / 'out')
