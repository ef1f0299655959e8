"""The conformance corpus: small repositories, each with Triton's verdict and the rule's source.

``conformance/rules/<case>/case.json`` holds ``expected`` ("valid", or the error code the validator
must give), ``model`` (the model the verdict is about), ``rule`` and ``source`` (the Triton file or
document the rule comes from), ``server`` ("yes": the embedded tritonserver 2.51 can judge it,
"crash": the real server dies on it, "no": it cannot judge it here, with ``note`` saying why) and
``triton_qa`` (the cases of Triton's qa/L0_model_config suite that exercise the same rule) and, for
an error the server judges, ``triton_says`` (words of the server's error that name the rule).
``judge`` names the stand-in backend that gives the server's verdict where the backend is one of
tritonops's stand-ins (onnxruntime, vllm, tensorrtllm) following the real backend's contract.
The repository itself is ``<case>/repo``. ``conformance/triton_qa.json`` lists every case of that
qa suite with Triton's verdict, and why where it cannot be reproduced here; test_triton_qa_sweep.py
recounts the validator against it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

RULES = Path(__file__).parent / "rules"


@dataclass(frozen=True)
class Case:
    name: str
    repo: Path
    expected: str
    model: str
    rule: str
    source: str
    server: str
    triton_qa: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return self.expected == "valid"


def load_cases(root: Path = RULES) -> list[Case]:
    cases = []
    for meta in sorted(root.glob("*/case.json")):
        data = json.loads(meta.read_text())
        cases.append(
            Case(
                name=meta.parent.name,
                repo=meta.parent / "repo",
                expected=data["expected"],
                model=data["model"],
                rule=data["rule"],
                source=data["source"],
                server=data["server"],
                triton_qa=tuple(data.get("triton_qa", ())),
            )
        )
    return cases
