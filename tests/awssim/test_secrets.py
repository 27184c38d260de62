"""Secrets Manager (JSON 1.1) through boto3: versions, idempotency, deletion."""

from simclient import SimTest


class SecretsTest(SimTest):
    def setUp(self):
        super().setUp()
        self.sm = self.sim.client("secretsmanager")

    def test_life_cycle(self):
        sm = self.sm
        tok = "11111111-2222-3333-4444-555555555555"
        s = sm.create_secret(Name="craft/db", SecretString="pw1", ClientRequestToken=tok,
                             Tags=[{"Key": "craftctl:stack", "Value": "s"}])
        self.assertTrue(s["ARN"].startswith(
            "arn:aws:secretsmanager:us-east-2:123456789012:secret:craft/db-"))
        self.assertEqual(s["VersionId"], tok)
        # a retry with the same token and value is the same secret
        again = sm.create_secret(Name="craft/db", SecretString="pw1", ClientRequestToken=tok)
        self.assertEqual(again["ARN"], s["ARN"])
        self.refused("ResourceExistsException", sm.create_secret, Name="craft/db",
                     SecretString="other")
        self.assertEqual(sm.get_secret_value(SecretId="craft/db")["SecretString"], "pw1")
        v2 = sm.put_secret_value(SecretId=s["ARN"], SecretString="pw2")
        self.assertEqual(v2["VersionStages"], ["AWSCURRENT"])
        self.assertEqual(sm.get_secret_value(SecretId="craft/db")["SecretString"], "pw2")
        self.assertEqual(sm.get_secret_value(SecretId="craft/db", VersionStage="AWSPREVIOUS")
                         ["SecretString"], "pw1")
        self.refused("ResourceExistsException", sm.put_secret_value, SecretId="craft/db",
                     SecretString="pw3", ClientRequestToken=tok)
        d = sm.describe_secret(SecretId="craft/db")
        self.assertEqual(sorted(map(tuple, d["VersionIdsToStages"].values())),
                         [("AWSCURRENT",), ("AWSPREVIOUS",)])
        self.assertEqual([x["Name"] for x in sm.list_secrets()["SecretList"]], ["craft/db"])
        sm.create_secret(Name="craft/bin", SecretBinary=b"\x00\x01")
        self.assertEqual(sm.get_secret_value(SecretId="craft/bin")["SecretBinary"], b"\x00\x01")

        self.refused("InvalidParameterException", sm.delete_secret, SecretId="craft/db",
                     RecoveryWindowInDays=3)
        d = sm.delete_secret(SecretId="craft/db", RecoveryWindowInDays=7)
        self.assertIn("DeletionDate", d)
        self.refused("InvalidRequestException", sm.get_secret_value, SecretId="craft/db")
        self.refused("InvalidRequestException", sm.create_secret, Name="craft/db",
                     SecretString="x")
        sm.restore_secret(SecretId="craft/db")
        self.assertEqual(sm.get_secret_value(SecretId="craft/db")["SecretString"], "pw2")
        sm.delete_secret(SecretId="craft/db", ForceDeleteWithoutRecovery=True)
        self.refused("ResourceNotFoundException", sm.describe_secret, SecretId="craft/db")
        sm.create_secret(Name="craft/db", SecretString="new")    # the name is free again
        self.refused("InvalidParameterException", sm.create_secret, Name="both",
                     SecretString="a", SecretBinary=b"b")
