"""Helpers for the model server tests: paths, real HTTP calls, the server as a real process (`serve`), and a loopback
fake of Cloud Storage's JSON API and the metadata server."""
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

SERVER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(os.path.dirname(SERVER_DIR))
SERVE = os.path.join(SERVER_DIR, "serve")
for path in (SERVER_DIR, REPO_ROOT):
    if path not in sys.path:
        sys.path.insert(0, path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, body=None, headers=None, timeout=30):
    """(status, headers, body bytes) over real HTTP; errors are answers, not exceptions."""
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


class ServerProcess:
    """`serve serve` as a child process on 127.0.0.1; stdout (the JSON log) goes to a file."""

    def __init__(self, env, log_path, args=("serve",), port_variable="PORT"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AIP_", "STORAGE_EMULATOR", "GCE_METADATA", "MODEL_DIR", "PORT"))}
        full_env.update({"HOST": "127.0.0.1", port_variable: str(self.port), **env})
        self.log = open(log_path, "w")
        self.process = subprocess.Popen([SERVE, *args], env=full_env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, route="/ping", timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}: {self.logs()}")
            try:
                status, _, _ = call("GET", self.url + route, timeout=2)
                if status == 200:
                    return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not ready in {timeout} s: {self.logs()}")

    def logs(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class FakeGcs:
    """Cloud Storage's JSON API media download and the metadata server's token endpoint on 127.0.0.1.
    Objects: {(bucket, name): bytes}. Records every request (path, headers)."""

    TOKEN = "ya29.test-token"

    def __init__(self, objects):
        self.objects = objects
        self.requests = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                parsed = urllib.parse.urlsplit(self.path)
                fake.requests.append({"path": parsed.path, "query": parsed.query, "headers": dict(self.headers)})
                if parsed.path == "/computeMetadata/v1/instance/service-accounts/default/token":
                    if self.headers.get("Metadata-Flavor") != "Google":
                        return self._send(403, b"Missing Metadata-Flavor:Google header.")
                    return self._send(200, json.dumps({"access_token": fake.TOKEN, "expires_in": 3599, "token_type": "Bearer"}).encode(), "application/json")
                parts = parsed.path.split("/")
                # /storage/v1/b/{bucket}/o/{object}?alt=media, the object name URL-encoded
                if len(parts) == 7 and parts[1:4] == ["storage", "v1", "b"] and parts[5] == "o" and urllib.parse.parse_qs(parsed.query).get("alt") == ["media"]:
                    if self.headers.get("Authorization") != f"Bearer {fake.TOKEN}":
                        return self._send(401, b'{"error": {"code": 401, "message": "Anonymous caller"}}', "application/json")
                    key = (urllib.parse.unquote(parts[4]), urllib.parse.unquote(parts[6]))
                    if key in fake.objects:
                        return self._send(200, fake.objects[key], "application/octet-stream")
                    return self._send(404, b'{"error": {"code": 404, "message": "No such object"}}', "application/json")
                self._send(400, b"unexpected request")

            def _send(self, status, body, content_type="text/plain"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def env(self):
        return {"STORAGE_EMULATOR_HOST": f"http://{self.host}", "GCE_METADATA_HOST": self.host}

    def close(self):
        self.server.shutdown()
        self.server.server_close()
