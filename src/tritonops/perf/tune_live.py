"""Tuning against a real server: candidates loaded with a config override, measured at one load;
and the winner written back to the project file's model entry."""

from __future__ import annotations

import difflib
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from tritonops.errors import PerfError
from tritonops.model_config import ModelConfig
from tritonops.perf.analyzer import GRPC_HEADERS, ready_analyzer
from tritonops.perf.engine import EngineChoice, MeasureSpec, analyzer_sends_headers, reading
from tritonops.perf.results import Reading
from tritonops.perf.tune import Candidate, Measurer
from tritonops.triton.endpoint import load_with_config, parse_url


def live_measurer(
    url: str,
    config: ModelConfig,
    *,
    window_ms: int = 300,
    engine: EngineChoice = "auto",
    headers: Mapping[str, str] | None = None,
) -> tuple[Measurer, str]:
    """Load each candidate (only when it changes) and measure it at a concurrency for
    ``windows`` × ``window_ms``, keeping every request's latency. Returns the measurer and the
    engine it uses (``auto``: perf_analyzer where it can run here and can send ``headers``,
    else the built-in one). ``headers`` go with every load and request."""
    endpoint = parse_url(url, headers)
    used: Literal["perf_analyzer", "builtin"] = "builtin"
    if engine == "perf_analyzer" and not analyzer_sends_headers(endpoint):
        raise PerfError(GRPC_HEADERS)
    if engine == "auto" and not analyzer_sends_headers(endpoint):
        engine = "builtin"
    if engine in ("auto", "perf_analyzer"):
        try:
            ready_analyzer()
            used = "perf_analyzer"
        except PerfError:
            if engine == "perf_analyzer":
                raise
    loaded: list[Candidate] = []

    def run(candidate: Candidate, concurrency: int, windows: int) -> Reading:
        served = candidate.apply(config)
        if not loaded or loaded[-1] != candidate:
            load_with_config(endpoint, served)
            loaded[:] = [candidate]
        spec = MeasureSpec(
            model=config.name,
            url=url,
            concurrency=(concurrency,),
            measurement_interval_ms=window_ms * windows,
            batch_size=1,
            headers=endpoint.headers,
        )
        return reading(spec, served, concurrency, used)

    return run, used


def entry_fields(candidate: Candidate, config: ModelConfig) -> dict[str, Any]:
    """The project-file fields a candidate sets (the spec's names and shapes)."""
    kind = config.instance_group[0].kind.value if config.instance_group else "KIND_CPU"
    fields: dict[str, Any] = {
        "max_batch_size": candidate.max_batch_size,
        "instance_group": [{"kind": kind, "count": candidate.instances}],
    }
    if candidate.dynamic_batching:
        db: dict[str, Any] = {"max_queue_delay_microseconds": candidate.queue_delay_us}
        # [max_batch_size] is what Triton fills in for an empty list: leave it unsaid
        if candidate.preferred and candidate.preferred != (candidate.max_batch_size,):
            db["preferred_batch_size"] = list(candidate.preferred)
        fields["dynamic_batching"] = db
    else:
        fields["dynamic_batching"] = None
    return fields


def _yaml() -> tuple[Any, bool]:
    try:
        from ruamel.yaml import YAML
    except ImportError:
        return None, False
    y = YAML()  # round-trip mode keeps comments and key order
    y.preserve_quotes = True
    return y, True


def apply_to_project(
    project_file: Path, model: str, candidate: Candidate, config: ModelConfig, *, write: bool
) -> tuple[str, str]:
    """The unified diff of the model's entry; written to the file when ``write``. Returns
    ``(diff, note)`` where the note says whether comments survive. The caller passes the
    current config's own candidate to get an empty diff: nothing to change."""
    y, round_trip = _yaml()
    text = project_file.read_text()
    if round_trip:
        doc = y.load(text)
    else:
        import yaml

        doc = yaml.safe_load(text)
    entries = [e for e in (doc.get("models") or []) if e.get("name") == model]
    if not entries:
        raise PerfError(f"{project_file} has no entry `models: - name: {model}` to update")
    entry = entries[0]
    before = _dump_entry(entry, y)
    for key, value in entry_fields(candidate, config).items():
        if value is None:
            entry.pop(key, None)
        elif _plain(entry.get(key)) == value:
            continue  # same data: keep the file's own spelling (flow style, comments)
        elif key == "dynamic_batching" and isinstance(entry.get(key), dict):
            current = entry[key]
            for field, setting in value.items():
                if _plain(current.get(field)) != setting:
                    current[field] = setting
            if "preferred_batch_size" not in value:
                current.pop("preferred_batch_size", None)
        else:
            entry[key] = value
    after = _dump_entry(entry, y)
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(True), after.splitlines(True), f"{model} (now)", f"{model} (tuned)"
        )
    )
    note = "" if round_trip else "ruamel.yaml is not installed: comments in the file are lost"
    if write:
        if round_trip:
            out = io.StringIO()
            y.dump(doc, out)
            project_file.write_text(out.getvalue())
        else:
            import yaml

            project_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    return diff, note


def _plain(value: Any) -> Any:
    """ruamel's commented maps and sequences as plain dicts and lists, for comparison."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _dump_entry(entry: Any, y: Any) -> str:
    if y is not None:
        out = io.StringIO()
        y.dump(dict(entry), out)
        return out.getvalue()
    import yaml

    return str(yaml.safe_dump(dict(entry), sort_keys=False))
