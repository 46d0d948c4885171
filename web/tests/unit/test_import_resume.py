"""An import cut off by a restart of intake: its page says so and offers to resume it."""

import asyncio
import time
from datetime import UTC, datetime

from sqlmodel import Session

from work4life.intake.adapters.orm import BackgroundJob
from work4life.intake.service_layer.imports import ImportJob
from work4life.runtime import db

CSV = (
    "Prénom;Nom;Sexe;Date de naissance;Nationalité;Statut;Région;Ville;Consentement service;Consentement statistiques\n"
    "Awa;Diop;F;17/05/1990;SEN;refugie;Oriental;Oujda;oui;oui\n"
    "Yao;Kouassi;H;1988-02-29;civ;regular_migrant;rabat_sale_kenitra;Rabat;oui;non\n"
)


async def test_an_interrupted_import_is_resumed_from_its_page(web_and_intake, tmp_path):
    browser, _intake = web_and_intake
    await browser.sign_in()
    engine = db.make_engine(f"sqlite:///{tmp_path}/intake.db")
    with Session(engine) as session:
        stopped = ImportJob(job_id="cut-off", filename="partenaires.csv", rows_total=2, rows_done=1, imported=1)
        session.add(
            BackgroundJob(
                job_id="cut-off",
                kind="import",
                organisation="amappe-rabat",
                started_by="Aïcha",
                status="running",
                report=stopped.summary(),
                upload=CSV.encode(),
                started_at=datetime.now(UTC),
                heartbeat_at=time.time() - 3600,
            )
        )
        session.commit()
    engine.dispose()

    page = await browser.get("/imports/cut-off")
    assert page.status_code == 200
    assert "Interrompu" in page.text and "Reprenez-le à partir de la ligne 2" in page.text
    resumed = await browser.post("/imports/cut-off/resume")
    assert resumed.status_code == 303 and resumed.headers["location"] == "/imports/cut-off"
    for _ in range(200):
        job = (await browser.get("/imports/cut-off", headers={"Accept": "application/json"})).json()
        if job["status"] != "running":
            break
        await asyncio.sleep(0.02)
    assert job["status"] == "finished" and job["imported"] == 2
    page = await browser.get("/imports/cut-off")
    assert "Reprendre" not in page.text and "Terminé" in page.text
