"""A real Docker registry (distribution, Debian's docker-registry) behind ECR.

With `--registry-url http://127.0.0.1:PORT` the simulated ECR's images are
the registry's: tags and manifests are read over the registry's HTTP API
(v2) when DescribeImages, ListImages, BatchGetImage, BatchDeleteImage or
DeleteRepository need them, and deleting an image deletes its manifest
(the registry needs `storage: delete: enabled: true`). With
`--registry-password P` the simulator authenticates as `AWS:P`, the basic
credentials GetAuthorizationToken hands out, so an htpasswd file with that
one user makes the registry accept exactly ECR's token.
"""

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from .protocol import AwsError

ACCEPT = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
])


class Registry:
    def __init__(self, url, password=None):
        self.url = url.rstrip("/")
        self.password = password

    def _call(self, method, path, accept=None):
        req = urllib.request.Request(self.url + path, method=method)
        if accept:
            req.add_header("Accept", accept)
        if self.password:
            cred = base64.b64encode(f"AWS:{self.password}".encode()).decode()
            req.add_header("Authorization", "Basic " + cred)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()
        except OSError as e:
            raise AwsError("ServerException", f"The registry at {self.url} did not "
                                              f"answer: {e}", 500, sender=False) from None

    def images(self, name, known):
        """{digest: image} for the repository, keeping known push times."""
        q = urllib.parse.quote(name, safe="/")
        status, _, body = self._call("GET", f"/v2/{q}/tags/list")
        if status == 404:
            return {}
        if status != 200:
            raise AwsError("ServerException", f"The registry answered {status} for "
                                              f"the tags of {name}", 500, sender=False)
        out = {}
        for tag in json.loads(body).get("tags") or []:
            st, headers, manifest = self._call("GET", f"/v2/{q}/manifests/{tag}", ACCEPT)
            if st != 200:
                continue
            digest = {k.lower(): v for k, v in headers.items()}.get("docker-content-digest")
            doc = json.loads(manifest)
            media = doc.get("mediaType") or headers.get("Content-Type")
            size = sum(int(x.get("size", 0)) for x in
                       [doc.get("config", {})] + list(doc.get("layers", [])))
            im = out.get(digest)
            if im is None:
                old = known.get(digest, {})
                im = out[digest] = {"tags": set(), "size": size, "media_type": media,
                                    "pushed": old.get("pushed", time.time()),
                                    "manifest": manifest.decode()}
            im["tags"].add(tag)
        return out

    def delete(self, name, digest):
        q = urllib.parse.quote(name, safe="/")
        status, _, body = self._call("DELETE", f"/v2/{q}/manifests/{digest}")
        if status not in (202, 404):
            raise AwsError("ServerException", f"The registry refused to delete "
                                              f"{name}@{digest}: {status} {body[:200]!r}",
                           500, sender=False)
