"""Tests for ground-truth f0 sidecars and the pitch evaluation (lib + CLI)."""

import json
import os
import time

import conftest
import numpy as np
import pytest

from ddsp_generative.core import artifacts
from ddsp_generative.core import audio_io
from ddsp_generative.core import f0_truth
from ddsp_generative.core import features
from ddsp_generative.evaluation import pitch as evaluate_pitch_lib
from ddsp_generative.evaluation import report_files
from ddsp_generative.recipes import synthetic

SAMPLE_RATE = 16000


def notes_at(pitches, durations, start=0.0, gap=0.0):
  notes, t = [], start
  for pitch, dur in zip(pitches, durations):
    notes.append({'start': t, 'end': t + dur, 'pitch': pitch,
                  'velocity': 90})
    t += dur + gap
  return notes


def write_melody(directory, name='melody', pitches=(60, 64, 67, 72),
                 durations=(0.3, 0.3, 0.3, 0.3)):
  """A synthetic melody WAV with its `.f0.json` sidecar; returns the path."""
  audio, _ = synthetic.render_melody(list(pitches), list(durations),
                                     sample_rate=SAMPLE_RATE, seed=0)
  path = os.path.join(directory, name + '.wav')
  audio_io.write_wav(path, audio, SAMPLE_RATE)
  f0_truth.write_sidecar(f0_truth.sidecar_path(path),
                         notes_at(pitches, durations),
                         len(audio) / SAMPLE_RATE, audio_file=name + '.wav')
  return path


# ------------------------------------------------------------- f0_truth ----
def test_track_from_notes_marks_onsets_and_releases():
  notes = notes_at([69, 81], [0.3, 0.3], start=0.1, gap=0.2)  # Rest between.
  track = f0_truth.track_from_notes(notes, 1.2, frame_rate=100)
  assert len(track['times']) == 120
  np.testing.assert_allclose(track['f0_hz'][10:40], 440.0)
  np.testing.assert_allclose(track['f0_hz'][60:90], 880.0)
  assert not track['voiced'][:10].any() and not track['voiced'][40:60].any()
  # Pitch is scored from 80 ms after each note-on.
  assert np.flatnonzero(track['audible'])[0] == 18
  assert not track['audible'][60:68].any() and track['audible'][68:90].all()
  # Voicing is not scored near a note-on, nor in the 150 ms release.
  assert not track['voicing_scored'][10:18].any()
  assert not track['voicing_scored'][40:55].any()
  assert track['voicing_scored'][:10].all() and track['voicing_scored'][55:60].all()


def test_sidecars_round_trip_json_and_csv(tmp_path):
  notes = notes_at([60, 62], [0.5, 0.5])
  path = str(tmp_path / 'x.f0.json')
  f0_truth.write_sidecar(path, notes, 1.0, audio_file='x.wav',
                         extra={'instrument': 'violin'})
  truth = f0_truth.read_truth(path)
  assert truth['record']['kind'] == f0_truth.KIND
  assert truth['record']['notes'] == notes
  assert truth['audible'].sum() == 100 - 2 * 8
  csv_path = str(tmp_path / 'y.f0.csv')
  with open(csv_path, 'w') as f:
    f.write('time,f0_hz\n0.00,0\n0.01,440.0\n0.02,441.0\n')
  truth = f0_truth.read_truth(csv_path)
  np.testing.assert_array_equal(truth['voiced'], [False, True, True])
  np.testing.assert_array_equal(truth['audible'], truth['voiced'])
  assert f0_truth.find_sidecar(str(tmp_path / 'y.wav')) == csv_path
  assert f0_truth.find_sidecar(str(tmp_path / 'z.wav')) is None


# ---------------------------------------------------------------- score ----
def test_score_counts_octave_errors_and_voicing():
  truth = f0_truth.track_from_notes(notes_at([69], [0.5], start=0.5), 1.0,
                                    frame_rate=100)
  times = np.arange(250) / 250.0
  on = (times >= 0.5).astype(np.float32)
  octave_up = {'times': times, 'f0_hz': np.full(250, 880.0),
               'confidence': on, 'secs': 1.0}
  result = evaluate_pitch_lib.score(truth, octave_up)
  assert result['rpa'] == 0.0 and result['rca'] == 1.0
  assert result['median_abs_cents'] == pytest.approx(1200.0)
  assert result['voicing_precision'] == result['voicing_recall'] == 1.0
  exact = dict(octave_up, f0_hz=np.full(250, 440.0 * 2 ** (10 / 1200)),
               confidence=np.ones(250))
  result = evaluate_pitch_lib.score(truth, exact)
  assert result['rpa'] == 1.0 and result['median_abs_cents'] == (
      pytest.approx(10.0))
  assert result['voicing_recall'] == 1.0
  assert result['voicing_precision'] == pytest.approx(42 / 92)
  assert result['n_audible'] == 42


# ----------------------------------------------------------- evaluation ----
def test_evaluate_pitch_scores_synthetic_melodies(tmp_path):
  paths = [write_melody(str(tmp_path), 'a'),
           write_melody(str(tmp_path), 'b', pitches=(45, 47, 48, 50))]
  out = str(tmp_path / 'results' / 'pitch.json')
  record = evaluate_pitch_lib.evaluate_pitch(
      paths, out, estimators=['pyin', 'yin'],
      plot_dir=str(tmp_path / 'plots'))
  assert record == artifacts.read_json(out, evaluate_pitch_lib.KIND,
                                       [evaluate_pitch_lib.FORMAT_VERSION])
  assert record['n_files'] == 2 and set(record['totals']) == {'pyin', 'yin'}
  # YIN errs where its 64 ms window holds the next note too.
  for name, total in record['totals'].items():
    assert total['rpa'] > 0.9, name
    assert total['median_abs_cents'] < 20, name
    assert total['voicing_recall'] > 0.9, name
    assert total['realtime_factor'] > 0
    per_file = [f['estimators'][name] for f in record['files']]
    assert sum(r['n_audible'] for r in per_file) == total['n_audible']
  for f in record['files']:
    assert os.path.getsize(f['plot']) > 10000
  # Every value is plain JSON (no NaN).
  with open(out) as f:
    json.load(f, parse_constant=lambda c: pytest.fail(c))


def test_evaluate_pitch_needs_sidecars_and_known_estimators(tmp_path):
  path = str(tmp_path / 'no_truth.wav')
  audio_io.write_wav(path, np.zeros(1600), SAMPLE_RATE)
  with pytest.raises(ValueError, match='no ground-truth sidecar'):
    evaluate_pitch_lib.evaluate_pitch([path], str(tmp_path / 'o.json'),
                                      estimators=['yin'])
  with pytest.raises(ValueError, match='Unknown estimator'):
    evaluate_pitch_lib.evaluate_pitch([path], str(tmp_path / 'o.json'),
                                      estimators=['swipe'])


def test_existing_report_or_plots_need_overwrite(tmp_path):
  path = write_melody(str(tmp_path))
  out, plots = str(tmp_path / 'pitch.json'), str(tmp_path / 'plots')

  def run(**kwargs):
    return evaluate_pitch_lib.evaluate_pitch(
        [path], out, estimators=['yin'], plot_dir=plots, **kwargs)

  record = run()
  # Audio at the pipeline's f0 rate, whose one home is core.features.
  assert record['sample_rate'] == features.CREPE_SAMPLE_RATE
  assert not hasattr(evaluate_pitch_lib, 'SAMPLE_RATE')
  with open(out, 'rb') as f:
    first = f.read()
  with pytest.raises(report_files.ReportExistsError,
                     match=f'^{out} exists: pass --overwrite'):
    run()
  with open(out, 'rb') as f:
    assert f.read() == first
  # A plot left without its report (an interrupted run) is refused too.
  os.remove(out)
  plot = evaluate_pitch_lib.plot_path(plots, path)
  with pytest.raises(report_files.ReportExistsError,
                     match=f'^{plot} exists without its report {out} .* '
                     'choose another --output or --plot_dir'):
    run()
  assert not os.path.exists(out)
  assert run(overwrite=True)['n_files'] == 1
  assert os.path.exists(out) and os.path.exists(plot)


def test_cli_prints_table_and_writes_results(tmp_path):
  write_melody(str(tmp_path))
  out = str(tmp_path / 'pitch.json')
  args = (f"--audio_filepatterns={tmp_path / '*.wav'}", '--estimators=yin',
          f'--output={out}')
  result = conftest.run_cli('ddsp_generative.evaluate_pitch', *args)
  assert '| yin |' in result.stdout and 'RPA (50 c)' in result.stdout
  assert os.path.exists(str(tmp_path / 'pitch_plots' / 'melody.pitch.png'))
  assert json.load(open(out))['totals']['yin']['rpa'] > 0.9
  # Run again: refused in one line, before any estimation, unless
  # --overwrite.
  with open(out, 'rb') as f:
    first = f.read()
  start = time.monotonic()
  refused = conftest.run_cli('ddsp_generative.evaluate_pitch', *args,
                             expect_ok=False)
  assert time.monotonic() - start < 3
  assert refused.returncode == 2 and refused.stdout == ''
  assert refused.stderr.splitlines() == [
      f'ddsp_generative_evaluate_pitch: error: {out} exists: pass '
      '--overwrite or choose another --output.']
  with open(out, 'rb') as f:
    assert f.read() == first
  again = conftest.run_cli('ddsp_generative.evaluate_pitch', *args,
                           '--overwrite')
  assert '| yin |' in again.stdout
