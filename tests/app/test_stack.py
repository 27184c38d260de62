"""Rules for docker-compose.yml, .env.example and the image recipes.

Run with /usr/bin/python3 -m unittest from the repository root (compose.sh
does). docker-compose itself validates the file; this checks what it cannot:
healthchecks, restart policies, published ports, secrets, pinned images and
unprivileged containers.
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
SECRETS = ("POSTGRES_PASSWORD", "DJANGO_SECRET_KEY")
SERVICES = {"db", "backend", "frontend", "nginx"}
DOCKERFILES = {
    "backend": ROOT / "app/backend/Dockerfile",
    "frontend": ROOT / "app/frontend/Dockerfile",
    "nginx": ROOT / "app/nginx/Dockerfile",
}
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def load_compose():
    with open(COMPOSE) as f:
        return yaml.safe_load(f)


def read_env_example():
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep, f"bad line in .env.example: {line!r}"
        values[name.strip()] = value.strip()
    return values


def published(port):
    """(host port, container port) of a ports entry as docker-compose config prints it."""
    if isinstance(port, dict):
        return str(port["published"]), int(port["target"])
    host, _, target = str(port).rpartition(":")
    return host.rpartition(":")[2], int(target)


def compose_config(env_file=None, environ=None, project_dir=None):
    if shutil.which("docker-compose") is None:
        # deps/app.txt lists it: a missing one is a failure, not a skipped check.
        raise AssertionError("docker-compose is not installed (make deps installs it)")
    cmd = ["docker-compose"]
    if env_file:
        cmd += ["--env-file", str(env_file)]
    cmd += ["-f", str(COMPOSE)]
    if project_dir:
        cmd += ["--project-directory", str(project_dir)]
    cmd += ["config"]
    env = {k: v for k, v in os.environ.items() if k not in read_env_example()}
    env.update(environ or {})
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, cwd=project_dir or ROOT)


class ComposeRulesTests(unittest.TestCase):
    def setUp(self):
        self.compose = load_compose()
        self.services = self.compose["services"]

    def test_the_four_services(self):
        self.assertEqual(set(self.services), SERVICES)

    def test_every_service_has_a_healthcheck(self):
        for name, svc in self.services.items():
            with self.subTest(service=name):
                check = svc.get("healthcheck")
                self.assertIsInstance(check, dict)
                self.assertFalse(check.get("disable", False))
                test = check["test"]
                self.assertIn(test[0], ("CMD", "CMD-SHELL"))
                for key in ("interval", "timeout", "retries"):
                    self.assertIn(key, check)

    def test_every_service_restarts_unless_stopped(self):
        for name, svc in self.services.items():
            with self.subTest(service=name):
                self.assertEqual(svc.get("restart"), "unless-stopped")

    def test_only_nginx_publishes_a_port(self):
        for name, svc in self.services.items():
            with self.subTest(service=name):
                if name == "nginx":
                    self.assertEqual(svc["ports"], ["${HTTP_PORT:-80}:8080"])
                else:
                    self.assertNotIn("ports", svc)
                    self.assertNotEqual(svc.get("network_mode"), "host")

    def test_start_order_waits_for_health(self):
        self.assertEqual(self.services["backend"]["depends_on"], {"db": {"condition": "service_healthy"}})
        self.assertEqual(
            self.services["nginx"]["depends_on"],
            {"backend": {"condition": "service_healthy"}, "frontend": {"condition": "service_healthy"}},
        )

    def test_database_keeps_its_data_in_a_named_volume(self):
        self.assertIn("pgdata", self.compose["volumes"])
        self.assertIn("pgdata:/var/lib/postgresql/data", self.services["db"]["volumes"])
        self.assertRegex(self.services["db"]["image"], r"^postgres:16\.\d+")

    def test_nginx_serves_the_backends_static_files(self):
        self.assertIn("static:/app/staticfiles", self.services["backend"]["volumes"])
        self.assertIn("static:/srv/static:ro", self.services["nginx"]["volumes"])
        self.assertEqual(self.services["nginx"]["environment"]["STATIC_ROOT"], "/srv/static")

    def test_secrets_only_come_from_variables(self):
        text = COMPOSE.read_text()
        example = read_env_example()
        for name in SECRETS:
            with self.subTest(secret=name):
                for svc_name, svc in self.services.items():
                    value = (svc.get("environment") or {}).get(name)
                    if value is None:
                        continue
                    match = VAR.fullmatch(value)
                    self.assertIsNotNone(match, f"{svc_name}.{name} must be a ${{VARIABLE}}")
                    self.assertEqual(match.group(1), name)
                    # Required, with no default that could act as a password.
                    self.assertEqual(match.group(2), ":?")
                self.assertNotIn(example[name], text)

    def test_no_literal_credentials_anywhere(self):
        suspicious = re.compile(r"(PASSWORD|SECRET|TOKEN|KEY)[A-Z_]*\s*[:=]\s*(\S+)", re.I)
        for svc_name, svc in self.services.items():
            env = svc.get("environment") or {}
            for key, value in env.items():
                if re.search(r"PASSWORD|SECRET|KEY", key) and key not in ("DJANGO_TOKEN_TTL_SECONDS",):
                    with self.subTest(service=svc_name, var=key):
                        self.assertTrue(str(value).startswith("${"), f"{svc_name}.{key} is a literal")
        for line in COMPOSE.read_text().splitlines():
            if line.lstrip().startswith("#"):
                continue
            found = suspicious.search(line)
            if found and "TTL" not in found.group(0).upper() and not found.group(2).startswith("${"):
                self.fail(f"literal credential in docker-compose.yml: {line.strip()}")

    def test_debug_is_off_by_default(self):
        self.assertEqual(self.services["backend"]["environment"]["DJANGO_DEBUG"], "${DJANGO_DEBUG:-0}")
        self.assertEqual(read_env_example()["DJANGO_DEBUG"], "0")

    def test_backend_gets_the_release_variables(self):
        env = self.services["backend"]["environment"]
        self.assertEqual(env["RELEASE_ID"], "${RELEASE_ID:-local}")
        self.assertEqual(env["RELEASED_AT"], "${RELEASED_AT:-}")

    def test_no_required_env_file(self):
        # Compose v1 cannot mark an env_file optional; the deploy supplies
        # everything through the environment or --env-file instead.
        for name, svc in self.services.items():
            with self.subTest(service=name):
                self.assertNotIn("env_file", svc)

    def test_env_example_documents_every_variable(self):
        used = {m.group(1) for m in VAR.finditer(COMPOSE.read_text())}
        documented = set(read_env_example())
        self.assertEqual(used - documented, set(), "variables missing from .env.example")
        self.assertEqual(documented - used, set(), ".env.example lists variables compose does not use")

    def test_env_example_holds_only_placeholders(self):
        example = read_env_example()
        for name in SECRETS:
            with self.subTest(secret=name):
                self.assertTrue(example[name].startswith("change-me"), example[name])
        self.assertTrue((ROOT / ".gitignore").read_text().count("\n.env\n") or ".env" in (ROOT / ".gitignore").read_text().split())


class ComposeConfigTests(unittest.TestCase):
    """docker-compose (Debian's v1) parses and interpolates the file."""

    def test_valid_with_env_example(self):
        result = compose_config(env_file=ENV_EXAMPLE)
        self.assertEqual(result.returncode, 0, result.stderr)
        rendered = yaml.safe_load(result.stdout)
        self.assertEqual(set(rendered["services"]), SERVICES)
        self.assertEqual(published(rendered["services"]["nginx"]["ports"][0]), ("80", 8080))
        self.assertEqual(rendered["services"]["backend"]["environment"]["DJANGO_SECRET_KEY"], read_env_example()["DJANGO_SECRET_KEY"])

    def env_file(self, text):
        fd, path = tempfile.mkstemp(prefix="craftctl-env-")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        self.addCleanup(os.unlink, path)
        return path

    def test_secrets_from_env_file_and_release_from_environment(self):
        # The deploy's way with compose v1: secrets in shared/.env given as
        # --env-file, per-release variables exported in the environment.
        shared = self.env_file("POSTGRES_PASSWORD=pw-from-file\nDJANGO_SECRET_KEY=key-from-file\nRELEASE_ID=stale\n")
        result = compose_config(
            env_file=shared,
            environ={"RELEASE_ID": "20261129T1930Z-abc", "RELEASED_AT": "2026-11-29T19:30:00Z", "HTTP_PORT": "8081"},
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        rendered = yaml.safe_load(result.stdout)
        backend = rendered["services"]["backend"]
        self.assertEqual(backend["environment"]["RELEASE_ID"], "20261129T1930Z-abc")
        self.assertEqual(backend["environment"]["RELEASED_AT"], "2026-11-29T19:30:00Z")
        self.assertEqual(backend["environment"]["DJANGO_SECRET_KEY"], "key-from-file")
        self.assertEqual(backend["image"], "craftctl-app/backend:20261129T1930Z-abc")
        self.assertEqual(rendered["services"]["db"]["environment"]["POSTGRES_PASSWORD"], "pw-from-file")
        self.assertEqual(published(rendered["services"]["nginx"]["ports"][0]), ("8081", 8080))

    def test_missing_secret_is_an_error(self):
        result = compose_config(env_file=self.env_file("DJANGO_SECRET_KEY=key-from-file\n"))
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("POSTGRES_PASSWORD", result.stderr)


def dockerfile_instructions(path):
    text = re.sub(r"\\\n", " ", path.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


class RecipeTests(unittest.TestCase):
    def test_base_images_are_pinned(self):
        for name, path in DOCKERFILES.items():
            for word, rest in dockerfile_instructions(path):
                if word != "FROM":
                    continue
                image = rest.split()[0]
                with self.subTest(dockerfile=name, image=image):
                    self.assertNotIn("latest", image)
                    # name:MAJOR.MINOR.PATCH[-variant]
                    self.assertRegex(image, r"^[a-z0-9./-]+:\d+\.\d+\.\d+(-[a-z0-9.-]+)?$")

    def test_final_stage_runs_unprivileged(self):
        for name, path in DOCKERFILES.items():
            with self.subTest(dockerfile=name):
                instructions = dockerfile_instructions(path)
                last_from = max(i for i, (w, _) in enumerate(instructions) if w == "FROM")
                users = [rest for w, rest in instructions[last_from:] if w == "USER"]
                self.assertTrue(users, "no USER in the final stage")
                self.assertNotIn(users[-1].split(":")[0], ("root", "0"))

    def test_images_have_healthchecks(self):
        for name, path in DOCKERFILES.items():
            with self.subTest(dockerfile=name):
                self.assertIn("HEALTHCHECK", [w for w, _ in dockerfile_instructions(path)])

    def test_backend_runs_gunicorn_not_the_dev_server(self):
        text = (ROOT / "app/backend/docker-entrypoint.sh").read_text()
        self.assertIn("gunicorn", text)
        self.assertIn("migrate", text)
        self.assertIn("wait_for_db", text)
        for path in [DOCKERFILES["backend"], ROOT / "app/backend/docker-entrypoint.sh"]:
            self.assertNotIn("runserver", path.read_text())
        self.assertRegex((ROOT / "app/backend/requirements.txt").read_text(), r"(?m)^Django==5\.2\.\d+$")
        self.assertRegex((ROOT / "app/backend/requirements.txt").read_text(), r"(?m)^gunicorn==\d")

    def test_frontend_is_multi_stage_with_locked_install(self):
        instructions = dockerfile_instructions(DOCKERFILES["frontend"])
        froms = [rest for w, rest in instructions if w == "FROM"]
        self.assertEqual(len(froms), 2)
        self.assertTrue(froms[0].startswith("node:"))
        self.assertTrue(froms[1].startswith("nginx:"))
        self.assertIn(("RUN", "npm ci --no-audit --no-fund"), instructions)
        self.assertIn(("COPY", "--from=build /src/dist /usr/share/nginx/html"), instructions)

    def test_nginx_image_uses_the_template_mechanism(self):
        instructions = dockerfile_instructions(DOCKERFILES["nginx"])
        self.assertIn(("COPY", "templates/ /etc/nginx/templates/"), instructions)
        self.assertTrue((ROOT / "app/nginx/templates/default.conf.template").is_file())

    def test_templates_survive_the_images_envsubst(self):
        # The image substitutes every variable defined in its environment, in
        # both $NAME and ${NAME} forms: nginx's own $variables must not share
        # a name with one, and every ${VAR} must be defined by compose and the
        # Dockerfile.
        image_env = {"HOME", "HOSTNAME", "PATH", "PWD", "SHLVL", "NGINX_VERSION", "NJS_VERSION",
                     "NJS_RELEASE", "PKG_RELEASE", "DYNPKG_RELEASE", "ACME_VERSION"}
        dockerfile_env = set()
        for word, rest in dockerfile_instructions(DOCKERFILES["nginx"]):
            if word == "ENV":
                dockerfile_env |= set(re.findall(r"([A-Z_][A-Z0-9_]*)=", rest))
        compose_env = set(load_compose()["services"]["nginx"]["environment"])
        for template in (ROOT / "app/nginx/templates").glob("*.template"):
            text = template.read_text()
            wanted = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text))
            bare = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", text))
            with self.subTest(template=template.name):
                self.assertEqual(wanted - compose_env, set(), "not set by docker-compose.yml")
                self.assertEqual(wanted - dockerfile_env, set(), "no default in the Dockerfile")
                self.assertEqual(bare & (image_env | compose_env | dockerfile_env), set())

    def test_frontend_main_config_matches_the_edge(self):
        def body(path):
            return [l for l in path.read_text().splitlines() if not l.startswith("#")]

        self.assertEqual(body(ROOT / "app/frontend/nginx/nginx.conf"), body(ROOT / "app/nginx/nginx.conf"))

    def test_dockerignore_files(self):
        for name in ("backend", "frontend", "nginx"):
            with self.subTest(context=name):
                ignore = (ROOT / "app" / name / ".dockerignore").read_text().split()
                self.assertTrue(ignore)
        self.assertIn("node_modules", (ROOT / "app/frontend/.dockerignore").read_text().split())
        self.assertIn(".env", (ROOT / "app/backend/.dockerignore").read_text().split())

    def test_frontend_calls_only_relative_api_paths(self):
        for path in (ROOT / "app/frontend/src").rglob("*.js*"):
            if "test" in path.parts:
                continue
            text = path.read_text()
            with self.subTest(file=path.name):
                self.assertNotRegex(text, r"https?://(localhost|127\.0\.0\.1)")
                self.assertNotIn(":8000", text)


if __name__ == "__main__":
    unittest.main()
