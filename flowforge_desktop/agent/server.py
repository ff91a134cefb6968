"""The local HTTP server (aiohttp): webhooks, health and the /api/v1 API.

Routes
  GET  /health                        {"status": "ok"}
  GET  /health/detailed               agent.health.health_snapshot(...) — the Health dock's figures
  *    /webhooks/{webhook_id}         armed webhook triggers (signature, replay window, methods, size)
  GET  /api/v1/workflows              known workflows and whether they are active
  POST /api/v1/workflows              {"path": ..., "active": true} add (and activate) a workflow file
  POST /api/v1/workflows/{id}/activate | /deactivate | /run   (run: optional {"payload": ...})
  GET  /api/v1/executions             ?workflow_id=&status=&before=&limit=
  GET  /api/v1/executions/{id}        one execution with its node runs
  POST /api/v1/actions/execute        {"action_type", "config", "input_data"}: run one action

Everything under /api/v1 needs ``Authorization: Bearer <api key>`` and is rate limited per client.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import json
import logging
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flowforge_desktop.agent.ratelimit import FixedWindowLimiter
from flowforge_desktop.agent.webhooks import SignatureError, WebhookEndpoint, request_payload, verify_request

if TYPE_CHECKING:
    from flowforge_desktop.agent.runtime import Agent

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


class ServerStartError(Exception):
    """The server could not listen; the message names the address and the setting to change."""


# --- request bodies ----------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionRequest(_Body):
    action_type: str = Field(..., min_length=1)
    config: dict[str, Any] = Field(default_factory=dict)
    input_data: Any = Field(default_factory=dict)
    timeout: float = Field(60.0, gt=0, le=3600)


class AddWorkflowRequest(_Body):
    path: str = Field(..., min_length=1)
    active: bool = True


class RunRequest(_Body):
    payload: Any = None
    wait: bool = False
    timeout: float = Field(60.0, gt=0, le=3600)


class ExecutionQuery(_Body):
    workflow_id: str | None = None
    status: Literal["queued", "running", "succeeded", "failed", "cancelled", "interrupted"] | None = None
    before: float | None = None
    limit: int = Field(50, ge=1, le=1000)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=lambda d: json.dumps(d, default=str))


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return _json({"error": message, **extra}, status=status)


def _validation_error(exc: ValidationError) -> web.Response:
    return _json({"error": "invalid request", "detail": json.loads(exc.json(include_url=False))}, status=422)


async def _read_json(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise _Unprocessable(f"the body is not valid JSON: {exc}") from None


class _Unprocessable(Exception):
    pass


# --- the server ----------------------------------------------------------------------------------------


class LocalServer:
    def __init__(
        self,
        agent: Agent | None,
        host: str = "127.0.0.1",
        port: int = 8000,
        api_key: str | None = None,
        rate_limit: int = 120,
        rate_limit_window: float = 60.0,
    ) -> None:
        self.agent = agent
        self.host = host
        self.port = port
        self.api_key = api_key
        self.limiter = FixedWindowLimiter(rate_limit, rate_limit_window)
        self.webhooks: dict[str, WebhookEndpoint] = {}
        self.requests_served = 0
        self._runner: web.AppRunner | None = None
        self.app = self._make_app()

    # --- lifecycle -----------------------------------------------------------------------------------
    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._api_middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/health", self._health)
        app.router.add_get("/health/detailed", self._health_detailed)
        app.router.add_route("*", "/webhooks/{webhook_id}", self._webhook)
        app.router.add_get(f"{API_PREFIX}/workflows", self._list_workflows)
        app.router.add_post(f"{API_PREFIX}/workflows", self._add_workflow)
        app.router.add_post(f"{API_PREFIX}/workflows/{{workflow_id}}/activate", self._activate)
        app.router.add_post(f"{API_PREFIX}/workflows/{{workflow_id}}/deactivate", self._deactivate)
        app.router.add_post(f"{API_PREFIX}/workflows/{{workflow_id}}/run", self._run_workflow)
        app.router.add_get(f"{API_PREFIX}/executions", self._list_executions)
        app.router.add_get(f"{API_PREFIX}/executions/{{execution_id}}", self._get_execution)
        app.router.add_post(f"{API_PREFIX}/actions/execute", self._execute_action)
        return app

    async def start(self, setting_hint: str = "api_port in config.json or FLOWFORGE_API_PORT") -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            if exc.errno == errno.EADDRINUSE:
                raise ServerStartError(
                    f"port {self.port} on {self.host} is already in use by another program; "
                    f"stop it or choose another port ({setting_hint})"
                ) from None
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise ServerStartError(
                    f"not allowed to listen on {self.host}:{self.port} (ports below 1024 need privileges; "
                    f"change {setting_hint})"
                ) from None
            raise ServerStartError(f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}") from None
        if self.port == 0:
            sockets = getattr(site._server, "sockets", None) or []
            if sockets:
                self.port = sockets[0].getsockname()[1]
        log.info("local API listening on http://%s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- webhooks registry ---------------------------------------------------------------------------
    def register_webhook(self, endpoint: WebhookEndpoint) -> None:
        current = self.webhooks.get(endpoint.webhook_id)
        if current is not None and current is not endpoint and current.workflow_id != endpoint.workflow_id:
            raise ValueError(
                f"webhook_id '{endpoint.webhook_id}' is already used by workflow '{current.workflow_id}' "
                f"(node '{current.node_id}'); give this webhook trigger another webhook_id"
            )
        self.webhooks[endpoint.webhook_id] = endpoint

    def unregister_webhook(self, endpoint: WebhookEndpoint) -> None:
        if self.webhooks.get(endpoint.webhook_id) is endpoint:
            del self.webhooks[endpoint.webhook_id]

    # --- middleware: auth and limits for /api/v1 -----------------------------------------------------
    @web.middleware
    async def _api_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        self.requests_served += 1
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        decision = self.limiter.hit(request.remote or "unknown")
        headers = decision.headers()
        if not decision.allowed:
            response: web.StreamResponse = _error(
                429,
                f"rate limit exceeded: {decision.limit} requests per {self.limiter.window:g} s; "
                f"retry after {math.ceil(decision.retry_after)} s",
            )
        elif not self._authorized(request):
            response = _error(401, "missing or invalid API key: send 'Authorization: Bearer <api key>'")
            response.headers["WWW-Authenticate"] = "Bearer"
        else:
            try:
                response = await handler(request)
            except _Unprocessable as exc:
                response = _error(422, str(exc))
            except ValidationError as exc:
                response = _validation_error(exc)
            except web.HTTPException as exc:
                response = _error(exc.status, exc.reason)
        response.headers.update(headers)
        return response

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token or not self.api_key:
            return False
        return hmac.compare_digest(token.strip().encode(), self.api_key.encode())

    # --- health --------------------------------------------------------------------------------------
    async def _health(self, request: web.Request) -> web.Response:
        return _json({"status": "ok"})

    async def _health_detailed(self, request: web.Request) -> web.Response:
        from flowforge_desktop.agent.health import health_snapshot

        # it names workflows and webhook ids: open on loopback (the seed's curl), keyed when exposed
        if not _is_loopback(self.host) and not self._authorized(request):
            return _error(
                401, "/health/detailed needs 'Authorization: Bearer <api key>' when the API is not on loopback"
            )

        if self.agent is None:
            return _json(health_snapshot(server=self))
        return _json(self.agent.health())

    # --- webhooks ------------------------------------------------------------------------------------
    async def _webhook(self, request: web.Request) -> web.Response:
        webhook_id = request.match_info["webhook_id"]
        endpoint = self.webhooks.get(webhook_id)
        if endpoint is None:
            return _error(404, f"no active workflow listens on webhook '{webhook_id}'")
        if request.method not in endpoint.methods:
            return web.json_response(
                {"error": f"method {request.method} not allowed; this webhook accepts {', '.join(endpoint.methods)}"},
                status=405,
                headers={"Allow": ", ".join(endpoint.methods)},
            )
        too_big = _error(413, f"request body larger than this webhook's limit of {endpoint.max_body_bytes} bytes")
        if request.content_length is not None and request.content_length > endpoint.max_body_bytes:
            return too_big
        body = bytearray()
        async for chunk in request.content.iter_chunked(65536):
            body += chunk
            if len(body) > endpoint.max_body_bytes:
                return too_big
        if endpoint.secret is None:
            log.error(
                "webhook '%s' (workflow %s) refers to secret '%s', which is not set; refusing requests",
                webhook_id,
                endpoint.workflow_id,
                endpoint.secret_name,
            )
            return _error(503, f"webhook '{webhook_id}' is misconfigured: its secret is not set in the agent")
        if endpoint.secret:
            try:
                verify_request(
                    secret=endpoint.secret,
                    body=bytes(body),
                    headers=request.headers,
                    timestamp_header=endpoint.timestamp_header,
                    replay_window=endpoint.replay_window,
                    guard=endpoint.guard,
                )
            except SignatureError as exc:
                log.warning("webhook '%s': refused request from %s: %s", webhook_id, request.remote, exc)
                return _error(401, f"invalid signature: {exc}")
        payload = request_payload(webhook_id, request.method, request.path, request.query, request.headers, bytes(body))
        from flowforge_desktop.agent.supervisor import QueueFullError, TriggersPaused

        try:
            queued = await endpoint.fire(payload)
            handle = await asyncio.wait_for(asyncio.shield(queued.started), endpoint.response_timeout)
        except (QueueFullError, TriggersPaused) as exc:
            return _json({"error": str(exc)}, status=503, headers={"Retry-After": "5"})
        except TimeoutError:
            return _json({"status": "queued", "error": "the run is still queued"}, status=202)
        if endpoint.response_mode != "wait":
            return _json({"execution_id": handle.execution_id, "status": "running"}, status=202)
        try:
            result = await asyncio.wait_for(handle.wait(), endpoint.response_timeout)
        except TimeoutError:
            return _error(
                504,
                f"the run did not finish within {endpoint.response_timeout:g} s",
                execution_id=handle.execution_id,
            )
        return _result_response(result, endpoint.response_node)

    # --- /api/v1 -------------------------------------------------------------------------------------
    def _require_agent(self) -> Agent:
        if self.agent is None:
            raise web.HTTPServiceUnavailable(text='{"error": "no agent"}', content_type="application/json")
        return self.agent

    async def _list_workflows(self, request: web.Request) -> web.Response:
        agent = self._require_agent()
        return _json({"workflows": agent.supervisor.describe_workflows()})

    async def _add_workflow(self, request: web.Request) -> web.Response:
        agent = self._require_agent()
        body = AddWorkflowRequest.model_validate(await _read_json(request))
        from flowforge_desktop.agent.supervisor import WorkflowRefused

        try:
            entry = await agent.supervisor.add(body.path, active=body.active)
        except WorkflowRefused as exc:
            return _error(422, str(exc))
        return _json(agent.supervisor.describe(entry), status=201)

    async def _activate(self, request: web.Request) -> web.Response:
        return await self._toggle(request, True)

    async def _deactivate(self, request: web.Request) -> web.Response:
        return await self._toggle(request, False)

    async def _toggle(self, request: web.Request, active: bool) -> web.Response:
        agent = self._require_agent()
        workflow_id = request.match_info["workflow_id"]
        from flowforge_desktop.agent.supervisor import WorkflowRefused

        try:
            entry = await agent.supervisor.set_active(workflow_id, active)
        except KeyError:
            return _error(404, f"no workflow with id '{workflow_id}'; add it with POST {API_PREFIX}/workflows")
        except WorkflowRefused as exc:
            return _error(422, str(exc))
        return _json(agent.supervisor.describe(entry))

    async def _run_workflow(self, request: web.Request) -> web.Response:
        agent = self._require_agent()
        workflow_id = request.match_info["workflow_id"]
        body = RunRequest.model_validate(await _read_json(request))
        from flowforge_desktop.agent.supervisor import QueueFullError

        try:
            queued = await agent.supervisor.run_now(workflow_id, body.payload, trigger="api")
            handle = await asyncio.wait_for(asyncio.shield(queued.started), body.timeout)
        except KeyError:
            return _error(404, f"no workflow with id '{workflow_id}'")
        except QueueFullError as exc:
            return _json({"error": str(exc)}, status=503, headers={"Retry-After": "5"})
        except TimeoutError:
            return _json({"status": "queued"}, status=202)
        if not body.wait:
            return _json({"execution_id": handle.execution_id, "status": "running"}, status=202)
        try:
            result = await asyncio.wait_for(handle.wait(), body.timeout)
        except TimeoutError:
            return _error(504, f"the run did not finish within {body.timeout:g} s", execution_id=handle.execution_id)
        return _json(_result_data(result))

    async def _list_executions(self, request: web.Request) -> web.Response:
        agent = self._require_agent()
        query = ExecutionQuery.model_validate(dict(request.query))
        from flowforge_desktop.agent.engine_runner import flush, list_rows

        await asyncio.to_thread(flush, agent.store, 2.0)  # read what this agent has already recorded
        rows = await asyncio.to_thread(
            list_rows,
            agent.store,
            workflow_id=query.workflow_id,
            status=query.status,
            before=query.before,
            limit=query.limit,
        )
        return _json({"executions": rows})

    async def _get_execution(self, request: web.Request) -> web.Response:
        agent = self._require_agent()
        execution_id = request.match_info["execution_id"]
        from flowforge_desktop.agent.engine_runner import flush

        await asyncio.to_thread(flush, agent.store, 2.0)
        row = await asyncio.to_thread(agent.store.get_execution, execution_id)
        if not row:
            return _error(404, f"no execution with id '{execution_id}'")
        nodes = await asyncio.to_thread(agent.store.node_runs, execution_id)
        return _json({**dict(row), "node_runs": nodes})

    async def _execute_action(self, request: web.Request) -> web.Response:
        agent = self._require_agent()
        body = ActionRequest.model_validate(await _read_json(request))
        from flowforge_desktop.agent.actions import ActionRefused, run_single_action

        try:
            result = await run_single_action(agent, body.action_type, body.config, body.input_data, body.timeout)
        except ActionRefused as exc:
            return _json({"error": str(exc), "detail": exc.detail}, status=422)
        except TimeoutError:
            return _error(504, f"the action did not finish within {body.timeout:g} s")
        data = _result_data(result)
        data["output"] = result.outputs.get("action")
        return _json(data, status=200 if data["status"] == "succeeded" else 500)


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _result_data(result: Any) -> dict[str, Any]:
    return {
        "execution_id": result.execution_id,
        "status": str(result.status),
        "outputs": result.outputs,
        "error": result.error,
        "failed_node": result.failed_node,
    }


def _result_response(result: Any, response_node: str | None) -> web.Response:
    status = str(result.status)
    if status != "succeeded":
        return _json(
            {
                "execution_id": result.execution_id,
                "status": status,
                "error": result.error,
                "failed_node": result.failed_node,
            },
            status=500,
        )
    if response_node:
        if response_node not in result.outputs:
            return _error(
                500, f"node '{response_node}' produced no output in this run", execution_id=result.execution_id
            )
        return _json(result.outputs[response_node], headers={"X-Execution-Id": result.execution_id})
    output = result.output() if callable(getattr(result, "output", None)) else result.outputs
    return _json(output, headers={"X-Execution-Id": result.execution_id})
