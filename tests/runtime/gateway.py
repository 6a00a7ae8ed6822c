"""API Gateway, as the router's functions and their clients see it, on 127.0.0.1: a small HTTP
server that checks each request's SigV4 signature (IAM authorization, recomputed with
botocore), turns it into the proxy event the functions take (resource, path parameters,
headers, body), runs the router's code (handler.handler for buffered routes, streaming.stream
for POST /stream and /chat/completions), and writes the answer: buffered as it is, streamed by
reading the function's JSON prelude and eight NUL bytes, then passing each piece on as it comes
(chunked transfer), as API Gateway's response streaming does (API Gateway developer guide,
response-transfer-mode-lambda). Its own refusals (no or a wrong signature, an unknown route, a
chat body that is not a JSON object) use the construct's gateway-response templates.

Bounded and self-stopping: one server thread per gateway, sockets that time out, and a
watchdog that shuts the server down after LIFETIME_S even if a test forgets to. SageMaker, S3
and Secrets Manager are FakeAws, through calls.client."""

from __future__ import annotations

import http.server
import io
import itertools
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from deepseek_cdk.constructs.router_api import GATEWAY_ERRORS, gateway_error
from deepseek_cdk.runtime.router import calls, contract, handler, streaming
from tests.runtime.conftest import POLL_S

STAGE = "v1"
REGION = "us-east-1"
CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token-example")
LIFETIME_S = 60  # the longest a gateway lives
SOCKET_TIMEOUT_S = 10
SHAPES = Path(__file__).parent / "shapes"
README = Path(__file__).resolve().parents[2] / "docs" / "request-types.md"
COMPLETION = (SHAPES / "lmi_chat_completion.json").read_bytes()
USAGE_STREAM = (SHAPES / "lmi_chat_stream_usage.jsonl").read_bytes()
# (method, route) -> resource, as the construct defines them; the jobs route has a parameter.
ROUTES = {
    ("POST", contract.INVOKE_ROUTE): "buffered",
    ("POST", contract.STREAM_ROUTE): "streamed",
    ("POST", contract.CHAT_ROUTE): "streamed",
    ("GET", contract.MODELS_ROUTE): "buffered",
    ("GET", contract.JOB_ROUTE): "buffered",
}


# API Gateway's messages for the signatures it refuses (403).
REFUSALS = {
    "MISSING_AUTHENTICATION_TOKEN": "Missing Authentication Token",
    "INCOMPLETE_SIGNATURE": "Authorization header requires 'Credential' parameter.",
    "INVALID_SIGNATURE": "The request signature we calculated does not match the signature you provided.",
    "UNAUTHORIZED": "The security token included in the request is invalid.",
}


def readme_example(name: str) -> str:
    """The code block after `<!-- example: NAME -->` in docs/request-types.md, as written."""
    text = README.read_text(encoding="utf-8")
    marker = f"<!-- example: {name} -->\n```"
    start = text.index("\n", text.index(marker) + len(marker)) + 1
    return text[start : text.index("\n```", start) + 1]


def aws_environment() -> dict[str, str]:
    """The environment of a client that holds CREDENTIALS (and reads no file or metadata)."""
    return {
        "AWS_ACCESS_KEY_ID": CREDENTIALS.access_key,
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS.secret_key,
        "AWS_SESSION_TOKEN": CREDENTIALS.token,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def signature_problem(method: str, url: str, headers: dict[str, str], body: bytes) -> str | None:
    """Why API Gateway would refuse the request's SigV4 signature (its gateway response type),
    or None: recomputed from the headers it names as signed, for execute-api in REGION."""
    given = headers.get("authorization", "")
    if not given:
        return "MISSING_AUTHENTICATION_TOKEN"
    if not given.startswith("AWS4-HMAC-SHA256 "):  # e.g. an OpenAI client's bearer key
        return "INCOMPLETE_SIGNATURE"
    try:
        fields = dict(
            part.strip().split("=", 1) for part in given.removeprefix("AWS4-HMAC-SHA256 ").split(",")
        )
        key, _date, region, service, _ = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        if (key, region, service) != (CREDENTIALS.access_key, REGION, "execute-api"):
            return "UNAUTHORIZED"
        request = AWSRequest(
            method=method, url=url, data=body, headers={h: headers[h] for h in signed if h != "host"}
        )
        request.context["timestamp"] = headers["x-amz-date"]
        signer = SigV4Auth(CREDENTIALS, "execute-api", REGION)
        if sorted(signer.headers_to_sign(request)) != sorted(signed):
            return "INVALID_SIGNATURE"
        expected = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
    except (KeyError, ValueError):
        return "INVALID_SIGNATURE"
    return None if fields["Signature"] == expected else "INVALID_SIGNATURE"


class FakeAws:
    """sagemaker-runtime, s3 and secretsmanager as the router calls them: real-time answers
    from the reference shapes (or a scripted stream), async jobs done at once, a job-id key."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.streams: list[Any] = []  # scripted InvokeEndpointWithResponseStream bodies, else the shape
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def client(self, service: str, read_timeout: int = 0) -> FakeAws:
        return self

    # sagemaker-runtime
    def invoke_endpoint(self, **args: Any) -> dict[str, Any]:
        self.calls.append(("invoke_endpoint", args))
        return {
            "Body": StreamingBody(io.BytesIO(COMPLETION), len(COMPLETION)),
            "ContentType": "application/json",
        }

    def invoke_endpoint_with_response_stream(self, **args: Any) -> dict[str, Any]:
        self.calls.append(("invoke_endpoint_with_response_stream", args))
        body = self.streams.pop(0) if self.streams else iter_parts(USAGE_STREAM)
        return {"Body": body}

    def invoke_endpoint_async(self, **args: Any) -> dict[str, Any]:
        self.calls.append(("invoke_endpoint_async", args))
        bucket, key = args["InputLocation"].removeprefix("s3://").split("/", 1)
        output = key.replace("/requests/", "/responses/").removesuffix(".json")
        self.objects[output] = COMPLETION  # the job is done at once
        return {"InferenceId": args["InferenceId"], "OutputLocation": f"s3://{bucket}/{output}"}

    # s3
    def put_object(self, **args: Any) -> dict[str, Any]:
        self.objects[args["Key"]] = args["Body"]
        return {}

    def get_object(self, **args: Any) -> dict[str, Any]:
        if args["Key"] not in self.objects:
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "no"}}, "GetObject")
        data = self.objects[args["Key"]]
        return {"Body": StreamingBody(io.BytesIO(data), len(data)), "ContentLength": len(data)}

    # secretsmanager
    def get_secret_value(self, **args: Any) -> dict[str, Any]:
        return {"SecretString": "k" * 64}


def iter_parts(data: bytes, size: int = 40) -> Iterator[dict[str, Any]]:
    for start in range(0, len(data), size):
        yield {"PayloadPart": {"Bytes": data[start : start + size]}}


class LocalGateway:
    """A gateway in front of the router's code with `config` (the JSON its functions read);
    `url` is the stage URL, as the stack's RouterUrl output prints it (ends in /v1/). Used as
    a context manager; `answers` records (method, path, status) of every request."""

    def __init__(self, config: str) -> None:
        self.config = config
        self.answers: list[tuple[str, str, int]] = []
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = SOCKET_TIMEOUT_S

            def do_GET(self) -> None:
                gateway.serve(self)

            def do_POST(self) -> None:
                gateway.serve(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}/{STAGE}/"
        self._saved_config: str | None = None

    def __enter__(self) -> LocalGateway:
        self._saved_config = os.environ.get("ROUTER_CONFIG")
        os.environ["ROUTER_CONFIG"] = self.config  # what handler.handler reads
        threading.Thread(target=self.server.serve_forever, args=(POLL_S,), daemon=True).start()
        self.watchdog = threading.Timer(LIFETIME_S, self.server.shutdown)
        self.watchdog.daemon = True
        self.watchdog.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.watchdog.cancel()
        self.server.shutdown()
        self.server.server_close()
        if self._saved_config is None:
            os.environ.pop("ROUTER_CONFIG", None)
        else:
            os.environ["ROUTER_CONFIG"] = self._saved_config

    def serve(self, request: http.server.BaseHTTPRequestHandler) -> None:
        method, path = request.command, request.path.split("?", 1)[0]
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in request.headers.items()}
        route, parameters = self.route(method, path)
        problem = signature_problem(method, f"http://{headers.get('host', '')}{request.path}", headers, body)
        if route is None:  # API Gateway answers an unknown route as an unsigned request
            self.gateway_answer(
                request, path, 403, "MISSING_AUTHENTICATION_TOKEN", REFUSALS["MISSING_AUTHENTICATION_TOKEN"]
            )
            return
        if problem is not None:
            self.gateway_answer(request, path, 403, problem, REFUSALS[problem])
            return
        if route == contract.CHAT_ROUTE and not is_json_object(body):  # CHAT_REQUEST_SCHEMA
            self.gateway_answer(request, path, 400, "BAD_REQUEST_BODY", "Invalid request body")
            return
        event = {
            "resource": route,
            "path": path.removeprefix(f"/{STAGE}"),
            "httpMethod": method,
            "headers": dict(request.headers.items()),
            "queryStringParameters": None,
            "pathParameters": parameters,
            "requestContext": {"stage": STAGE, "resourcePath": route, "httpMethod": method},
            "body": body.decode() if body else None,
            "isBase64Encoded": False,
        }
        if ROUTES[method, route] == "buffered":
            answer = handler.handler(event, None)
            self.write(request, path, answer["statusCode"], answer["headers"], answer["body"].encode())
        else:
            config = handler.RouterConfig.from_json(self.config)
            # The budget before the first token, as the Lambda client (lambda_runtime.serve_one) sets it.
            deadline = calls.now() + config.time_budget_seconds
            self.stream(request, path, streaming.stream(config, event, deadline=deadline))

    def route(self, method: str, path: str) -> tuple[str | None, dict[str, str] | None]:
        if not path.startswith(f"/{STAGE}/"):
            return None, None
        resource = path.removeprefix(f"/{STAGE}")
        if (method, resource) in ROUTES:
            return resource, None
        prefix = contract.JOB_ROUTE.removesuffix("{id}")
        if method == "GET" and resource.startswith(prefix) and "/" not in resource.removeprefix(prefix):
            return contract.JOB_ROUTE, {"id": resource.removeprefix(prefix)}
        return None, None

    def gateway_answer(
        self, request: http.server.BaseHTTPRequestHandler, path: str, status: int, kind: str, message: str
    ) -> None:
        """API Gateway's own answer, from the construct's DEFAULT_4XX template."""
        (template,) = [
            gateway_error(t) for _, response, t in GATEWAY_ERRORS if response.response_type == "DEFAULT_4XX"
        ]
        body = template.replace("$context.error.messageString", json.dumps(message))
        body = body.replace("$context.error.responseType", kind)
        self.write(request, path, status, {"Content-Type": "application/json"}, body.encode())

    def write(
        self,
        request: http.server.BaseHTTPRequestHandler,
        path: str,
        status: int,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        self.answers.append((request.command, path, status))
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def stream(self, request: http.server.BaseHTTPRequestHandler, path: str, pieces: Iterator[bytes]) -> None:
        """The function's streamed answer: the prelude's status and headers, then the body as it
        comes, one chunk per piece."""
        pending = b""
        try:
            while streaming.DELIMITER not in pending:
                pending += next(pieces)
            prelude, _, rest = pending.partition(streaming.DELIMITER)
            meta = json.loads(prelude)
            self.answers.append((request.command, path, meta["statusCode"]))
            request.send_response(meta["statusCode"])
            for name, value in meta.get("headers", {}).items():
                request.send_header(name, value)
            request.send_header("Transfer-Encoding", "chunked")
            request.end_headers()
            for piece in itertools.chain([rest], pieces):  # each piece as it comes
                if piece:
                    request.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    request.wfile.flush()
            request.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client went away: stop the answer, as the Lambda client does
            pass
        finally:
            pieces.close()  # type: ignore[attr-defined]


def is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False
