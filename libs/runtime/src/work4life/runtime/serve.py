"""Running a service process with uvicorn: structured logs, and a graceful stop on SIGTERM/Ctrl-C
(uvicorn finishes in-flight requests, then the lifespan stops the consumer and the relay).

A service that refuses to run (an event topic that would lose history, ADR 13) stops and exits
with status 78 (EX_CONFIG) and the reason on stderr, so that an orchestrator shows it and does not
count the process as healthy."""

import sys
from collections.abc import Callable
from typing import Any

import uvicorn

from .logs import configure_logging
from .settings import ServiceSettings

EXIT_REFUSED = 78


def serve(settings: ServiceSettings, build: Callable[[Any], Any]) -> None:
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    app = build(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=20,
        )
    )
    refusals: list[str] = []

    def refuse(reason: str) -> None:
        refusals.append(reason)
        server.should_exit = True

    app.state.runtime.on_refusal = refuse
    server.run()
    if refusals:
        print(f"work4life-{settings.service_name}: {refusals[0]}", file=sys.stderr)
        sys.exit(EXIT_REFUSED)
