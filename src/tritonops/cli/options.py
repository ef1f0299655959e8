"""The CLI's grammar: options several commands share, declared once so that a flag spelled the
same way means the same thing in every command (tests/unit/cli/test_grammar.py walks them all).

- A server is ONE option, ``--url``; its scheme decides the protocol: ``host:port`` or
  ``grpc://host:port`` is gRPC, ``http://host:port`` is HTTP, ``grpcs://`` / ``https://`` add TLS.
  ``$TRITONOPS_URL`` is its default.
- Durations are seconds (``30``) or carry a unit (``500ms``, ``30s``, ``2m``, ``1h``).
- Lists take repeated flags or one comma list, alike: ``--concurrency 1,2 --concurrency 4``.
- Headers are ``NAME=VALUE``, repeated; ``$TRITONOPS_HEADERS`` holds one per line.
- Old spellings stay as hidden aliases for one release; each prints one warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click

from tritonops.headers import header_problem

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:  # click >= 8.2 types ParamType as a generic; older clicks cannot subscript it
    _ParamType = click.ParamType[Any, Any]
else:
    _ParamType = click.ParamType

URL_ENVVAR = "TRITONOPS_URL"
HEADERS_ENVVAR = "TRITONOPS_HEADERS"
SCHEMES = {"grpc": ("grpc", False), "grpcs": ("grpc", True),
           "http": ("http", False), "https": ("http", True)}  # fmt: skip


@dataclass(frozen=True)
class ServerUrl:
    """A Triton address as ``--url`` reads it: ``address`` is host:port (path kept, if any)."""

    address: str
    protocol: Literal["grpc", "http"]
    tls: bool = False
    explicit: bool = False  # the scheme was written out (not inferred from a bare host:port)

    def __str__(self) -> str:
        """The form the perf engines and the endpoint helpers take (``host:port`` = gRPC)."""
        if self.protocol == "grpc":
            return f"grpcs://{self.address}" if self.tls else self.address
        return f"{'https' if self.tls else 'http'}://{self.address}"


def parse_server_url(text: str) -> ServerUrl:
    """``ServerUrl`` of ``text``; ``ValueError`` naming the schemes for anything else."""
    scheme, sep, rest = text.strip().partition("://")
    if not sep:
        scheme, rest = "", text.strip()
    if scheme and scheme.lower() not in SCHEMES:
        raise ValueError(
            f"unknown scheme {scheme!r} in {text!r} — use host:port (gRPC), http://host:port, "
            "https://host:port or grpcs://host:port"
        )
    address = rest.rstrip("/")
    if not address or address.startswith(":") or any(c.isspace() for c in address):
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    protocol, tls = SCHEMES[scheme.lower()] if scheme else ("grpc", False)
    return ServerUrl(address, "grpc" if protocol == "grpc" else "http", tls, bool(scheme))


def protocol_mismatch(server: ServerUrl) -> str | None:
    """What to write instead when ``server``'s port answers the other protocol (a bare
    ``host:port`` means gRPC, which an HTTP port does not speak); ``None`` when it fits or
    cannot be told (TLS, no port, nothing listening)."""
    if server.tls or re.fullmatch(r"[^/@]+:\d+", server.address) is None:
        return None
    from tritonops.triton.probe import probe  # a socket only when a command asks

    answer = probe(server.address)
    if server.protocol == "grpc" and answer == "http":
        return (
            f"{server.address} is Triton's HTTP port, and a bare HOST:PORT means gRPC — use "
            f"--url http://{server.address}, or give the gRPC port"
        )
    if server.protocol == "http" and answer == "grpc":
        return (
            f"{server.address} is Triton's gRPC port, not HTTP — use --url {server.address} "
            "(no http://), or give the HTTP port"
        )
    return None


class UrlType(_ParamType):
    name = "url"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, ServerUrl):
            return value
        try:
            return parse_server_url(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)?\s*$")


def parse_duration(text: str) -> float:
    """Seconds in ``text``: ``30`` and ``30s`` are 30, ``500ms`` 0.5, ``2m`` 120, ``1h`` 3600."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"expected a duration like 30, 30s, 500ms, 2m or 1h, got {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


class Duration(_ParamType):
    """A positive duration, in seconds, of at least ``minimum_s``."""

    name = "duration"

    def __init__(self, minimum_s: float = 0.0) -> None:
        self.minimum_s = minimum_s

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, float | int) and not isinstance(value, bool):
            seconds = float(value)
        else:
            try:
                seconds = parse_duration(str(value))
            except ValueError as exc:
                self.fail(str(exc), param, ctx)
        if seconds <= 0 or seconds < self.minimum_s:
            self.fail(f"{value!r} is shorter than {max(self.minimum_s, 0):g} s", param, ctx)
        return seconds


class CommaList(_ParamType):
    """One comma list or several flags (declare the option ``multiple=True``); items checked by
    ``item``. The command receives the flattened tuple."""

    name = "list"

    def __init__(self, item: _ParamType) -> None:
        self.item = item
        self.name = f"{item.name}[,{item.name}...]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, list):
            return value
        parts = [part.strip() for part in str(value).split(",")]
        if not all(parts):
            self.fail(f"empty item in {value!r}", param, ctx)
        return [self.item.convert(part, param, ctx) for part in parts]


def flatten(values: tuple[list[Any], ...] | None) -> tuple[Any, ...]:
    """The items of a ``CommaList`` option given once or many times."""
    return tuple(item for chunk in values or () for item in chunk)


class HeaderType(_ParamType):
    """``NAME=VALUE``, checked to be sendable; from the environment, one header per line."""

    name = "name=value"
    envvar_list_splitter = "\n"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        name, sep, text = str(value).partition("=")
        if not sep or not name.strip():
            self.fail(f"expected NAME=VALUE, got {name.strip()!r}=…", param, ctx)
        problem = header_problem(name.strip(), text)
        if problem is not None:
            self.fail(problem, param, ctx)
        return (name.strip(), text)


POSITIVE_INT = click.IntRange(min=1)
POSITIVE_FLOAT = click.FloatRange(min=0, min_open=True)


def _warn_deprecated(new: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        given = value not in (None, (), False)
        if given and param.name is not None:
            flag = max(param.opts, key=len)
            click.echo(f"warning: {flag} is deprecated and goes in the next release; {new}",
                       err=True)  # fmt: skip
        return value

    return callback


def deprecated(*decls: str, new: str, **attrs: Any) -> Callable[[F], F]:
    """A hidden old spelling kept for one release; using it prints one warning naming ``new``."""
    return click.option(*decls, hidden=True, callback=_warn_deprecated(new), **attrs)


def project_file(help: str = "The project file.") -> Callable[[F], F]:
    """``-f/--file``: the project file, ``tritonops.yaml`` in the current folder by default."""
    return click.option(
        "-f",
        "--file",
        "project_file",
        type=click.Path(path_type=Path, dir_okay=False),
        default=Path("tritonops.yaml"),
        show_default=True,
        help=help,
    )


def url(help: str) -> Callable[[F], F]:
    """``--url``: the Triton to talk to; the scheme decides the protocol (see the module doc)."""
    return click.option(
        "--url",
        type=UrlType(),
        default=None,
        envvar=URL_ENVVAR,
        show_envvar=True,
        metavar="[SCHEME://]HOST:PORT",
        help="host:port = gRPC, http://host:port = HTTP (https://, grpcs:// for TLS). " + help,
    )


def protocol_alias() -> Callable[[F], F]:
    """The old ``--protocol``: hidden, warns; ``with_protocol`` applies it to a bare ``--url``."""
    return deprecated(
        "--protocol",
        type=click.Choice(["grpc", "http"]),
        default=None,
        new="write the scheme in --url instead (http://HOST:PORT for HTTP, HOST:PORT for gRPC)",
    )


def with_protocol(server: ServerUrl | None, protocol: str | None) -> ServerUrl | None:
    """``--url`` with the old ``--protocol`` applied where the URL names no scheme."""
    if server is None or protocol is None or server.explicit:
        return server
    return ServerUrl(server.address, "http" if protocol == "http" else "grpc", server.tls, True)


def headers(scope: str = "") -> Callable[[F], F]:
    """``--header NAME=VALUE``, repeated; never printed or recorded. ``scope`` prefixes the help
    (``"remote: "``) where only one mode of the command sends it."""
    return click.option(
        "--header",
        "headers",
        type=HeaderType(),
        multiple=True,
        envvar=HEADERS_ENVVAR,
        show_envvar=True,
        metavar="NAME=VALUE",
        help=f"{scope}a header sent on every call (e.g. an auth token), repeatable; never printed "
        "or recorded.",
    )


def metrics_url(
    help: str = "Triton's metrics host:port (adds its server-side counters).",
) -> Callable[[F], F]:
    return click.option("--metrics-url", default=None, metavar="HOST:PORT", help=help)


def concurrency(help: str, *, many: bool = False, default: Any = None) -> Callable[[F], F]:
    """``--concurrency``: requests in flight (closed loop); ``many`` for several levels."""
    if many:
        return click.option(
            "--concurrency",
            type=CommaList(POSITIVE_INT),
            multiple=True,
            metavar="N[,N...]",
            default=default,
            show_default=default is not None,
            help=help,
        )
    return click.option(
        "--concurrency",
        type=POSITIVE_INT,
        metavar="N",
        default=default,
        show_default=default is not None,
        help=help,
    )


def rate(help: str, *, many: bool = False) -> Callable[[F], F]:
    """``--rate``: requests per second offered (open loop); ``many`` for several levels."""
    if many:
        return click.option("--rate", type=CommaList(POSITIVE_FLOAT), multiple=True,
                            metavar="RATE[,RATE...]", help=help)  # fmt: skip
    return click.option("--rate", type=POSITIVE_FLOAT, default=None, metavar="RATE", help=help)


def requests(help: str = "Requests to send.") -> Callable[[F], F]:
    return click.option("--requests", type=POSITIVE_INT, default=None, help=help)


def report_dir(help: str) -> Callable[[F], F]:
    return click.option(
        "--report", "report_dir", type=click.Path(path_type=Path, file_okay=False),
        default=None, metavar="DIR", help=help,
    )  # fmt: skip


def engine() -> Callable[[F], F]:
    return click.option(
        "--engine",
        type=click.Choice(["auto", "perf_analyzer", "builtin"]),
        default="auto",
        show_default=True,
        help="perf_analyzer, the built-in load generator, or perf_analyzer where it runs.",
    )


def output_format(choices: tuple[str, ...], help: str) -> Callable[[F], F]:
    """``--format``: how a long output is written (``text`` for people, ``json`` for tools)."""
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0],
                        show_default=True, help=help)  # fmt: skip


def quiet() -> Callable[[F], F]:
    """``-q/--quiet``: no progress bar and no per-item lines; the summary and the report's
    location still print. Without a terminal on stdout (CI, a pipe) there is no bar anyway."""
    return click.option(
        "--quiet",
        "-q",
        is_flag=True,
        help="No progress bar or per-item lines; only the summary and where the report is.",
    )
