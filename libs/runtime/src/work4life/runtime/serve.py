"""Running a service process with uvicorn: structured logs, and a graceful stop on SIGTERM/Ctrl-C
(uvicorn finishes in-flight requests, then the lifespan stops the consumer and the relay)."""

from collections.abc import Callable
from typing import Any

import uvicorn

from .logs import configure_logging
from .settings import ServiceSettings


def serve(settings: ServiceSettings, build: Callable[[Any], Any]) -> None:
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    app = build(settings)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )
