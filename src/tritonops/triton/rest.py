"""Plain HTTP to Triton's v2 API and its metrics page (no tritonclient: stdlib only).

For calls where a tritonclient client would be heavier than the question: readiness polls, the
served config, the repository API of the embedded server, the metrics text. Paths are those of
the KServe v2 protocol and Triton's extensions (triton-inference-server/server
docs/protocol/: extension_model_repository.md for ``/v2/repository/...``,
extension_statistics.md for ``/v2/models/<m>/stats``; metrics on their own port, ``/metrics``).

One translation of this protocol's failures, :func:`request`: an HTTP answer, whatever its
status, comes back as a :class:`Reply` and callers branch on ``Reply.status``; no answer at all
(refused, reset, timed out, a garbled status line) raises :class:`NoAnswer`. Triton's status
codes (server src/http_server.cc, ``HttpCodeFromError``): NOT_FOUND is 404, UNAVAILABLE 503,
INTERNAL 500, UNSUPPORTED 501, every other error (an invalid argument, a failed load) 400.
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tritonops.errors import ServerError, TritonOpsError


class NoAnswer(ServerError):
    """The server did not answer: ``timed_out`` says whether the wait ran out."""

    def __init__(self, message: str, timed_out: bool) -> None:
        super().__init__(message)
        self.timed_out = timed_out


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status == 200

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def base_url(url: str) -> str:
    """``host:port`` -> ``http://host:port``; a URL with a scheme is kept (without a final /)."""
    return (url if "://" in url else f"http://{url}").rstrip("/")


def request(
    url: str,
    path: str = "",
    *,
    body: Mapping[str, Any] | None = None,
    timeout_s: float = 30.0,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """GET ``path`` (POST ``body`` as JSON when given) at ``url``; any HTTP status is a Reply.

    ``headers`` go with the request (e.g. a gateway's auth token); never into a message."""
    full = base_url(url) + path
    try:
        scheme = urllib.parse.urlsplit(full).scheme
    except ValueError:  # an unclosed IPv6 bracket
        scheme = ""
    if scheme not in ("http", "https"):
        raise ServerError(
            f"{url!r} is not a Triton HTTP address — give host:port or http(s)://host:port"
        )
    sent = dict(headers or {})
    call: str | urllib.request.Request = full
    if body is not None:
        call = urllib.request.Request(
            full,
            data=json.dumps(body).encode(),
            method="POST",
            headers={**sent, "Content-Type": "application/json"},
        )
    elif sent:
        call = urllib.request.Request(full, headers=sent)
    try:
        with urllib.request.urlopen(call, timeout=timeout_s) as response:
            return Reply(int(response.status), response.read())
    except urllib.error.HTTPError as exc:  # an answer: the status is the information
        return Reply(exc.code, exc.read())
    # URLError and timeouts are OSErrors; a garbled status line is an HTTPException
    except (OSError, http.client.HTTPException, ValueError) as exc:  # ValueError: a bad URL
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise NoAnswer(
            f"no answer from Triton at {full}: {reason}", isinstance(reason, TimeoutError)
        ) from exc


def is_ok(url: str, path: str, timeout_s: float = 2.0) -> bool:
    """Whether ``path`` answers 200 (no answer is False): for polls and probes."""
    try:
        return request(url, path, timeout_s=timeout_s).ok
    except NoAnswer:
        return False


def live(url: str, timeout_s: float = 2.0) -> bool:
    return is_ok(url, "/v2/health/live", timeout_s)


def ready(url: str, timeout_s: float = 2.0) -> bool:
    return is_ok(url, "/v2/health/ready", timeout_s)


def get_json(
    url: str,
    path: str,
    what: str,
    *,
    error: type[TritonOpsError] = ServerError,
    timeout_s: float = 30.0,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """The JSON ``path`` answers with 200; ``error(...)`` naming ``what`` otherwise."""
    try:
        reply = request(url, path, timeout_s=timeout_s, headers=headers)
    except NoAnswer as exc:
        raise error(f"cannot {what}: {exc}") from exc
    if not reply.ok:
        raise error(f"cannot {what}: Triton at {url} answered HTTP {reply.status}: {_why(reply)}")
    try:
        return json.loads(reply.body)
    except ValueError as exc:
        raise error(f"cannot {what}: Triton at {url} answered text that is not JSON") from exc


def _why(reply: Reply) -> str:
    try:
        return str(json.loads(reply.body).get("error", reply.text()))
    except (ValueError, AttributeError):
        return reply.text()


def server_metadata(url: str, timeout_s: float = 10.0) -> dict[str, Any]:
    """``/v2``: name, version and extensions of the server."""
    return dict(get_json(url, "/v2", "read the server metadata", timeout_s=timeout_s))


def model_path(model: str, version: str = "") -> str:
    quoted = urllib.parse.quote(model, safe="")
    return f"/v2/models/{quoted}" + (f"/versions/{version}" if version else "")


def model_config(
    url: str, model: str, *, error: type[TritonOpsError] = ServerError, timeout_s: float = 30.0
) -> dict[str, Any]:
    """The config the server serves for ``model`` (proto-JSON, auto-complete included)."""
    what = f"read the served config of {model!r}"
    return dict(
        get_json(url, model_path(model) + "/config", what, error=error, timeout_s=timeout_s)
    )


def model_versions(url: str, model: str, timeout_s: float = 30.0) -> list[str]:
    """The versions the model's metadata lists; [] when it has none or the server has no answer."""
    try:
        data = get_json(
            url, model_path(model), f"read the metadata of {model!r}", timeout_s=timeout_s
        )
    except ServerError:
        return []
    return [str(v) for v in data.get("versions", [])] if isinstance(data, dict) else []


def statistics(url: str, model: str = "", timeout_s: float = 30.0) -> dict[str, Any]:
    """Inference statistics of one model (every model when ``model`` is empty)."""
    path = (model_path(model) if model else "/v2/models") + "/stats"
    return dict(get_json(url, path, "read the inference statistics", timeout_s=timeout_s))


def repository_index(url: str, timeout_s: float = 30.0) -> Reply:
    """POST for the index: every model of the server's repositories with its state."""
    return request(url, "/v2/repository/index", body={}, timeout_s=timeout_s)


def load(
    url: str,
    model: str,
    *,
    config: str | None = None,
    files: Mapping[str, bytes] | None = None,
    timeout_s: float = 300.0,
) -> Reply:
    """POST a load; ``config`` is JSON text used in place of config.pbtxt, ``files`` maps
    ``<version>/<file name>`` to the bytes served in place of the repository's file.

    The repository extension (extension_model_repository.md) takes a file as the parameter
    ``file:<version>/<name>`` with base64 content, and only together with ``config`` (the
    override replaces the model's folder). The reply is returned whatever its status: a failed
    load is an answer (400) whose error text names the model's own failure.
    """
    if files and config is None:
        raise ServerError(
            f"loading {model!r} with file overrides needs a config override too (Triton's"
            " repository API serves the files as a whole new model) — pass config"
        )
    parameters: dict[str, str] = {}
    if config is not None:
        parameters["config"] = config
    for name, content in (files or {}).items():
        parameters[f"file:{name}"] = base64.b64encode(content).decode("ascii")
    body = {"parameters": parameters} if parameters else {}
    path = f"/v2/repository/models/{urllib.parse.quote(model, safe='')}/load"
    return request(url, path, body=body, timeout_s=timeout_s)


def unload(
    url: str, model: str, *, unload_dependents: bool = False, timeout_s: float = 60.0
) -> Reply:
    """POST an unload; ``unload_dependents`` also unloads the models an ensemble uses."""
    path = f"/v2/repository/models/{urllib.parse.quote(model, safe='')}/unload"
    body = {"parameters": {"unload_dependents": unload_dependents}}
    return request(url, path, body=body, timeout_s=timeout_s)


def metrics_url(url: str) -> str:
    """``host:port`` -> ``http://host:port/metrics``; a URL with a path is kept as given."""
    # urlsplit would read `host:8002` as scheme `host`: add the scheme before splitting
    full = url if "://" in url else f"http://{url}"
    parts = urllib.parse.urlsplit(full)
    if parts.path.strip("/"):
        return full
    return urllib.parse.urlunsplit(parts._replace(path="/metrics"))


def metrics_text(url: str, timeout_s: float = 10.0) -> Reply:
    """The metrics page (any form ``metrics_url`` accepts); raises NoAnswer without an answer."""
    return request(metrics_url(url), timeout_s=timeout_s)
