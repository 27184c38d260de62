"""Debian's aws CLI, unchanged, against each service beside EC2."""

import json
import shutil
import subprocess
import tempfile

from simclient import KEY, SECRET, SimTest

AWS = "/usr/bin/aws"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})


class CliServicesTest(SimTest):
    SIM_ARGS = ("--route53-sync-seconds", "0.2")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.home = tempfile.mkdtemp(prefix="awssim-cli-home-")
        cls.env = {
            "PATH": "/usr/bin:/bin", "HOME": cls.home,
            "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_DEFAULT_REGION": "us-east-2", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1",
        }

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.home, ignore_errors=True)
        super().tearDownClass()

    def aws(self, *args, ok=True):
        cmd = [AWS, "--endpoint-url", self.sim.endpoint, "--output", "json", *args]
        r = subprocess.run(cmd, env=self.env, capture_output=True, text=True,
                           timeout=120, stdin=subprocess.DEVNULL)
        if not ok:
            return r
        if r.returncode != 0:
            raise AssertionError(f"{' '.join(args)}: {r.returncode} {r.stderr}")
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def test_iam(self):
        role = self.aws("iam", "create-role", "--role-name", "cli",
                        "--assume-role-policy-document", TRUST)["Role"]
        self.assertEqual(role["Arn"], "arn:aws:iam::123456789012:role/cli")
        # the CLI decodes the URL-encoded policy as boto3 does
        self.assertEqual(role["AssumeRolePolicyDocument"], json.loads(TRUST))
        r = self.aws("iam", "delete-role", "--role-name", "nobody", ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("NoSuchEntity", r.stderr)

    def test_route53(self):
        z = self.aws("route53", "create-hosted-zone", "--name", "cli.example.com",
                     "--caller-reference", "cli-1")["HostedZone"]
        batch = json.dumps({"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": "www.cli.example.com", "Type": "A", "TTL": 60,
            "ResourceRecords": [{"Value": "127.0.0.9"}]}}]})
        ch = self.aws("route53", "change-resource-record-sets", "--hosted-zone-id",
                      z["Id"], "--change-batch", batch)["ChangeInfo"]
        self.assertEqual(ch["Status"], "PENDING")
        sets = self.sim.client("route53").list_resource_record_sets(
            HostedZoneId=z["Id"])["ResourceRecordSets"]
        self.assertIn("www.cli.example.com.", [s["Name"] for s in sets])

    def test_ecr(self):
        repo = self.aws("ecr", "create-repository", "--repository-name", "cli/web",
                        "--image-scanning-configuration", "scanOnPush=true")["repository"]
        self.assertTrue(repo["imageScanningConfiguration"]["scanOnPush"])
        # what `docker login` is given: the password of user AWS
        pw = subprocess.run([AWS, "--endpoint-url", self.sim.endpoint, "ecr",
                             "get-login-password"], env=self.env, capture_output=True,
                            text=True, timeout=120, check=True).stdout.strip()
        self.assertGreater(len(pw), 20)

    def test_elbv2(self):
        r = self.aws("elbv2", "describe-load-balancers", "--names", "none", ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("LoadBalancerNotFound", r.stderr)

    def test_secretsmanager(self):
        self.aws("secretsmanager", "create-secret", "--name", "cli/db",
                 "--secret-string", "pw")
        got = self.aws("secretsmanager", "get-secret-value", "--secret-id", "cli/db")
        self.assertEqual(got["SecretString"], "pw")
