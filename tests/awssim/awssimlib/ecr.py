"""ECR for the AWS simulator: repositories, images, lifecycle policies, auth.

ECR is regional and speaks JSON 1.1. Repositories keep AWS's rules: names
by the model's pattern (InvalidParameterException), unique per region
(RepositoryAlreadyExistsException), encryption AES256 or KMS (the
`aws/ecr` key by default), scan on push, tag mutability (an IMMUTABLE tag
cannot move, ImageTagAlreadyExistsException); a repository with images is
deleted only with force (RepositoryNotEmptyException). Images arrive by
PutImage, or, when the simulator is given a real registry
(`--registry-url`, ecr_registry.py), by pushing to it: then the registry is
what DescribeImages, ListImages and BatchDeleteImage read and change, and
GetAuthorizationToken's proxyEndpoint and every repositoryUri point at it.
"""

import base64
import hashlib
import json
import secrets
import urllib.parse

from . import ecr_registry
from .protocol import AwsError
from .svcbase import ServiceState, now

V2 = "application/vnd.docker.distribution.manifest.v2+json"
TOKEN_SECONDS = 12 * 3600


def _err(code, msg):
    return AwsError(code, msg, 400)


def check_lifecycle(text):
    def bad(why):
        return _err("InvalidParameterException",
                    "Invalid parameter at 'LifecyclePolicyText' failed to satisfy "
                    f"constraint: 'Lifecycle policy validation failure: {why}'")
    try:
        doc = json.loads(text)
    except ValueError:
        raise bad("the policy is not valid JSON") from None
    rules = doc.get("rules") if isinstance(doc, dict) else None
    if not isinstance(rules, list) or not rules:
        raise bad('object has missing required properties (["rules"])')
    prios = set()
    for r in rules:
        if not isinstance(r, dict):
            raise bad("a rule must be an object")
        prio = r.get("rulePriority")
        if not isinstance(prio, int) or isinstance(prio, bool) or prio < 1:
            raise bad("rulePriority must be a positive integer")
        if prio in prios:
            raise bad(f"rulePriority {prio} is used by more than one rule")
        prios.add(prio)
        sel = r.get("selection")
        if not isinstance(sel, dict):
            raise bad('object has missing required properties (["selection"])')
        if sel.get("tagStatus") not in ("tagged", "untagged", "any"):
            raise bad("tagStatus must be tagged, untagged or any")
        if sel["tagStatus"] == "tagged" and not (sel.get("tagPrefixList")
                                                 or sel.get("tagPatternList")):
            raise bad("tagPrefixList or tagPatternList is required when tagStatus "
                      "is tagged")
        ctype = sel.get("countType")
        if ctype not in ("imageCountMoreThan", "sinceImagePushed"):
            raise bad("countType must be imageCountMoreThan or sinceImagePushed")
        if ctype == "sinceImagePushed" and sel.get("countUnit") != "days":
            raise bad("countUnit days is required for sinceImagePushed")
        n = sel.get("countNumber")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise bad("countNumber must be a positive integer")
        if not isinstance(r.get("action"), dict) or r["action"].get("type") != "expire":
            raise bad("action type must be expire")


def _tags(tags):
    out = {}
    for t in tags or []:
        if "Key" not in t or "Value" not in t:
            raise _err("InvalidParameterException",
                       "Invalid parameter at 'tags' failed to satisfy constraint: "
                       "'a tag needs a Key and a Value'")
        out[t["Key"]] = t["Value"]
    return out


class Ecr(ServiceState):
    def reset(self):
        self.repos = {}          # (region, name) -> repository

    def dump(self):
        return {"repositories": [dict(self.view_repo(r), Region=r["_region"],
                                      ImageCount=len(r["_images"]),
                                      LifecyclePolicy=r["_lifecycle"])
                                 for r in self.repos.values()],
                "registry": self.opts.registry_url}

    # ------------------------------------------------------------ helpers

    @property
    def registry(self):
        url = self.opts.registry_url
        return ecr_registry.Registry(url, self.opts.registry_password) if url else None

    def uri_host(self, region):
        if self.opts.registry_url:
            return urllib.parse.urlsplit(self.opts.registry_url).netloc
        return f"{self.account}.dkr.ecr.{region}.amazonaws.com"

    def check_registry_id(self, p):
        rid = p.get("registryId")
        if rid is not None and rid != self.account:
            raise _err("InvalidParameterException",
                       f"Invalid parameter at 'registryId' failed to satisfy "
                       f"constraint: 'The registry {rid} is not this account's'")

    def repo(self, ctx, p, reading=True):
        self.check_registry_id(p)
        name = p["repositoryName"]
        r = self.repos.get((ctx.region, name))
        if r is None or self.fresh(r, reading):
            raise _err("RepositoryNotFoundException",
                       f"The repository with name '{name}' does not exist in the "
                       f"registry with id '{self.account}'")
        return r

    def view_repo(self, r):
        return {"repositoryArn": r["_arn"], "registryId": self.account,
                "repositoryName": r["_name"],
                "repositoryUri": f"{self.uri_host(r['_region'])}/{r['_name']}",
                "createdAt": r["_created"], "imageTagMutability": r["_mutability"],
                "imageScanningConfiguration": {"scanOnPush": r["_scan"]},
                "encryptionConfiguration": r["_enc"]}

    def images(self, r):
        """The repository's images by digest, from the registry if there is one."""
        reg = self.registry
        if reg is not None:
            r["_images"] = reg.images(r["_name"], r["_images"])
        return r["_images"]

    def view_image(self, r, digest, im):
        return {"registryId": self.account, "repositoryName": r["_name"],
                "imageDigest": digest, "imageTags": sorted(im["tags"]) or None,
                "imageSizeInBytes": im["size"], "imagePushedAt": im["pushed"],
                "imageManifestMediaType": im["media_type"]}

    @staticmethod
    def find(images, ident):
        """(digest, image) an ImageIdentifier names, or (None, None)."""
        d, t = ident.get("imageDigest"), ident.get("imageTag")
        for digest, im in images.items():
            if (d is None or d == digest) and (t is None or t in im["tags"]):
                return digest, im
        return None, None

    @staticmethod
    def _page(items, p, default=100):
        n = p.get("maxResults", default)
        start = 0
        tok = p.get("nextToken")
        if tok is not None:
            try:
                start = int(base64.b64decode(tok).decode())
            except (ValueError, UnicodeDecodeError):
                raise _err("InvalidParameterException",
                           "Invalid parameter at 'nextToken' failed to satisfy "
                           "constraint: 'the token is not valid'") from None
        end = start + n
        nxt = base64.b64encode(str(end).encode()).decode() if end < len(items) else None
        return items[start:end], nxt

    # ------------------------------------------------------------ repositories

    def op_CreateRepository(self, ctx, p):
        self.check_registry_id(p)
        name = p["repositoryName"]
        if (ctx.region, name) in self.repos:
            raise _err("RepositoryAlreadyExistsException",
                       f"The repository with name '{name}' already exists in the "
                       f"registry with id '{self.account}'")
        enc = dict(p.get("encryptionConfiguration", {"encryptionType": "AES256"}))
        if enc["encryptionType"] == "AES256" and "kmsKey" in enc:
            raise _err("InvalidParameterException",
                       "Invalid parameter at 'encryptionConfiguration' failed to "
                       "satisfy constraint: 'kmsKey can only be given with KMS'")
        if enc["encryptionType"] == "KMS" and "kmsKey" not in enc:
            enc["kmsKey"] = (f"arn:aws:kms:{ctx.region}:{self.account}:key/"
                             f"{secrets.token_hex(16)}")
        tags = _tags(p.get("tags"))
        r = self.new_resource({
            "_name": name, "_region": ctx.region, "_enc": enc,
            "_arn": f"arn:aws:ecr:{ctx.region}:{self.account}:repository/{name}",
            "_mutability": p.get("imageTagMutability", "MUTABLE"),
            "_scan": p.get("imageScanningConfiguration", {}).get("scanOnPush", False),
            "_tags": tags, "_images": {}, "_lifecycle": None})
        self.repos[(ctx.region, name)] = r
        return {"repository": self.view_repo(r)}

    def op_DescribeRepositories(self, ctx, p):
        self.check_registry_id(p)
        names = p.get("repositoryNames")
        if names is not None:
            if "nextToken" in p or "maxResults" in p:
                raise _err("InvalidParameterException",
                           "Invalid parameter at 'repositoryNames' failed to satisfy "
                           "constraint: 'cannot be used with maxResults or nextToken'")
            return {"repositories": [self.view_repo(self.repo(ctx, {"repositoryName": n}))
                                     for n in names]}
        items = sorted((r for (reg, _), r in self.repos.items()
                        if reg == ctx.region and not self.fresh(r, True)),
                       key=lambda r: r["_name"])
        got, nxt = self._page(items, p)
        return {"repositories": [self.view_repo(r) for r in got], "nextToken": nxt}

    def op_DeleteRepository(self, ctx, p):
        r = self.repo(ctx, p, reading=False)
        images = self.images(r)
        if images and not p.get("force"):
            raise _err("RepositoryNotEmptyException",
                       f"The repository with name '{r['_name']}' in registry with id "
                       f"'{self.account}' cannot be deleted because it still contains "
                       f"images")
        reg = self.registry
        if reg is not None:
            for digest in list(images):
                reg.delete(r["_name"], digest)
        del self.repos[(ctx.region, r["_name"])]
        return {"repository": self.view_repo(r)}

    def op_PutImageScanningConfiguration(self, ctx, p):
        r = self.repo(ctx, p, reading=False)
        r["_scan"] = p["imageScanningConfiguration"].get("scanOnPush", False)
        return {"registryId": self.account, "repositoryName": r["_name"],
                "imageScanningConfiguration": {"scanOnPush": r["_scan"]}}

    def op_PutImageTagMutability(self, ctx, p):
        r = self.repo(ctx, p, reading=False)
        r["_mutability"] = p["imageTagMutability"]
        return {"registryId": self.account, "repositoryName": r["_name"],
                "imageTagMutability": r["_mutability"]}

    # ------------------------------------------------------------ lifecycle

    def op_PutLifecyclePolicy(self, ctx, p):
        r = self.repo(ctx, p, reading=False)
        check_lifecycle(p["lifecyclePolicyText"])
        r["_lifecycle"] = p["lifecyclePolicyText"]
        return {"registryId": self.account, "repositoryName": r["_name"],
                "lifecyclePolicyText": r["_lifecycle"]}

    def op_GetLifecyclePolicy(self, ctx, p):
        r = self.repo(ctx, p)
        if r["_lifecycle"] is None:
            raise _err("LifecyclePolicyNotFoundException",
                       f"Lifecycle policy does not exist for the repository with name "
                       f"'{r['_name']}' in the registry with id '{self.account}'")
        return {"registryId": self.account, "repositoryName": r["_name"],
                "lifecyclePolicyText": r["_lifecycle"]}

    def op_DeleteLifecyclePolicy(self, ctx, p):
        out = self.op_GetLifecyclePolicy(ctx, p)
        self.repo(ctx, p, reading=False)["_lifecycle"] = None
        return out

    # ------------------------------------------------------------ images

    def op_PutImage(self, ctx, p):
        r = self.repo(ctx, p, reading=False)
        if self.registry is not None:
            raise _err("UnsupportedImageTypeException",
                       "This simulator's images live in the registry: push there")
        manifest = p["imageManifest"]
        try:
            doc = json.loads(manifest)
        except ValueError:
            raise _err("InvalidParameterException",
                       "Invalid parameter at 'imageManifest' failed to satisfy "
                       "constraint: 'Invalid JSON syntax'") from None
        media = p.get("imageManifestMediaType") or doc.get("mediaType") or V2
        digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
        if p.get("imageDigest") not in (None, digest):
            raise _err("ImageDigestDoesNotMatchException",
                       f"Provided digest {p['imageDigest']} does not match the "
                       f"digest of the manifest {digest}")
        tag = p.get("imageTag")
        images = r["_images"]
        if tag is not None:
            holder, _ = self.find(images, {"imageTag": tag})
            if holder == digest:
                raise _err("ImageAlreadyExistsException",
                           f"Image with digest '{digest}' and tag '{tag}' already "
                           f"exists in the repository with name '{r['_name']}' in "
                           f"registry with id '{self.account}'")
            if holder is not None:
                if r["_mutability"] == "IMMUTABLE":
                    raise _err("ImageTagAlreadyExistsException",
                               f"The image tag '{tag}' already exists in the "
                               f"'{r['_name']}' repository and cannot be overwritten "
                               f"because the repository is immutable.")
                images[holder]["tags"].discard(tag)
        size = sum(int(x.get("size", 0)) for x in
                   [doc.get("config", {})] + list(doc.get("layers", [])))
        im = images.setdefault(digest, {"tags": set(), "size": size, "pushed": now(),
                                        "media_type": media, "manifest": manifest})
        if tag is not None:
            im["tags"].add(tag)
        return {"image": {"registryId": self.account, "repositoryName": r["_name"],
                          "imageId": {"imageDigest": digest, "imageTag": tag},
                          "imageManifest": manifest, "imageManifestMediaType": media}}

    def _selected(self, r, p):
        images = self.images(r)
        status = p.get("filter", {}).get("tagStatus", "ANY")
        out = [(d, im) for d, im in sorted(images.items(), key=lambda kv: kv[1]["pushed"])
               if status == "ANY" or (status == "TAGGED") == bool(im["tags"])]
        return images, out

    def op_DescribeImages(self, ctx, p):
        r = self.repo(ctx, p)
        images, items = self._selected(r, p)
        if "imageIds" in p:
            out = []
            for ident in p["imageIds"]:
                d, im = self.find(images, ident)
                if d is None:
                    raise _err("ImageNotFoundException",
                               f"The image with imageId {{imageDigest:"
                               f"'{ident.get('imageDigest', 'null')}', imageTag:"
                               f"'{ident.get('imageTag', 'null')}'}} does not exist "
                               f"within the repository with name '{r['_name']}' in "
                               f"the registry with id '{self.account}'")
                out.append(self.view_image(r, d, im))
            return {"imageDetails": out}
        got, nxt = self._page(items, p)
        return {"imageDetails": [self.view_image(r, d, im) for d, im in got],
                "nextToken": nxt}

    def op_ListImages(self, ctx, p):
        r = self.repo(ctx, p)
        _, items = self._selected(r, p)
        ids = [{"imageDigest": d, "imageTag": t} for d, im in items
               for t in (sorted(im["tags"]) or [None])]
        got, nxt = self._page(ids, p)
        return {"imageIds": got, "nextToken": nxt}

    def op_BatchGetImage(self, ctx, p):
        r = self.repo(ctx, p)
        images = self.images(r)
        found, failures = [], []
        for ident in p["imageIds"]:
            d, im = self.find(images, ident)
            if d is None:
                failures.append({"imageId": ident, "failureCode": "ImageNotFound",
                                 "failureReason": "Requested image not found"})
                continue
            found.append({"registryId": self.account, "repositoryName": r["_name"],
                          "imageId": dict(ident, imageDigest=d),
                          "imageManifest": im.get("manifest"),
                          "imageManifestMediaType": im["media_type"]})
        return {"images": found, "failures": failures}

    def op_BatchDeleteImage(self, ctx, p):
        r = self.repo(ctx, p, reading=False)
        images = self.images(r)
        deleted, failures = [], []
        reg = self.registry
        for ident in p["imageIds"]:
            if not ident.get("imageDigest") and not ident.get("imageTag"):
                failures.append({"imageId": ident, "failureCode": "MissingDigestAndTag",
                                 "failureReason": "Invalid request parameters: both "
                                                  "tag and digest cannot be null"})
                continue
            d, im = self.find(images, ident)
            if d is None:
                failures.append({"imageId": ident, "failureCode": "ImageNotFound",
                                 "failureReason": "Requested image not found"})
                continue
            tag = ident.get("imageTag")
            if tag is not None and "imageDigest" not in ident and len(im["tags"]) > 1 \
                    and reg is None:
                im["tags"].discard(tag)       # the image stays under its other tags
            else:
                if reg is not None:
                    reg.delete(r["_name"], d)
                del images[d]
            deleted.append(dict(ident, imageDigest=d))
        return {"imageIds": deleted, "failures": failures}

    # ------------------------------------------------------------ auth, tags

    def op_GetAuthorizationToken(self, ctx, p):
        for rid in p.get("registryIds", []):
            if rid != self.account:
                raise _err("InvalidParameterException",
                           f"Invalid parameter at 'registryIds' failed to satisfy "
                           f"constraint: 'The registry {rid} is not this account's'")
        password = self.opts.registry_password or secrets.token_urlsafe(32)
        token = base64.b64encode(f"AWS:{password}".encode()).decode()
        endpoint = self.opts.registry_url or \
            f"https://{self.account}.dkr.ecr.{ctx.region}.amazonaws.com"
        return {"authorizationData": [{"authorizationToken": token,
                                       "expiresAt": now() + TOKEN_SECONDS,
                                       "proxyEndpoint": endpoint.rstrip("/")}]}

    def _by_arn(self, ctx, arn):
        for r in self.repos.values():
            if r["_arn"] == arn and not self.fresh(r, False):
                return r
        raise _err("RepositoryNotFoundException",
                   f"The repository with arn '{arn}' does not exist")

    def op_TagResource(self, ctx, p):
        r = self._by_arn(ctx, p["resourceArn"])
        tags = dict(r["_tags"], **_tags(p["tags"]))
        if len(tags) > 50:
            raise _err("TooManyTagsException", "A repository can have 50 tags at most")
        r["_tags"] = tags
        return {}

    def op_UntagResource(self, ctx, p):
        r = self._by_arn(ctx, p["resourceArn"])
        for k in p["tagKeys"]:
            r["_tags"].pop(k, None)
        return {}

    def op_ListTagsForResource(self, ctx, p):
        r = self._by_arn(ctx, p["resourceArn"])
        return {"tags": [{"Key": k, "Value": v} for k, v in r["_tags"].items()]}
