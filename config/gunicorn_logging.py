"""gunicorn's own error and access lines, redacted like the application's (`logger_class` in gunicorn.conf.py)."""

from __future__ import annotations

from typing import Any

from gunicorn import glogging

from config.logging import RedactSecretsFilter


class RedactingLogger(glogging.Logger):
    """gunicorn's logger with the project's redaction on both of its loggers.

    Its error log names the URL of a request that failed ("Error handling request GET /x?token=…") and
    the access log format could be changed to one with the query string; neither passes through Django's
    logging configuration, so the filter is put on gunicorn's loggers themselves.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(existing, RedactSecretsFilter) for existing in log.filters):
                log.addFilter(RedactSecretsFilter())
