"""A partner's developer reads a service's `/docs` in a real browser with no CDN to reach, signs
in through Keycloak from it (authorization code with PKCE, the realm's public client
`work4life-docs`) and tries the API with their own role and organisation."""

import pytest

pytestmark = pytest.mark.e2e


def test_docs_render_from_the_service_and_sign_in_through_keycloak(stack, context):
    page = context.new_page()
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(stack.intake.url) else None)
    page.goto(f"{stack.intake.url}/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert outside == [], f"the page reached outside the service: {outside[:3]}"
    listing = page.locator(".opblock-get").filter(has=page.locator("[data-path='/v1/beneficiaries']")).first

    page.click(".auth-wrapper button.authorize")
    provider = page.locator(".auth-container").filter(has_text="identity_provider")
    assert provider.locator("input#client_id_authorizationCode").input_value() == "work4life-docs"
    with page.expect_popup() as popup:
        provider.locator("button.authorize").click()
    login = popup.value
    login.wait_for_selector("#username")  # Keycloak's own sign-in page
    login.fill("#username", "caseworker-oujda")
    login.fill("#password", "caseworker-oujda")
    login.click("#kc-login")
    provider.get_by_text("Authorized").wait_for()  # the code came back and became a token
    page.click("button.close-modal")

    listing.locator(".opblock-summary").click()
    listing.locator("button.try-out__btn").click()
    listing.locator("button.execute").click()
    status = listing.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200", listing.locator(".live-responses-table").inner_text()
    sent = listing.locator(".curl-command").inner_text()
    assert "Authorization: Bearer ey" in sent, "the call carried the reader's own token"
