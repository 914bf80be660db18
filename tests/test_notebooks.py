"""The Colab notebooks in colab/, executed headless on tiny settings.

Each notebook keeps every setting that makes a run long in one cell tagged
`parameters`; a test runs a copy with a cell of tiny values inserted after
it (as papermill injects parameters), in a kernel of this interpreter
(nbclient, kernel `python3` = the running Python), and checks that every
cell ran and that audio players and figures came out. The committed
notebooks carry no outputs.
"""

import ast
import copy
import os
import shutil
import sys

from nbclient import NotebookClient
import nbformat
import pytest

import conftest
from ddsp_generative.sampling import default_model

COLAB_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                         'colab')
NOTEBOOKS = ('generate.ipynb', 'train_your_own.ipynb')
# In-process DirectRunner (conftest.BEAM_OPTIONS), as a --pipeline_options.
BEAM = ','.join(conftest.BEAM_OPTIONS)
TINY_ENVELOPES = ('EnvelopeVae.n_frames = 250', 'EnvelopeVae.latent_dims = 8',
                  'EnvelopeVae.channels = (16, 32, 32, 32)',
                  'EnvelopeVae.hidden_units = 64')
TINY_GENERATE = dict(duration=1.0, n_samples=1, interpolation_steps=3,
                     map_points=300, midi_notes=3, note_secs=0.3,
                     phrase_notes=3)


def read_notebook(name):
  return nbformat.read(os.path.join(COLAB_DIR, name), as_version=4)


def parameters_index(nb):
  tagged = [i for i, cell in enumerate(nb.cells)
            if 'parameters' in cell.metadata.get('tags', [])]
  assert len(tagged) == 1, f'{len(tagged)} cells tagged parameters'
  return tagged[0]


def parameter_names(nb):
  tree = ast.parse(nb.cells[parameters_index(nb)].source)
  return {target.id for node in tree.body if isinstance(node, ast.Assign)
          for target in node.targets}


def with_parameters(nb, **values):
  """A copy of nb with `values` assigned right after its parameters cell.

  The inserted cell also checks that the kernel runs this interpreter (the
  venv's Python, with ddsp_generative installed).
  """
  unknown = set(values) - parameter_names(nb)
  assert not unknown, f'Not parameters of the notebook: {unknown}'
  nb = copy.deepcopy(nb)
  source = [f'{name} = {value!r}' for name, value in values.items()]
  source += ['import sys',
             f'assert sys.executable == {sys.executable!r}, sys.executable']
  cell = nbformat.v4.new_code_cell('\n'.join(source))
  cell.metadata['tags'] = ['injected-parameters']
  nb.cells.insert(parameters_index(nb) + 1, cell)
  return nb


def execute(nb, cwd):
  """Runs every cell in a python3 kernel in cwd; raises on a cell's error."""
  client = NotebookClient(nb, timeout=600, kernel_name='python3',
                          resources={'metadata': {'path': str(cwd)}})
  client.execute()
  return nb


def rich_outputs(nb):
  """(number of audio players, number of PNG images) among the outputs."""
  audio = images = 0
  for cell in nb.cells:
    for output in cell.get('outputs', []):
      data = output.get('data', {})
      if ('audio/wav' in data or
          'IPython.lib.display.Audio' in data.get('text/plain', '')):
        audio += 1
      images += 'image/png' in data
  return audio, images


def errors(nb):
  return [output for cell in nb.cells for output in cell.get('outputs', [])
          if output.output_type == 'error']


@pytest.mark.parametrize('name', NOTEBOOKS)
def test_committed_notebook_is_stripped_and_valid(name):
  nb = read_notebook(name)
  nbformat.validate(nb)
  assert nb.nbformat == 4
  for cell in nb.cells:
    if cell.cell_type == 'code':
      assert cell.outputs == [], f'outputs in {name}: {cell.source[:80]}'
      assert cell.execution_count is None, name
  code = [cell.source for cell in nb.cells if cell.cell_type == 'code']
  # First the install cell, which does nothing outside Colab.
  assert "'google.colab' in sys.modules" in code[0]
  # Every setting is a Colab form field.
  params = nb.cells[parameters_index(nb)].source.splitlines()
  assignments = [line for line in params if ' = ' in line]
  assert assignments and all('#@param' in line for line in assignments)


@pytest.fixture(scope='module')
def model_with_prior_and_envelopes(tmp_path_factory, tiny_tfrecords,
                                   tiny_model_dir, tiny_prior_path):
  """A tiny model dir laid out as the embedded default model.

  The ddsp_run model, a 3-component HMM prior (all three sampling modes)
  as prior.json and an envelope VAE on 1 s windows as envelopes/.
  """
  model_dir = str(tmp_path_factory.mktemp('notebook_model') / 'model')
  shutil.copytree(tiny_model_dir, model_dir)
  z_path = os.path.join(os.path.dirname(tiny_prior_path), 'z.tfrecord')
  conftest.run_cli(
      'ddsp_generative.fit_prior', f'--z_dataset={z_path}',
      f'--output={os.path.join(model_dir, "prior.json")}', '--prior=hmm',
      '--gin_param=HiddenMarkovPrior.n_components = 3')
  conftest.run_cli(
      'ddsp_generative.train_envelopes', f'--tfrecord_pattern={tiny_tfrecords}',
      f'--save_dir={os.path.join(model_dir, "envelopes")}', '--steps=10',
      '--batch_size=4', '--noprogress',
      *[f'--gin_param={binding}' for binding in TINY_ENVELOPES])
  return model_dir


def test_generate_notebook(tmp_path, model_with_prior_and_envelopes,
                           tiny_multi_model_dir):
  nb = execute(with_parameters(read_notebook('generate.ipynb'),
                               model_dir=model_with_prior_and_envelopes,
                               multi_model_dir=tiny_multi_model_dir,
                               blend_steps=3, **TINY_GENERATE), tmp_path)
  assert not errors(nb)
  audio, images = rich_outputs(nb)
  # 3 modes + 2 interpolations + MIDI + 1 saved sample; spectrograms, curves,
  # the latent map and the saved sample's PNG.
  assert audio >= 7 and images >= 9, (audio, images)
  # The timbre space: each of the 2 instruments, a new one and a morph
  # (played and shown), the blend curve and the map.
  (timbre_cell,) = [c for c in nb.cells if 'play_timbre(' in c.source]
  assert rich_outputs(nbformat.v4.new_notebook(cells=[timbre_cell])) == (
      4, 6)
  assert (tmp_path / 'generated' / 'melody.mid').exists()
  assert (tmp_path / 'generated' / 'sample_000.wav').exists()


def test_generate_notebook_embedded_default(tmp_path):
  """The notebook as shipped: the embedded default model, tiny settings."""
  try:
    default_model.model_dir()
  except default_model.DefaultModelMissingError as e:
    pytest.skip(str(e))
  nb = execute(with_parameters(read_notebook('generate.ipynb'),
                               **TINY_GENERATE), tmp_path)
  assert not errors(nb)
  audio, images = rich_outputs(nb)
  assert audio >= 6 and images >= 7, (audio, images)
  # Its phrase model composes a phrase, played and shown.
  (phrase_cell,) = [c for c in nb.cells if 'controls.Phrase(' in c.source]
  assert rich_outputs(nbformat.v4.new_notebook(cells=[phrase_cell])) == (
      1, 1)


def test_train_your_own_notebook(tmp_path):
  work_dir = tmp_path / 'work'
  nb = execute(with_parameters(
      read_notebook('train_your_own.ipynb'), work_dir=str(work_dir),
      data_source='synthetic', synthetic_files=2, synthetic_secs=3.0,
      f0_estimator='yin', eval_split_fraction=0.0, size='tiny',
      train_steps=10, prior_type='hmm', prior_components=3, n_samples=1,
      duration=1.0, eval_examples=4, pipeline_options=BEAM), tmp_path)
  assert not errors(nb)
  audio, images = rich_outputs(nb)
  # 2 training files + 1 sample; sample PNG, loss curve, evaluation grid.
  assert audio >= 3 and images >= 3, (audio, images)
  assert (work_dir / 'model' / 'ckpt-10.index').exists()
  assert (work_dir / 'model' / 'prior.json').exists()
  assert (work_dir / 'eval' / 'generation.md').exists()
  text = ''.join(output.get('data', {}).get('text/markdown', '')
                 for cell in nb.cells for output in cell.get('outputs', []))
  assert 'FD' in text  # The evaluation table was shown.
