"""Ticket printers: ESC/POS layout of tickets and notices (``layout``), status, the network,
serial and USB backends (``stream`` and its subclasses), a wire-level simulator and a
virtual printer that renders PNGs, all behind ``base.Printer``."""
