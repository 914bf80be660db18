# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""The 'midi' set: whole held-out tunes played from their MIDI files.

Each MIDI file is played by the sampler as `python -m ddsp_generative.sample
--midi_file=<file>` plays it: a `controls.midi.MidiFile` source made through
gin (so its bindings apply; `ddsp_generative_evaluate_generation` binds the
note sources' levels inside the model's training loudness first,
`sampler.default_level_bindings`, as the sampler's command does), z from the
prior's stream in its default mode (none for a model without z), rendered
block by block by `sampler.generate` into a temporary folder (bounded
memory for any length; the WAV is 16-bit) and read back. File j uses seed
`seed + j`. The audio is cut into 1 s clips (`realism.cut_clips`, quiet
clips dropped): an unpaired set, all of it compared with real half B.

When the transcriber is installed (`transcription.available()`), each file
also gets note-level scores (`transcription.note_scores`: mir_eval, onsets
within 50 ms, pitch within 50 cents): the notes basic-pitch hears in the
generated audio against the file's own notes (`transcription.midi_notes`)
and, when a recording `<stem>.wav` lies beside `<stem>.mid` (as in a data
set rendered by `ddsp_generative_render_dataset`), the recording's own
transcription against the same notes: the reference a model's audio can
reach. Bindings that move the notes (`MidiFile.transpose`, `start`,
`duration`) lower the generated audio's scores: the reference stays the
file's notes.
"""

import os
import tempfile

import gin
import numpy as np
from tqdm import tqdm

from ddsp_generative.controls import midi
from ddsp_generative.core import audio_io
from ddsp_generative.evaluation import realism
from ddsp_generative.evaluation import transcription
from ddsp_generative.sampling import sampler

NAME = 'midi'
SCORE_KEYS = ('f1', 'f1_with_offsets', 'precision', 'recall')


def real_recording(midi_path):
  """`<stem>.wav` beside `<stem>.mid`, or None when there is none."""
  path = os.path.splitext(midi_path)[0] + '.wav'
  return path if os.path.isfile(path) else None


def midi_source(path):
  """The gin-configured `MidiFile` of `path` (its bindings applied)."""
  return gin.get_configurable(midi.MidiFile)(path=path)


def render(trained, prior, source, seed, progress=False):
  """A whole control source's audio, rendered block by block.

  Args:
    trained: `model_io.TrainedModel`.
    prior: The prior (its default mode), or None for a model without z.
    source: A control source, e.g. `midi_source(path)`.
    seed: Seed of the prior and the synthesizers' noise.
    progress: Show the sampler's progress bar.

  Returns:
    float32 [n_samples] audio at the model's sample rate.
  """
  with tempfile.TemporaryDirectory(prefix='ddsp_generative_midi_') as tmp:
    written = sampler.generate(trained, prior, source, n_samples=1,
                               seed=seed, save_dir=tmp, progress=progress)
    audio, _ = audio_io.load_audio(written[0]['wav'])
  return audio


def _clips(audio, sample_rate):
  """Audible 1 s clips of audio ([0, clip] when it is under a clip)."""
  clip_samples = int(round(realism.CLIP_SECS * sample_rate))
  if len(audio) < clip_samples:
    return np.zeros((0, clip_samples), np.float32)
  return realism.cut_clips(audio, sample_rate)


def _mean(rows, key):
  values = [r[key] for r in rows if r is not None]
  return float(np.mean(values)) if values else None


def _summary(files, available, reason):
  """Mean note scores over the files (and over their real recordings)."""
  out = {'available': available, 'reason': reason or None}
  if not available:
    return out
  out['transcriber'] = transcription.info()
  out['settings'] = ('mir_eval note metrics: onset within 50 ms, pitch '
                     'within 50 cents; with offsets also offset within '
                     'max(20% of the reference duration, 50 ms); reference: '
                     'the MIDI file\'s notes')
  generated = [f['notes'] for f in files]
  recorded = [f['real_notes'] for f in files if f['real_notes'] is not None]
  for key in SCORE_KEYS:
    out[f'mean_{key}'] = _mean(generated, key)
    out[f'mean_real_{key}'] = _mean(recorded, key)
  out['n_files'] = len(generated)
  out['n_files_with_real'] = len(recorded)
  return out


def evaluate(trained, prior, sources, seed=0, progress=False):
  """Renders every MIDI file, cuts its clips and scores its notes.

  Args:
    trained: `model_io.TrainedModel`.
    prior: The (first) prior, or None for a model without z.
    sources: `midi_source` of each .mid file (made first, so that a bad
      file fails before any work).
    seed: File j uses seed + j.
    progress: Show progress bars.

  Returns:
    (clips, report): float32 [m, clip_samples] audible clips of all the
    files, and a dict: 'files' (per file: 'path', 'real_recording', 'seed',
    'secs', 'n_clips', 'controls', and 'notes' / 'real_notes' note scores or
    None), 'prior_mode' and 'transcription' ('available', 'reason', and
    the scores' means over the files: 'mean_f1', 'mean_real_f1', ...).
  """
  available, reason = transcription.available()
  sr = trained.sample_rate
  clips, files = [], []
  for j, source in enumerate(tqdm(sources, desc='midi', unit='file',
                                  disable=not progress)):
    path = source.config['path']
    audio = render(trained, prior, source, seed + j)
    clips.append(_clips(audio, sr))
    entry = {'path': os.path.abspath(path),
             'real_recording': real_recording(path), 'seed': seed + j,
             'secs': len(audio) / sr, 'n_clips': len(clips[-1]),
             'controls': sampler.describe_controls(source),
             'notes': None, 'real_notes': None}
    if available:
      reference = transcription.midi_notes(path)
      entry['notes'] = transcription.note_scores(
          reference, transcription.transcribe(audio, sr))
      if entry['real_recording']:
        recorded, info = audio_io.load_audio(entry['real_recording'])
        entry['real_notes'] = transcription.note_scores(
            reference, transcription.transcribe(recorded,
                                                info['sample_rate']))
    files.append(entry)
  clip_samples = int(round(realism.CLIP_SECS * sr))
  clips = (np.concatenate(clips) if clips else
           np.zeros((0, clip_samples), np.float32))
  return clips, {'n_files': len(files), 'n_clips': len(clips),
                 'prior_mode': None if prior is None else prior.default_mode,
                 'file_seed': 'seed + file index (prior z and noise)',
                 'files': files,
                 'transcription': _summary(files, available, reason)}
