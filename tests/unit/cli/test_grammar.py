"""One CLI grammar: a flag spelled the same way means the same thing in every command, and the
shared types parse what their help promises (--url schemes, durations, comma lists, headers)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from tritonops.cli import options
from tritonops.cli.main import cli


def _commands() -> dict[str, click.Command]:
    """Every command, subcommands by their full path; hidden aliases included."""
    found: dict[str, click.Command] = {}
    ctx = click.Context(cli)

    def walk(group: click.Group, prefix: str) -> None:
        for name in group.list_commands(ctx) + (["tune"] if group is cli else []):
            command = group.get_command(ctx, name)
            if command is None:
                continue
            found[f"{prefix}{name}"] = command
            if isinstance(command, click.Group):
                walk(command, f"{prefix}{name} ")

    walk(cli, "")
    return found


def _meaning(param: click.Parameter) -> tuple[Any, ...]:
    """What a flag does, independent of the command: its type (a list's item type), whether it
    is a flag, its environment variable."""
    kind: Any = param.type
    listed = isinstance(kind, options.CommaList)
    if listed:
        kind = kind.item
    shape: tuple[Any, ...] = (type(kind).__name__,)
    if isinstance(kind, click.IntRange | click.FloatRange):
        shape += (kind.min, kind.max, kind.min_open)
    if isinstance(kind, click.Choice) and "--format" not in param.opts:
        shape += (tuple(kind.choices),)  # --format: each command has its formats, text first
    if isinstance(kind, click.Path):
        shape += (kind.file_okay, kind.dir_okay)
    is_flag = isinstance(param, click.Option) and param.is_flag
    return (*shape, is_flag, getattr(param, "envvar", None))


def test_the_same_flag_means_the_same_thing_in_every_command() -> None:
    seen: dict[str, dict[tuple[Any, ...], list[str]]] = defaultdict(lambda: defaultdict(list))
    for path, command in _commands().items():
        for param in command.params:
            if isinstance(param, click.Option):
                for flag in param.opts:
                    seen[flag][_meaning(param)].append(path)
    differ = {flag: dict(meanings) for flag, meanings in seen.items() if len(meanings) > 1}
    assert differ == {}
    formats = [p for c in _commands().values() for p in c.params if "--format" in p.opts]
    assert formats
    assert all(p.default == "text" for p in formats)
    assert len(seen["--url"]) == 1
    assert sorted(next(iter(seen["--url"].values()))) == [
        "ab-test", "deploy", "perf run", "perf tune", "tune",
    ]  # fmt: skip


def test_long_commands_take_quiet_and_url_takes_its_envvar() -> None:
    commands = _commands()
    for path in ("build", "validate", "deploy", "ab-test", "perf run", "perf tune"):
        assert "--quiet" in {o for p in commands[path].params for o in p.opts}, path
    url = next(p for p in commands["perf run"].params if "--url" in p.opts)
    assert url.envvar == options.URL_ENVVAR


@pytest.mark.parametrize(
    ("text", "address", "protocol", "tls"),
    [
        ("127.0.0.1:8001", "127.0.0.1:8001", "grpc", False),
        ("grpc://triton:8001", "triton:8001", "grpc", False),
        ("http://triton:8000/", "triton:8000", "http", False),
        ("https://triton.example.com", "triton.example.com", "http", True),
        ("grpcs://triton:443", "triton:443", "grpc", True),
    ],
)
def test_the_scheme_of_url_decides_the_protocol(
    text: str, address: str, protocol: str, tls: bool
) -> None:
    server = options.parse_server_url(text)
    assert (server.address, server.protocol, server.tls) == (address, protocol, tls)


@pytest.mark.parametrize("text", ["ftp://x:1", "", "http://", "a b:1"])
def test_a_bad_url_is_a_usage_error_naming_the_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"(?i)host:port"):
        options.parse_server_url(text)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30", 30.0), ("30s", 30.0), ("500ms", 0.5), ("2m", 120.0), ("1h", 3600.0), ("1.5", 1.5)],
)
def test_durations_are_seconds_or_carry_a_unit(text: str, seconds: float) -> None:
    assert options.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ms", "-1", "3 days", "1e3", "2x"])
def test_a_bad_duration_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="500ms"):
        options.parse_duration(text)


def test_lists_take_repeated_flags_or_one_comma_list_alike() -> None:
    @click.command()
    @options.concurrency("levels", many=True, default=("1,2",))
    def show(concurrency: tuple[list[int], ...]) -> None:
        click.echo(repr(options.flatten(concurrency)))

    runner = CliRunner()
    assert runner.invoke(show, ["--concurrency", "1,2,4"]).output.strip() == "(1, 2, 4)"
    assert runner.invoke(show, ["--concurrency", "1", "--concurrency", "2,4"]).output.strip() == (
        "(1, 2, 4)"
    )
    assert runner.invoke(show, []).output.strip() == "(1, 2)"
    bad = runner.invoke(show, ["--concurrency", "1,,2"])
    assert bad.exit_code == 2
    assert "empty item" in bad.output
    assert runner.invoke(show, ["--concurrency", "0"]).exit_code == 2


def test_headers_come_from_flags_or_one_per_line_of_the_envvar() -> None:
    @click.command()
    @options.headers()
    def show(headers: tuple[tuple[str, str], ...]) -> None:
        click.echo(repr(dict(headers)))

    env = {options.HEADERS_ENVVAR: "Authorization=Bearer a b\nX-Team=ml"}
    done = CliRunner().invoke(show, [], env=env)
    assert done.output.strip() == "{'Authorization': 'Bearer a b', 'X-Team': 'ml'}"
    bad = CliRunner().invoke(show, ["--header", "novalue"])
    assert bad.exit_code == 2
    assert "NAME=VALUE" in bad.output


def test_old_spellings_still_work_and_warn_once() -> None:
    @click.command()
    @options.url("")
    @options.protocol_alias()
    def show(url: options.ServerUrl | None, protocol: str | None) -> None:
        click.echo(str(options.with_protocol(url, protocol)))

    done = CliRunner().invoke(show, ["--url", "h:8000", "--protocol", "http"])
    assert done.exit_code == 0
    assert "http://h:8000" in done.output
    assert done.output.count("--protocol is deprecated") == 1
    # an explicit scheme wins over the old flag
    assert (
        "grpc"
        not in CliRunner()
        .invoke(show, ["--url", "http://h:1", "--protocol", "grpc"])
        .output.split("\n")[-2]
    )


def test_tune_is_perf_tune_and_the_old_name_says_so() -> None:
    help_text = CliRunner().invoke(cli, ["--help"]).output
    assert " tune " not in help_text  # hidden
    done = CliRunner().invoke(cli, ["tune", "m", "--budget", "1"])
    assert "`tritonops tune` is now `tritonops perf tune`" in done.output


def test_every_command_exits_through_one_place() -> None:

    from tritonops.cli.exits import TritonOpsCommand

    plain = [path for path, command in _commands().items()
             if not isinstance(command, click.Group | TritonOpsCommand)]  # fmt: skip
    assert plain == []
    cli_dir = Path(options.__file__).parent
    exits_elsewhere = ("ctx.exit(", "SystemExit", "sys.exit(")
    raising = [
        f.name
        for f in cli_dir.glob("*.py")
        if f.name != "exits.py" and any(s in f.read_text() for s in exits_elsewhere)
    ]
    assert raising == []


def test_an_error_exits_with_the_code_its_command_names(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "absent")])
    assert result.exit_code == 2  # validate: the repository cannot be read
    assert result.output.startswith("error: ")
    result = CliRunner().invoke(cli, ["render", "-f", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
