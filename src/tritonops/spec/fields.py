"""Field types shared by the project-file models: names, counts, parameter values, paths."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field


class SpecModel(BaseModel):
    """Base of every project-file model: unknown keys are errors, names are the user's own."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    # fixes for keys that are wrong here but right elsewhere (read by ``issues``)
    extra_key_hints: ClassVar[dict[str, str]] = {}


# Characters a model name may hold. Triton's own check (ValidateModelName in core's
# src/model_repository_manager/model_repository_manager.cc) only refuses an empty name, '..' and
# '/'. But the name is also a folder name (that file insists the folder equals the name) and the
# one path segment Triton's HTTP server matches, undecoded, with ``/v2/models/([^/]+)`` (server's
# src/http_server.cc, ``model_regex_``). So a name that loads can still be unreachable: a space,
# newline, '{', '%' or non-ASCII letter must be percent-encoded in a URL (RFC 3986 ``pchar``), which
# that match does not undo. Allowed: RFC 3986 unreserved characters plus the sub-delimiters, ':'
# and '@' that a path segment may carry unescaped. Observed on tritonserver 2.51: a python model
# named "my model" never loads (its stub aborts: "std::invalid_argument ... stol"); see
# tests/integration/validate/test_names_on_triton.py.
_NAME_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@"
)
# NAME_MAX of Linux file systems: the name is one folder name.
_NAME_BYTES = 255


def _triton_name(value: str) -> str:
    # the name becomes a folder in the repository, so it must be one path component
    if not value.strip():
        raise ValueError("a name must not be empty — write a name such as 'resnet'")
    if "/" in value or "\\" in value:
        raise ValueError(
            f"{value!r} is not a valid model name: it becomes a folder, so no '/' or '\\'"
            " — use '-' or '_' instead"
        )
    if value in (".", ".."):
        raise ValueError(f"{value!r} is not a valid model name — choose a real name")
    if value != value.strip():
        raise ValueError(f"{value!r} has leading or trailing spaces — remove them")
    bad = sorted({c for c in value if c not in _NAME_CHARS})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise ValueError(
            f"{value!r} is not a valid model name: {shown} cannot appear in Triton's URL "
            "/v2/models/<name> unescaped — use letters, digits, '-', '_' and '.'"
        )
    if value.startswith("."):
        raise ValueError(f"{value!r} would be a hidden folder — start the name with a letter")
    if len(value.encode()) > _NAME_BYTES:
        raise ValueError(
            f"the name is {len(value.encode())} bytes, over the {_NAME_BYTES} a folder name may "
            "have — shorten it"
        )
    return value


def _parameter_text(value: Any) -> Any:
    # Triton parameters are strings; YAML numbers and booleans are written the way Triton reads them
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    raise ValueError(
        f"a parameter value must be text, a number or true/false (got a {type(value).__name__})"
        " — write a single value"
    )


def _not_a_float(value: Any) -> Any:
    # YAML reads ``1.30`` as the number 1.3, which is not the version the user meant
    if isinstance(value, float):
        raise ValueError(f'YAML read this as the number {value} — quote the version, e.g. "1.30"')
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _quantity_text(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


TritonName = Annotated[str, AfterValidator(_triton_name)]
Count = Annotated[int, Field(strict=True, ge=0)]
Positive = Annotated[int, Field(strict=True, gt=0)]
# A model version: Triton reads version folders with std::stoll into int64 and catches only
# invalid_argument, so a folder beyond int64 throws out_of_range and ends tritonserver (core's
# src/model_repository_manager/model_lifecycle.cc, VersionsToLoad); the proto's versions are int64.
INT64_MAX = 2**63 - 1
Version = Annotated[int, Field(strict=True, gt=0, le=INT64_MAX)]
Port = Annotated[int, Field(strict=True, ge=1, le=65535)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Millis = Annotated[float, Field(gt=0)]
ParameterValue = Annotated[
    str, BeforeValidator(_parameter_text, json_schema_input_type=str | int | float | bool)
]
# the schema says string: a float such as 1.30 is refused, so editors ask for quotes
VersionText = Annotated[str, BeforeValidator(_not_a_float, json_schema_input_type=str | int)]
Quantity = Annotated[str, BeforeValidator(_quantity_text, json_schema_input_type=str | int | float)]
NonEmpty = Annotated[str, Field(min_length=1)]
