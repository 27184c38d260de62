#!/usr/bin/python3
"""The canonical request botocore signs for one call, without its header
values (host and date differ between two clients):

    canonical.py SERVICE OPERATION JSON-PARAMS

prints method, URI, query, signed header names, payload hash, one a line,
for a boto3 client of SERVICE in us-east-2 with a session token, sending to
http://127.0.0.1:1 (nothing is sent: the request is caught before). Used by
test-api.sh to hold craftctl's -vv trace against it."""
import json
import sys

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


class Caught(Exception):
    pass


def text(v):
    return v.decode() if isinstance(v, bytes) else v


def main():
    service, op, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    client = boto3.client(service, region_name="us-east-2", endpoint_url="http://127.0.0.1:1",
                          aws_access_key_id="AKID", aws_secret_access_key="secret",
                          aws_session_token="token")
    out = {}

    def catch(request, **_):
        auth = text(request.headers["Authorization"])
        signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
        date = text(request.headers["X-Amz-Date"])
        headers = {h: text(request.headers[h]) for h in signed if h != "host"}
        req = AWSRequest(method=request.method, url=request.url, data=request.body,
                         headers=headers)
        req.context["timestamp"] = date
        signer = SigV4Auth(Credentials("AKID", "secret", "token"), service, "us-east-2")
        out["canonical"] = signer.canonical_request(req)
        raise Caught()

    client.meta.events.register("before-send", catch)
    name = client.meta.method_to_api_mapping
    method = {v: k for k, v in name.items()}[op]
    try:
        getattr(client, method)(**params)
    except Caught:
        pass
    lines = out["canonical"].split("\n")
    blank = lines.index("", 3)
    print("\n".join(lines[:3] + lines[blank + 1:]))


if __name__ == "__main__":
    main()
