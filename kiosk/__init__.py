"""The kiosk core, Qt-free: settings, the service catalog's sync from the hall
(``catalog_sync``; the catalog model is ``contract.catalog``), identity, the hall client,
the outbox and offline tickets (``offline``), the citizen's visit (``visit``: the core;
``journeys/``: ticket, pre-check, rating, case, help; ``flow``: them put together for the
screens), print jobs (``print_jobs``), the document pre-check engine (``precheck/``), the
voice guide's rules, the staff panel's logic; ``app`` is the composition root that builds
all of it from settings."""

__version__ = "0.1.0"
