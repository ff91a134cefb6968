"""Action kinds: nodes that do something outside the workflow (HTTP, email)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from flowforge_desktop.nodes.base import NodeCategory, NodeConfig, NodeKind
from flowforge_desktop.nodes.builtin.triggers import HttpMethod
from flowforge_desktop.nodes.validators import EmailAddress, Url


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
