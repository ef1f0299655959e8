"""Journeys: a fresh project, unlike the examples, driven through the CLI as a user drives it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh project folder; the test runs the CLI from inside it, as a user would."""
    folder = tmp_path / "textshop"
    write_project(folder)
    return folder


# --- the project, as a user writes it from the README: every file below is theirs ---------------

PROJECT = """\
# textshop: is a short text mostly digits? Three ways to answer, served behind one ensemble each.
repository: serving

models:
  - name: tokenize                      # a python model folder: text (BYTES) -> 4 features
    kind: python
    source: steps/tokenize
    max_batch_size: 8
    inputs:  [{ name: TEXT, data_type: bytes, dims: [1] }]
    outputs: [{ name: FEATS, data_type: fp32, dims: [4] }]
    dynamic_batching: {}

  - name: linear_scorer                 # scikit-learn factory (module:function)
    kind: onnx
    source: lab.linear:make
    max_batch_size: 8
    outputs: [{ name: probabilities, data_type: fp32, dims: [2] }]

  - name: tree_scorer                   # another factory, another module
    kind: onnx
    source: lab.tree:make
    max_batch_size: 8
    outputs: [{ name: probabilities, data_type: fp32, dims: [2] }]

  - name: decide                        # python: scores -> class id (INT64)
    kind: python
    source: steps/decide
    max_batch_size: 8
    inputs:  [{ name: PROBS, data_type: fp32, dims: [2] }]
    outputs: [{ name: LABEL, data_type: int64, dims: [1] }]

  - name: shift                         # a saved .onnx file, INT64 in and out
    kind: onnx
    source: assets/shift.onnx
    max_batch_size: 4
    inputs:  [{ name: X, data_type: int64, dims: [3] }]
    outputs: [{ name: Y, data_type: int64, dims: [3] }]

ensembles:
  - name: is_numeric_linear
    max_batch_size: 8
    inputs:  [{ name: TEXT, data_type: bytes, dims: [1] }]
    outputs: [{ name: LABEL, data_type: int64, dims: [1] }]
    steps:
      - { model: tokenize, inputs: { TEXT: TEXT }, outputs: { FEATS: feats } }
      - { model: linear_scorer, inputs: { input: feats }, outputs: { probabilities: probs } }
      - { model: decide, inputs: { PROBS: probs }, outputs: { LABEL: LABEL } }

  - name: is_numeric_tree
    max_batch_size: 8
    inputs:  [{ name: TEXT, data_type: bytes, dims: [1] }]
    outputs: [{ name: LABEL, data_type: int64, dims: [1] }]
    steps:
      - { model: tokenize, inputs: { TEXT: TEXT }, outputs: { FEATS: feats } }
      - { model: tree_scorer, inputs: { input: feats }, outputs: { probabilities: probs } }
      - { model: decide, inputs: { PROBS: probs }, outputs: { LABEL: LABEL } }

experiments:
  - name: tree-vs-linear                # labelled texts, sticky users
    variants:
      - { name: control, model: is_numeric_linear, weight: 50 }
      - { name: candidate, model: is_numeric_tree, weight: 50 }
    sticky_key: user_id
    slo: { p99_ms: 5000, max_error_rate: 0.05 }
    min_samples: 10
    dataset: data/texts.jsonl
    labels: label

  - name: scorer-shadow                 # synthesized inputs, the tree shadowing every request
    variants:
      - { name: control, model: linear_scorer, weight: 80 }
      - { name: candidate, model: tree_scorer, weight: 20 }
    shadow: { model: tree_scorer }
    min_samples: 5

targets:
  local: {}
  kubernetes:
    namespace: textshop
    repository_uri: s3://textshop/models
    resources: { cpu: "1", memory: 2Gi }
    autoscaling: { min: 1, max: 3, target_queue_ms: 50 }
"""

FEATURES = """\
def features(text):
    \"\"\"Length, vowel, digit and upper-case shares of a text.\"\"\"
    n = max(len(text), 1)
    return [
        len(text) / 20.0,
        sum(c in "aeiou" for c in text.lower()) / n,
        sum(c.isdigit() for c in text) / n,
        sum(c.isupper() for c in text) / n,
    ]
"""

TOKENIZE = (
    FEATURES
    + """
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            texts = pb_utils.get_input_tensor_by_name(request, "TEXT").as_numpy()
            rows = [
                features(t.decode("utf-8", "replace") if isinstance(t, bytes) else str(t))
                for t in texts.reshape(-1)
            ]
            feats = np.asarray(rows, dtype=np.float32).reshape(texts.shape[0], 4)
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("FEATS", feats)]))
        return responses
"""
)

DECIDE = """
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            probs = pb_utils.get_input_tensor_by_name(request, "PROBS").as_numpy()
            label = np.argmax(probs, axis=1).astype(np.int64).reshape(-1, 1)
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("LABEL", label)]))
        return responses
"""

DATA = (
    FEATURES
    + """
import numpy as np

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ    "


def sample_text(rng):
    numeric = bool(rng.integers(0, 2))
    pool = "0123456789 " if numeric else LETTERS
    return "".join(rng.choice(list(pool), size=int(rng.integers(4, 16)))), int(numeric)


def training_set():
    rng = np.random.default_rng(7)
    texts, labels = zip(*(sample_text(rng) for _ in range(300)))
    x = np.asarray([features(t) for t in texts], dtype=np.float32)
    return x, np.asarray(labels, dtype=np.int64)
"""
)

LINEAR = """
from sklearn.linear_model import LogisticRegression

from lab.data import training_set
from lab.linear_options import C


def make():
    x, y = training_set()
    return LogisticRegression(C=C, max_iter=500, random_state=0).fit(x, y), x[:8]
"""

TREE = """
from sklearn.tree import DecisionTreeClassifier

from lab.data import training_set


def make():
    x, y = training_set()
    return DecisionTreeClassifier(max_depth=3, random_state=0).fit(x, y), x[:8]
"""

# (text, is it mostly digits?) — what the A/B test sends, with its answers
TEXTS = [
    ("hello there", 0),
    ("4815 1623 42", 1),
    ("Quiet Night", 0),
    ("2024 07 31", 1),
    ("spam and eggs", 0),
    ("555 0199", 1),
    ("Zebra crossing", 0),
    ("31415926", 1),
]


def shift_model() -> onnx.ModelProto:
    """Y = X + 10 over INT64 [N, 3]: a model saved by some other tool, served as a file."""
    ten = helper.make_tensor("ten", TensorProto.INT64, [1], [10])
    graph = helper.make_graph(
        [helper.make_node("Add", ["X", "ten"], ["Y"])],
        "shift",
        [helper.make_tensor_value_info("X", TensorProto.INT64, ["N", 3])],
        [helper.make_tensor_value_info("Y", TensorProto.INT64, ["N", 3])],
        [ten],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_project(folder: Path) -> None:
    files = {
        "tritonops.yaml": PROJECT,
        "steps/tokenize/model.py": TOKENIZE,
        "steps/decide/model.py": DECIDE,
        "lab/__init__.py": "",
        "lab/data.py": DATA,
        "lab/linear.py": LINEAR,
        "lab/linear_options.py": "C = 2.0\n",
        "lab/tree.py": TREE,
        "lab/notes.py": "# scratch notes: no factory imports this module\n",
    }
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    (folder / "assets").mkdir()
    onnx.save(shift_model(), str(folder / "assets" / "shift.onnx"))
    (folder / "data").mkdir()
    lines = [
        json.dumps({"TEXT": [text], "label": label, "user_id": f"u{i % 5}"})
        for i, (text, label) in enumerate(TEXTS * 4)
    ]
    (folder / "data" / "texts.jsonl").write_text("\n".join(lines) + "\n")
    assert np.asarray([label for _, label in TEXTS]).sum() == len(TEXTS) // 2
