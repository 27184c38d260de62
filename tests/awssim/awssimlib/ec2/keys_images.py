"""Key pairs (with the fingerprints AWS computes) and DescribeImages.

The image catalog itself is ../images.py.
"""

import base64
import binascii
import copy
import hashlib
import os
import subprocess
import tempfile
import time

from .core import bool_s, err, live, now, tag_list


class KeyImageOps:
    """EC2 handlers for key pairs and images."""

    # ================================================================ keys

    def view_key(self, k, include_public=False):
        fp = k["_fingerprint"]
        if self.md5_fingerprints:
            blob = base64.b64decode(k["_public"].split()[1])
            fp = ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())
        out = {"KeyPairId": k["KeyPairId"], "KeyName": k["KeyName"],
               "KeyFingerprint": fp, "KeyType": k["_type"],
               "CreateTime": k["_created"], "Tags": tag_list(self.tags_of(k))}
        if include_public:
            out["PublicKey"] = k["_public"]
        return out

    def _store_key(self, reg, name, public, ktype, fingerprint, specs):
        kid = self.new_id("key")
        k = {"KeyPairId": kid, "KeyName": name, "_public": public,
             "_type": ktype, "_fingerprint": fingerprint,
             "_visible_at": self.visible_at(), "_created": now()}
        reg.keypairs[kid] = k
        self.apply_tag_specs(specs, {"key-pair"}, {"key-pair": [k]})
        return k

    def _check_key_name(self, reg, name):
        if not name or len(name) > 255:
            raise err("InvalidParameterValue",
                      "Invalid value for parameter KeyName")
        for k in live(reg.keypairs):
            if k["KeyName"] == name:
                raise err("InvalidKeyPair.Duplicate",
                          f"The keypair '{name}' already exists.")

    def op_ImportKeyPair(self, ctx, p):
        reg = ctx.reg
        name = p["KeyName"]
        self._check_key_name(reg, name)
        material = p["PublicKeyMaterial"]
        ktype, fingerprint, line = parse_public_key(material)
        specs = p.get("TagSpecifications")
        self.apply_tag_specs(specs, {"key-pair"}, {})
        k = self._store_key(reg, name, line, ktype, fingerprint, specs)
        return {"KeyFingerprint": fingerprint, "KeyName": name,
                "KeyPairId": k["KeyPairId"], "Tags": tag_list(self.tags_of(k))}

    def op_CreateKeyPair(self, ctx, p):
        reg = ctx.reg
        name = p["KeyName"]
        self._check_key_name(reg, name)
        ktype = p.get("KeyType", "rsa")
        fmt = p.get("KeyFormat", "pem")
        if fmt != "pem":
            raise err("InvalidParameterValue",
                      "Only the pem key format is supported by this endpoint")
        specs = p.get("TagSpecifications")
        self.apply_tag_specs(specs, {"key-pair"}, {})
        private, public, fingerprint = generate_key(ktype, name)
        k = self._store_key(reg, name, public, ktype, fingerprint, specs)
        return {"KeyFingerprint": fingerprint, "KeyMaterial": private,
                "KeyName": name, "KeyPairId": k["KeyPairId"],
                "Tags": tag_list(self.tags_of(k))}

    def op_DeleteKeyPair(self, ctx, p):
        reg = ctx.reg
        if "KeyPairId" in p:
            k = self.get(reg, "key", p["KeyPairId"])
            k["_deleted"] = True
        elif "KeyName" in p:
            for k in live(reg.keypairs):
                if k["KeyName"] == p["KeyName"]:
                    k["_deleted"] = True
        else:
            raise err("MissingParameter",
                      "The request must contain the parameter KeyName or KeyPairId")
        return {}

    def op_DescribeKeyPairs(self, ctx, p):
        reg = ctx.reg
        fm = {"key-name": lambda k: k["KeyName"],
              "key-pair-id": lambda k: k["KeyPairId"],
              "fingerprint": lambda k: k["_fingerprint"],
              "key-type": lambda k: k["_type"]}
        items = self.select(reg, "key", p.get("KeyPairIds"), p.get("Filters"), fm)
        names = p.get("KeyNames")
        if names:
            by_name = {k["KeyName"]: k for k in items}
            for n in names:
                if n not in by_name:
                    raise err("InvalidKeyPair.NotFound",
                              f"The key pair '{n}' does not exist")
            items = [by_name[n] for n in dict.fromkeys(names)]
        inc = p.get("IncludePublicKey", False)
        return {"KeyPairs": [self.view_key(k, inc) for k in items]}

    # ================================================================ images

    def op_DescribeImages(self, ctx, p):
        reg = ctx.reg
        owners = p.get("Owners")

        def owner_ok(im):
            if not owners:
                return True
            for o in owners:
                if o in (im["OwnerId"],) or (o == "self" and im["OwnerId"] == self.account):
                    return True
            return False

        fm = {
            "image-id": lambda i: i["ImageId"],
            "name": lambda i: i["Name"],
            "owner-id": lambda i: i["OwnerId"],
            "owner-alias": lambda i: None,
            "architecture": lambda i: i["Architecture"],
            "state": lambda i: i["State"],
            "root-device-type": lambda i: i["RootDeviceType"],
            "root-device-name": lambda i: i["RootDeviceName"],
            "virtualization-type": lambda i: i["VirtualizationType"],
            "is-public": lambda i: bool_s(i["Public"]),
            "description": lambda i: i["Description"],
            "image-type": lambda i: i["ImageType"],
            "hypervisor": lambda i: i["Hypervisor"],
            "ena-support": lambda i: bool_s(i["EnaSupport"]),
            "platform-details": lambda i: i["PlatformDetails"],
            "creation-date": lambda i: i["CreationDate"],
            "block-device-mapping.volume-type": lambda i: [
                b["Ebs"]["VolumeType"] for b in i["BlockDeviceMappings"] if "Ebs" in b],
            "block-device-mapping.device-name": lambda i: [
                b["DeviceName"] for b in i["BlockDeviceMappings"]],
            "block-device-mapping.snapshot-id": lambda i: [
                b["Ebs"]["SnapshotId"] for b in i["BlockDeviceMappings"] if "Ebs" in b],
        }
        ids = p.get("ImageIds")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())

        def listed(im):
            if not owner_ok(im):
                return False
            # deprecated public images only when asked for (or by id)
            return bool(ids) or p.get("IncludeDeprecated", False) or \
                im["OwnerId"] == self.account or im["DeprecationTime"] > stamp

        items = self.select(reg, "ami", ids, p.get("Filters"), fm,
                            extra_visible=listed)
        out = []
        for im in items:
            v = {k: copy.deepcopy(val) for k, val in im.items() if not k.startswith("_")}
            out.append(v)
        return {"Images": out}


def _ssh_string(data, pos):
    n = int.from_bytes(data[pos:pos + 4], "big")
    return data[pos + 4:pos + 4 + n], pos + 4 + n


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _der(tag, body):
    return bytes([tag]) + _der_len(len(body)) + body


def _der_int(b):
    b = b.lstrip(b"\x00") or b"\x00"
    if b[0] & 0x80:
        b = b"\x00" + b
    return _der(0x02, b)


def parse_public_key(material, min_rsa_bits=1024):
    """(type, AWS fingerprint, normalized line) of an OpenSSH public key."""
    bad = err("InvalidKey.Format",
              "Key is not in valid OpenSSH public key format")
    try:
        text = material.decode("ascii").strip()
    except UnicodeDecodeError:
        raise bad from None
    parts = text.split()
    if len(parts) < 2:
        raise bad
    kind = parts[0]
    try:
        blob = base64.b64decode(parts[1], validate=True)
        name, pos = _ssh_string(blob, 0)
    except (binascii.Error, ValueError):
        raise bad from None
    if name.decode(errors="replace") != kind:
        raise bad
    if kind == "ssh-rsa":
        e, pos = _ssh_string(blob, pos)
        n, pos = _ssh_string(blob, pos)
        if not n or not e:
            raise bad
        bits = len(n.lstrip(b"\x00")) * 8
        if bits < min_rsa_bits - 8:
            raise err("InvalidKey.Format",
                      f"Key length must be at least {min_rsa_bits} bits for RSA keys")
        rsa = _der(0x30, _der_int(n) + _der_int(e))
        alg = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
        spki = _der(0x30, alg + _der(0x03, b"\x00" + rsa))
        d = hashlib.md5(spki).hexdigest()
        fp = ":".join(d[i:i + 2] for i in range(0, 32, 2))
        return "rsa", fp, f"{kind} {parts[1]}"
    if kind == "ssh-ed25519":
        k, pos = _ssh_string(blob, pos)
        if len(k) != 32:
            raise bad
        fp = base64.b64encode(hashlib.sha256(blob).digest()).decode()
        return "ed25519", fp, f"{kind} {parts[1]}"
    raise bad


def generate_key(ktype, name):
    """(private PEM, public line, fingerprint) for CreateKeyPair."""
    with tempfile.TemporaryDirectory(prefix="awssim-key-") as d:
        path = os.path.join(d, "k")
        args = ["-t", "rsa", "-b", "2048", "-m", "PEM"] if ktype == "rsa" \
            else ["-t", "ed25519"]
        subprocess.run(["ssh-keygen", "-q", *args, "-N", "", "-C", name,
                        "-f", path], check=True, capture_output=True)
        with open(path, encoding="ascii") as f:
            private = f.read()
        with open(path + ".pub", encoding="ascii") as f:
            pub = f.read().split()
        line = f"{pub[0]} {pub[1]}"
        if ktype == "rsa":
            der = subprocess.run(["openssl", "pkcs8", "-topk8", "-nocrypt",
                                  "-inform", "PEM", "-outform", "DER", "-in", path],
                                 check=True, capture_output=True).stdout
            d = hashlib.sha1(der).hexdigest()
            fp = ":".join(d[i:i + 2] for i in range(0, 40, 2))
        else:
            blob = base64.b64decode(pub[1])
            fp = base64.b64encode(hashlib.sha256(blob).digest()).decode()
    return private, line, fp
