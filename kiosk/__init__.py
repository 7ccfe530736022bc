"""The kiosk core, Qt-free: settings, the service catalog, identity, the hall client and the
outbox, the citizen's visit (``visit``: the core; ``journeys/``: ticket, pre-check, rating,
case, help; ``flow``: them put together for the screens), the voice guide's rules, the
staff panel's logic; ``app`` is the composition root that builds all of it from settings."""

__version__ = "0.1.0"
