"""docker-compose.yml runs exactly the topology of deploy/topology.py (the processes the
production-topology test starts natively), behind a TLS proxy, with health checks, restart
policies, one image built once, named volumes and backups."""

from __future__ import annotations

from pathlib import Path

import yaml

from deploy import topology

ROOT = Path(__file__).resolve().parent.parent
BIND, DATA = "0.0.0.0:8000", "/data"


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_keel_process_runs_the_topology_command_and_variables():
    services = _compose()["services"]
    for process in topology.PROCESSES:
        service = services[process.name]
        assert service["command"] == process.argv(bind=BIND, data=DATA), process.name
        assert set(service["environment"]) == set(topology.COMMON_ENV), process.name
        assert service["restart"] == "unless-stopped", process.name
        assert service["healthcheck"]["test"] == ["CMD", *process.healthcheck], process.name
        assert service["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert services["migrate"]["command"] == list(topology.MIGRATE)
    assert set(services["migrate"]["environment"]) == set(topology.COMMON_ENV)
    keel = {p.name for p in topology.PROCESSES} | {"migrate"}
    others = set(services) - keel
    assert others == {"postgres", "redis", "caddy", "backup", "restore"}, others
    assert services["restore"]["profiles"] == ["restore"]  # never started by `up`


def test_one_image_built_once_and_reused():
    services = _compose()["services"]
    builders = [name for name, s in services.items() if "build" in s]
    assert builders == ["migrate"]
    image = services["migrate"]["image"]
    for process in topology.PROCESSES:
        assert services[process.name]["image"] == image
        assert services[process.name]["pull_policy"] == "never"
    dockerfile = ROOT / services["migrate"]["build"]["dockerfile"]
    assert "requirements.lock" in dockerfile.read_text()


def test_web_scales_behind_a_tls_proxy_and_only_the_proxy_is_published():
    services = _compose()["services"]
    web = services["web"]
    assert "ports" not in web and "container_name" not in web
    assert web["deploy"]["replicas"] >= 2
    assert services["beat"]["deploy"]["replicas"] == 1
    published = {name for name, s in services.items() if s.get("ports")}
    assert published == {"caddy"}
    assert "443:443" in services["caddy"]["ports"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "{$KEEL_DOMAIN}" in caddyfile and "tls {$KEEL_TLS:internal}" in caddyfile
    assert "dynamic a" in caddyfile and "name web" in caddyfile  # every replica, not the first
    env = services["web"]["environment"]
    assert env["DJANGO_CSRF_TRUSTED_ORIGINS"] == "https://${KEEL_DOMAIN}"
    assert env["DJANGO_SECURE_SSL_REDIRECT"] == "true"
    assert env["DJANGO_SETTINGS_MODULE"] == "hrcore.settings.production"


def test_media_on_a_named_volume_and_backups_scheduled_with_retention():
    compose = _compose()
    services = compose["services"]
    for process in topology.PROCESSES:
        assert "keel-data:/data" in services[process.name]["volumes"]
    assert {"keel-data", "keel-backups", "pg-data"} <= set(compose["volumes"])
    backup = services["backup"]
    assert backup["restart"] == "unless-stopped"
    assert backup["entrypoint"] == ["/bin/sh", "/deploy/backup.sh"]
    assert "keel-backups:/backups" in backup["volumes"]
    assert {"KEEL_BACKUP_INTERVAL_SECONDS", "KEEL_BACKUP_KEEP_DAYS"} <= set(backup["environment"])
    script = (ROOT / "deploy" / "backup.sh").read_text()
    assert "pg_dump" in script and "-mtime" in script and "KEEL_BACKUP_KEEP_DAYS" in script
