"""What both engines report about themselves."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class EngineState(enum.Enum):
    NOT_STARTED = "not_started"
    STARTING = "starting"
    READY = "ready"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class EngineStatus:
    state: EngineState
    reason: str = ""  # why unavailable (for staff and logs: never contains typed text)

    @property
    def ready(self) -> bool:
        return self.state is EngineState.READY

    @property
    def unavailable(self) -> bool:
        return self.state is EngineState.UNAVAILABLE


NOT_STARTED = EngineStatus(EngineState.NOT_STARTED)
STARTING = EngineStatus(EngineState.STARTING)
READY = EngineStatus(EngineState.READY)


def unavailable(reason: str) -> EngineStatus:
    return EngineStatus(EngineState.UNAVAILABLE, reason)
