"""Work4Life's staff web application: server-rendered screens over the services' HTTP APIs.

It keeps no programme data and publishes no events: every page is composed from the services'
APIs, called on the server side with the signed-in person's token, so that each service keeps
enforcing its own roles and organisation scoping (docs/adr/0012-staff-web-application.md)."""
