"""SQS and SNS on one loopback HTTP endpoint in the harness process.

One port serves both (as one AWS account would see them), because SNS fans out into the SQS
model in-process. Requests are told apart as AWS's SDKs send them: SQS's JSON protocol by
``X-Amz-Target: AmazonSQS.<Op>``; form-encoded query requests by the service in the signature's
credential scope (``.../sqs/aws4_request`` is refused with a reason), SNS otherwise.
"""
from __future__ import annotations

from harness.emulators import query
from harness.emulators.http import LoopbackHttpServer, Response
from harness.emulators.ids import new_id
from harness.emulators.sns.models import SnsModel
from harness.emulators.sns.responses import SnsApi
from harness.emulators.sqs.exceptions import SerializationException
from harness.emulators.sqs.models import SqsModel
from harness.emulators.sqs.responses import CONTENT_TYPE as SQS_CONTENT_TYPE
from harness.emulators.sqs.responses import SqsApi, error


class MessagingServer:
    """The SQS and SNS models and their endpoint; ``url`` once started."""

    def __init__(self, region: str = "us-east-1", account_id: str = "123456789012", port: int = 0) -> None:
        self.region = region
        self.account_id = account_id
        self.sqs = SqsModel(region, account_id)
        self.sns = SnsModel(self.sqs, region, account_id)
        self.sqs_api = SqsApi(self.sqs)
        self.sns_api = SnsApi(self.sns)
        self._http = LoopbackHttpServer(self.route, self.reject, "messaging-endpoint", port)
        self.url = ""

    def start(self) -> MessagingServer:
        self.url = self._http.start().url
        self.sqs.url_base = self.url
        return self

    def reset(self) -> None:
        """Forget every queue, message, topic and subscription (per-test isolation)."""
        self.sns.reset()
        self.sqs.reset()

    def stop(self) -> None:
        self._http.stop(before_close=self.sqs.reset)  # reset wakes long polls, so their connections end

    def route(self, headers: dict[bytes, bytes], body: bytes) -> Response:
        """(status, content type, extra headers, body) for one request."""
        target = headers.get(b"x-amz-target")
        if target is not None:
            status, extra, data = self.sqs_api.handle(target.decode("latin-1"), body)
            return status, SQS_CONTENT_TYPE, extra, data
        if b"/sqs/aws4_request" in headers.get(b"authorization", b""):
            data = query.render_error("sns", "InvalidAction", "This SQS endpoint speaks SQS's JSON protocol "
                                      "(X-Amz-Target: AmazonSQS.<Action>, as boto3 >= 1.34 and AWS CLI v2 send it); "
                                      "the query protocol is not served", True, new_id())
            return 400, "text/xml", {}, data
        status, data = self.sns_api.handle(body)
        return status, "text/xml", {}, data

    def reject(self, reason: str) -> Response:
        """A request that cannot be read: answered in the JSON protocol the SDKs speak to SQS."""
        status, extra, data = error(SerializationException(reason))
        return status, SQS_CONTENT_TYPE, extra, data


__all__ = ["MessagingServer"]
