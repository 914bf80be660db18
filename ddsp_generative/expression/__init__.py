# Copyright 2026 The ddsp_generative Authors.
# Licensed under the Apache License, Version 2.0.
"""Expression: the notes of the training audio, and how they are played.

  segmentation  f0 and loudness -> notes (onset, offset, pitch, level);
                `Segmenter` (gin: Segmenter, module
                ddsp_generative.expression)

Importing this package registers the gin name `Segmenter`.
"""

# pylint: disable=unused-import,g-importing-member
from ddsp_generative.expression.segmentation import LEVEL
from ddsp_generative.expression.segmentation import OFFSET
from ddsp_generative.expression.segmentation import ONSET
from ddsp_generative.expression.segmentation import PITCH
from ddsp_generative.expression.segmentation import RELEASE
from ddsp_generative.expression.segmentation import segment
from ddsp_generative.expression.segmentation import SegmentationError
from ddsp_generative.expression.segmentation import Segmenter
