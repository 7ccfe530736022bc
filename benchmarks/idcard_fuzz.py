"""Fuzz and throughput of the ID-card reader's frame decoder; prints JSON.

    python benchmarks/idcard_fuzz.py [--n 1000000] [--quick] [--seed 467]

Fuzz: ``--n`` cases (default 1,000,000; ``--quick`` 20,000), each one segment of a byte
stream: a valid answer (small, 1295-byte read, 2321-byte read with fingerprint), random
garbage, runs of preamble-like bytes, a frame with flipped bytes, a truncated frame, a
frame with a bad checksum, or a head with an impossible length. The stream is fed to one
``FrameDecoder`` in chunks of 1–4096 bytes (log-uniform). Reported: n_bytes, n_feeds,
frames_intact (valid frames put in), frames_recovered (of those, decoded), frames_lost,
unexpected_frames (corrupt frames that passed the 8-bit XOR checksum: the protocol's own
limit), errors (frames the decoder dropped), unhandled_exceptions (must be 0),
peak_buffer_bytes (after any feed; the bound is max_frame_bytes).

Throughput: the valid frames alone, fed in 4096-byte chunks: frames_per_s and MB/s, against
a baseline in the same process over the same bytes: a plain ``bytes.find`` scan for the
preamble (``ratio`` = decoder time / baseline time).

This script measures; it never asserts and always exits 0 (errors go into the JSON).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devices.idcard import protocol as p  # noqa: E402
from devices.idcard.virtual import load_card  # noqa: E402

CARDS = Path(__file__).resolve().parent.parent / "config" / "cards"
BATCH = 5000  # cases generated and fed at a time (bounded memory)


def templates(rng: random.Random) -> list[bytes]:
    """Card read answers (30 01, and one 30 10) of the fixture cards, random photos."""
    cards = [load_card(path) for path in sorted(CARDS.glob("*.json"))]
    large = [p.encode_read_response(card, rng.randbytes(1024)) for card in cards]
    large += [p.encode_read_response(cards[0], rng.randbytes(1024), rng.randbytes(1024))]
    return large


def tagged(template: bytes, tag: int) -> bytes:
    """A read answer with an 8-byte tag at the start of its photo (checksum recomputed),
    so every frame put in is unique and each decoded one can be matched to it."""
    frame = bytearray(template)
    at = p.HEAD_LEN + 3 + (4 if len(frame) == 1295 else 6) + p.TEXT_LEN
    frame[at : at + 8] = tag.to_bytes(8, "big")
    frame[-1] = p.checksum(frame[5:-1])
    return bytes(frame)


class Cases:
    """Draws fuzz cases; intact frames carry a running tag, corrupt ones a random one."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.large = templates(rng)
        self.next_tag = 0

    def frame(self, intact: bool) -> bytes:
        """A valid answer: 87% small (find, select, status), 13% card reads."""
        rng = self.rng
        if intact:
            self.next_tag += 1
            tag = self.next_tag
        else:
            tag = rng.getrandbits(63) | 1 << 63
        if rng.random() < 0.13:
            return tagged(rng.choice(self.large), tag)
        sw3 = rng.choice([0x9F, 0x80, 0x90, 0x41, 0x91])
        return p.encode_response(sw3, tag.to_bytes(8, "big") + bytes(rng.choice([0, 4, 8])))

    def segment(self) -> tuple[bytes, bool]:
        """One fuzz case: (bytes, True if it is an intact valid frame)."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.46:
            return self.frame(True), True
        if roll < 0.62:
            return rng.randbytes(rng.randint(0, 64)), False
        if roll < 0.70:
            run = rng.randint(1, 24)
            return bytes(rng.choice(b"\xaa\xaa\xaa\x96\x69\x00") for _ in range(run)), False
        frame = bytearray(self.frame(False))
        if roll < 0.82:  # flipped bytes anywhere, head included
            for _ in range(rng.randint(1, 3)):
                frame[rng.randrange(len(frame))] ^= rng.randint(1, 255)
        elif roll < 0.90:  # truncated
            del frame[rng.randint(1, len(frame) - 1) :]
        elif roll < 0.96:  # bad checksum
            frame[-1] ^= rng.randint(1, 255)
        else:  # impossible length
            bad = rng.choice([0, 1, 2, 3, p.MAX_RESPONSE_LEN + 1, 0xFFFF])
            frame[5:7] = bad.to_bytes(2, "big")
        return bytes(frame), False


def chunks(rng: random.Random, data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        size = int(2 ** rng.uniform(0, 12))
        out.append(data[pos : pos + size])
        pos += size
    return out


def fuzz(n: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    cases = Cases(rng)
    decoder = p.FrameDecoder()
    expected: set[int] = set()  # hashes of the intact frames' payloads not yet decoded
    counts = dict.fromkeys(
        ("n_bytes", "n_feeds", "frames_intact", "frames_recovered", "unexpected_frames"), 0
    )
    counts |= {"unhandled_exceptions": 0, "peak_buffer_bytes": 0}
    first_exception = ""
    start = time.perf_counter()
    done = 0
    while done < n:
        parts = []
        for _ in range(min(BATCH, n - done)):
            data, intact = cases.segment()
            parts.append(data)
            if intact:
                expected.add(hash(data[p.HEAD_LEN : -1]))
                counts["frames_intact"] += 1
        done += len(parts)
        for piece in chunks(rng, b"".join(parts)):
            counts["n_bytes"] += len(piece)
            counts["n_feeds"] += 1
            try:
                responses = decoder.feed(piece)
            except Exception:
                counts["unhandled_exceptions"] += 1
                first_exception = first_exception or traceback.format_exc(limit=3)
                decoder = p.FrameDecoder()
                continue
            counts["peak_buffer_bytes"] = max(counts["peak_buffer_bytes"], decoder.buffered)
            for resp in responses:
                key = hash(bytes([resp.sw1, resp.sw2, resp.sw3]) + resp.data)
                if key in expected:
                    expected.discard(key)
                    counts["frames_recovered"] += 1
                else:
                    counts["unexpected_frames"] += 1
    elapsed = time.perf_counter() - start
    result: dict[str, object] = {"n_cases": n, **counts}
    result["frames_lost"] = counts["frames_intact"] - counts["frames_recovered"]
    result["errors"] = decoder.errors
    result["discarded_bytes"] = decoder.discarded
    result["max_frame_bytes"] = p.MAX_RESPONSE_FRAME
    result["seconds"] = round(elapsed, 3)
    result["mb_per_s"] = round(counts["n_bytes"] / elapsed / 1e6, 2)
    if first_exception:
        result["first_exception"] = first_exception
    return result


def throughput(n_frames: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed + 1)
    cases = Cases(rng)
    frames = [cases.frame(True) for _ in range(n_frames)]
    data = b"".join(frames)
    pieces = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    decoder = p.FrameDecoder()
    start = time.perf_counter()
    decoded = 0
    for piece in pieces:
        decoded += len(decoder.feed(piece))
    decoder_s = time.perf_counter() - start
    start = time.perf_counter()
    found, pos = 0, data.find(p.PREAMBLE)
    while pos >= 0:
        found += 1
        pos = data.find(p.PREAMBLE, pos + 1)
    baseline_s = time.perf_counter() - start
    return {
        "frames": n_frames,
        "frames_decoded": decoded,
        "bytes": len(data),
        "decoder_seconds": round(decoder_s, 4),
        "frames_per_s": round(decoded / decoder_s),
        "mb_per_s": round(len(data) / decoder_s / 1e6, 2),
        "baseline": "bytes.find scan for the preamble over the same bytes",
        "baseline_seconds": round(baseline_s, 4),
        "baseline_preambles_found": found,
        "baseline_mb_per_s": round(len(data) / baseline_s / 1e6, 1) if baseline_s else None,
        "ratio": round(decoder_s / baseline_s, 1) if baseline_s else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="fuzz cases")
    parser.add_argument("--quick", action="store_true", help="20,000 cases (CI)")
    parser.add_argument("--seed", type=int, default=467)
    args = parser.parse_args()
    n = 20_000 if args.quick else max(1, args.n)
    report: dict[str, object] = {
        "benchmark": "idcard_fuzz",
        "python": platform.python_version(),
        "seed": args.seed,
    }
    try:
        report["fuzz"] = fuzz(n, args.seed)
        report["throughput"] = throughput(20_000 if args.quick else 200_000, args.seed)
    except Exception as exc:  # the benchmark reports, it does not fail
        report["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
