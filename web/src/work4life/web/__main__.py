"""`python -m work4life.web` (or `w4l-web`): run the staff web application."""

import uvicorn

from work4life.runtime.logs import configure_logging

from .app import create_app
from .config import WebSettings


def main() -> None:
    settings = WebSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
