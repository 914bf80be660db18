# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Note-level check with an independent transcriber (basic-pitch, ONNX).

Where the data has MIDI, the notes that a transcriber hears in the audio can
be scored against it: note F1 of generated audio, with the real recording's
own F1 beside it as the ceiling. The transcriber is Spotify's basic-pitch
(Bittner et al., ICASSP 2022; Apache 2.0), trained on other data than ours.
Its wheel ships the model; its ONNX export runs here with onnxruntime (CPU,
one thread, the session cached per process), offline.

basic-pitch's metadata pins tensorflow<2.15.1, so it is installed with
`--no-deps` after this package (`make install` does it; its other needs are
the `transcription` extra). `available()` says whether it is installed, and
why not, so that an evaluation can report the check as skipped.

`transcribe` follows basic-pitch 0.4.0's `inference.run_inference` and
`predict`: the audio resampled to 22050 Hz (soxr, as its `librosa.load`),
zero-padded by half the overlap, cut into windows of 43844 samples (2 s less
one hop) overlapping by 30 frames of 256 samples, the windows' 'note',
'onset' and 'contour' outputs unwrapped (its `window_audio_file` and
`unwrap_output`), then its own post-processing,
`note_creation.model_output_to_notes` (onset peaks, inferred onsets, the
"melodia trick"), with its defaults except `min_note_ms`. Importing
basic-pitch imports TensorFlow when installed (its `__init__` picks a
backend); that is already a dependency of this package.

`note_scores` uses mir_eval's standard note-transcription settings
(`mir_eval.transcription`, as in MIREX): a note is matched when its onset is
within 50 ms and its pitch within 50 cents of a reference note's (one to one,
by maximum bipartite matching); 'f1_with_offsets' also needs its offset
within max(20 % of the reference note's duration, 50 ms).
"""

import functools
import importlib.metadata
import logging

import numpy as np

from ddsp_generative.controls import midi as midi_lib
from ddsp_generative.core import audio_io
from ddsp_generative.core import errors
from ddsp_generative.core import units

# The basic-pitch release this was written and tested against (its version
# pin lives in constraints.txt; tests check that the two agree).
TESTED_BASIC_PITCH = '0.4.0'
INSTALL_HINT = (
    f'install basic-pitch {TESTED_BASIC_PITCH} and onnxruntime for the '
    'note-level check: `make install`, or `pip install '
    '"ddsp_generative[transcription]"` then `pip install --no-deps '
    f'basic-pitch=={TESTED_BASIC_PITCH}` (--no-deps: its metadata pins '
    'tensorflow<2.15.1)')
N_OVERLAPPING_FRAMES = 30  # basic-pitch's run_inference.
BATCH_WINDOWS = 8  # Windows per onnxruntime call (~1.4 MB of input each).
# The ONNX graph's tensor names and the outputs they are (basic-pitch's
# inference.Model.predict).
ONNX_INPUT = 'serving_default_input_2:0'
ONNX_OUTPUTS = {'note': 'StatefulPartitionedCall:1',
                'onset': 'StatefulPartitionedCall:2',
                'contour': 'StatefulPartitionedCall:0'}
# mir_eval.transcription's standard offset criterion.
OFFSET_RATIO = 0.2
OFFSET_MIN_TOLERANCE = 0.05


class TranscriberUnavailableError(errors.UserError, RuntimeError):
  """basic-pitch or onnxruntime is not installed (or its model is missing)."""


class NotesError(errors.UserError, ValueError):
  """Audio or note arrays that cannot be transcribed or scored."""


class _Backend:
  """basic-pitch's modules and the cached onnxruntime session."""

  def __init__(self):
    previous = logging.root.manager.disable
    # basic-pitch's __init__ warns on the root logger about every backend it
    # does not find (CoreML, TFLite): noise, since ONNX is the one used.
    logging.disable(logging.WARNING)
    try:
      import basic_pitch  # pylint: disable=g-import-not-at-top
      from basic_pitch import constants  # pylint: disable=g-import-not-at-top
      from basic_pitch import inference  # pylint: disable=g-import-not-at-top
      from basic_pitch import note_creation  # pylint: disable=g-import-not-at-top
      import onnxruntime  # pylint: disable=g-import-not-at-top
    finally:
      logging.disable(previous)
    self.constants, self.inference = constants, inference
    self.note_creation = note_creation
    self.model_path = str(basic_pitch.build_icassp_2022_model_path(
        basic_pitch.FilenameSuffix.onnx))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # Errors only.
    self.session = onnxruntime.InferenceSession(
        self.model_path, sess_options=options,
        providers=['CPUExecutionProvider'])
    self.info = {
        'transcriber': 'basic-pitch',
        'basic_pitch_version': importlib.metadata.version('basic-pitch'),
        'model': 'icassp_2022/nmp.onnx',
        'onnxruntime_version': onnxruntime.__version__,
        'sample_rate': int(constants.AUDIO_SAMPLE_RATE),
    }


@functools.lru_cache(maxsize=1)
def _backend():
  """The process's `_Backend` (a failure is not cached: it is retried)."""
  return _Backend()


def _load():
  """`_backend()`, or TranscriberUnavailableError naming the fix."""
  try:
    return _backend()
  except Exception as e:  # pylint: disable=broad-except
    # ImportError, a missing or unreadable model file (onnxruntime raises
    # its own exception types), a basic-pitch without the ONNX model...
    raise TranscriberUnavailableError(
        f'{INSTALL_HINT}: {type(e).__name__}: {e}') from e


def available():
  """Whether the transcriber can run here.

  Returns:
    (True, '') or (False, reason): the reason starts with what to install,
    then says what failed (e.g. "No module named 'basic_pitch'").
  """
  try:
    _load()
  except TranscriberUnavailableError as e:
    return False, str(e)
  return True, ''


def info():
  """The transcriber's name, versions and model, for provenance records.

  Returns:
    dict with 'transcriber', 'basic_pitch_version', 'model',
    'onnxruntime_version' and 'sample_rate' (its input rate, Hz).

  Raises:
    TranscriberUnavailableError: It is not installed.
  """
  return dict(_load().info)


def _model_output(backend, audio):
  """basic-pitch's `run_inference` on audio already at its sample rate.

  Args:
    backend: The `_Backend`.
    audio: float32 [n_samples] at 22050 Hz.

  Returns:
    {'note': [n_frames, 88], 'onset': [n_frames, 88], 'contour':
    [n_frames, 264]} float32, 22050 / 256 frames per second.
  """
  constants = backend.constants
  overlap_len = N_OVERLAPPING_FRAMES * constants.FFT_HOP
  hop_size = constants.AUDIO_N_SAMPLES - overlap_len
  padded = np.concatenate([np.zeros(overlap_len // 2, np.float32), audio])
  windows = np.stack([window for window, _ in
                      backend.inference.window_audio_file(padded, hop_size)])
  outputs = {key: [] for key in ONNX_OUTPUTS}
  names = list(ONNX_OUTPUTS.values())
  for start in range(0, len(windows), BATCH_WINDOWS):
    batch = windows[start:start + BATCH_WINDOWS].astype(np.float32)
    for key, value in zip(ONNX_OUTPUTS, backend.session.run(
        names, {ONNX_INPUT: batch})):
      outputs[key].append(value)
  return {key: backend.inference.unwrap_output(
      np.concatenate(value), len(audio), N_OVERLAPPING_FRAMES)
          for key, value in outputs.items()}


def transcribe(audio, sample_rate, onset_threshold=0.5, frame_threshold=0.3,
               min_note_ms=58):
  """The notes basic-pitch hears in `audio` (all of them, even if polyphonic).

  Args:
    audio: Mono audio, [n_samples] float.
    sample_rate: Its sample rate in Hz (resampled to 22050 Hz).
    onset_threshold: basic-pitch's onset threshold (0-1; its default 0.5).
    frame_threshold: basic-pitch's frame threshold (0-1; its default 0.3).
    min_note_ms: Shorter notes are dropped (58 ms is 5 of its frames;
      basic-pitch's own command line defaults to 127.7 ms, 11 frames).

  Returns:
    float64 [n_notes, 3]: onset (s), offset (s), MIDI pitch (integer
    values), sorted by onset then pitch; [0, 3] when none.

  Raises:
    TranscriberUnavailableError: basic-pitch or onnxruntime is missing.
    NotesError: `audio` is not 1-D or not finite, or a setting is out of
      range.
  """
  audio = np.asarray(audio)
  if audio.ndim != 1:
    raise NotesError(f'transcribe takes mono audio [n_samples], got shape '
                     f'{audio.shape}: average the channels first.')
  if not np.all(np.isfinite(audio)):
    raise NotesError('transcribe: audio holds NaN or Inf samples.')
  audio_io.check_sample_rate(sample_rate)
  for name, value in (('onset_threshold', onset_threshold),
                      ('frame_threshold', frame_threshold)):
    if not 0.0 < value < 1.0:
      raise NotesError(f'transcribe: {name} must be in (0, 1), got {value}.')
  if not min_note_ms >= 0:
    raise NotesError(f'transcribe: min_note_ms must be >= 0, got '
                     f'{min_note_ms}.')
  backend = _load()
  constants = backend.constants
  audio = audio_io.resample(audio, from_rate=sample_rate,
                            to_rate=constants.AUDIO_SAMPLE_RATE)
  frames_per_sec = constants.AUDIO_SAMPLE_RATE / constants.FFT_HOP
  if len(audio) < 2 * constants.FFT_HOP:  # Under two of its frames.
    return np.zeros((0, 3), np.float64)
  output = _model_output(backend, audio)
  # As basic-pitch's predict(): milliseconds to frames.
  min_note_len = int(np.round(min_note_ms / 1000.0 * frames_per_sec))
  # Silence makes its inferred onsets 0 / 0 (NaN, then no onset): quietly.
  with np.errstate(invalid='ignore', divide='ignore'):
    _, events = backend.note_creation.model_output_to_notes(
        output, onset_thresh=onset_threshold, frame_thresh=frame_threshold,
        min_note_len=min_note_len)
  notes = np.array([(start, end, pitch) for start, end, pitch, _, _ in events],
                   np.float64).reshape(-1, 3)
  return notes[np.lexsort((notes[:, 2], notes[:, 0]))]


def midi_notes(midi_path, instrument=None):
  """The notes of a MIDI file (as `controls.midi` reads them).

  Args:
    midi_path: A .mid file.
    instrument: None for every pitched instrument; an index or a track or
      General-MIDI program name (`controls.midi.select_notes`).

  Returns:
    float64 [n_notes, 3]: onset (s), offset (s), MIDI pitch, sorted by onset
    then highest pitch first; notes of zero duration are dropped.

  Raises:
    controls.midi.MidiFileError: The file is missing, unreadable or has no
      pitched notes.
  """
  notes = midi_lib.select_notes(midi_lib.read_midi(midi_path), midi_path,
                                instrument)
  return np.ascontiguousarray(
      notes[:, [midi_lib.START, midi_lib.END, midi_lib.PITCH]])


def _check_notes(notes, what):
  """[n, 3] float64 notes, or NotesError saying what is wrong."""
  notes = np.asarray(notes, np.float64)
  if notes.size == 0:
    return notes.reshape(0, 3)
  if notes.ndim != 2 or notes.shape[1] != 3:
    raise NotesError(f'note_scores: {what} must be [n_notes, 3] (onset s, '
                     f'offset s, MIDI pitch), got shape {notes.shape}.')
  if not np.all(np.isfinite(notes)):
    raise NotesError(f'note_scores: {what} hold NaN or Inf.')
  bad = (notes[:, 0] < 0) | (notes[:, 1] <= notes[:, 0])
  if np.any(bad):
    first = notes[bad][0]
    raise NotesError(
        f'note_scores: {np.sum(bad)} of the {what} start before 0 s or do '
        f'not end after they start (first: {first[0]:.3f}-{first[1]:.3f} s, '
        f'pitch {first[2]:g}).')
  return notes


def note_scores(reference_notes, estimated_notes, onset_tolerance=0.05,
                pitch_tolerance_cents=50):
  """Note precision, recall and F1 of estimated notes against reference ones.

  mir_eval's note-transcription metrics (module docstring): onsets within
  `onset_tolerance`, pitches within `pitch_tolerance_cents`; with offsets,
  also offsets within max(20 % of the reference duration, 50 ms).

  Args:
    reference_notes: [n_reference, 3] onset (s), offset (s), MIDI pitch,
      e.g. `midi_notes(...)`.
    estimated_notes: [n_estimated, 3] likewise, e.g. `transcribe(...)`.
    onset_tolerance: Seconds.
    pitch_tolerance_cents: Cents.

  Returns:
    dict of float 'precision', 'recall', 'f1', 'f1_with_offsets' and int
    'n_reference', 'n_estimated'. With no reference or no estimated notes
    the scores are 0.0 (mir_eval's convention).

  Raises:
    NotesError: An array is not [n, 3], holds NaN, or has a note that starts
      before 0 s or does not end after it starts.
  """
  import mir_eval  # pylint: disable=g-import-not-at-top
  reference = _check_notes(reference_notes, 'reference notes')
  estimated = _check_notes(estimated_notes, 'estimated notes')
  scores = {'precision': 0.0, 'recall': 0.0, 'f1': 0.0,
            'f1_with_offsets': 0.0, 'n_reference': len(reference),
            'n_estimated': len(estimated)}
  if not len(reference) or not len(estimated):
    return scores
  args = (reference[:, :2], units.midi_to_hz(reference[:, 2]),
          estimated[:, :2], units.midi_to_hz(estimated[:, 2]))
  kwargs = dict(onset_tolerance=float(onset_tolerance),
                pitch_tolerance=float(pitch_tolerance_cents))
  precision, recall, f1, _ = (
      mir_eval.transcription.precision_recall_f1_overlap(
          *args, offset_ratio=None, **kwargs))
  _, _, f1_offsets, _ = mir_eval.transcription.precision_recall_f1_overlap(
      *args, offset_ratio=OFFSET_RATIO,
      offset_min_tolerance=OFFSET_MIN_TOLERANCE, **kwargs)
  scores.update(precision=float(precision), recall=float(recall),
                f1=float(f1), f1_with_offsets=float(f1_offsets))
  return scores
