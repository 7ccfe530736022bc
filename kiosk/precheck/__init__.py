"""智能预审 — material pre-check: image quality, OCR, document understanding, a verdict.

Advice to the citizen before they queue, never a refusal: staff confirm at the window.

- ``pipeline``    one page (image bytes) → ``PageResult``: quality flags with advice, document
                  type, key fields, holder cross-check, timings. ``PrecheckWorker`` runs it in
                  a warmed worker process so the GUI never waits on OCR.
- ``verdict``     pages → ``Verdict`` against an item's or a bundle's checklist (present and
                  fine / unreadable / wrong document / missing; complete / 容缺 / core
                  missing), the printed slip's lines and a spoken summary.
- ``ocr``         the OCR engines (RapidOCR, Tesseract) behind one interface.
- ``understand``  classification, fields, ID-number and credit-code checks.
- ``synth``       synthetic documents of every type for tests and benchmarks.
- ``python -m kiosk.precheck``  the command line (kept stable: an outside evaluation uses it).

Image functions that need no OCR (page detection, perspective, quality flags) live in
``devices.scanner.page``.
"""
