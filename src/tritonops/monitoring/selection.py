"""Which models the rules watch, and the label matchers that pick their series out of Prometheus."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tritonops.errors import MonitoringError
from tritonops.spec import Project
from tritonops.spec.slo import Slo

# Prometheus label names (prometheus.io data model): letters, digits and '_', not a digit first
_LABEL_FIRST = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_LABEL_REST = _LABEL_FIRST | set("0123456789")


@dataclass(frozen=True)
class Watched:
    """A model or ensemble the project declares, with its SLO (None: dashboard only)."""

    model: str
    slo: Slo | None


@dataclass(frozen=True)
class Variant:
    """One arm of an experiment, for the dashboard's side-by-side row."""

    name: str
    model: str
    version: int | None


@dataclass(frozen=True)
class Scope:
    """What one rules file covers: the project's name, its models, and extra label matchers.

    ``labels`` are equality matchers added to every Triton series the rules read, e.g.
    ``{"job": "triton", "namespace": "serving"}`` (Prometheus Operator sets ``job`` to the
    Service's name and ``namespace`` to its namespace).
    """

    project: str
    models: tuple[Watched, ...]
    experiments: Mapping[str, tuple[Variant, ...]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.labels:
            if not name or name[0] not in _LABEL_FIRST or set(name) - _LABEL_REST:
                raise MonitoringError(
                    f"{name!r} is not a Prometheus label name — use letters, digits and '_'"
                )
        if not self.models:
            raise MonitoringError("the project has no models to watch — add one under models:")

    @property
    def with_slo(self) -> list[Watched]:
        return [w for w in self.models if w.slo is not None and w.slo.watched]

    def triton(self, metric: str, **extra: str) -> str:
        """``metric{<labels>, model=~"<the project's models>", <extra>}``."""
        matchers = [f"{k}={quote(v)}" for k, v in sorted(self.labels.items())]
        names = sorted({w.model for w in self.models})
        matchers.append(f"model=~{quote('|'.join(regex_escape(n) for n in names))}")
        matchers += [f"{k}={quote(v)}" for k, v in extra.items()]
        return f"{metric}{{{', '.join(matchers)}}}"


def scope_of(
    project: Project, labels: Mapping[str, str] | None = None, name: str | None = None
) -> Scope:
    """The scope of ``project``: every model and ensemble (in file order) and its experiments.

    ``name`` names the project in the rules (default: the project folder's name).
    """
    # a model without an SLO of its own is held to the SLO of the first experiment it serves in:
    # the limits its variant must meet to be promoted are the ones it must keep meeting
    inherited: dict[str, Slo] = {}
    for experiment in project.experiments:
        for variant in experiment.variants:
            if experiment.slo.watched:
                inherited.setdefault(variant.model, experiment.slo)
    watched = [Watched(m.name, m.slo or inherited.get(m.name)) for m in project.models]
    watched += [Watched(e.name, e.slo or inherited.get(e.name)) for e in project.ensembles]
    experiments = {
        e.name: tuple(Variant(v.name, v.model, v.version) for v in e.variants)
        for e in project.experiments
    }
    title = name or project.root.resolve().name
    return Scope(title, tuple(watched), experiments, dict(labels or {}))


def quote(value: str) -> str:
    """A PromQL double-quoted string (Go escapes: backslash and quote)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def regex_escape(text: str) -> str:
    """``text`` as an RE2 literal: every character but letters, digits and '_' escaped.

    Model names may hold ``.+()*$`` and more (tritonops.spec.fields); RE2 takes ``\\`` before
    any punctuation as that literal character.
    """
    return "".join(c if c.isalnum() or c == "_" else "\\" + c for c in text)
