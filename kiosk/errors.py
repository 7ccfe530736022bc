"""Errors the composition root reports to a person; kept once in ``contract.errors``.

Re-exported here so that kiosk modules (and branches in flight) keep importing
``kiosk.errors``; new code imports ``contract.errors``.
"""

from contract.errors import ConfigError, describe_validation_error

__all__ = ["ConfigError", "describe_validation_error"]
