"""Docker HEALTHCHECK: exits 0 when the server's /ping answers 200 (the model is loaded). Standard library only."""
import os
import sys
import urllib.request

port = os.environ.get("PORT") or os.environ.get("AIP_HTTP_PORT") or "8080"
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as err:  # connection refused, 503 while loading, timeout
    print(f"healthcheck: {err}", file=sys.stderr)
    sys.exit(1)
