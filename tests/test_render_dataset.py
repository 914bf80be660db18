"""Tests for the rendered data set recipe: melodies, MIDI, FluidSynth, CLI.

The melody tests need music21 (the `datasets` extra, installed by `make
test`); the render tests also need FluidSynth and the FluidR3 soundfont
(`make dataset-deps`, which `make test` tries) and are skipped without them.
"""

import itertools
import os

import conftest
import numpy as np
import pytest
import soundfile as sf

from ddsp_generative.controls import midi as midi_lib
from ddsp_generative.evaluation import pitch as evaluate_pitch_lib
from ddsp_generative.core import f0_truth
from ddsp_generative.recipes import render_midi

melodies = pytest.importorskip(
    'ddsp_generative.recipes.melodies')
pytest.importorskip('music21', reason='pip install "ddsp_generative[datasets]"')

needs_fluidsynth = pytest.mark.skipif(
    not render_midi.renderer_available(),
    reason='fluidsynth or the FluidR3 GM soundfont is not installed: run '
    '`make dataset-deps` (apt-get install fluidsynth fluid-soundfont-gm).')


# ------------------------------------------------------------- melodies ----
@pytest.mark.parametrize('source, work, number', [
    ('bach', 'bach/bwv269', None),
    ('essen', 'essenFolksong/altdeu10.abc', 4),
    ('oneills', 'oneills1850/0001-0050.abc', 1),
])
def test_written_notes_are_a_monophonic_line(source, work, number):
  notes, _ = melodies.written_notes(source, work, number)
  assert len(notes) > 10
  for (o1, l1, _, _), (o2, _, _, _) in zip(notes, notes[1:]):
    assert l1 > 0 and o1 + l1 <= o2 + 1e-9  # No overlaps.
  assert all(40 <= pitch <= 96 for _, _, pitch, _ in notes)


def test_melodies_are_deterministic_in_range_and_mix_sources():
  low, high = render_midi.INSTRUMENTS['flute'][1:]
  first = list(itertools.islice(melodies.melodies(low, high, seed=3), 4))
  again = list(itertools.islice(melodies.melodies(low, high, seed=3), 4))
  other = list(itertools.islice(melodies.melodies(low, high, seed=4), 4))
  assert [m.notes for m in first] == [m.notes for m in again]
  assert [m.work for m in first] != [m.work for m in other]
  assert [m.source for m in first[:3]] == list(melodies.SOURCES)
  for m in first:
    pitches = [n['pitch'] for n in m.notes]
    assert low <= min(pitches) and max(pitches) <= high
    starts = [n['start'] for n in m.notes]
    assert starts == sorted(starts) and starts[0] == melodies.LEAD_SECS
    assert all(n['end'] <= s for n, s in zip(m.notes, starts[1:]))
    assert all(1 <= n['velocity'] <= 127 for n in m.notes)


def test_choose_transposition():
  rng = np.random.default_rng(0)
  assert melodies.choose_transposition([60, 72], 60, 72, rng) == 0
  assert melodies.choose_transposition([60, 80], 60, 72, rng) is None
  k = melodies.choose_transposition([40, 45], 60, 84, rng)
  assert 60 <= 40 + k and 45 + k <= 84


def test_missing_fluidsynth_names_the_apt_packages(monkeypatch, tmp_path):
  monkeypatch.setattr(render_midi.shutil, 'which', lambda name: None)
  with pytest.raises(render_midi.MissingRendererError,
                     match='apt-get install fluidsynth fluid-soundfont-gm'):
    render_midi.render_dataset(str(tmp_path / 'out'), minutes=0.05)
  with pytest.raises(render_midi.MissingRendererError,
                     match='fluid-soundfont-gm'):
    render_midi.find_soundfont(str(tmp_path / 'missing.sf2'))
  with pytest.raises(ValueError, match='Unknown instrument'):
    render_midi.render_dataset(str(tmp_path / 'out'),
                                   instrument='kazoo')


# --------------------------------------------------------------- render ----
@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
  out = str(tmp_path_factory.mktemp('rendered') / 'flute')
  record = render_midi.render_dataset(
      out, instrument='flute', minutes=0.05, seed=0, sources=['essen'],
      max_secs_per_file=3.0)
  return out, record


@needs_fluidsynth
def test_render_writes_wavs_sidecars_midi_and_manifest(rendered):
  out, record = rendered
  assert record['n_files'] == 1 and record['instrument'] == 'flute'
  assert sorted(os.listdir(out)) == ['dataset.json', 'flute_0000.f0.json',
                                     'flute_0000.mid', 'flute_0000.wav']
  assert record['files'][0]['file'] == 'flute_0000.wav'
  assert record['files'][0]['midi'] == 'flute_0000.mid'
  info = sf.info(os.path.join(out, 'flute_0000.wav'))
  assert (info.samplerate, info.channels, info.subtype) == (16000, 1,
                                                            'PCM_16')
  truth = f0_truth.read_truth(os.path.join(out, 'flute_0000.f0.json'))
  assert truth['record']['melody']['source'] == 'essen'
  assert truth['record']['program'] == 73
  assert len(truth['times']) == int(np.ceil(info.duration * 100 - 1e-6))
  assert truth['audible'].sum() > 100


@needs_fluidsynth
def test_kept_midi_holds_the_rendered_notes(rendered):
  out, record = rendered
  parts = midi_lib.read_midi(os.path.join(out, 'flute_0000.mid'))
  assert [p.program for p in parts] == [record['program']]
  notes = parts[0].notes
  truth = f0_truth.read_truth(os.path.join(out, 'flute_0000.f0.json'))
  expected = truth['record']['notes']
  assert len(notes) == len(expected) == record['files'][0]['n_notes']
  # pretty_midi's 220 ticks per beat at 120 bpm: 2.3 ms a tick.
  np.testing.assert_allclose(notes[:, midi_lib.START],
                             [n['start'] for n in expected], atol=2.5e-3)
  np.testing.assert_allclose(notes[:, midi_lib.END],
                             [n['end'] for n in expected], atol=2.5e-3)
  np.testing.assert_array_equal(notes[:, midi_lib.PITCH],
                                [n['pitch'] for n in expected])
  # The audio lasts the MIDI's last note-off plus the release tail.
  info = sf.info(os.path.join(out, 'flute_0000.wav'))
  assert abs(info.duration - notes[:, midi_lib.END].max() -
             render_midi.TAIL_SECS) < 2e-3


@needs_fluidsynth
def test_rendered_pitch_matches_its_ground_truth(rendered, tmp_path):
  out, _ = rendered
  record = evaluate_pitch_lib.evaluate_pitch(
      [os.path.join(out, 'flute_0000.wav')], str(tmp_path / 'pitch.json'),
      estimators=['pyin'])
  assert record['totals']['pyin']['rpa'] > 0.95


@needs_fluidsynth
def test_render_is_deterministic_and_keeps_existing_data(rendered, tmp_path):
  out, _ = rendered
  again = str(tmp_path / 'again')
  render_midi.render_dataset(again, instrument='flute', minutes=0.05,
                                 seed=0, sources=['essen'],
                                 max_secs_per_file=3.0)
  for name in ('flute_0000.wav', 'flute_0000.mid'):
    with open(os.path.join(out, name), 'rb') as a, open(
        os.path.join(again, name), 'rb') as b:
      assert a.read() == b.read()
  result = conftest.run_cli(
      'ddsp_generative.render_dataset',
      f'--output_dir={again}', '--instrument=flute', '--minutes=0.05',
      expect_ok=False)
  assert '--overwrite' in result.stderr
  assert sorted(os.listdir(again)) == sorted(os.listdir(out))
