"""--ssh-instances: a real sshd per instance, host keys from the console."""

import base64
import getpass
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

from simclient import Sim, SimTest


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(addr, port):
    try:
        with socket.create_connection((addr, port), timeout=0.5):
            return True
    except OSError:
        return False


SSH_PORT = free_port()
EIC_PORT = free_port()


class SshInstanceTest(SimTest):
    SIM_ARGS = ("--boot-seconds", "0.5", "--terminate-seconds", "0.5",
                "--ssh-instances", "--ssh-port", str(SSH_PORT))

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="awssim-ssh-")
        self.key = os.path.join(self.tmp, "id")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.key],
                       check=True)
        with open(self.key + ".pub", "rb") as f:
            self.ok("ImportKeyPair", KeyName="deploy", PublicKeyMaterial=f.read())
        vpc = self.vpc()
        igw = self.ok("CreateInternetGateway")["InternetGateway"]["InternetGatewayId"]
        self.ok("AttachInternetGateway", InternetGatewayId=igw, VpcId=vpc)
        self.sub = self.subnet(vpc)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ssh(self, ip, known_hosts, key=None, cmd="echo hello-from-$(hostname -s); id -un"):
        return subprocess.run(
            ["ssh", "-p", str(SSH_PORT), "-i", key or self.key, "-F", "/dev/null",
             "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
             "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts}",
             "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
             f"{getpass.getuser()}@{ip}", cmd],
            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)

    def console(self, iid):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            out = self.ok("GetConsoleOutput", InstanceId=iid).get("Output")
            if out:
                return base64.b64decode(out).decode()
            time.sleep(0.1)
        self.fail("no console output")

    def wait_listening(self, ip):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if accepts(ip, SSH_PORT):
                return
            time.sleep(0.05)
        self.fail(f"no sshd on {ip}:{SSH_PORT}: {self.sim.read_log()}")

    def known_hosts_from_console(self, text, ip):
        keys = re.search(r"-----BEGIN SSH HOST KEY KEYS-----\r?\n(.*?)"
                         r"-----END SSH HOST KEY KEYS-----", text, re.S).group(1)
        path = os.path.join(self.tmp, f"known_hosts_{ip}")
        with open(path, "w", encoding="ascii") as f:
            for line in keys.strip().splitlines():
                kind, blob = line.split()[:2]
                f.write(f"[{ip}]:{SSH_PORT} {kind} {blob}\n")
        return path

    def test_ssh_into_instance_and_verify_host_key(self):
        iid = self.launch(self.sub, KeyName="deploy")
        inst = self.sim.wait_state(iid, "running")
        ip = inst["PublicIpAddress"]
        self.assertTrue(ip.startswith("127.0."))
        text = self.console(iid)
        fps = set(re.findall(r"^<14>.* cloud-init: \d+ (SHA256:\S+) root@\S+ \(\w+\)\r?$",
                             text, re.M))
        self.assertEqual(len(fps), 3, text)
        self.wait_listening(ip)
        # the key the server actually presents is one the console printed
        scan = subprocess.run(["ssh-keyscan", "-p", str(SSH_PORT), "-T", "5", ip],
                              capture_output=True, text=True, timeout=30)
        scanned = os.path.join(self.tmp, "scanned")
        with open(scanned, "w", encoding="ascii") as f:
            f.write(scan.stdout)
        served = set(re.findall(r"(SHA256:\S+)", subprocess.run(
            ["ssh-keygen", "-l", "-f", scanned], capture_output=True, text=True).stdout))
        self.assertTrue(served)
        self.assertLessEqual(served, fps)
        kh = self.known_hosts_from_console(text, ip)
        r = self.ssh(ip, kh)
        self.assertEqual(r.returncode, 0, r.stderr + self.sim.read_log())
        self.assertIn("hello-from-", r.stdout)
        self.assertIn(getpass.getuser(), r.stdout)
        # a host key that is not the console's is refused by the client
        bogus = os.path.join(self.tmp, "bogus")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", bogus], check=True)
        with open(bogus + ".pub", encoding="ascii") as f:
            kind, blob = f.read().split()[:2]
        wrong_kh = os.path.join(self.tmp, "wrong_kh")
        with open(wrong_kh, "w", encoding="ascii") as f:
            for k in ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"):
                f.write(f"[{ip}]:{SSH_PORT} {kind} {blob}\n" if k == kind else "")
        r = self.ssh(ip, wrong_kh)
        self.assertNotEqual(r.returncode, 0)
        # another user key is not authorised
        r = self.ssh(ip, kh, key=bogus)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Permission denied", r.stderr)
        # terminating stops the sshd
        self.ok("TerminateInstances", InstanceIds=[iid])
        self.sim.wait_state(iid, "terminated")
        deadline = time.monotonic() + 10
        while accepts(ip, SSH_PORT) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(accepts(ip, SSH_PORT))

    def test_elastic_ip_reaches_the_same_sshd_keys(self):
        iid = self.launch(self.sub, KeyName="deploy")
        inst = self.sim.wait_state(iid, "running")
        text = self.console(iid)
        eip = self.ok("AllocateAddress", Domain="vpc")
        assoc = self.ok("AssociateAddress", AllocationId=eip["AllocationId"],
                        InstanceId=iid)["AssociationId"]
        got = self.ok("DescribeInstances", InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        self.assertEqual(got["PublicIpAddress"], eip["PublicIp"])
        self.wait_listening(eip["PublicIp"])
        kh = self.known_hosts_from_console(text, eip["PublicIp"])
        r = self.ssh(eip["PublicIp"], kh)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.ok("DisassociateAddress", AssociationId=assoc)
        deadline = time.monotonic() + 10
        while accepts(eip["PublicIp"], SSH_PORT) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(accepts(eip["PublicIp"], SSH_PORT))
        self.assertTrue(inst["PublicIpAddress"])

    def test_stop_start_keeps_host_keys(self):
        iid = self.launch(self.sub, KeyName="deploy")
        ip1 = self.sim.wait_state(iid, "running")["PublicIpAddress"]
        text1 = self.console(iid)
        self.wait_listening(ip1)
        self.ok("StopInstances", InstanceIds=[iid])
        self.sim.wait_state(iid, "stopped")
        deadline = time.monotonic() + 10
        while accepts(ip1, SSH_PORT) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(accepts(ip1, SSH_PORT))
        self.ok("StartInstances", InstanceIds=[iid])
        ip2 = self.sim.wait_state(iid, "running")["PublicIpAddress"]
        self.assertNotEqual(ip1, ip2)
        self.wait_listening(ip2)
        keys = re.compile(r"-----BEGIN SSH HOST KEY KEYS-----.*?-----END SSH HOST KEY KEYS-----", re.S)
        self.assertEqual(keys.search(text1).group(0), keys.search(self.console(iid)).group(0))
        r = self.ssh(ip2, self.known_hosts_from_console(text1, ip2))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_attached_volume_is_a_directory_on_the_host(self):
        iid = self.launch(self.sub, KeyName="deploy")
        inst = self.sim.wait_state(iid, "running")
        ip = inst["PublicIpAddress"]
        vid = self.ok("CreateVolume", AvailabilityZone="us-east-2a", Size=1)["VolumeId"]
        deadline = time.monotonic() + 10
        while self.ok("DescribeVolumes", VolumeIds=[vid])["Volumes"][0]["State"] != "available":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        self.ok("AttachVolume", VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
        while self.ok("DescribeVolumes", VolumeIds=[vid])["Volumes"][0][
                "Attachments"][0]["State"] != "attached":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        kh = self.known_hosts_from_console(self.console(iid), ip)
        self.wait_listening(ip)
        # a session finds the devices in $AWSSIM_DEVICE_DIR; what it writes
        # at sdf is in the volume's directory
        r = self.ssh(ip, kh, cmd='echo "$AWSSIM_DEVICE_DIR"; '
                                 'echo planted > "$AWSSIM_DEVICE_DIR/sdf/file"; ls "$AWSSIM_DEVICE_DIR"')
        self.assertEqual(r.returncode, 0, r.stderr + self.sim.read_log())
        dev_dir, *names = r.stdout.split()
        self.assertEqual(sorted(names), ["sda1", "sdf"])
        _, state = self.sim.control("GET", "state")
        data = next(v["DataDir"] for v in state["us-east-2"]["volumes"] if v["VolumeId"] == vid)
        inst_dir = next(i["DeviceDir"] for i in state["us-east-2"]["instances"]
                        if i["InstanceId"] == iid)
        self.assertEqual(dev_dir, inst_dir)
        with open(os.path.join(data, "file"), encoding="ascii") as f:
            self.assertEqual(f.read(), "planted\n")

    def test_user_data_is_never_executed(self):
        marker = os.path.join(self.tmp, "executed")
        ud = base64.b64encode(f"#!/bin/sh\ntouch {marker}\n".encode()).decode()
        iid = self.launch(self.sub, KeyName="deploy", UserData=ud)
        self.sim.wait_state(iid, "running")
        time.sleep(0.5)
        self.assertFalse(os.path.exists(marker))


class SshShutdownTest(SimTest):
    SIM_ARGS = ()

    def test_sshd_stopped_when_simulator_exits(self):
        port = free_port()
        sim = Sim("--boot-seconds", "0", "--ssh-instances", "--ssh-port", str(port))
        try:
            tmp = tempfile.mkdtemp(prefix="awssim-ssh-")
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                            os.path.join(tmp, "k")], check=True)
            with open(os.path.join(tmp, "k.pub"), "rb") as f:
                sim.ok("ImportKeyPair", KeyName="k", PublicKeyMaterial=f.read())
            img = sorted(sim.ok("DescribeImages", Owners=["099720109477"])["Images"],
                         key=lambda i: i["Name"])[0]
            itype = "t4g.micro" if img["Architecture"] == "arm64" else "t3.micro"
            iid = sim.ok("RunInstances", ImageId=img["ImageId"], InstanceType=itype,
                         MinCount=1, MaxCount=1, KeyName="k")["Instances"][0]["InstanceId"]
            ip = sim.wait_state(iid, "running")["PublicIpAddress"]
            deadline = time.monotonic() + 20
            while not accepts(ip, port) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertTrue(accepts(ip, port), sim.read_log())
        finally:
            sim.stop()
            shutil.rmtree(tmp, ignore_errors=True)
        self.assertEqual(sim.proc.returncode, 0)
        self.assertFalse(accepts(ip, port))

    def test_sshd_stopped_when_simulator_is_killed(self):
        port = free_port()
        sim = Sim("--boot-seconds", "0", "--ssh-instances", "--ssh-port", str(port))
        try:
            img = [i for i in sim.ok("DescribeImages", Owners=["099720109477"])["Images"]
                   if i["Architecture"] == "x86_64"][0]
            iid = sim.ok("RunInstances", ImageId=img["ImageId"], InstanceType="t3.micro",
                         MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
            ip = sim.wait_state(iid, "running")["PublicIpAddress"]
            deadline = time.monotonic() + 20
            while not accepts(ip, port) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertTrue(accepts(ip, port), sim.read_log())
            sim.proc.kill()        # SIGKILL: no handler, no atexit
            sim.proc.wait()
            left = [d for d in os.listdir(tempfile.gettempdir())
                    if d.startswith(f"awssim-hosts-{sim.proc.pid}-")]
            self.assertEqual(len(left), 1)   # cannot clean up after SIGKILL...
            deadline = time.monotonic() + 10
            while accepts(ip, port) and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertFalse(accepts(ip, port))
            # ...but the next simulator removes what a dead one left
            Sim().stop()
            self.assertFalse(os.path.exists(os.path.join(tempfile.gettempdir(), left[0])))
        finally:
            sim.stop()

    def test_bind_failure_is_logged(self):
        # the port is taken on every loopback address
        with socket.socket() as s:
            s.bind(("0.0.0.0", 0))
            s.listen()
            port = s.getsockname()[1]
            sim = Sim("--boot-seconds", "0", "--ssh-instances", "--ssh-port", str(port))
            try:
                img = [i for i in sim.ok("DescribeImages", Owners=["099720109477"])["Images"]
                       if i["Architecture"] == "x86_64"][0]
                iid = sim.ok("RunInstances", ImageId=img["ImageId"], InstanceType="t3.micro",
                             MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
                sim.wait_state(iid, "running")
                deadline = time.monotonic() + 15
                while "could not listen" not in sim.read_log() and time.monotonic() < deadline:
                    time.sleep(0.1)
            finally:
                sim.stop()
            self.assertIn("sshd could not listen on", sim.read_log())
            self.assertIn(f":{port}", sim.read_log())


class InstanceConnectTest(SimTest):
    # pushed keys live 5 s here (60 s on AWS)
    KEY_SECONDS = 5
    SIM_ARGS = ("--boot-seconds", "0.3", "--ssh-instances", "--ssh-port", str(EIC_PORT),
                "--instance-connect-seconds", str(KEY_SECONDS))

    def test_send_ssh_public_key(self):
        import boto3
        from botocore.exceptions import ClientError
        from simclient import KEY, SECRET
        tmp = tempfile.mkdtemp(prefix="awssim-eic-")
        self.addCleanup(shutil.rmtree, tmp, True)
        key = os.path.join(tmp, "k")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        with open(key + ".pub", encoding="ascii") as f:
            pub = f.read().strip()
        vpc = self.vpc()
        sub = self.subnet(vpc)
        iid = self.launch(sub)   # no key pair at all
        eic = boto3.client("ec2-instance-connect", endpoint_url=self.sim.endpoint,
                           region_name="us-east-2", aws_access_key_id=KEY,
                           aws_secret_access_key=SECRET)
        args = dict(InstanceId=iid, InstanceOSUser=getpass.getuser(), SSHPublicKey=pub)
        with self.assertRaises(ClientError) as cm:
            eic.send_ssh_public_key(**args)
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "EC2InstanceStateInvalidException")
        inst = self.sim.wait_state(iid, "running")
        ip = inst["PublicIpAddress"]
        port = EIC_PORT
        deadline = time.monotonic() + 20
        while not accepts(ip, port) and time.monotonic() < deadline:
            time.sleep(0.05)

        def ssh(user):
            return subprocess.run(
                ["ssh", "-p", str(port), "-i", key, "-F", "/dev/null", "-o", "IdentitiesOnly=yes",
                 "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                 "-o", f"UserKnownHostsFile={tmp}/kh", "-o", "LogLevel=ERROR",
                 f"{user}@{ip}", "echo pushed-ok"],
                capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)

        r = eic.send_ssh_public_key(**args)
        pushed_by = time.monotonic()   # the key expires at the latest KEY_SECONDS later
        self.assertTrue(r["Success"])
        # The other user first: the key still lets our user in afterwards, so
        # it was valid when the other user was refused (however slow the run).
        other = "nobody" if getpass.getuser() != "nobody" else "daemon"
        self.assertNotEqual(ssh(other).returncode, 0)
        r = ssh(getpass.getuser())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("pushed-ok", r.stdout)
        for bad, code in ((dict(args, InstanceId="i-0123456789abcdef0"),
                           "EC2InstanceNotFoundException"),
                          (dict(args, SSHPublicKey="ssh-ed25519 " + "A" * 80), "InvalidArgsException"),
                          (dict(args, AvailabilityZone="us-east-2c" if inst["Placement"]
                                ["AvailabilityZone"] != "us-east-2c" else "us-east-2b"),
                           "InvalidArgsException")):
            with self.assertRaises(ClientError) as cm:
                eic.send_ssh_public_key(**bad)
            self.assertEqual(cm.exception.response["Error"]["Code"], code)
        wrong = boto3.client("ec2-instance-connect", endpoint_url=self.sim.endpoint,
                             region_name="us-east-2", aws_access_key_id=KEY,
                             aws_secret_access_key="wrong")
        with self.assertRaises(ClientError) as cm:
            wrong.send_ssh_public_key(**args)
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidSignatureException")
        # the key expires (the simulator's clock ticks every 0.1 s)
        time.sleep(max(0.0, pushed_by + self.KEY_SECONDS + 0.5 - time.monotonic()))
        r = ssh(getpass.getuser())
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Permission denied", r.stderr)
