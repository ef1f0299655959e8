"""Generated docs cannot rot: the committed pages equal what the code makes now, and the schema
they describe accepts every example project and refuses what the loader refuses."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from pydantic import BaseModel, ValidationError

from tritonops.cli.main import cli
from tritonops.docs_gen import PAGES, REGENERATE, stale
from tritonops.docs_gen.__main__ import main as docs_gen_main
from tritonops.docs_gen.project_file import ROOT as TOP
from tritonops.docs_gen.project_file import schema_fields
from tritonops.errors import SpecError
from tritonops.model_config import DataType, InstanceKind
from tritonops.model_config.field_docs import FIELD_EXAMPLES
from tritonops.quickstart import prepare
from tritonops.spec import load_project
from tritonops.spec.schema import SCHEMA_PATH, project_file_model, project_schema

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted(ROOT.glob("examples/*/tritonops.yaml"))
SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / SCHEMA_PATH).read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_generated_pages_are_up_to_date() -> None:
    old = stale(ROOT)
    assert not old, f"out of date: {', '.join(old)} — run `{REGENERATE}` and commit the result"


def test_every_generated_page_is_committed() -> None:
    for relative in PAGES:
        assert (ROOT / relative).is_file(), f"{relative} is missing — run `{REGENERATE}`"


def test_schema_command_prints_the_committed_schema() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == project_schema()
    assert result.output == (ROOT / SCHEMA_PATH).read_text(encoding="utf-8")


def test_schema_command_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "tritonops.schema.json"
    result = CliRunner().invoke(cli, ["schema", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["$schema"].endswith("2020-12/schema")


def test_schema_command_names_an_unwritable_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["schema", "--output", str(tmp_path / "no" / "such.json")])
    assert result.exit_code == 1
    assert "cannot write" in result.output
    assert "such.json" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_points_at_the_committed_schema(example: Path) -> None:
    first = example.read_text(encoding="utf-8").splitlines()[0]
    match = SCHEMA_LINE.match(first)
    assert match, f"{example}: first line must be '# yaml-language-server: $schema=...'"
    assert (example.parent / match[1]).resolve() == (ROOT / SCHEMA_PATH).resolve()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_validates_against_the_schema(
    example: Path, validator: jsonschema.Draft202012Validator
) -> None:
    document = yaml.safe_load(example.read_text(encoding="utf-8"))
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert not problems, "\n".join(problems)


def test_examples_exist() -> None:
    assert len(EXAMPLES) >= 3


def _minimal(**model: Any) -> dict[str, Any]:
    return {"models": [{"name": "m", "kind": "python", "source": "m", **model}]}


@pytest.mark.parametrize(
    "document",
    [
        _minimal(max_batch_sise=8),  # a typo'd key
        _minimal(kind="pytorch"),  # not a kind
        _minimal(max_batch_size=-1),
        _minimal(versions=[]),
        _minimal(inputs=[{"name": "x", "data_type": "fp33", "dims": [1]}]),
        _minimal(instance_group=[{"kind": "tpu"}]),
        {"models": [{"name": "e", "kind": "ensemble", "steps": []}]},
        {"targets": {"kubernetes": {"replicas": 0}}},
        {"experiments": [{"name": "x", "variants": [{"name": "a", "model": "m"}]}]},
    ],
)
def test_schema_refuses_what_the_loader_refuses(
    document: dict[str, Any], validator: jsonschema.Draft202012Validator, tmp_path: Path
) -> None:
    assert list(validator.iter_errors(document)), document
    project = tmp_path / "tritonops.yaml"
    project.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(SpecError, match=r"tritonops\.yaml"):
        load_project(project)


@pytest.mark.parametrize(
    "document",
    [
        _minimal(inputs=[{"name": "x", "data_type": "Float32", "dims": [1]}]),
        _minimal(inputs=[{"name": "x", "data_type": " type_fp16 ", "dims": [1]}]),
        _minimal(instance_group=[{"kind": "cpu"}], parameters={"threads": 2, "on": True}),
        {"models": None, "targets": {"kubernetes": {"resources": {"cpu": 2}}}},
        {
            "experiments": [
                {"name": "x", "variants": [{"name": "a", "model": "m"}] * 2, "shadow": "a"}
            ]
        },
    ],
)
def test_schema_accepts_the_spellings_the_loader_accepts(
    document: dict[str, Any], validator: jsonschema.Draft202012Validator
) -> None:
    problems = [e.message for e in validator.iter_errors(document)]
    assert not problems, problems


@pytest.mark.parametrize("enum", [DataType, InstanceKind])
def test_enum_schema_and_enum_parser_agree(
    enum: type[DataType] | type[InstanceKind], validator: jsonschema.Draft202012Validator
) -> None:
    enum_schema = {"$defs": validator.schema["$defs"], "$ref": f"#/$defs/{enum.__name__}"}
    check = jsonschema.Draft202012Validator(enum_schema)
    words = enum.spellings()
    candidates = [*words, *(w.lower() for w in words), *(w.title() for w in words)]
    candidates += ["", "fp", "TYPE_", "KIND_", "fp32x", "gpu0", "TYPE FP32", "int"]
    for word in candidates:
        try:
            enum(word)
            parsed = True
        except ValueError:
            parsed = False
        assert check.is_valid(word) == parsed, word


def test_every_schema_field_has_a_description(schema: dict[str, Any]) -> None:
    defs = schema["$defs"]
    missing = []
    for owner, field in schema_fields(schema):
        node = (schema if owner == TOP else defs[owner])["properties"][field]
        ref = node.get("$ref", "").removeprefix("#/$defs/")
        if not node.get("description") and not defs.get(ref, {}).get("description"):
            missing.append(f"{owner}.{field}")
    assert not missing, f"fields without description=: {missing}"


def _section(page: str, owner: str) -> str:
    start = page.index(f'<a id="{owner.lower()}"></a>')
    end = page.find('<a id="', start + 1)
    return page[start : end if end > 0 else len(page)]


def test_the_reference_names_at_least_95_percent_of_the_schema_fields() -> None:
    page = (ROOT / "docs/reference/project-file.md").read_text(encoding="utf-8")
    fields = schema_fields()
    named = [(o, f) for o, f in fields if f"| `{f}` |" in _section(page, o)]
    missing = sorted(set(fields) - set(named))
    assert len(named) >= 0.95 * len(fields), f"{len(named)}/{len(fields)}; missing {missing}"


def test_cli_reference_covers_every_command() -> None:
    page = (ROOT / "docs/reference/cli.md").read_text(encoding="utf-8")
    ctx = cli.make_context("tritonops", [], resilient_parsing=True)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        # Hidden aliases (the old `tune`) are kept for scripts, not documented.
        if command is not None and not command.hidden:
            assert f"## tritonops {name}\n" in page, name


def test_readme_links_the_references_and_names_the_regeneration_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("docs/reference/cli.md", "docs/reference/project-file.md", "docs/sdk.md"):
        assert f"]({page})" in readme, page
        assert (ROOT / page).is_file(), page
    assert REGENERATE in readme
    assert "yaml-language-server: $schema=" in readme


@pytest.mark.parametrize(
    "page",
    [
        "README.md",
        "CHANGELOG.md",
        "docs/project-guide.md",
        "docs/sdk.md",
        "docs/reference/project-file.md",
        "docs/reference/cli.md",
    ],
)
def test_relative_links_resolve(page: str) -> None:
    path = ROOT / page
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8"))
    local = [link for link in links if "://" not in link]
    broken = [link for link in local if not (path.parent / link).exists()]
    assert not broken, f"{page}: {broken}"


def test_a_quickstart_copy_points_at_a_schema_it_carries(tmp_path: Path) -> None:
    project_file = prepare(tmp_path / "qs")
    match = SCHEMA_LINE.match(project_file.read_text(encoding="utf-8").splitlines()[0])
    assert match, "the copy lost its schema line"
    schema_file = project_file.parent / match[1]
    assert json.loads(schema_file.read_text(encoding="utf-8")) == project_schema()
    load_project(project_file)  # still a valid project


def test_every_schema_field_has_an_example_that_fits_it(schema: dict[str, Any]) -> None:
    defs = schema["$defs"]
    missing, wrong = [], []
    for owner, field in schema_fields(schema):
        node = (schema if owner == TOP else defs[owner])["properties"][field]
        examples = node.get("examples")
        if not examples:
            missing.append(f"{owner}.{field}")
            continue
        check = jsonschema.Draft202012Validator({**node, "$defs": defs})
        wrong += [f"{owner}.{field}: {e!r}" for e in examples if not check.is_valid(e)]
    assert not missing, f"fields without an example: {missing}"
    assert not wrong, f"examples their own field refuses: {wrong}"


def _models_under(model: type[BaseModel]) -> list[type[BaseModel]]:
    """``model`` and every pydantic model its fields hold, each once."""
    found: list[type[BaseModel]] = []
    todo = [model]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.append(current)
        for info in current.model_fields.values():
            todo += [t for t in _types_in(info.annotation) if issubclass(t, BaseModel)]
    return found


def _types_in(annotation: Any) -> list[type]:
    args = typing.get_args(annotation)
    if not args:
        return [annotation] if isinstance(annotation, type) else []
    return [t for arg in args for t in _types_in(arg)]


def _field_examples(model: type[BaseModel]) -> dict[str, list[Any]]:
    """Examples by the name the file uses (the alias, where the mirror has one)."""
    mirror = FIELD_EXAMPLES.get(model.__name__, {})
    found: dict[str, list[Any]] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        found[key] = [*(info.examples or []), *([mirror[key]] if key in mirror else [])]
    return found


def test_every_example_passes_the_loaders_own_validation() -> None:
    """Each example, set alone on an object whose required fields hold their own examples,
    raises no error at that field (field validators included); errors elsewhere are rules across
    fields (e.g. a shadow's version needs its model) that a single field cannot show."""
    wrong = []
    for model in _models_under(project_file_model()):
        examples = _field_examples(model)
        base = {
            (info.alias or name): examples[info.alias or name][0]
            for name, info in model.model_fields.items()
            if info.is_required()
        }
        for key, values in examples.items():
            for example in values:
                try:
                    model.model_validate({**base, key: example})
                except ValidationError as exc:
                    at_field = [e for e in exc.errors() if e["loc"][:1] == (key,)]
                    wrong += [f"{model.__name__}.{key}: {example!r}: {e['msg']}" for e in at_field]
    assert not wrong, "\n".join(wrong)


def test_the_entry_point_checks_then_writes_every_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    assert docs_gen_main(["--check", "--root", str(tmp_path)]) == 1
    assert f"run `{REGENERATE}`" in capsys.readouterr().err
    assert docs_gen_main(["--root", str(tmp_path)]) == 0
    assert docs_gen_main(["--check", "--root", str(tmp_path)]) == 0
    for relative in PAGES:
        assert (tmp_path / relative).read_text(encoding="utf-8") == (ROOT / relative).read_text(
            encoding="utf-8"
        )


def test_the_entry_point_refuses_a_folder_that_is_not_the_repository(tmp_path: Path) -> None:
    assert docs_gen_main(["--check", "--root", str(tmp_path)]) == 2
