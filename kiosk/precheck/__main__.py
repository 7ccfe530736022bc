"""Pre-check pages from the command line (the interface an outside evaluation uses: keep it).

    python -m kiosk.precheck --item ITEM_ID [--holder-name NAME --holder-id ID] --json IMAGE...

prints one JSON object::

    {"pages": [{"file", "doc_type", "confidence", "quality": [flags], "fields": {...}, ...}],
     "verdict": {"overall", "materials": [...], "missing_core", "missing_rongque", "slip", ...},
     "timings_ms": {"warm_up", "decode", "quality", ..., "total", "per_page": [...]},
     "engine": "rapidocr"}

``quality`` flags come from ``blurred``, ``too_dark``, ``too_bright``, ``glare``, ``cropped``.
Privacy: ID numbers in ``fields`` are masked (1101**********002X) unless ``--unmasked`` is
given — the output goes to the caller, who may need them, but a terminal or a log file must
not get them by default. Names stay plain in ``fields`` (they are what the citizen checks on
screen); nothing personal is ever logged. Without ``--json`` the slip is printed as text.

Exit status: 0 with a verdict, 2 for bad arguments (unknown item, invalid holder ID number).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from contract.catalog import DEFAULT_PATH, load_catalog
from contract.errors import ConfigError
from contract.idnumber import InvalidIdNumber, parse_id_number
from kiosk.precheck import ocr, pipeline, verdict


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m kiosk.precheck",
        description="智能预审: check document photos against a service item's checklist.",
    )
    ap.add_argument("--item", required=True, help="service item or bundle id from the catalog")
    ap.add_argument("--holder-name", default="", help="the card holder's name (cross-check)")
    ap.add_argument("--holder-id", default="", help="the card holder's ID number (cross-check)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--unmasked", action="store_true", help="do not mask ID numbers in --json")
    ap.add_argument(
        "--engine",
        default=ocr.DEFAULT_ENGINE,
        choices=["auto", *sorted(ocr.ENGINES)],
        help="OCR engine (auto: rapidocr if installed, else tesseract)",
    )
    ap.add_argument("--catalog", type=Path, default=DEFAULT_PATH, help="service catalog TOML")
    ap.add_argument("--language", default="zh", choices=("zh", "en"), help="slip language")
    ap.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    ap.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    return ap


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Analyse every image and judge them against the item; returns the JSON object."""
    catalog = load_catalog(args.catalog)
    entry = catalog.entry(args.item)
    args.engine = ocr.resolve_engine(args.engine)
    options = pipeline.PrecheckOptions(engine=args.engine)
    warm = pipeline.warm_up(args.engine)
    pages_json: list[dict[str, Any]] = []
    summaries: list[verdict.PageSummary] = []
    totals: dict[str, float] = {}
    per_page: list[float] = []
    for path in args.images:
        start = time.perf_counter()
        try:
            data = path.read_bytes()
            result = pipeline.analyse_page(
                data,
                path.name,
                options=options,
                holder_name=args.holder_name,
                holder_id=args.holder_id,
            )
        except (OSError, ValueError) as exc:
            pages_json.append(
                {
                    "file": path.name,
                    "doc_type": "other",
                    "confidence": 0.0,
                    "quality": [],
                    "fields": {},
                    "readable": False,
                    "error": str(exc),
                }
            )
            summaries.append(verdict.PageSummary(path.name, "other", 0.0, (), False))
            per_page.append(round((time.perf_counter() - start) * 1000, 1))
            continue
        pages_json.append(result.to_json(unmasked=args.unmasked))
        summaries.append(verdict.PageSummary.from_result(result))
        for stage, ms in result.timings_ms.items():
            totals[stage] = round(totals.get(stage, 0.0) + ms, 1)
        per_page.append(result.timings_ms.get("total", 0.0))
    judged = verdict.verdict_for(catalog, entry, summaries)
    verdict_json = judged.to_json()
    verdict_json["slip"] = verdict.slip_lines(judged, args.language)
    verdict_json["spoken"] = verdict.spoken_summary(judged, args.language)
    timings = {"warm_up": round(warm, 1), **totals, "per_page": per_page}
    return {
        "pages": pages_json,
        "verdict": verdict_json,
        "timings_ms": timings,
        "engine": args.engine,
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.holder_id:
        try:
            args.holder_id = parse_id_number(args.holder_id)
        except InvalidIdNumber as exc:
            print(f"--holder-id: not a valid ID number ({exc})", file=sys.stderr)
            return 2
    try:
        out = run(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyError:
        print(f"--item: unknown service item or bundle {args.item!r}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"--engine {args.engine}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        for page in out["pages"]:
            flags = ",".join(page["quality"]) or "ok"
            print(f"{page['file']}: {page['doc_type']} ({page['confidence']:.2f}) [{flags}]")
        print()
        print("\n".join(out["verdict"]["slip"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
