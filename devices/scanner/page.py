"""Pure image functions for captured pages: find the page, flatten it, judge the capture.

No I/O, no clocks, no camera: numpy arrays in (BGR ``uint8`` as OpenCV decodes them, or
single-channel grey), arrays and plain values out, so every rule can be tested on synthetic
frames and run in a worker process.

Page detection: the paper is the largest bright region against the (darker) mat or desk of
a document camera. Otsu's threshold separates the two on a downscaled grey frame; the
region's convex hull is reduced to four corners, which ``warp_page`` maps to a flat
rectangle whose aspect ratio is measured from the corners.

Quality flags (exactly these names, so the UI and the CLI can rely on them):

``blurred``     the variance of the Laplacian of the page (scaled to a fixed size, paper at
                a fixed grey level) is below ``blur_threshold``; measured per tile and the
                sharpest tiles taken, so blank paper does not count as blur. Motion blur,
                which leaves lines parallel to the motion sharp, is caught by the same
                variance of the second derivative along each of four directions
                (``motion_threshold``). Judged only when the exposure is usable.
``too_dark``    the paper's median grey level is below ``dark_threshold``.
``too_bright``  most of the paper is clipped white *and* even the ink is light grey.
``glare``       a saturated highlight blob covers part of paper that is otherwise not clipped.
``cropped``     the page touches the frame's edge, or no whole page was found.

Thresholds depend on the camera and the lighting: they are settings, to be calibrated on
real captures (``python -m devices.scanner.page IMAGE...`` prints the measured values).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import cv2
import numpy as np

log = logging.getLogger(__name__)

FLAGS = ("blurred", "too_dark", "too_bright", "glare", "cropped")

ADVICE: dict[str, tuple[str, str]] = {
    "blurred": (
        "照片模糊，请拿稳材料，稍等片刻再拍",
        "The picture is blurred: hold still and try again",
    ),
    "too_dark": ("光线太暗，请把材料放到灯光下", "Too dark: move the document into the light"),
    "too_bright": (
        "光线太强，字迹看不清，请调整位置",
        "Too bright: the text is washed out, move the document",
    ),
    "glare": (
        "材料反光，请调整角度避开反光",
        "Glare on the document: tilt it to avoid the reflection",
    ),
    "cropped": ("请把材料放平，完整放在框内", "Lay the document flat and fully inside the frame"),
}


def advice(flag: str, language: str = "zh") -> str:
    """What the citizen should do about one quality flag, in Chinese ("zh") or English."""
    zh, en = ADVICE[flag]
    return zh if language == "zh" else en


@dataclass(frozen=True)
class QualityThresholds:
    """Limits of an acceptable capture. Grey levels are 0–255; sizes are fractions."""

    blur_threshold: float = 150.0  # variance of the Laplacian (grey levels²) at analysis_side
    motion_threshold: float = 50.0  # smallest directional 2nd-derivative variance (grey levels²)
    dark_threshold: float = 90.0  # median paper grey level below this: too dark
    bright_clip_fraction: float = 0.15  # this share of the paper clipped (≥ 250) ...
    bright_ink_level: float = 100.0  # ... and the darkest 1 % of the page lighter than this
    glare_level: int = 250  # a pixel this bright (after a 5 px blur) is saturated
    glare_min_fraction: float = 0.004  # a highlight blob at least this share of the page
    edge_margin: float = 0.004  # the page within this share of the frame size touches the edge
    analysis_side: int = 1000  # long side, px, of the page image the blur is measured on
    detect_side: int = 800  # long side, px, of the frame the page is searched in


@dataclass
class Quality:
    """The flags raised and the measured values behind them (for calibration and logs)."""

    flags: list[str]
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ----------------------------------------------------------------------------- geometry
def to_grey(image: np.ndarray) -> np.ndarray:
    """Grey from BGR, or the image itself if it already has one channel."""
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left (float32, 4×2)."""
    pts = np.asarray(points, np.float32).reshape(4, 2)
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()  # y - x
    return np.array(
        [pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32
    )


@dataclass(frozen=True)
class PageLocation:
    """Where the page is in the frame: corners (TL, TR, BR, BL, frame px) or None."""

    quad: np.ndarray | None
    touches_edge: bool  # part of the page region lies on the frame's border
    full_frame: bool  # the whole image is the page (a flatbed scan or a pre-cropped photo)
    area_fraction: float  # page region / frame area


def locate_page(
    image: np.ndarray, detect_side: int = 800, edge_margin: float = 0.004
) -> PageLocation:
    """Find the page as the largest bright region; corners in the coordinates of ``image``.

    Returns ``quad=None`` when no region of at least 8 % of the frame reduces to four
    corners. A frame whose four borders are all paper-bright is taken as a full-frame page
    (a scan), not as a page that is cut off.
    """
    grey = to_grey(image)
    h, w = grey.shape
    scale = min(1.0, detect_side / max(h, w))
    small = cv2.resize(grey, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape
    small = cv2.GaussianBlur(small, (5, 5), 0)
    full = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    _, mask = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found = PageLocation(None, False, False, 0.0)
    if contours:
        contour = max(contours, key=cv2.contourArea)
        area = cv2.contourArea(contour) / (sw * sh)
        margin = max(1, round(edge_margin * max(sw, sh)))
        x, y, bw, bh = cv2.boundingRect(contour)
        touches = x <= margin or y <= margin or x + bw >= sw - margin or y + bh >= sh - margin
        quad = _four_corners(contour) if area >= 0.08 else None
        quad = order_corners(quad / scale) if quad is not None else None
        found = PageLocation(quad, touches, False, area)
        if quad is not None and not touches:
            return found
    if _borders_are_paper(small):
        return PageLocation(full, False, True, 1.0)
    return found


def _borders_are_paper(small: np.ndarray) -> bool:
    """All four 2 % border strips bright and even: the image is all page (a scan)."""
    h, w = small.shape
    b = max(2, round(0.02 * min(h, w)))
    strips = (small[:b], small[-b:], small[:, :b], small[:, -b:])
    return all(float(np.median(s)) > 170 and float(np.std(s)) < 25 for s in strips)


def _four_corners(contour: np.ndarray) -> np.ndarray | None:
    hull = cv2.convexHull(contour)
    peri = cv2.arcLength(hull, True)
    for eps in (0.01, 0.02, 0.03, 0.045, 0.06):
        approx = cv2.approxPolyDP(hull, eps * peri, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
    # a corner rounded off (glare, a fold): the bounding rotated rectangle if it fits well
    rect = cv2.minAreaRect(hull)
    box_area = rect[1][0] * rect[1][1]
    if box_area > 0 and cv2.contourArea(hull) / box_area > 0.9:
        return cv2.boxPoints(rect).astype(np.float32)
    return None


def warp_page(image: np.ndarray, quad: np.ndarray, max_side: int | None = None) -> np.ndarray:
    """Flatten the page inside ``quad`` to a rectangle; ``max_side`` caps its long side (px).

    The output size follows the page's measured edge lengths, so a card stays card-shaped.
    """
    tl, tr, br, bl = order_corners(quad)
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    if max_side and max(width, height) > max_side:
        k = max_side / max(width, height)
        width, height = width * k, height * k
    out_w, out_h = max(8, round(width)), max(8, round(height))
    dst = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(np.array([tl, tr, br, bl], np.float32), dst)
    return cv2.warpPerspective(image, matrix, (out_w, out_h), flags=cv2.INTER_AREA)


def find_and_warp(image: np.ndarray, max_side: int | None = None) -> np.ndarray | None:
    """The flattened page (largest quadrilateral), or None when there is no whole page."""
    loc = locate_page(image)
    if loc.quad is None:
        return None
    return warp_page(image, loc.quad, max_side)


# ----------------------------------------------------------------------------- quality
_SECOND_DERIVATIVES = (
    np.array([[1, -2, 1]], np.float32),  # along x
    np.array([[1], [-2], [1]], np.float32),  # along y
    np.array([[1, 0, 0], [0, -2, 0], [0, 0, 1]], np.float32),  # along one diagonal
    np.array([[0, 0, 1], [0, -2, 0], [1, 0, 0]], np.float32),  # along the other
)


def _normalised(grey: np.ndarray, side: int) -> np.ndarray:
    """The page at ``side`` px on its long side, denoised, with the paper at grey level 200.

    Why a fixed size: the variances below depend on scale. Why a fixed paper level: a dim
    capture has a smaller Laplacian for the same focus, so the grey levels get a gain (not a
    contrast stretch, which would also sharpen a blurred page's faded ink). The 3 px median
    removes sensor noise that would look like detail.
    """
    h, w = grey.shape
    k = side / max(h, w)
    img = cv2.resize(
        grey, (max(8, round(w * k)), max(8, round(h * k))), interpolation=cv2.INTER_AREA
    )
    img = cv2.medianBlur(img, 3).astype(np.float32)
    img *= 200.0 / max(float(np.median(img)), 20.0)
    return img


def _top_tiles_variance(values: np.ndarray, tiles: int = 8) -> float:
    """Mean variance of the 25 % most textured tiles of a ``tiles``×``tiles`` grid.

    Why tiles: a page is mostly blank paper, whose variance is near zero sharp or not.
    """
    th, tw = max(1, values.shape[0] // tiles), max(1, values.shape[1] // tiles)
    variances = sorted(
        float(values[r * th : (r + 1) * th, c * tw : (c + 1) * tw].var())
        for r in range(tiles)
        for c in range(tiles)
    )
    return float(np.mean(variances[-max(1, len(variances) // 4) :]))


def sharpness(grey: np.ndarray, side: int = 1000) -> tuple[float, float]:
    """(variance of the Laplacian, smallest directional second-derivative variance), grey levels².

    The first is the classic focus measure. The second catches motion blur, which smears
    along one direction only: lines parallel to the motion stay sharp and keep the
    Laplacian high, but the second derivative along the motion collapses.
    """
    img = _normalised(grey, side)
    laplacian = _top_tiles_variance(cv2.Laplacian(img, cv2.CV_32F))
    directional = min(
        _top_tiles_variance(cv2.filter2D(img, cv2.CV_32F, k)) for k in _SECOND_DERIVATIVES
    )
    return laplacian, directional


def check_quality(
    image: np.ndarray,
    location: PageLocation | None = None,
    thresholds: QualityThresholds | None = None,
    page: np.ndarray | None = None,
) -> Quality:
    """Judge one capture; ``page`` is the flattened page if the caller already has it.

    Brightness and glare are judged on the page region (the desk does not count), blur on
    the flattened page at ``analysis_side`` px.
    """
    t = thresholds or QualityThresholds()
    loc = location or locate_page(image, t.detect_side, t.edge_margin)
    grey = to_grey(image)
    flags: list[str] = []
    metrics: dict[str, float] = {"page_area": round(loc.area_fraction, 3)}

    if loc.quad is None or loc.touches_edge:
        flags.append("cropped")
    if page is None and loc.quad is not None:
        page = warp_page(grey, loc.quad, t.analysis_side)
    page_grey = to_grey(page) if page is not None else _centre(grey)

    laplacian, directional = sharpness(page_grey, t.analysis_side)
    metrics.update(sharpness=round(laplacian, 1), directional=round(directional, 1))
    blurred = laplacian < t.blur_threshold or directional < t.motion_threshold

    small = _downscale(page_grey, 600)
    median = float(np.median(small))
    ink = float(np.percentile(small, 1))
    clipped = float(np.mean(small >= 250))
    metrics.update(median=round(median, 1), ink=round(ink, 1), clipped=round(clipped, 3))
    if median < t.dark_threshold:
        flags.append("too_dark")
    if clipped >= t.bright_clip_fraction and ink > t.bright_ink_level:
        flags.append("too_bright")
    elif blurred:
        # judged only when the exposure is usable: washed-out ink has no edges either, and
        # the advice for that is about the light, not about holding still
        flags.append("blurred")

    glare = _glare_fraction(small, t.glare_level)
    metrics["glare"] = round(glare, 4)
    if (
        glare >= t.glare_min_fraction
        and clipped < t.bright_clip_fraction
        and "too_bright" not in flags
    ):
        flags.append("glare")
    return Quality([f for f in FLAGS if f in flags], metrics)


def _downscale(grey: np.ndarray, side: int) -> np.ndarray:
    h, w = grey.shape
    k = min(1.0, side / max(h, w))
    return cv2.resize(
        grey, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA
    )


def _centre(grey: np.ndarray) -> np.ndarray:
    """Without a page, judge the middle of the frame, where the page should be."""
    h, w = grey.shape
    return grey[h // 6 : h - h // 6, w // 6 : w - w // 6]


def _glare_fraction(small: np.ndarray, level: int) -> float:
    """Share of the page covered by the largest saturated blob (ignoring specks)."""
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    mask = (blurred >= level).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return 0.0
    largest = int(stats[1:, cv2.CC_STAT_AREA].max())
    return largest / mask.size


def main(argv: list[str] | None = None) -> int:
    """Print each image's measured quality values, to calibrate the thresholds on a camera."""
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m devices.scanner.page", description=main.__doc__)
    ap.add_argument("images", nargs="+")
    args = ap.parse_args(argv)
    for path in args.images:
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            print(json.dumps({"file": path, "error": "not an image"}))
            continue
        print(json.dumps({"file": path, **check_quality(image).to_dict()}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
