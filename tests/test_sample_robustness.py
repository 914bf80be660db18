"""The sampler under stress: concurrent runs, kills, bad controls and audio,
full disks, unwritable directories and hours of MIDI in bounded memory."""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
import types

import mido
import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from ddsp_generative import controls
from ddsp_generative.controls import midi as midi_controls
from ddsp_generative.controls import sources
from ddsp_generative.core import audio_io
from ddsp_generative.core import control_ranges
from ddsp_generative.sampling import sampler

from conftest import run_cli

SAMPLE = 'ddsp_generative.sample'
FRAME_RATE = 250
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')


def _args(model_dir, prior_path, save_dir, *more):
  return [f'--model_dir={model_dir}', f'--prior={prior_path}',
          f'--save_dir={save_dir}', *more]


def _error_line(result):
  """The one error line of a failed command (and no traceback)."""
  assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
  assert 'Traceback' not in result.stderr, result.stderr[-3000:]
  lines = [l for l in result.stderr.splitlines()
           if l.startswith('ddsp_generative_sample: error: ')]
  assert len(lines) == 1, result.stderr[-3000:]
  return lines[0]


def _outputs(save_dir):
  """What a run left in save_dir, lock files aside."""
  if not os.path.isdir(save_dir):
    return []
  return sorted(n for n in os.listdir(save_dir) if not n.endswith('.lock'))


def _check_set(save_dir, index, seed, secs):
  """Sample `index` is complete and its WAV, PNG and JSON are one run's."""
  paths = sampler.sample_paths(str(save_dir), index)
  with open(paths['json']) as f:
    sidecar = json.load(f)
  audio, rate = sf.read(paths['wav'])
  assert sidecar['seed'] == seed
  assert sidecar['audio'] == os.path.basename(paths['wav'])
  assert sidecar['duration_secs'] == pytest.approx(secs)
  assert len(audio) == round(secs * rate)  # The WAV of this run.
  # The PNG was published with the WAV, before the JSON.
  assert os.path.getmtime(paths['png']) <= os.path.getmtime(paths['json'])
  assert np.isfinite(sidecar['peak']) and sidecar['peak'] > 0
  if sidecar['peak'] <= 1.0:  # The WAV holds the audio rounded to 16 bits.
    assert abs(np.abs(audio).max() - sidecar['peak']) <= 1.5 / 32768
  return sidecar


def _wait_for_lock(process, save_dir):
  lock = os.path.join(save_dir, f'.{sampler.RUN_LOCK_NAME}.lock')
  deadline = time.monotonic() + 120
  while True:
    if os.path.exists(lock):
      with open(lock) as f:
        if f'pid {process.pid}' in f.read():
          return
    assert process.poll() is None, process.communicate()
    assert time.monotonic() < deadline, 'the sampler never took its lock'
    time.sleep(0.05)


def test_second_sampler_on_one_save_dir_is_refused_at_once(
    tmp_path, tiny_model_dir, tiny_prior_path):
  save_dir = str(tmp_path / 'out')
  first = subprocess.Popen(
      [sys.executable, '-m', SAMPLE] + _args(
          tiny_model_dir, tiny_prior_path, save_dir, '--seed=1',
          '--duration=8', '--n_samples=2'),
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
  try:
    _wait_for_lock(first, save_dir)
    second = run_cli(SAMPLE, *_args(tiny_model_dir, tiny_prior_path, save_dir,
                                    '--seed=7', '--duration=1',
                                    '--overwrite'), expect_ok=False)
    # Refused while the first run still works, not after waiting for it.
    assert first.poll() is None
    line = _error_line(second)
    assert f'--save_dir={save_dir} is being written by another run' in line
    assert f'pid {first.pid}' in line
  finally:
    _, err = first.communicate(timeout=600)
  assert first.returncode == 0, err[-3000:]
  assert _outputs(save_dir) == [
      'sample_000.json', 'sample_000.png', 'sample_000.wav',
      'sample_001.json', 'sample_001.png', 'sample_001.wav']
  for index in range(2):
    _check_set(save_dir, index, seed=1 + index, secs=8.0)


def test_kill_while_publishing_leaves_no_json_and_the_next_run_cleans_up(
    tmp_path, tiny_model_dir, tiny_prior_path, model_and_prior):
  trained, prior = model_and_prior
  save_dir = tmp_path / 'out'
  sampler.generate(trained, prior, controls.Note(duration=1.0), seed=1,
                   save_dir=str(save_dir), progress=False)
  old_wav = (save_dir / 'sample_000.wav').read_bytes()
  killed = subprocess.run(
      [sys.executable, '-m', SAMPLE] + _args(
          tiny_model_dir, tiny_prior_path, save_dir, '--seed=2',
          '--duration=2', '--overwrite'),
      capture_output=True, text=True, timeout=600,
      env=dict(ENV, DDSP_GENERATIVE_FAULT='publish:1'))
  assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
  left = _outputs(save_dir)
  # The old manifest went first and the new one never came: readers see an
  # incomplete sample, never an old JSON beside a new WAV. One new file
  # (the PNG) had moved; the new WAV and JSON are still staged.
  assert 'sample_000.json' not in left
  assert (save_dir / 'sample_000.wav').read_bytes() == old_wav
  staging = [n for n in left if n.startswith('.staging-sample_000-')]
  assert len(staging) == 1
  assert sorted(os.listdir(save_dir / staging[0])) == [
      'sample_000.json', 'sample_000.wav']
  # What other killed runs left: a temporary WAV of the sampler before the
  # publish protocol, and another sample's staging.
  (save_dir / '.tmp-ab12cd_9.wav').write_bytes(b'half a wav')
  (save_dir / '.staging-sample_007-x1').mkdir()
  (save_dir / '.staging-sample_007-x1' / 'sample_007.wav').write_bytes(b'x')

  with pytest.raises(sampler.SamplesExistError, match='--overwrite'):
    sampler.generate(trained, prior, controls.Note(duration=1.5),
                     save_dir=str(save_dir), progress=False)
  sampler.generate(trained, prior, controls.Note(duration=1.5), seed=3,
                   save_dir=str(save_dir), overwrite=True, progress=False)
  assert _outputs(save_dir) == [
      'sample_000.json', 'sample_000.png', 'sample_000.wav']
  _check_set(save_dir, 0, seed=3, secs=1.5)


def test_non_finite_controls_from_gin_are_refused():
  # Gin reads 1e999 as infinity; the vibrato would make f0 NaN. (In its own
  # process: the bindings stay in gin's global config.)
  script = ('import gin\n'
            'from ddsp_generative.sampling import sampler\n'
            'gin.parse_config(["Note.vibrato_cents = 1e999"])\n'
            'try:\n'
            '  sampler.control_source()\n'
            'except ValueError as e:\n'
            '  print(e)\n')
  result = subprocess.run([sys.executable, '-c', script], capture_output=True,
                          text=True, timeout=120, env=ENV)
  assert result.stdout.startswith(
      'Note vibrato_cents must be finite, got inf'), result.stderr[-2000:]


def test_non_finite_decoder_audio_stops_with_nothing_written(
    tmp_path, tiny_prior_path, model_and_prior):
  from ddsp_generative import priors  # pylint: disable=g-import-not-at-top
  trained, _ = model_and_prior
  # A prior whose means are near float32's largest value: its z is finite,
  # but the decoder's layer norms overflow and its audio is NaN.
  with open(tiny_prior_path) as f:
    record = json.load(f)
  record['params']['means'] = [[3e38] * len(m)
                               for m in record['params']['means']]
  broken = tmp_path / 'huge_prior.json'
  broken.write_text(json.dumps(record))
  prior = priors.load_prior(str(broken))
  save_dir = tmp_path / 'out'
  with pytest.raises(sampler.NonFiniteOutputError,
                     match=r'sample_000: the decoder.s audio is not finite '
                     r'from 0\.00 s \(block 0\).*prior'):
    sampler.generate(trained, prior, controls.Note(duration=0.5),
                     n_samples=2, save_dir=str(save_dir), progress=False)
  assert not _outputs(save_dir)  # No WAV, PNG, JSON, staging or temp file.


def test_save_dir_that_cannot_be_written_is_one_line(tmp_path):
  a_file = tmp_path / 'a_file'
  a_file.write_text('x')
  for save_dir, message in ((a_file, 'is a file'),
                            (a_file / 'below', 'which is a file')):
    result = run_cli(SAMPLE, f'--save_dir={save_dir}', expect_ok=False)
    assert message in _error_line(result)
  locked = tmp_path / 'read_only'
  locked.mkdir()
  if os.geteuid() == 0:  # root writes anywhere, except where immutable.
    made = subprocess.run(['chattr', '+i', str(locked)], capture_output=True)
    if made.returncode:
      pytest.skip('root without chattr: no directory is read-only here')
  else:
    locked.chmod(0o555)
  try:
    result = run_cli(SAMPLE, f'--save_dir={locked / "samples"}',
                     expect_ok=False)
    assert 'cannot be written' in _error_line(result)
  finally:
    if os.geteuid() == 0:
      subprocess.run(['chattr', '-i', str(locked)], check=True)
    else:
      locked.chmod(0o755)


def _limit_file_size():
  # Files can grow to 100 kB: writes beyond fail with EFBIG, as on a full
  # disk (Python ignores SIGXFSZ).
  resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


def test_write_error_is_one_line_and_leaves_nothing(tmp_path, tiny_model_dir,
                                                    tiny_prior_path):
  save_dir = tmp_path / 'out'
  save_dir.mkdir()
  result = subprocess.run(
      [sys.executable, '-m', SAMPLE] + _args(
          tiny_model_dir, tiny_prior_path, save_dir, '--duration=4'),
      capture_output=True, text=True, timeout=600, env=ENV,
      preexec_fn=_limit_file_size)
  line = _error_line(result)
  assert f'Cannot write {save_dir}/sample_000.wav' in line
  assert 'free disk space' in line
  assert not _outputs(save_dir)


def test_wavs_larger_than_the_disk_or_the_format_are_refused(tmp_path):
  model = types.SimpleNamespace(hop_size=64, sample_rate=16000)
  free = shutil.disk_usage(tmp_path).free
  too_long = 2 * free // 128  # Frames of a WAV of twice the free space.
  with pytest.raises(sampler.OutputSpaceError,
                     match=r'need .* of WAV in .*, which has .* free'):
    sampler.check_output_space(str(tmp_path / 'new'), 1, too_long, model)
  five_gb = 5 * 10**9 // 128
  if free > 3 * 5 * 10**9:
    with pytest.raises(sampler.OutputSpaceError, match='at most 4 GiB'):
      sampler.check_output_space(str(tmp_path), 1, five_gb, model)
  assert sampler.check_output_space(str(tmp_path), 3, 250, model) == (
      44 + 250 * 64 * 2)
  assert not os.path.exists(tmp_path / 'new')


def test_huge_duration_is_refused_up_front(tmp_path, model_and_prior):
  trained, prior = model_and_prior
  save_dir = tmp_path / 'out'
  start = time.monotonic()
  with pytest.raises(sampler.OutputSpaceError,
                     match=r'1 sample\(s\) of 1e\+09 s need 32\.0 TB of WAV '
                     r'in .*, which has .* free'):
    sampler.generate(trained, prior, controls.Note(duration=1e9),
                     save_dir=str(save_dir), progress=False)
  assert time.monotonic() - start < 5
  assert not _outputs(save_dir)


def test_seed_out_of_range_is_a_usage_error():
  result = run_cli(SAMPLE, '--seed=2147483647', '--n_samples=2',
                   expect_ok=False)
  assert result.returncode == 2
  assert '--seed must be in [0, 2147483646]' in result.stderr


@pytest.fixture(scope='module')
def model_and_prior(tiny_model_dir, tiny_prior_path):
  from ddsp_generative.sampling import model_io  # pylint: disable=g-import-not-at-top
  from ddsp_generative import priors  # pylint: disable=g-import-not-at-top
  return (model_io.load_model(tiny_model_dir),
          priors.load_prior(tiny_prior_path))


def test_one_block_clip_equals_the_whole_clip_path(tmp_path, model_and_prior):
  trained, prior = model_and_prior
  source = controls.Note(pitch=62, duration=1.0, vibrato_hz=5.0,
                         vibrato_cents=20.0)
  paths = sampler.generate(trained, prior, source, seed=5,
                           save_dir=str(tmp_path / 'blocks'), progress=False)
  f0_hz, loudness_db = source.generate(trained.frame_rate)
  whole = sampler.synthesize(trained, prior, f0_hz, loudness_db, seed=5)
  audio_io.write_wav(str(tmp_path / 'whole.wav'), whole, trained.sample_rate)
  blocks, _ = sf.read(paths[0]['wav'], dtype='int16')
  reference, _ = sf.read(str(tmp_path / 'whole.wav'), dtype='int16')
  np.testing.assert_array_equal(blocks, reference)
  with open(paths[0]['json']) as f:
    assert json.load(f)['peak'] == pytest.approx(np.abs(whole).max())


def test_decoder_fed_in_blocks_equals_one_clip(model_and_prior):
  from ddsp_generative.sampling import streaming  # pylint: disable=g-import-not-at-top
  trained, _ = model_and_prior
  rng = np.random.default_rng(0)
  n_frames = 700
  f0_hz = rng.uniform(150, 400, n_frames).astype(np.float32)
  loudness_db = rng.uniform(-50, -20, n_frames).astype(np.float32)
  z = rng.normal(size=(n_frames, trained.z_dims)).astype(np.float32)
  decoder = streaming.StreamingDecoder(trained, chunk_frames=100)
  whole = np.concatenate(list(decoder.decode(f0_hz, loudness_db, z, seed=3)))
  clip = decoder.clip(seed=3)
  edges = [0, 37, 38, 250, 251, 600, n_frames]
  parts = []
  for a, b in zip(edges[:-1], edges[1:]):
    parts += list(clip.feed(f0_hz[a:b], loudness_db[a:b], z[a:b],
                            last=b == n_frames))
  np.testing.assert_array_equal(np.concatenate(parts), whole)
  with pytest.raises(ValueError, match='complete'):
    clip.feed(f0_hz[:1], loudness_db[:1], z[:1])


class _NanAfter(controls.Note):
  """A Note whose f0 turns NaN from frame `bad`."""

  def __init__(self, bad, **kwargs):
    super().__init__(**kwargs)
    self.bad = bad

  def frames(self, frame_rate, start, stop):
    f0_hz, loudness_db = super().frames(frame_rate, start, stop)
    f0_hz[max(0, self.bad - start):] = np.nan
    return f0_hz, loudness_db


def test_bad_controls_in_a_later_block_write_nothing(
    tmp_path, model_and_prior, monkeypatch):
  trained, prior = model_and_prior
  monkeypatch.setattr(sampler, 'BLOCK_FRAMES', 100)
  with pytest.raises(sampler.BadControlsError,
                     match=r'f0 is not finite at 1\.00 s \(frame 250'):
    sampler.generate(trained, prior, _NanAfter(250, duration=2.0),
                     save_dir=str(tmp_path), progress=False)
  assert not _outputs(tmp_path)
  with pytest.raises(sampler.BadControlsError, match='loudness is outside'):
    sampler.generate(trained, prior, controls.Note(peak_db=40.0),
                     save_dir=str(tmp_path), progress=False)


def test_many_blocks_sample_with_facts_accumulated(tmp_path, model_and_prior,
                                                   monkeypatch):
  trained, prior = model_and_prior
  monkeypatch.setattr(sampler, 'BLOCK_FRAMES', 64)
  monkeypatch.setattr(sampler, 'PLOT_SECS', 0.5)
  # Low and quiet: outside the tiny model's training controls.
  source = controls.Melody(pitches=(30, 35, 37, 30), durations=0.3,
                           peak_db=-40.0)
  paths = sampler.generate(trained, prior, source, save_dir=str(tmp_path),
                           progress=False)
  sidecar = _check_set(tmp_path, 0, seed=0, secs=1.2)
  assert os.path.getsize(paths[0]['png']) > 0
  ranges, _ = sampler.training_controls(trained, prior)
  expected = control_ranges.outside(*source.generate(trained.frame_rate),
                                    ranges)
  found = sidecar['outside_training_controls']
  assert len(expected) == len(found) == 2
  assert found[0] == expected[0]  # The pitch, exactly.
  # The level: the 90th percentile from a 0.01 dB histogram.
  levels = [float(x[1].split()[1]) for x in (found, expected)]
  assert abs(levels[0] - levels[1]) <= 0.1, (found, expected)


@pytest.mark.parametrize('make', [
    lambda: controls.Note(pitch=69, duration=3.0, vibrato_hz=5.0,
                          vibrato_cents=30.0),
    lambda: controls.Glissando(50, 70, duration=2.5, glide_start=0.5,
                               vibrato_hz=4.0, vibrato_cents=10.0),
    lambda: controls.Melody(pitches=(60, None, 64, 67, 0, 72),
                            durations=(0.3, 0.2, 0.5, 0.37, 0.1, 0.8),
                            velocities=(30, 1, 127, 90, 1, 64), legato=True,
                            vibrato_hz=5.5, vibrato_cents=15.0),
])
def test_blocks_are_exactly_the_whole_controls(make):
  source = make()
  whole = source.generate(FRAME_RATE)
  for block_frames in (1, 7, 128, 10_000):
    blocks = list(sources.as_blocks(source, FRAME_RATE, block_frames))
    assert [start for start, _, _ in blocks] == list(
        range(0, len(whole[0]), block_frames))
    for i in range(2):
      np.testing.assert_array_equal(
          np.concatenate([b[1 + i] for b in blocks]), whole[i])


def _write_long_midi(path, hours):
  """A melody of 2 s notes (some slurred) lasting `hours`."""
  midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)
  violin = pretty_midi.Instrument(program=40)
  n_notes = int(hours * 3600 / 2.0)
  pitches = (62, 66, 69, 74, 69, 66, 64)
  for i in range(n_notes):
    end = (i + 1) * 2.0 - (0.1 if i % 3 and i < n_notes - 1 else 0.0)
    violin.notes.append(pretty_midi.Note(
        velocity=60 + i % 60, pitch=pitches[i % len(pitches)], start=i * 2.0,
        end=end))
  midi.instruments.append(violin)
  midi.write(str(path))
  return str(path)


def _peak_while_iterating(source):
  tracemalloc.start()
  try:
    n = 0
    for _, f0_hz, _ in sources.as_blocks(source, FRAME_RATE,
                                          sampler.BLOCK_FRAMES):
      n += len(f0_hz)
    return tracemalloc.get_traced_memory()[1], n
  finally:
    tracemalloc.stop()


def test_ten_hour_midi_file_is_rendered_block_by_block(tmp_path):
  short = midi_controls.MidiFile(_write_long_midi(tmp_path / 'short.mid',
                                                  0.1))
  path = _write_long_midi(tmp_path / 'long.mid', 10)
  # Reading costs memory per note (about 15 MB for these 18,000), not per
  # tick: pretty_midi's reader fills an array over every tick (390 MB here,
  # or a refusal unless note_seq, which ddsp imports, raised its limit).
  tracemalloc.start()
  try:
    long = midi_controls.MidiFile(path)
    read_peak = tracemalloc.get_traced_memory()[1]
  finally:
    tracemalloc.stop()
  assert read_peak < 64 * 2**20, read_peak
  assert long.n_frames(FRAME_RATE) == 10 * 3600 * FRAME_RATE
  short_peak, short_frames = _peak_while_iterating(short)
  long_peak, long_frames = _peak_while_iterating(long)
  assert (short_frames, long_frames) == (90_000, 9_000_000)
  # The same memory for 10 hours as for 6 minutes: about a block's arrays.
  assert long_peak < 1.2 * short_peak + 100_000, (short_peak, long_peak)
  assert long_peak < 4 * 2**20
  # The start equals a short file's (the same notes).
  f0_long, _ = next(iter(long.iter_blocks(FRAME_RATE, 1000)))
  np.testing.assert_array_equal(f0_long, short.generate(FRAME_RATE)[0][:1000])


def test_midi_file_with_an_impossible_tempo_is_refused(tmp_path):
  path = str(tmp_path / 'fast.mid')
  midi = mido.MidiFile(ticks_per_beat=480)
  track = mido.MidiTrack()
  track.append(mido.MetaMessage('set_tempo', tempo=10, time=0))
  track.append(mido.Message('note_on', note=60, velocity=100, time=0))
  track.append(mido.Message('note_off', note=60, velocity=0, time=480))
  midi.tracks.append(track)
  midi.save(path)
  with pytest.raises(midi_controls.MidiFileError,
                     match=r'sets a tempo of 6e\+06 bpm'):
    midi_controls.MidiFile(path)


def test_non_finite_settings_are_refused_when_a_source_is_made():
  for make, what in (
      (lambda: controls.Melody(pitches=(60, float('inf'))), 'Melody pitch'),
      (lambda: controls.Melody(peak_db=float('inf')), 'Melody peak_db'),
      (lambda: controls.Note(sustain_db=float('inf')), 'sustain_db'),
      (lambda: controls.Glissando(vibrato_hz=float('nan')),
       'Glissando vibrato_hz')):
    with pytest.raises(ValueError, match=f'{what}.* must be finite'):
      make()
