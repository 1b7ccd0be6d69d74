"""The repository's own files agree with each other: layout, docker-compose.yml, odoo.conf,
Dockerfile, requirements.txt and the addon manifest."""

import ast
import configparser
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ADDON = ROOT / "erpconnect_ai"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def odoo_conf():
    parser = configparser.ConfigParser()
    parser.read(ROOT / "odoo.conf")
    return parser["options"]


@pytest.fixture(scope="module")
def manifest():
    return ast.literal_eval((ADDON / "__manifest__.py").read_text())


def _requirement_names(path):
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            names.append(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0].lower())
    return names


def _volume_targets(service):
    """Map container path -> host path of a service's bind mounts."""
    mounts = {}
    for volume in service.get("volumes", []):
        parts = volume.split(":")
        if parts[0].startswith("."):
            mounts[parts[1]] = parts[0]
    return mounts


def test_top_level_layout():
    expected = {
        "erpconnect_ai",
        "tests",
        "requirements.txt",
        "README.md",
        "docker-compose.yml",
        "odoo.conf",
    }
    # What the repository tracks (and would track): caches and virtualenvs are ignored.
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    present = {name.split("/")[0] for name in listed}
    assert expected <= present
    allowed_extra = {
        ".ci",
        "bench",
        "docs",
        "Dockerfile",
        ".ruff.toml",
        ".pylintrc",
        ".gitignore",
    }
    assert present - expected - allowed_extra == set()


def test_compose_has_postgres_and_official_odoo_image(compose):
    services = compose["services"]
    assert set(services) == {"db", "odoo"}
    assert services["db"]["image"].startswith("postgres")
    odoo = services["odoo"]
    # The odoo service builds FROM the official image to add the Python packages.
    build = odoo["build"] if isinstance(odoo["build"], dict) else {"context": odoo["build"]}
    dockerfile = (ROOT / build["context"] / build.get("dockerfile", "Dockerfile")).read_text()
    assert re.search(r"^FROM odoo:18\.0$", dockerfile, re.M)
    assert "requirements.txt" in dockerfile
    assert "8069:8069" in odoo["ports"]
    assert "db" in odoo["depends_on"]


def test_compose_mounts_agree_with_odoo_conf(compose, odoo_conf):
    odoo = compose["services"]["odoo"]
    mounts = _volume_targets(odoo)
    # The addon directory is mounted inside a directory listed in addons_path.
    addon_target = next(t for t, h in mounts.items() if h.rstrip("/") == "./erpconnect_ai")
    addons_path = [p.strip() for p in odoo_conf["addons_path"].split(",")]
    assert str(Path(addon_target).parent) in addons_path
    # odoo.conf is the file the container reads.
    conf_target = next(t for t, h in mounts.items() if h == "./odoo.conf")
    assert conf_target == "/etc/odoo/odoo.conf"
    assert f"--config={conf_target}" in odoo["command"]
    # The database the command installs is the one odoo.conf serves.
    command = odoo["command"]
    assert command[command.index("-d") + 1] == odoo_conf["db_name"]
    assert command[command.index("-i") + 1] == "erpconnect_ai"
    assert odoo_conf.getboolean("without_demo") is False


def test_compose_database_credentials_agree_with_odoo_conf(compose, odoo_conf):
    db = compose["services"]["db"]
    assert odoo_conf["db_host"] == "db"
    assert odoo_conf["db_user"] == db["environment"]["POSTGRES_USER"]
    assert odoo_conf["db_password"] == db["environment"]["POSTGRES_PASSWORD"]
    assert odoo_conf.getint("db_port") == 5432
    assert odoo_conf.getint("http_port") == 8069


def test_manifest_python_dependencies_match_requirements(manifest):
    required = set(_requirement_names(ROOT / "requirements.txt"))
    declared = {name.lower() for name in manifest["external_dependencies"]["python"]}
    assert declared == required == {"numpy", "pandas", "scikit-learn", "joblib"}
    # Ranges, not exact pins, so the official image's Python can satisfy them.
    assert "==" not in (ROOT / "requirements.txt").read_text()


def test_manifest_declares_dependencies_and_files(manifest):
    assert manifest["version"].startswith("18.0.")
    assert {"sale_management", "stock", "purchase_stock", "mail"} <= set(manifest["depends"])
    for key in ("data", "demo"):
        for rel in manifest.get(key, []):
            assert (ADDON / rel).is_file(), f"{key} file missing: {rel}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "tests/run" in readme
    assert re.search(r"^exec tests/run$", ci, re.M)


@pytest.mark.parametrize(
    ("ci", "exit_code", "last_line"),
    [("true", 1, "0 passed, 1 failed"), ("", 0, "0 passed, 0 failed")],
)
def test_run_without_odoo_fails_in_ci(tmp_path, ci, exit_code, last_line):
    """tests/run without an Odoo: a loud note locally, a failure saying why with CI set."""
    tools = tmp_path / "tools" / "bin"
    tools.mkdir(parents=True)
    for tool in ("pytest", "pylint"):  # present, never called: only the Odoo part runs
        (tools / tool).write_text("#!/bin/sh\nexit 99\n")
        (tools / tool).chmod(0o755)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
        "CI": ci,
        "ODOO_PATH": str(tmp_path / "no-odoo"),
        "ERPCONNECT_TEST_PARTS": "odoo",
        "ERPCONNECT_TOOLS_VENV": str(tools.parent),
    }
    result = subprocess.run(
        [str(ROOT / "tests" / "run")], env=env, capture_output=True, text=True, timeout=60
    )
    lines = result.stdout.strip().splitlines()
    assert (result.returncode, lines[-1]) == (exit_code, last_line), result.stdout
    assert "ODOO TESTS NOT RUN: no Odoo 18 source tree at %s" % env["ODOO_PATH"] in result.stdout
    assert ("CI needs them" in result.stdout) == bool(ci)
