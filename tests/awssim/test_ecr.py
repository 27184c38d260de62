"""ECR (JSON 1.1) through boto3, alone and in front of a real registry."""

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from simclient import Sim, SimTest

REGISTRY = "/usr/bin/docker-registry"
HTPASSWD = "/usr/bin/htpasswd"
V2 = "application/vnd.docker.distribution.manifest.v2+json"
POLICY = json.dumps({"rules": [{
    "rulePriority": 1, "description": "keep ten",
    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
    "action": {"type": "expire"}}]})


def manifest(layer=b"layer", config=b"{}"):
    def d(b):
        return "sha256:" + hashlib.sha256(b).hexdigest()
    return json.dumps({"schemaVersion": 2, "mediaType": V2,
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                  "size": len(config), "digest": d(config)},
                       "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                                   "size": len(layer), "digest": d(layer)}]})


class EcrTest(SimTest):
    def setUp(self):
        super().setUp()
        self.ecr = self.sim.client("ecr")

    def test_repository_life_cycle(self):
        ecr = self.ecr
        repo = ecr.create_repository(
            repositoryName="craft/web", imageTagMutability="IMMUTABLE",
            imageScanningConfiguration={"scanOnPush": True},
            encryptionConfiguration={"encryptionType": "KMS"},
            tags=[{"Key": "craftctl:stack", "Value": "s"}])["repository"]
        self.assertEqual(repo["repositoryUri"],
                         "123456789012.dkr.ecr.us-east-2.amazonaws.com/craft/web")
        self.assertTrue(repo["encryptionConfiguration"]["kmsKey"].startswith(
            "arn:aws:kms:us-east-2:123456789012:key/"))
        self.assertTrue(repo["imageScanningConfiguration"]["scanOnPush"])
        got = ecr.describe_repositories(repositoryNames=["craft/web"])["repositories"][0]
        self.assertEqual(got["repositoryArn"], repo["repositoryArn"])
        self.assertEqual(ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"],
                         [{"Key": "craftctl:stack", "Value": "s"}])
        # regional: another region has no such repository
        self.refused("RepositoryNotFoundException",
                     self.sim.client("ecr", region="eu-west-1").describe_repositories,
                     repositoryNames=["craft/web"])

        ecr.put_lifecycle_policy(repositoryName="craft/web", lifecyclePolicyText=POLICY)
        self.assertEqual(ecr.get_lifecycle_policy(repositoryName="craft/web")
                         ["lifecyclePolicyText"], POLICY)

        m1, m2 = manifest(b"one"), manifest(b"two")
        img = ecr.put_image(repositoryName="craft/web", imageManifest=m1, imageTag="v1")
        d1 = img["image"]["imageId"]["imageDigest"]
        self.assertEqual(d1, "sha256:" + hashlib.sha256(m1.encode()).hexdigest())
        self.refused("ImageAlreadyExistsException", ecr.put_image,
                     repositoryName="craft/web", imageManifest=m1, imageTag="v1")
        self.refused("ImageTagAlreadyExistsException", ecr.put_image,
                     repositoryName="craft/web", imageManifest=m2, imageTag="v1")
        ecr.put_image(repositoryName="craft/web", imageManifest=m2, imageTag="v2")
        details = ecr.describe_images(repositoryName="craft/web")["imageDetails"]
        self.assertEqual([d["imageTags"] for d in details], [["v1"], ["v2"]])
        self.assertEqual(details[0]["imageSizeInBytes"], 2 + 3)
        self.refused("ImageNotFoundException", ecr.describe_images,
                     repositoryName="craft/web", imageIds=[{"imageTag": "v9"}])

        e = self.refused("RepositoryNotEmptyException", ecr.delete_repository,
                         repositoryName="craft/web", status=400)
        self.assertIn("still contains images", e["Message"])
        out = ecr.batch_delete_image(repositoryName="craft/web",
                                     imageIds=[{"imageTag": "v1"}, {"imageTag": "v9"}])
        self.assertEqual(out["imageIds"], [{"imageTag": "v1", "imageDigest": d1}])
        self.assertEqual(out["failures"][0]["failureCode"], "ImageNotFound")
        ecr.delete_repository(repositoryName="craft/web", force=True)
        self.refused("RepositoryNotFoundException", ecr.describe_repositories,
                     repositoryNames=["craft/web"])

    def test_refusals(self):
        ecr = self.ecr
        ecr.create_repository(repositoryName="r1")
        self.refused("RepositoryAlreadyExistsException", ecr.create_repository,
                     repositoryName="r1", status=400)
        # the model's pattern: ECR's InvalidParameterException
        e = self.refused("InvalidParameterException", ecr.create_repository,
                         repositoryName="Upper Case")
        self.assertIn("repositoryName", e["Message"])
        raw = self.sim.client("ecr", validate=False)
        self.refused("ValidationException", raw.create_repository)
        self.refused("InvalidParameterException", ecr.create_repository,
                     repositoryName="r2", encryptionConfiguration={
                         "encryptionType": "AES256", "kmsKey": "arn:aws:kms:x"})
        self.refused("LifecyclePolicyNotFoundException", ecr.get_lifecycle_policy,
                     repositoryName="r1")
        bad = json.loads(POLICY)
        bad["rules"][0]["selection"]["tagStatus"] = "tagged"
        e = self.refused("InvalidParameterException", ecr.put_lifecycle_policy,
                         repositoryName="r1", lifecyclePolicyText=json.dumps(bad))
        self.assertIn("Lifecycle policy validation failure", e["Message"])
        self.refused("RepositoryNotFoundException", ecr.put_lifecycle_policy,
                     repositoryName="nope", lifecyclePolicyText=POLICY)
        self.refused("RepositoryNotFoundException", ecr.delete_repository,
                     repositoryName="nope")

    def test_auth_token_without_registry(self):
        data = self.ecr.get_authorization_token()["authorizationData"][0]
        user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
        self.assertEqual(user, "AWS")
        self.assertGreater(len(password), 20)
        self.assertEqual(data["proxyEndpoint"],
                         "https://123456789012.dkr.ecr.us-east-2.amazonaws.com")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RegistryTest(SimTest):
    """Debian's docker-registry with htpasswd auth: ECR's token is what it accepts."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="awssim-registry-")
        cls.password = "s3cret-registry-password"
        subprocess.run([HTPASSWD, "-Bbc", os.path.join(cls.tmp, "htpasswd"), "AWS",
                        cls.password], check=True, capture_output=True)
        port = free_port()
        cls.url = f"http://127.0.0.1:{port}"
        conf = os.path.join(cls.tmp, "config.yml")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                    f"    rootdirectory: {cls.tmp}/data\n  delete:\n    enabled: true\n"
                    f"http:\n  addr: 127.0.0.1:{port}\nauth:\n  htpasswd:\n"
                    f"    realm: awssim\n    path: {cls.tmp}/htpasswd\n")
        cls.reg = subprocess.Popen([REGISTRY, "serve", conf], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or cls.reg.poll() is not None:
                    cls.tearDownClass()
                    raise RuntimeError("docker-registry did not start")
                time.sleep(0.05)
        cls.sim = Sim("--registry-url", cls.url, "--registry-password", cls.password)

    @classmethod
    def tearDownClass(cls):
        if cls.sim is not None:
            cls.sim.stop()
        cls.reg.terminate()
        try:
            cls.reg.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.reg.kill()
            cls.reg.wait()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def push(self, auth, name, tag, layer):
        """Push one image as docker does: blobs, then the manifest."""
        def call(method, path, data=None, ctype=None):
            req = urllib.request.Request(self.url + path, data=data, method=method)
            req.add_header("Authorization", "Basic " + auth)
            if ctype:
                req.add_header("Content-Type", ctype)
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers
        for blob in (b"{}", layer):
            _, h = call("POST", f"/v2/{name}/blobs/uploads/")
            loc = h["Location"]
            loc = loc if loc.startswith("/") else loc[len(self.url):]
            sep = "&" if "?" in loc else "?"
            digest = "sha256:" + hashlib.sha256(blob).hexdigest()
            call("PUT", f"{loc}{sep}digest={digest}", blob, "application/octet-stream")
        call("PUT", f"/v2/{name}/manifests/{tag}", manifest(layer).encode(), V2)

    def test_token_push_describe_delete(self):
        ecr = self.sim.client("ecr")
        repo = ecr.create_repository(repositoryName="craft/web")["repository"]
        self.assertEqual(repo["repositoryUri"], self.url[len("http://"):] + "/craft/web")
        data = ecr.get_authorization_token()["authorizationData"][0]
        self.assertEqual(data["proxyEndpoint"], self.url)
        # the registry refuses anyone else and accepts ECR's token
        bad = base64.b64encode(b"AWS:wrong").decode()
        with self.assertRaises(urllib.error.HTTPError) as cm:
            self.push(bad, "craft/web", "v1", b"x")
        self.assertEqual(cm.exception.code, 401)
        self.push(data["authorizationToken"], "craft/web", "v1", b"layer one")
        self.push(data["authorizationToken"], "craft/web", "v2", b"layer two")
        details = ecr.describe_images(repositoryName="craft/web")["imageDetails"]
        self.assertEqual(sorted(t for d in details for t in d["imageTags"]), ["v1", "v2"])
        self.refused("RepositoryNotEmptyException", ecr.delete_repository,
                     repositoryName="craft/web")
        out = ecr.batch_delete_image(repositoryName="craft/web", imageIds=[{"imageTag": "v1"}])
        self.assertEqual(out["failures"], [])
        left = ecr.list_images(repositoryName="craft/web")["imageIds"]
        self.assertEqual([i["imageTag"] for i in left], ["v2"])
        ecr.delete_repository(repositoryName="craft/web", force=True)
        # force deleted the registry's manifests too
        ecr.create_repository(repositoryName="craft/web")
        self.assertEqual(ecr.list_images(repositoryName="craft/web")["imageIds"], [])
