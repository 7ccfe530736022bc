# Shared set-up for ./run and ./test (sourced, not executed).
# Installs only what is missing, so a second run takes a second:
#   1. Debian packages (as root, or through sudo without a password prompt);
#   2. the virtual environment .venv with exactly the locked Python packages
#      (requirements.lock, requirements-nodeps.lock; scripts/update-lock rewrites them);
#   3. the compiled UI translations.

KIOSK_DEBS=(
  fonts-noto-cjk                                   # Chinese glyphs on screen and on tickets
  tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng   # OCR (pre-check; glyph test)
  espeak-ng alsa-utils                             # speech synthesis and playback (aplay)
  librime1 rime-data-luna-pinyin rime-prelude rime-essay   # pinyin input (Rime, ime/rime.py)
  libzinnia0 tegaki-zinnia-simplified-chinese      # handwriting input (Zinnia, ime/handwriting.py)
  libgl1 libegl1 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0   # Qt at run time
  libxkbcommon0 libxkbcommon-x11-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
)
KIOSK_TEST_DEBS=(
  postgresql                                       # the hall server's multi-process tests
  chromium chromium-driver                         # the staff web page tested in a real browser
  xvfb                                             # full screen tested on X without a window manager
  x11-xserver-utils                                # xrandr: two named monitors on one Xvfb (screen choice)
  cage xwayland                                    # full screen tested under cage (headless; cage 0.1.4 needs Xwayland)
  libwayland-client0 libwayland-cursor0 libwayland-egl1   # Qt's wayland platform
  systemd                                          # systemd-analyze verify of the kiosk's unit
)

_log() { printf '[bootstrap] %s\n' "$*" >&2; }

_missing_debs() {
  local pkg missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  printf '%s\n' "${missing[@]}"
}

_install_debs() {
  command -v dpkg-query >/dev/null || { _log "not a Debian system: install the equivalents of: $*"; return 0; }
  local missing
  mapfile -t missing < <(_missing_debs "$@" | sed '/^$/d')
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      _log "missing Debian packages (run as root or with sudo to install): ${missing[*]}"
      return 0
    fi
  fi
  _log "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

_python() {
  local py
  for py in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$py" ] || continue
    if command -v "$py" >/dev/null && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  _log "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)"
  return 1
}

_venv() {
  local py stamp want
  py=$(_python) || return 1
  if [ ! -x .venv/bin/python ]; then
    if ! "$py" -c 'import ensurepip, venv' 2>/dev/null; then _install_debs python3-venv; fi
    _log "creating .venv with $py"
    "$py" -m venv .venv
  fi
  # exactly the locked set (scripts/update-lock writes the lock files): every package pinned
  # and checked against its hashes, then the project itself without resolving anything
  want=$(cat pyproject.toml requirements.lock requirements-nodeps.lock | sha256sum | cut -d' ' -f1)
  stamp=.venv/.kiosk-installed
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    _log "installing the locked Python packages into .venv"
    if ! { .venv/bin/python -m pip install -q --require-hashes -r requirements.lock &&
           .venv/bin/python -m pip install -q --require-hashes --no-deps -r requirements-nodeps.lock &&
           .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .; } \
         > .venv/pip.log 2>&1; then
      cat .venv/pip.log >&2
      _log "installing the Python packages failed (log above, also in .venv/pip.log)"
      return 1
    fi
    echo "$want" > "$stamp"
  fi
}

_translations() {
  local ts qm
  for ts in ui/i18n/*.ts; do
    [ -e "$ts" ] || continue
    qm=${ts%.ts}.qm
    if [ ! -e "$qm" ] || [ "$ts" -nt "$qm" ]; then
      .venv/bin/pyside6-lrelease -silent "$ts" -qm "$qm"
    fi
  done
}

bootstrap() {  # bootstrap run|test
  _install_debs "${KIOSK_DEBS[@]}"
  [ "${1:-run}" = test ] && _install_debs "${KIOSK_TEST_DEBS[@]}"
  _venv
  _translations
}
