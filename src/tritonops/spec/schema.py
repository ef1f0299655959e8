"""The JSON Schema of ``tritonops.yaml``, made from the pydantic models the loader validates with.

The loader reads the top level with ``ProjectHead`` (sections as plain lists, so one broken entry
does not hide the others) and then each entry with its own model. The schema describes the file as
one document: ``ProjectFile`` is ``ProjectHead`` with every section typed, and any other top-level
field ``ProjectHead`` gains appears here unchanged. Editors read it through a first line such as::

    # yaml-language-server: $schema=../../docs/reference/tritonops.schema.json

The schema is a description for editors and CI, never the check itself: ``load_project`` stays the
judge (it also checks files on disk, names across entries, and Triton's rules).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema, NoDefault
from pydantic_core import core_schema

from tritonops.spec.experiments import ExperimentSpec
from tritonops.spec.loader import ProjectHead
from tritonops.spec.models import EnsembleSpec, ModelSpec
from tritonops.spec.targets import Targets

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# where the committed copy lives, relative to the repository root (docs_gen writes it)
SCHEMA_PATH = "docs/reference/tritonops.schema.json"
# the name a project keeps its own copy under, and the first line that points editors at it
SCHEMA_FILE = "tritonops.schema.json"
SCHEMA_COMMENT = "# yaml-language-server: $schema="


class InlineEnsembleSpec(EnsembleSpec):
    """An ensemble written under ``models:``: there ``kind: ensemble`` is what marks it."""

    kind: Literal["ensemble"] = Field(
        examples=["ensemble"],
        description="Must be ensemble: under models: the kind tells an ensemble from a model.",
    )


ModelEntry = Annotated[ModelSpec | InlineEnsembleSpec, Field(discriminator="kind")]

# section -> the type of one entry as the loader validates it
_SECTIONS: dict[str, Any] = {
    "models": list[ModelEntry] | None,
    "ensembles": list[EnsembleSpec] | None,
    "experiments": list[ExperimentSpec] | None,
    "targets": Targets | None,
}


def _typed(name: str, info: FieldInfo) -> tuple[Any, FieldInfo]:
    # keep the description, default and examples written on ProjectHead; only the type changes
    copy = FieldInfo.merge_field_infos(info)
    copy.annotation = _SECTIONS[name]
    return _SECTIONS[name], copy


def project_file_model() -> type[BaseModel]:
    """``ProjectHead`` with typed sections: the whole file as one pydantic model."""
    fields: dict[str, Any] = {
        name: _typed(name, info)
        for name, info in ProjectHead.model_fields.items()
        if name in _SECTIONS
    }
    model: type[BaseModel] = create_model(
        "ProjectFile",
        __base__=ProjectHead,
        __doc__="A tritonops project file (tritonops.yaml): models, ensembles, experiments and"
        " deploy targets.",
        **fields,
    )
    return model


class _FactoryDefaults(GenerateJsonSchema):
    """Defaults made by ``default_factory`` shown too (``versions: [1]``, not nothing)."""

    def get_default_value(self, schema: core_schema.WithDefaultSchema) -> Any:
        factory = schema.get("default_factory")
        if factory is not None and not schema.get("default_factory_takes_data"):
            return factory()  # type: ignore[call-arg]
        return schema.get("default", NoDefault)


def project_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``tritonops.yaml``."""
    schema = project_file_model().model_json_schema(
        by_alias=True, schema_generator=_FactoryDefaults
    )
    schema.pop("title", None)
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "tritonops project file (tritonops.yaml)",
        **schema,
    }


def schema_text() -> str:
    """The schema as written to disk and printed by ``tritonops schema``."""
    return json.dumps(project_schema(), indent=2, sort_keys=False) + "\n"
