"""The repository's own files agree with each other: layout, docker-compose.yml, odoo.conf,
deploy/ (nginx.conf, the replica), Dockerfile, requirements.txt and the addon manifest."""

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
        "deploy",
        "docs",
        "Dockerfile",
        ".ruff.toml",
        ".pylintrc",
        ".gitignore",
    }
    assert present - expected - allowed_extra == set()


ODOO_SERVICES = ("init", "web", "cron")


@pytest.fixture(scope="module")
def nginx_conf():
    """deploy/nginx.conf without comments."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


@pytest.fixture(scope="module")
def haproxy_cfg():
    """deploy/haproxy.cfg without comments."""
    text = (ROOT / "deploy" / "haproxy.cfg").read_text()
    return "\n".join(line.split("#", 1)[0].rstrip() for line in text.splitlines())


def _nginx_block(conf, header):
    """Body of the first ``header { ... }`` block of ``conf`` (braces balanced)."""
    start = re.search(r"(?m)^\s*%s\s*\{" % re.escape(header), conf)
    assert start, f"no {header} block in deploy/nginx.conf"
    depth, index = 1, start.end()
    while depth:
        depth += {"{": 1, "}": -1}.get(conf[index], 0)
        index += 1
    return conf[start.end() : index - 1]


def _flags(command):
    """``--name=value`` options of a command list as a dict (``--name`` alone: True)."""
    flags = {}
    for arg in command:
        if arg.startswith("--"):
            name, _, value = arg[2:].partition("=")
            flags[name.replace("_", "-")] = value or True
    return flags


def test_compose_topology(compose):
    services = compose["services"]
    assert set(services) == {"db", "db-replica", "init", "web", "cron", "queue", "proxy"}
    assert services["db"]["image"].startswith("postgres")
    assert services["queue"]["image"].startswith("haproxy")
    assert services["proxy"]["image"].startswith("nginx")
    # Only the proxy is published; the replica is optional (profile).
    assert [name for name, s in services.items() if s.get("ports")] == ["proxy"]
    assert [name for name, s in services.items() if s.get("profiles")] == ["db-replica"]
    assert services["db-replica"]["profiles"] == ["replica"]
    # The Odoo services build FROM the official image to add the Python packages; one image.
    images = set()
    for name in ODOO_SERVICES:
        odoo = services[name]
        build = odoo["build"] if isinstance(odoo["build"], dict) else {"context": odoo["build"]}
        dockerfile = (ROOT / build["context"] / build.get("dockerfile", "Dockerfile")).read_text()
        assert re.search(r"^FROM odoo:18\.0$", dockerfile, re.M)
        assert "requirements.txt" in dockerfile
        images.add(odoo["image"])
    assert len(images) == 1
    # Start order: db, then init (creates or updates the database once), then web and cron.
    assert services["init"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "cron"):
        assert services[name]["depends_on"]["init"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["web"]["depends_on"]["db-replica"]["required"] is False
    assert services["queue"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert services["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert "queue" in services["proxy"]["depends_on"]


def test_compose_mounts_agree_with_odoo_conf(compose, odoo_conf):
    volumes = set()
    for name in ODOO_SERVICES:
        odoo = compose["services"][name]
        mounts = _volume_targets(odoo)
        # The addon directory is mounted inside a directory listed in addons_path.
        addon_target = next(t for t, h in mounts.items() if h.rstrip("/") == "./erpconnect_ai")
        addons_path = [p.strip() for p in odoo_conf["addons_path"].split(",")]
        assert str(Path(addon_target).parent) in addons_path
        # odoo.conf is the file every Odoo service reads.
        conf_target = next(t for t, h in mounts.items() if h == "./odoo.conf")
        assert conf_target == "/etc/odoo/odoo.conf"
        assert "--config=%s" % conf_target in odoo["command"]
        # One filestore (a named volume at data_dir) shared by the three.
        (data_volume,) = [v for v in odoo["volumes"] if v.endswith(":" + odoo_conf["data_dir"])]
        volumes.add(data_volume.split(":")[0])
    assert len(volumes) == 1 and volumes <= set(compose["volumes"])
    # The database init installs is the one odoo.conf serves, with demo data.
    command = compose["services"]["init"]["command"]
    assert command[command.index("-d") + 1] == odoo_conf["db_name"]
    assert command[command.index("-i") + 1] == "erpconnect_ai"
    assert "--stop-after-init" in command
    assert odoo_conf.getboolean("without_demo") is False
    # One database: db_name without dbfilter (README.md, Operations).
    assert "dbfilter" not in odoo_conf


def test_web_serves_http_and_cron_runs_the_crons(compose, odoo_conf):
    web = _flags(compose["services"]["web"]["command"])
    cron = _flags(compose["services"]["cron"]["command"])
    init = _flags(compose["services"]["init"]["command"])
    # web: HTTP workers (prefork: limits and the gevent port), no cron thread.
    assert "no-http" not in web
    assert int(web.get("workers", odoo_conf["workers"])) >= 2
    assert int(web.get("max-cron-threads", odoo_conf["max_cron_threads"])) == 0
    # cron: no HTTP, one cron worker (prefork: limits apply), the long limits of README.md.
    assert cron["no-http"] is True
    assert int(cron["workers"]) >= 1
    assert int(cron["max-cron-threads"]) == 1
    readme = (ROOT / "README.md").read_text()
    readme_cron = re.search(r"odoo-bin -c \S+ --no-http .*?(?=\n```)", readme, re.S).group(0)
    readme_flags = _flags(readme_cron.replace("\\\n", " ").split())
    # each longer than the web's (odoo.conf; limit_time_real_cron defaults to limit_time_real)
    web_limits = {
        "limit-time-cpu": "limit_time_cpu",
        "limit-time-real-cron": "limit_time_real",
        "limit-memory-soft": "limit_memory_soft",
        "limit-memory-hard": "limit_memory_hard",
    }
    for limit, web_limit in web_limits.items():
        assert cron[limit] == readme_flags[limit], limit
        assert int(cron[limit]) > odoo_conf.getint(web_limit), limit
    # init: no server, no cron.
    assert init["no-http"] is True and init["max-cron-threads"] == "0"


def test_proxy_agrees_with_compose_and_odoo_conf(compose, odoo_conf, nginx_conf, haproxy_cfg):
    proxy = compose["services"]["proxy"]
    queue = compose["services"]["queue"]
    assert "./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in queue["volumes"]
    assert not queue.get("ports")
    (queue_port,) = re.findall(r"^\s*bind :(\d+)$", haproxy_cfg, re.M)
    # The queue hands Odoo's HTTP port a few requests at a time (maxconn), the rest wait.
    (backend,) = re.findall(r"^\s*server web (\S+) maxconn (\d+)$", haproxy_cfg, re.M)
    assert backend[0] == "web:%s" % odoo_conf["http_port"]
    assert 1 <= int(backend[1]) <= 8 * odoo_conf.getint("workers")
    queue_timeout = int(re.search(r"timeout queue (\d+)s", haproxy_cfg).group(1))
    server_timeout = int(re.search(r"timeout server (\d+)s", haproxy_cfg).group(1))
    assert server_timeout > odoo_conf.getint("limit_time_real")
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    # The published port (README: http://localhost:8069) is the one nginx listens on.
    (mapping,) = proxy["ports"]
    published, container = mapping.split(":")
    assert published == "8069"
    server = _nginx_block(nginx_conf, "server")
    assert re.search(r"^\s*listen %s;" % container, server, re.M)
    gevent_port = odoo_conf["gevent_port"]
    # HTTP: nginx -> the queue (HAProxy) -> Odoo's HTTP port; /websocket: nginx -> gevent port.
    servers = re.findall(r"^\s*server (\S+);", _nginx_block(nginx_conf, "upstream odoo"), re.M)
    assert servers == ["queue:%s" % queue_port]
    chat = _nginx_block(nginx_conf, "upstream odoochat")
    assert re.findall(r"^\s*server (\S+);", chat, re.M) == ["web:%s" % gevent_port]
    assert "proxy_pass http://odoochat;" in _nginx_block(server, "location /websocket")
    assert "proxy_pass http://odoo;" in _nginx_block(server, "location /")
    # Odoo trusts the proxy's X-Forwarded-* headers.
    assert odoo_conf.getboolean("proxy_mode") is True
    # The proxy waits longer than Odoo's own request limit; imports of up to 128 MiB pass.
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s;", server).group(1))
    assert read_timeout >= queue_timeout + odoo_conf.getint("limit_time_real")
    assert re.search(r"client_max_body_size 128m;", server)
    assert re.search(r"^\s*gzip on;", server, re.M)


def test_replica_profile(compose):
    services = compose["services"]
    replica = services["db-replica"]
    assert replica["image"] == services["db"]["image"]
    assert replica["depends_on"]["db"]["condition"] == "service_healthy"
    script = (ROOT / "deploy" / "postgres-replica.sh").read_text()
    assert re.search(r"pg_basebackup -h db .*-R", script)
    assert "hot_standby=on" in script
    # The primary accepts the replica's replication login.
    hba = (ROOT / "deploy" / "pg_hba.conf").read_text()
    assert re.search(r"^host\s+replication\s+all\s+all\s+scram-sha-256$", hba, re.M)
    assert "hba_file=/etc/postgresql/pg_hba.conf" in " ".join(services["db"]["command"])
    # web sends the read-only calls to db-replica when it runs.
    web = services["web"]
    assert web["entrypoint"] == ["sh", "/mnt/deploy/odoo-web.sh"]
    wrapper = (ROOT / "deploy" / "odoo-web.sh").read_text()
    assert "getent hosts db-replica" in wrapper
    assert "--db_replica_host=db-replica --db_replica_port=5432" in wrapper


def test_compose_database_credentials_agree_with_odoo_conf(compose, odoo_conf):
    db = compose["services"]["db"]
    assert odoo_conf["db_host"] == "db"
    assert odoo_conf["db_user"] == db["environment"]["POSTGRES_USER"]
    assert odoo_conf["db_password"] == db["environment"]["POSTGRES_PASSWORD"]
    assert (
        compose["services"]["db-replica"]["environment"]["PGPASSWORD"] == (odoo_conf["db_password"])
    )
    assert odoo_conf.getint("db_port") == 5432
    assert odoo_conf.getint("http_port") == 8069


def test_manifest_python_dependencies_match_requirements(manifest):
    required = set(_requirement_names(ROOT / "requirements.txt"))
    declared = {name.lower() for name in manifest["external_dependencies"]["python"]}
    assert declared == required == {"numpy", "pandas", "scipy", "scikit-learn", "joblib"}
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
