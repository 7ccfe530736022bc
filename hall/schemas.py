"""The HTTP API's request and response bodies are the shared contract: ``contract.api``.

Re-exported here so that hall modules (and branches in flight) keep importing
``hall.schemas``; new code imports ``contract.api``.
"""

from contract.api import Health, Holder, TicketOut, TicketRequest

__all__ = ["Health", "Holder", "TicketOut", "TicketRequest"]
