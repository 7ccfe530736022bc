"""The service catalog is part of the shared contract: see ``contract.catalog``.

Re-exported here so that kiosk modules (and branches in flight) keep importing
``kiosk.catalog``; new code imports ``contract.catalog``.
"""

from contract.catalog import (
    DEFAULT_PATH,
    Bundle,
    Catalog,
    DocType,
    Material,
    Service,
    WindowGroup,
    load_catalog,
)

__all__ = ["DEFAULT_PATH", "Bundle", "Catalog", "DocType", "Material", "Service",
           "WindowGroup", "load_catalog"]  # fmt: skip
