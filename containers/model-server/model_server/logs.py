"""JSON-lines logging to stdout (CloudWatch Logs and Cloud Logging parse one JSON object per line).
Request payloads are never logged: only sizes, counts, statuses and timings."""
import json
import logging
import time
import traceback


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["trace"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(entry, default=str)


def log_config(level="INFO"):
    """A logging.config dict for uvicorn.run: uvicorn's own loggers write through the JSON formatter too."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }


def setup(level="INFO"):
    import logging.config

    logging.config.dictConfig(log_config(level))
    logging.captureWarnings(True)  # library warnings (sklearn, xgboost) become JSON lines too, not raw stderr


logger = logging.getLogger("model_server")


def info(message, **fields):
    logger.info(message, extra={"fields": fields})


def warning(message, **fields):
    logger.warning(message, extra={"fields": fields})


def error(message, exc_info=False, **fields):
    logger.error(message, exc_info=exc_info, extra={"fields": fields})

