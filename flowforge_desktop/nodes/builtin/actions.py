"""Action kinds: nodes that do something outside the workflow (HTTP, email, files, commands).

Config strings arrive already rendered by the engine; checks that a template made impossible at
load time (a URL, an address) run again here and fail the node with a message naming the field.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, model_validator

from flowforge_desktop.nodes.base import NodeCategory, NodeConfig, NodeContext, NodeError, NodeKind
from flowforge_desktop.nodes.builtin.triggers import HttpMethod
from flowforge_desktop.nodes.validators import EmailAddress, Url, check_email, check_url, has_template


class HttpConfig(NodeConfig):
    method: HttpMethod = Field("GET", description="HTTP method.")
    url: Url = Field(..., description="Address to call; may hold templates.")
    headers: dict[str, str] = Field({}, description="Request headers.")
    query: dict[str, str] = Field({}, description="Query parameters added to the URL.")
    body_type: Literal["none", "json", "raw", "form"] = Field("none", description="How `body` is sent.")
    body: Any = Field(None, description="JSON value, raw text or a form mapping, per body_type.")
    auth: Literal["none", "basic", "bearer"] = Field("none", description="Authentication scheme.")
    username: str = Field("", description="User name for basic auth.")
    password: str = Field("", description="Basic password or bearer token; refer to a secret.")
    timeout: float = Field(30, gt=0, description="Seconds before the request is abandoned.")
    retry_count: int = Field(0, ge=0, le=100, description="Retries on connection errors, 5xx and 429.")
    retry_delay: float = Field(1, ge=0, description="Base delay between retries, doubled each time.")
    follow_redirects: bool = Field(True, description="Follow 3xx redirects.")
    verify_tls: bool = Field(True, description="Check the server's TLS certificate.")
    fail_on_status: bool = Field(True, description="Treat a non-2xx status as an error.")

    @model_validator(mode="after")
    def _body_fits(self) -> HttpConfig:
        if self.body_type == "form" and self.body is not None and not isinstance(self.body, dict):
            raise ValueError("body must be a mapping of field -> value when body_type is 'form'")
        if self.body_type == "raw" and self.body is not None and not isinstance(self.body, str):
            raise ValueError("body must be text when body_type is 'raw'")
        return self


class HttpAction(NodeKind):
    kind = "http"
    category = NodeCategory.ACTION
    title = "HTTP request"
    description = "Calls a URL and outputs the status, headers and body (parsed when JSON)."
    icon = "http.svg"
    Config = HttpConfig
    example: ClassVar[dict[str, Any]] = {
        "method": "POST",
        "url": "https://api.example.com/orders",
        "body_type": "json",
        "body": {"id": "{{ input.id }}"},
        "auth": "bearer",
        "password": "{{ secrets.API_TOKEN }}",
        "retry_count": 3,
        "retry_delay": 2,
    }

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        c = self.config
        url = runtime_check("url", c.url, check_url)
        headers = dict(c.headers)
        auth: httpx.Auth | None = None
        if c.auth == "basic":
            if not c.username:
                raise NodeError("auth is 'basic' but username is empty: set username and password")
            auth = httpx.BasicAuth(c.username, c.password)
        elif c.auth == "bearer":
            if not c.password:
                raise NodeError("auth is 'bearer' but password (the token) is empty: refer to a secret")
            headers["Authorization"] = f"Bearer {c.password}"
        request: dict[str, Any] = {
            "headers": headers,
            "params": c.query,
            "timeout": c.timeout,
            "follow_redirects": c.follow_redirects,
            "auth": auth,
        }
        if c.body_type == "json":
            request["json"] = c.body
        elif c.body_type == "raw" and c.body is not None:
            request["content"] = str(c.body).encode()
        elif c.body_type == "form" and c.body is not None:
            request["data"] = {k: v if isinstance(v, str) else _json_text(v) for k, v in c.body.items()}
        try:
            if c.verify_tls:
                response = await ctx.http.request(c.method, url, **request)
            else:
                # verify is a client setting in httpx; the rare insecure call gets its own short-lived client.
                ctx.logger.warning("%s: TLS certificate checks are off for %s", ctx.node_id, url)
                async with httpx.AsyncClient(verify=False) as insecure:
                    response = await insecure.request(c.method, url, **request)
        except httpx.TimeoutException:
            raise NodeError(f"{c.method} {url} timed out after {c.timeout:g} s", retryable=True) from None
        except httpx.TooManyRedirects:
            raise NodeError(f"{c.method} {url}: too many redirects") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise NodeError(f"url: cannot call '{url}': {exc}") from None
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            if "CERTIFICATE_VERIFY_FAILED" in reason:
                raise NodeError(
                    f"{c.method} {url}: the server's TLS certificate is not trusted ({reason}); "
                    "set verify_tls to false only if you trust this server"
                ) from None
            raise NodeError(f"{c.method} {url} failed: {reason}", retryable=True) from None
        output = {"status": response.status_code, "headers": dict(response.headers.items()), "body": _body(response)}
        if c.fail_on_status and not response.is_success:
            status = response.status_code
            retryable = status >= 500 or status == 429
            raise NodeError(
                f"{c.method} {url} answered {status} {response.reason_phrase}".rstrip()
                + ("" if retryable else " (set fail_on_status to false to continue with the response)"),
                retryable=retryable,
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
                details=output,
            )
        return output

    def is_retryable(self, error: BaseException) -> bool:
        if isinstance(error, NodeError):
            return error.retryable
        return isinstance(error, httpx.TransportError | ConnectionError | asyncio.TimeoutError)


def runtime_check(field: str, value: str, check: Any) -> str:
    """Re-check a field after rendering; a failure names the field, as load-time validation does."""
    if has_template(value):
        raise NodeError(f"{field}: '{value}' still holds a template after rendering; check the expression")
    try:
        return check(value)
    except ValueError as exc:
        raise NodeError(f"{field}: {exc}") from None


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) in seconds from now; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value)


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return None if response.request.method == "HEAD" else ""
    content_type = response.headers.get("content-type", "")
    if "json" in content_type:
        try:
            return response.json()
        except ValueError:
            pass
    return response.text


class EmailConfig(NodeConfig):
    smtp_host: str = Field(..., min_length=1, description="SMTP server host name.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 SSL, 25 plain).")
    security: Literal["starttls", "ssl", "none"] = Field("starttls", description="Transport security.")
    username: str = Field("", description="SMTP user; empty for no login.")
    password: str = Field("", description="SMTP password; refer to a secret: '{{ secrets.SMTP_PASSWORD }}'.")
    from_addr: EmailAddress = Field(..., description="Sender address.")
    to: list[EmailAddress] = Field(..., min_length=1, description="Recipients.")
    cc: list[EmailAddress] = Field([], description="Copy recipients.")
    bcc: list[EmailAddress] = Field([], description="Blind copy recipients.")
    subject: str = Field("", description="Subject template.")
    body: str = Field("", description="Plain-text body template.")
    html: str = Field("", description="HTML body template; sent as an alternative when set.")
    timeout: float = Field(30, gt=0, description="Seconds before the SMTP conversation is abandoned.")


class EmailAction(NodeKind):
    kind = "email"
    category = NodeCategory.ACTION
    title = "Send email"
    description = "Sends an email through an SMTP server."
    icon = "email.svg"
    Config = EmailConfig
    example: ClassVar[dict[str, Any]] = {
        "smtp_host": "smtp.example.com",
        "username": "robot@example.com",
        "password": "{{ secrets.SMTP_PASSWORD }}",
        "from_addr": "robot@example.com",
        "to": ["oncall@example.com"],
        "subject": "Health check failed: {{ input.message }}",
        "body": "See {{ input.url }}",
    }

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        c = self.config
        sender = runtime_check("from_addr", c.from_addr, check_email)
        groups = {}
        for field in ("to", "cc", "bcc"):
            groups[field] = [runtime_check(f"{field}[{i}]", a, check_email) for i, a in enumerate(getattr(c, field))]
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(groups["to"])
        if groups["cc"]:
            message["Cc"] = ", ".join(groups["cc"])
        message["Subject"] = c.subject
        message["Date"] = email.utils.formatdate(localtime=True)
        message["Message-ID"] = email.utils.make_msgid(domain=sender.rpartition("@")[2] or None)
        message.set_content(c.body or "")
        if c.html:
            message.add_alternative(c.html, subtype="html")
        recipients = groups["to"] + groups["cc"] + groups["bcc"]
        refused = await ctx.to_thread(self._send, message, sender, recipients)
        return {
            "sent": True,
            "message_id": message["Message-ID"],
            "recipients": [r for r in recipients if r not in refused],
            "refused": {
                k: v[1].decode(errors="replace") if isinstance(v[1], bytes) else str(v[1]) for k, v in refused.items()
            },
        }

    def _send(self, message: EmailMessage, sender: str, recipients: list[str]) -> dict[str, Any]:
        c = self.config
        where = f"{c.smtp_host}:{c.smtp_port}"
        try:
            if c.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    c.smtp_host, c.smtp_port, timeout=c.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=c.timeout)
            with smtp:
                if c.security == "starttls":
                    smtp.ehlo()
                    if not smtp.has_extn("starttls"):
                        raise NodeError(
                            f"the SMTP server at {where} does not offer STARTTLS: set security to 'ssl' or 'none'"
                        )
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if c.username:
                    smtp.login(c.username, c.password)
                return smtp.send_message(message, from_addr=sender, to_addrs=recipients)
        except NodeError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise NodeError(
                f"the SMTP server at {where} refused the login of '{c.username}': {_smtp_reason(exc)}"
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(sorted(exc.recipients))
            raise NodeError(f"the SMTP server at {where} refused every recipient: {refused}") from None
        except smtplib.SMTPSenderRefused as exc:
            raise NodeError(f"the SMTP server at {where} refused the sender '{sender}': {_smtp_reason(exc)}") from None
        except smtplib.SMTPResponseException as exc:
            raise NodeError(
                f"the SMTP server at {where} answered {exc.smtp_code}: {_smtp_reason(exc)}",
                retryable=400 <= exc.smtp_code < 500,
            ) from None
        except ssl.SSLError as exc:
            raise NodeError(f"TLS with the SMTP server at {where} failed: {exc.reason or exc}") from None
        except smtplib.SMTPServerDisconnected as exc:
            raise NodeError(f"the SMTP server at {where} closed the connection: {exc}", retryable=True) from None
        except TimeoutError:
            raise NodeError(
                f"the SMTP server at {where} did not answer within {c.timeout:g} s", retryable=True
            ) from None
        except OSError as exc:
            raise NodeError(f"cannot reach the SMTP server at {where}: {exc.strerror or exc}", retryable=True) from None

    def is_retryable(self, error: BaseException) -> bool:
        if isinstance(error, NodeError):
            return error.retryable
        return isinstance(error, ConnectionError | TimeoutError)


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _smtp_reason(exc: smtplib.SMTPResponseException) -> str:
    return " ".join(_text(exc.smtp_error).split())


class DelayConfig(NodeConfig):
    seconds: float = Field(1.0, ge=0, le=7 * 24 * 3600, description="How long to wait before passing the input on.")


class DelayAction(NodeKind):
    kind = "delay"
    category = NodeCategory.ACTION
    title = "Delay"
    description = "Waits a number of seconds, then passes its input on unchanged."
    icon = "delay.svg"
    Config = DelayConfig
    example: ClassVar[dict[str, Any]] = {"seconds": 30}

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        await asyncio.sleep(self.config.seconds)  # cancellable: stopping the run ends the wait
        return inputs.get("in")


class SubWorkflowConfig(NodeConfig):
    workflow_path: str = Field(..., min_length=1, description="Workflow file (.json) to run; may hold templates.")
    input: Any = Field(None, description="Input of the child run; empty (null): this node's input.")


class SubWorkflowAction(NodeKind):
    kind = "sub_workflow"
    category = NodeCategory.ACTION
    title = "Sub-workflow"
    description = "Runs another workflow file with an input and outputs its result; the child run records its parent."
    icon = "sub_workflow.svg"
    Config = SubWorkflowConfig
    example: ClassVar[dict[str, Any]] = {
        "workflow_path": "~/FlowForge/workflows/enrich_order.json",
        "input": {"order_id": "{{ input.id }}"},
    }

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        c = self.config
        if has_template(c.workflow_path):
            raise NodeError(f"workflow_path: '{c.workflow_path}' still holds a template after rendering")
        # A relative path is resolved by the engine against the parent workflow's folder.
        path = os.path.expanduser(c.workflow_path)
        if os.path.isabs(path) and not os.path.isfile(path):
            raise NodeError(f"workflow_path: workflow file '{path}' does not exist")
        child_input = c.input if c.input is not None else inputs.get("in")
        try:
            return await ctx.run_workflow(path, child_input)
        except NodeError:
            raise
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise NodeError(f"sub-workflow '{os.path.basename(path)}' failed: {exc}") from exc
