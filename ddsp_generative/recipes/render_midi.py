# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Render a monophonic instrument data set with ground-truth f0, offline.

Public-domain melodies (`melodies`, from music21's corpus) are written as
General-MIDI files with `pretty_midi` and rendered by FluidSynth with the
FluidR3 GM soundfont (sampled real instruments) at 44.1 kHz with reverb and
chorus off (chorus modulates pitch, reverb fills rests), then averaged to mono
and resampled to `sample_rate` with soxr (rendering at 16 kHz directly
aliases on bright sounds; see `../shared/DATA.md`). Each melody becomes
`<instrument>_<nnnn>.wav` with a ground-truth sidecar `<...>.f0.json`
(`ddsp_generative.core.f0_truth`) and the MIDI file it was rendered from,
`<...>.mid` (for note-level checks, `evaluation.transcription`), and
`dataset.json` lists them all.

Needs `apt-get install fluidsynth fluid-soundfont-gm` and
`pip install "ddsp_generative[datasets]"` (music21, pretty_midi).
"""

import collections
import glob
import os
import shutil
import subprocess
import tempfile
import time

from absl import logging
import numpy as np
import soundfile as sf

from ddsp_generative.core import artifacts
from ddsp_generative.core import audio_io
from ddsp_generative.core import errors
from ddsp_generative.core import f0_truth
from ddsp_generative.core import publish
from ddsp_generative.recipes import melodies as melodies_lib

Instrument = collections.namedtuple('Instrument', ['program', 'low', 'high'])

# GM program (0-based) and comfortable range (MIDI, sounding pitch) of the
# monophonic FluidR3 presets that are sampled real instruments.
INSTRUMENTS = {
    'violin': Instrument(40, 57, 86),
    'viola': Instrument(41, 50, 79),
    'cello': Instrument(42, 38, 69),
    'trumpet': Instrument(56, 55, 79),
    'french_horn': Instrument(60, 43, 72),
    'alto_sax': Instrument(65, 51, 77),
    'oboe': Instrument(68, 60, 86),
    'flute': Instrument(73, 62, 91),
}
SOUNDFONT_PATHS = ('/usr/share/sounds/sf2/FluidR3_GM.sf2',
                   '/usr/share/soundfonts/FluidR3_GM.sf2')
RENDER_SAMPLE_RATE = 44100
TAIL_SECS = 1.0  # Silence kept after the last note-off (its release).
PEAK_LIMIT = 0.95
INSTALL_HINT = ('Install FluidSynth and the FluidR3 General-MIDI soundfont: '
                '`sudo apt-get install fluidsynth fluid-soundfont-gm` (Debian/'
                'Ubuntu; `make dataset` does it), or pass --soundfont=<.sf2>.')
MANIFEST = 'dataset.json'
MANIFEST_KIND = 'rendered_dataset'
# 2: each file's MIDI is kept beside it (`files[i]['midi']`).
MANIFEST_FORMAT_VERSION = 2


class MissingRendererError(errors.UserError, RuntimeError):
  """FluidSynth or the soundfont is not installed."""


def find_fluidsynth():
  """Path of the fluidsynth program; raises MissingRendererError."""
  path = shutil.which('fluidsynth')
  if not path:
    raise MissingRendererError(f'fluidsynth is not installed. {INSTALL_HINT}')
  return path


def find_soundfont(soundfont=None):
  """Path of the soundfont (given, or FluidR3 GM); raises if missing."""
  candidates = [soundfont] if soundfont else list(SOUNDFONT_PATHS)
  for path in candidates:
    if path and os.path.isfile(path):
      return path
  raise MissingRendererError(
      f'Soundfont not found (looked for {", ".join(candidates)}). '
      f'{INSTALL_HINT}')


def renderer_available(soundfont=None):
  """True when fluidsynth and the soundfont are installed."""
  try:
    find_fluidsynth()
    find_soundfont(soundfont)
  except MissingRendererError:
    return False
  return True


def write_midi(notes, program, path):
  """Writes notes as a one-instrument MIDI file, reverb and chorus sends 0.

  Args:
    notes: List of {'start', 'end', 'pitch', 'velocity'} (seconds, MIDI).
    program: General-MIDI program number (0-based).
    path: Destination .mid file.
  """
  import pretty_midi  # pylint: disable=g-import-not-at-top
  midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)
  instrument = pretty_midi.Instrument(program=program)
  instrument.control_changes += [pretty_midi.ControlChange(91, 0, 0.0),
                                 pretty_midi.ControlChange(93, 0, 0.0)]
  instrument.notes = [
      pretty_midi.Note(velocity=int(n['velocity']), pitch=int(n['pitch']),
                       start=float(n['start']), end=float(n['end']))
      for n in notes]
  midi.instruments.append(instrument)
  midi.write(path)


def render_notes(notes, program, soundfont, sample_rate=16000, work_dir=None,
                 midi_path=None):
  """Renders notes with FluidSynth; returns mono float32 at `sample_rate`.

  Args:
    notes: List of {'start', 'end', 'pitch', 'velocity'}.
    program: General-MIDI program number (0-based).
    soundfont: .sf2 path.
    sample_rate: Output rate; FluidSynth renders at 44.1 kHz.
    work_dir: Folder for the temporary MIDI and WAV files.
    midi_path: Where to write, and keep, the MIDI file that is rendered
      (`write_midi`); None for a temporary one.

  Returns:
    audio: [ceil((last note-off + TAIL_SECS) * sample_rate)] float32.
  """
  fluidsynth = find_fluidsynth()
  with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
    midi_path = midi_path or os.path.join(tmp, 'melody.mid')
    wav_path = os.path.join(tmp, 'melody.wav')
    write_midi(notes, program, midi_path)
    command = [fluidsynth, '-ni', '-q', '-R', '0', '-C', '0', '-g', '1.0',
               '-F', wav_path, '-r', str(RENDER_SAMPLE_RATE), soundfont,
               midi_path]
    result = subprocess.run(command, capture_output=True, text=True,
                            check=False)
    if result.returncode or not os.path.exists(wav_path):
      raise RuntimeError(f'fluidsynth failed ({result.returncode}): '
                         f'{(result.stderr or result.stdout)[-500:]}')
    audio, rate = sf.read(wav_path, dtype='float32', always_2d=True)
  mono = audio.mean(axis=1)
  n = int(np.ceil((max(n['end'] for n in notes) + TAIL_SECS) * rate))
  mono = np.pad(mono[:n], (0, max(0, n - len(mono))))
  return audio_io.resample(mono, from_rate=rate, to_rate=sample_rate)


def _check_output_dir(output_dir, overwrite):
  """Raises FileExistsError if a data set is there and not `overwrite`."""
  existing = sorted(glob.glob(os.path.join(output_dir, '*.wav')) +
                    glob.glob(os.path.join(output_dir, '*.f0.json')) +
                    glob.glob(os.path.join(output_dir, '*.mid')) +
                    glob.glob(os.path.join(output_dir, MANIFEST)))
  if existing and not overwrite:
    raise FileExistsError(
        f'{len(existing)} file(s) already in {output_dir} (e.g. '
        f'{existing[0]}). Pass --overwrite to replace them, or choose another '
        '--output_dir.')
  return existing


def render_dataset(output_dir, instrument='violin', minutes=15.0, seed=0,
                   sources=melodies_lib.SOURCES, sample_rate=16000,
                   max_secs_per_file=90.0, soundfont=None, overwrite=False):
  """Renders melodies until `minutes` of audio, with ground-truth f0.

  Args:
    output_dir: Folder of the WAV files, their f0 sidecars and MIDI files,
      and `dataset.json`.
    instrument: A key of INSTRUMENTS.
    minutes: Audio to render (the last melody may take it a little over).
    seed: Random seed: the same seed renders the same data set.
    sources: Melody sources (`melodies.SOURCES`), taken in turn.
    sample_rate: Sample rate of the WAV files.
    max_secs_per_file: Longer melodies are cut at a note's end.
    soundfont: .sf2 file (default: FluidR3 GM from fluid-soundfont-gm).
    overwrite: Replace a data set already in `output_dir`.

  Returns:
    The manifest record written to `<output_dir>/dataset.json`; its
    'files' list each WAV ('file') with its MIDI ('midi', `<stem>.mid`).

  Raises:
    ValueError: Unknown instrument or source, or minutes <= 0.
    MissingRendererError: fluidsynth or the soundfont is missing.
    melodies.MissingMusic21Error: music21 is not installed.
    FileExistsError: A data set is in `output_dir` and not `overwrite`.
  """
  if instrument not in INSTRUMENTS:
    raise ValueError(f'Unknown instrument {instrument!r}; choose from '
                     f'{", ".join(INSTRUMENTS)}.')
  if minutes <= 0:
    raise ValueError(f'minutes ({minutes}) must be positive.')
  find_fluidsynth()
  soundfont = find_soundfont(soundfont)
  program, low, high = INSTRUMENTS[instrument]
  melodies = melodies_lib.melodies(low, high, seed=seed, sources=sources,
                                   max_secs=max_secs_per_file)
  existing = _check_output_dir(output_dir, overwrite)
  target_secs, total_secs, files = minutes * 60.0, 0.0, []
  start_time = time.time()
  # The set is published when complete, dataset.json last (`publish`).
  with publish.output_set(output_dir, MANIFEST, manifest=MANIFEST,
                          replaces=existing,
                          what=f'The data set in {output_dir}') as work_dir:
    for melody in melodies:
      if total_secs >= target_secs:
        break
      name = f'{instrument}_{len(files):04d}'
      audio = render_notes(melody.notes, program, soundfont, sample_rate,
                           work_dir,
                           midi_path=os.path.join(work_dir, name + '.mid'))
      peak = float(np.max(np.abs(audio)))
      gain = PEAK_LIMIT / peak if peak > PEAK_LIMIT else 1.0
      audio_io.write_wav(os.path.join(work_dir, name + '.wav'), gain * audio,
                         sample_rate)
      duration = len(audio) / sample_rate
      about = {'source': melody.source, 'work': melody.work,
               'number': melody.number, 'title': melody.title,
               'transpose': melody.transpose,
               'secs_per_quarter': round(melody.secs_per_quarter, 4)}
      f0_truth.write_sidecar(
          os.path.join(work_dir, name + '.f0.json'), melody.notes, duration,
          audio_file=name + '.wav',
          extra={'instrument': instrument, 'program': program,
                 'sample_rate': sample_rate, 'gain': gain, 'melody': about},
          extra_provenance={'seed': seed})
      files.append(dict(about, file=name + '.wav', midi=name + '.mid',
                        duration_secs=duration,
                        n_notes=len(melody.notes)))
      total_secs += duration
      logging.info('Rendered %s (%s %s #%s, %.1f s): %.1f of %.1f min, '
                   '%.0f s elapsed.', name, melody.source, melody.work,
                   melody.number, duration, total_secs / 60, minutes,
                   time.time() - start_time)
    if total_secs < target_secs:
      logging.warning('Only %.1f of %.1f minutes: no more melodies fit '
                      '%s.', total_secs / 60, minutes, instrument)
    return artifacts.write_json(
        os.path.join(work_dir, MANIFEST), MANIFEST_KIND,
        MANIFEST_FORMAT_VERSION,
        payload={
            'instrument': instrument, 'program': program,
            'range_midi': [low, high], 'sample_rate': sample_rate,
            'render_sample_rate': RENDER_SAMPLE_RATE,
            'soundfont': soundfont,
            'soundfont_bytes': os.path.getsize(soundfont),
            'sources': list(sources), 'minutes_requested': minutes,
            'audio_secs': total_secs, 'n_files': len(files), 'files': files,
            'f0_frame_rate': f0_truth.FRAME_RATE,
            'onset_skip_secs': f0_truth.ONSET_SKIP_SECS,
            'release_skip_secs': f0_truth.RELEASE_SKIP_SECS,
        },
        extra_provenance={'seed': seed, 'fluidsynth': _fluidsynth_version()})


def _fluidsynth_version():
  try:
    out = subprocess.run([find_fluidsynth(), '--version'],
                         capture_output=True, text=True, check=False).stdout
  except (MissingRendererError, OSError):
    return None
  return out.splitlines()[0].strip() if out else None
