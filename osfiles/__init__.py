"""Operating-system file helpers that the kiosk and the hall server both use.

Not part of ``contract`` (which is pure: no I/O): these touch the file system. Standard
library only, and they import none of the project's packages (import-linter checks this),
so ``kiosk`` and ``hall`` can both depend on them and stay independent of each other.
"""
