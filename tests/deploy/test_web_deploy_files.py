"""The staff web application's deployment files: its Dockerfile (parsed, and its install step run
outside Docker into an empty environment that must hold the app with its templates, catalogues and
assets and no service) and its Kubernetes manifest (Kubernetes' schema)."""

import json
import os
import re
import subprocess

import yaml

from .test_deploy_files import REPO, SERVICES, tool


def test_the_web_dockerfile_builds_an_image_of_only_the_app(tmp_path):
    from dockerfile_parse import DockerfileParser

    instructions = [(i["instruction"], i["value"]) for i in DockerfileParser(str(REPO / "web/Dockerfile")).structure]
    final = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
    values = dict(final)
    assert values["USER"] == "10001" and values["EXPOSE"] == "8000"
    assert json.loads(values["CMD"]) == ["python", "-m", "work4life.web"]
    install = next(v for k, v in instructions if k == "RUN" and "uv sync" in v)
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv"), "UV_PYTHON_DOWNLOADS": "never"}
    result = subprocess.run(
        [tool("uv"), *re.sub(r"^uv ", "", install).split(), "--quiet"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    probe = (
        "import importlib.util, sys, pathlib; import work4life.web.app as app; "
        "here = pathlib.Path(app.__file__).parent; "
        "missing = [p for p in ('templates/base.html', 'static/app.js', 'static/sw.js', "
        "'locales/ar/LC_MESSAGES/messages.po') if not (here / p).exists()]; "
        f"present = [s for s in {list(SERVICES)!r} if importlib.util.find_spec('work4life.' + s)]; "
        "sys.exit(f'missing {missing}, also installed {present}' if missing or present else 0)"
    )
    result = subprocess.run(
        [str(tmp_path / "venv/bin/python"), "-c", probe], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr


def test_the_web_manifest_passes_kubernetes_schema_validation():
    import kubernetes_validate

    documents = list(yaml.safe_load_all((REPO / "deploy/kubernetes/web.yaml").read_text()))
    assert {d["kind"] for d in documents} == {"ServiceAccount", "ConfigMap", "Deployment", "Service"}
    for document in documents:
        kubernetes_validate.validate(document, "1.31.0", strict=True)
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    assert config["ENVIRONMENT"] == "production" and config["OIDC_ISSUER"].startswith("https://")
    from work4life.web.config import WebSettings

    for key in config:  # every setting in the ConfigMap is one the app reads
        assert key.lower() in WebSettings.model_fields, key
