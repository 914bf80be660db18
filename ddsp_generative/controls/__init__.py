# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Pitch and loudness controls for the sampler: what the instrument is asked to play.

  sources   Note, Glissando, Melody (gin): notes with ADSR envelopes and
            vibrato, generated from scratch
  midi      MidiFile (gin): a MIDI file's top voice
  phrase    Phrase (gin): a new phrase from a phrase model
            (`ddsp_generative.expression.phrases`), per seed
  envelope  EnvelopeControl (gin): curves drawn from an envelope VAE
            (`ddsp_generative.envelopes`; imports TensorFlow, so it is not
            imported here: the sampler registers it)

Every source has `generate(frame_rate) -> (f0_hz [n_frames], loudness_db
[n_frames])` on ddsp's scales and a `config` dict recorded beside samples.
All of these are `ControlSource`s, which also compute any range of frames on
their own (`n_frames(frame_rate)`, `frames(frame_rate, start, stop)`), so
`as_blocks(source, frame_rate, block_frames)` gives a clip of any length
block by block in bounded memory (the envelope VAE's windows decoded as the
blocks need them).
Gin names keep their historical modules (`ddsp_generative.controls`,
`ddsp_generative.midi_controls`, `ddsp_generative.envelopes`), which saved
sidecars contain.
"""

# pylint: disable=unused-import,g-importing-member
from ddsp_generative.controls.midi import MidiFile
from ddsp_generative.controls.midi import MidiFileError
from ddsp_generative.controls.midi import PolyphonicMidiError
from ddsp_generative.controls.phrase import Phrase
from ddsp_generative.controls.sources import adsr_args
from ddsp_generative.controls.sources import adsr_db
from ddsp_generative.controls.sources import as_blocks
from ddsp_generative.controls.sources import check_finite
from ddsp_generative.controls.sources import ControlSource
from ddsp_generative.controls.sources import Glissando
from ddsp_generative.controls.sources import Melody
from ddsp_generative.controls.sources import Note
from ddsp_generative.controls.sources import render_notes
from ddsp_generative.controls.sources import SILENCE_DB
from ddsp_generative.controls.sources import velocity_to_db
from ddsp_generative.controls.sources import VELOCITY_DB_RANGE
from ddsp_generative.controls.sources import vibrato_curve
from ddsp_generative.core.units import check_duration
from ddsp_generative.core.units import clip_midi
from ddsp_generative.core.units import MAX_MIDI
from ddsp_generative.core.units import midi_to_hz
from ddsp_generative.core.units import MIN_MIDI
