"""Simulated instance hosts: SSH host keys, cloud-init console, real sshd.

Every instance gets real host keys (ECDSA, ED25519, RSA 3072) made by
ssh-keygen in its own temporary directory, so its console output carries
genuine cloud-init fingerprint and key blocks. With --ssh-instances the
simulator also runs a real OpenSSH sshd per instance on the instance's
loopback address (and one more per associated Elastic IP), authorising the
instance's key pair and keys pushed by SendSSHPublicKey.
"""

import ctypes
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

KEY_TYPES = [("ecdsa", ["-t", "ecdsa", "-b", "256"]),
             ("ed25519", ["-t", "ed25519"]),
             ("rsa", ["-t", "rsa", "-b", "3072"])]

SSHD = "/usr/sbin/sshd"


def log(msg):
    sys.stderr.write(f"awssim: {msg}\n")
    sys.stderr.flush()


class _Spawner:
    """Starts children from one long-lived thread with PR_SET_PDEATHSIG.

    The kernel sends the death signal when the *thread* that forked the
    child exits, so every sshd is forked by this one thread, which lives as
    long as the simulator: if the simulator is killed outright (SIGKILL),
    its sshd listeners get SIGTERM instead of being left behind.
    """

    def __init__(self):
        self.q = queue.Queue()
        self.thread = None
        self.lock = threading.Lock()
        try:
            self.libc = ctypes.CDLL(None, use_errno=True)
            self.prctl = self.libc.prctl
        except (OSError, AttributeError):
            self.prctl = None

    def _preexec(self):
        if self.prctl is not None:
            self.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG

    def _run(self):
        while True:
            args, kwargs, box, done = self.q.get()
            try:
                box.append(subprocess.Popen(args, preexec_fn=self._preexec, **kwargs))
            except Exception as e:  # handed back to the caller
                box.append(e)
            done.set()

    def popen(self, args, **kwargs):
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, daemon=True,
                                               name="awssim-spawner")
                self.thread.start()
        box = []
        done = threading.Event()
        self.q.put((args, kwargs, box, done))
        done.wait()
        if isinstance(box[0], Exception):
            raise box[0]
        return box[0]


SPAWNER = _Spawner()


def _children(pid):
    """Pids whose parent is pid (from /proc)."""
    out = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            out.append(int(name))
    return out


class Host:
    """One instance's host: key directory, console text, sshd processes."""

    def __init__(self, instance_id, hostname, root_dir):
        self.instance_id = instance_id
        self.hostname = hostname
        self.dir = tempfile.mkdtemp(prefix=f"{instance_id}-", dir=root_dir)
        self.fingerprints = []   # lines "256 SHA256:... root@host (ED25519)"
        self.public_keys = []    # lines "ssh-ed25519 AAAA... root@host"
        self.ready = threading.Event()
        self.error = None
        self.procs = {}          # address -> Popen
        self.lock = threading.Lock()
        self.authorized = []     # the key pair: list of (key line, None)
        self.pushed = {}         # user -> [(key line, expires epoch)]
        self.closed = False

    @property
    def dev_dir(self):
        """Where the instance's attached EBS volumes appear, one directory
        per device (<dev_dir>/sdf for /dev/sdf): the simulator's stand-in
        for block devices (see ec2/volumes.py)."""
        return os.path.join(self.dir, "dev")

    def generate_keys(self):
        try:
            for name, args in KEY_TYPES:
                path = os.path.join(self.dir, f"ssh_host_{name}_key")
                subprocess.run(["ssh-keygen", "-q", *args, "-N", "",
                                "-C", f"root@{self.hostname}", "-f", path],
                               check=True, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
                fp = subprocess.run(["ssh-keygen", "-l", "-E", "sha256",
                                     "-f", path + ".pub"], check=True,
                                    capture_output=True, text=True)
                self.fingerprints.append(fp.stdout.strip())
                with open(path + ".pub", encoding="ascii") as f:
                    self.public_keys.append(f.read().strip())
        except (OSError, subprocess.CalledProcessError) as e:
            self.error = f"ssh-keygen failed: {e}"
            log(f"{self.instance_id}: {self.error}")
        self.ready.set()

    def console_text(self, boot_time, private_ip, keys=True):
        stamp = time.strftime("%b %e %H:%M:%S", time.gmtime(boot_time))
        pre = f"<14>{stamp} cloud-init: "
        out = [
            "[    0.000000] Linux version 6.8.0-1015-aws (buildd@lcy02-amd64-046) "
            "(gcc 13.2.0) #16-Ubuntu SMP",
            "[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz root=LABEL=cloudimg-rootfs ro console=tty1 console=ttyS0",
            f"[    4.218000] cloud-init[512]: Cloud-init v. 24.1.3 running 'init' at "
            f"{time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(boot_time))}.",
            f"[    4.300000] cloud-init[512]: ci-info: | ens5 | True | {private_ip} |",
            "[    6.100000] cloud-init[512]: Generating public/private rsa key pair.",
        ]
        if keys:  # else a console that has not shown (or never shows) them
            out += [f"{pre}#############################################################",
                    f"{pre}-----BEGIN SSH HOST KEY FINGERPRINTS-----"]
            out += [pre + fp for fp in self.fingerprints]
            out += [f"{pre}-----END SSH HOST KEY FINGERPRINTS-----",
                    f"{pre}#############################################################",
                    "-----BEGIN SSH HOST KEY KEYS-----"]
            out += self.public_keys
            out += ["-----END SSH HOST KEY KEYS-----"]
        out += [
            f"[    9.000000] cloud-init[700]: Cloud-init v. 24.1.3 finished at "
            f"{time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(boot_time + 9))}."
            " Datasource DataSourceEc2Local.  Up 9.00 seconds",
            "",
        ]
        return "\r\n".join(out)

    # ---------------------------------------------------------------- sshd

    def set_authorized(self, keys):
        """The key pair's keys: any local user may log in with them.

        keys: list of (public key line, expires epoch or None)."""
        with self.lock:
            self.authorized = list(keys)
            self._write_keys("authorized_keys", self.authorized)

    def push_key(self, user, key, expires):
        """An EC2 Instance Connect key: only `user`, only until `expires`."""
        with self.lock:
            keys = self.pushed.setdefault(user, [])
            keys.append((key, expires))
            self._write_keys(os.path.join("pushed", user), keys)

    def expire_keys(self, now):
        with self.lock:
            for user, keys in self.pushed.items():
                keep = [(k, e) for k, e in keys if e > now]
                if len(keep) != len(keys):
                    self.pushed[user] = keep
                    self._write_keys(os.path.join("pushed", user), keep)

    def _write_keys(self, name, keys):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            for k, _ in keys:
                f.write(k.strip() + "\n")
        os.replace(tmp, path)

    def _config(self, address, port):
        tag = address.replace(".", "_")
        path = os.path.join(self.dir, f"sshd_config_{tag}")
        lines = [f"Port {port}", f"ListenAddress {address}"]
        lines += [f"HostKey {os.path.join(self.dir, f'ssh_host_{n}_key')}"
                  for n, _ in KEY_TYPES]
        lines += [
            f"AuthorizedKeysFile {os.path.join(self.dir, 'authorized_keys')} "
            f"{os.path.join(self.dir, 'pushed', '%u')}",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "StrictModes no",
            "UsePAM no",
            "PrintMotd no",
            f"PidFile {os.path.join(self.dir, f'sshd_{tag}.pid')}",
            "Subsystem sftp internal-sftp",
            # a session can find the instance's volumes (there is no real
            # block device to look for)
            f"SetEnv AWSSIM_DEVICE_DIR={self.dev_dir}",
            "LogLevel INFO",
        ]
        with open(path, "w", encoding="ascii") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def start_sshd(self, address, port):
        """Start an sshd on address:port; return True once it accepts."""
        with self.lock:
            if self.closed or address in self.procs:
                return address in self.procs
            if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
                # sshd's privilege separation directory, which the
                # openssh-server package creates at boot.
                os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
            conf = self._config(address, port)
            logpath = os.path.join(self.dir, f"sshd_{address}.log")
            logf = open(logpath, "ab")
            try:
                proc = SPAWNER.popen([SSHD, "-D", "-e", "-f", conf],
                                     stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=logf,
                                     start_new_session=True)
            finally:
                logf.close()
            self.procs[address] = proc
        # sshd -e logs "Server listening on ADDR port PORT." once bound; a
        # connect() test could be fooled by another socket on 0.0.0.0:PORT.
        want = f"Server listening on {address} port {port}."
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            with open(logpath, encoding="utf-8", errors="replace") as f:
                if want in f.read():
                    log(f"{self.instance_id}: sshd listening on {address}:{port} "
                        f"(pid {proc.pid})")
                    return True
            time.sleep(0.05)
        with open(logpath, encoding="utf-8", errors="replace") as f:
            detail = f.read().strip().replace("\n", " | ")
        log(f"ERROR: {self.instance_id}: sshd could not listen on "
            f"{address}:{port} (is the port taken? try --ssh-port): {detail}")
        self.stop_sshd(address)
        return False

    def stop_sshd(self, address):
        with self.lock:
            proc = self.procs.pop(address, None)
        if proc is None:
            return
        if proc.poll() is None:
            # per-connection sshd children first (they may be in their own
            # sessions), then the listener's process group
            for child in _children(proc.pid):
                try:
                    os.kill(child, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()

    def stop_all(self):
        with self.lock:
            self.closed = True
            addrs = list(self.procs)
        for a in addrs:
            self.stop_sshd(a)

    def destroy(self):
        self.stop_all()
        shutil.rmtree(self.dir, ignore_errors=True)
