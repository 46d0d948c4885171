"""The staff web application in a real headless Chromium (Debian's package, driven by Playwright),
over intake and the web app as real processes on the real broker, signing in through a real
Keycloak (deploy/keycloak/keycloak.sh) or the development sign-in."""

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from work4life.runtime.processes import ServiceProcess, start_together
from work4life.runtime.testing import REQUIRE_REAL, TEST_JWT_SECRET, bearer

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
ARTEFACTS = Path(os.environ.get("W4L_TEST_ARTEFACTS", REPO / ".state" / "artefacts")) / "web"
CLIENT_SECRET = "work4life-web-dev-secret"  # the committed development realm's


def unavailable(message: str):
    if REQUIRE_REAL:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        unavailable("needs Chromium (apt-get install chromium); scripts/test.sh installs it")
    return found


@pytest.fixture(scope="session")
def keycloak_issuer() -> str:
    """The development realm's issuer: the test command's Keycloak, or one started here."""
    issuer = os.environ.get("W4L_TEST_KEYCLOAK_URL")
    if not issuer:
        started = subprocess.run(
            ["bash", str(REPO / "deploy/keycloak/keycloak.sh"), "start"], capture_output=True, text=True, timeout=600
        )
        if started.returncode != 0:
            unavailable(f"needs Keycloak (deploy/keycloak/keycloak.sh start failed: {started.stderr[-400:]})")
        issuer = subprocess.run(
            ["bash", str(REPO / "deploy/keycloak/keycloak.sh"), "url"], capture_output=True, text=True, check=True
        ).stdout.strip()
    try:
        httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=10).raise_for_status()
    except httpx.HTTPError as exc:
        unavailable(f"needs Keycloak at {issuer}: {exc}")
    return issuer


class Stack:
    def __init__(self, intake: ServiceProcess, *partners: ServiceProcess, web: ServiceProcess) -> None:
        self.intake = intake
        self.training, self.enterprise, self.employment, self.reporting = partners
        self.web = web
        self.url = web.url

    def intake_api(self, role: str = "admin", organisation: str = "amappe-rabat") -> httpx.Client:
        return httpx.Client(base_url=self.intake.url, headers=bearer(role, organisation), timeout=10)

    def training_api(self, role: str = "caseworker", organisation: str = "amappe-rabat") -> httpx.Client:
        return httpx.Client(base_url=self.training.url, headers=bearer(role, organisation), timeout=10)

    def people_named(self, family_name: str, status: str = "active") -> list[dict]:
        with self.intake_api() as api:
            found = api.get("/v1/beneficiaries", params={"name": family_name, "status": status, "limit": 100})
            found.raise_for_status()
            return [p for p in found.json()["items"] if p["family_name"] == family_name]


@pytest.fixture(scope="module")
def stack(kafka_bootstrap, keycloak_issuer, tmp_path_factory):
    """Intake, the three partners' services and the web app as processes on one topic namespace (a referral
    made in intake reaches the partner's service): the services trust both the realm's keys and the development
    secret; the web app offers both sign-ins."""
    folder = tmp_path_factory.mktemp("web-stack")
    common = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TOPIC_NAMESPACE": f"t{uuid.uuid4().hex[:8]}.",
        "TOPIC_PARTITIONS": "2",
        "AUTH_JWT_SECRET": TEST_JWT_SECRET,
        "AUTH_JWKS_URL": f"{keycloak_issuer}/protocol/openid-connect/certs",
        "AUTH_ISSUER": keycloak_issuer,
        "LOG_JSON": "true",
    }
    intake = ServiceProcess(
        "intake",
        {
            **common,
            "DATABASE_URL": f"sqlite:///{folder}/intake.db",
            "DOCS_OAUTH_CLIENT_ID": "work4life-docs",  # /docs signs in through the realm too
        },
        folder,
    )
    training = ServiceProcess("training", {**common, "DATABASE_URL": f"sqlite:///{folder}/training.db"}, folder)
    enterprise = ServiceProcess(
        "enterprise",
        # no course required before a grant here: the unit tests show the prerequisites
        {**common, "DATABASE_URL": f"sqlite:///{folder}/enterprise.db", "GRANT_PREREQUISITES": "[]"},
        folder,
    )
    employment = ServiceProcess("employment", {**common, "DATABASE_URL": f"sqlite:///{folder}/employment.db"}, folder)
    reporting = ServiceProcess(
        "reporting", {**common, "DATABASE_URL": f"sqlite:///{folder}/reporting.db", "TARGETS": '{"3.2": 500}'}, folder
    )
    web = ServiceProcess(
        "web",
        {
            "INTAKE_URL": intake.url,
            "TRAINING_URL": training.url,
            "ENTERPRISE_URL": enterprise.url,
            "EMPLOYMENT_URL": employment.url,
            "REPORTING_URL": reporting.url,
            "OIDC_ISSUER": keycloak_issuer,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "DEV_JWT_SECRET": TEST_JWT_SECRET,
            "ENVIRONMENT": "test",
            "LOG_JSON": "true",
        },
        folder,
    )
    web.env["W4L_WEB_PUBLIC_URL"] = web.url
    try:
        start_together([intake, training, enterprise, employment, reporting, web])
        yield Stack(intake, training, enterprise, employment, reporting, web=web)
    finally:
        web.stop()
        reporting.stop()
        employment.stop()
        enterprise.stop()
        training.stop()
        intake.stop()


@pytest.fixture(scope="module")
def chromium(chromium_path):
    """Module-scoped: Playwright's synchronous API runs an event loop in this thread while it is
    open, and the asynchronous tests that follow need it closed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def context(chromium):
    """A fresh browser profile at a tablet's size (768 px wide), the app's CSP bypassed only so that
    the test can inject axe-core."""
    context = chromium.new_context(viewport={"width": 768, "height": 1024}, bypass_csp=True, locale="fr-FR")
    context.set_default_timeout(20_000)
    yield context
    context.close()


def dev_sign_in(page, base: str, role: str = "caseworker", organisation: str = "amappe-rabat", name: str = "Aïcha"):
    page.goto(f"{base}/sign-in")
    page.fill("#name", name)
    page.select_option("#role", role)
    page.fill("#organisation", organisation)
    page.click("form[action='/sign-in/development'] button[type=submit]")
    page.wait_for_url(lambda url: "/sign-in" not in url)


def choose_language(page, language: str) -> None:
    page.select_option("#language-choice", language)
    page.wait_for_function(f"document.documentElement.lang === '{language}'")


def check_accessibility(page, screen: str) -> list[str]:
    """axe-core's serious and critical violations on this page (none expected), and a screenshot."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    language = page.evaluate("document.documentElement.lang")
    page.screenshot(path=str(ARTEFACTS / f"{language}-{screen}.png"), full_page=True)
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: scripts/setup.sh installs it (npm ci in web/)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{screen} [{language}] {v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
