#!/usr/bin/env bash
# Installs every system package strokefair needs to build, test and run, from Debian 12.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache clang-format git
  libinsighttoolkit5-dev   # image I/O (NIfTI, MetaImage), registration, distance maps
  libcli11-dev             # command-line parsing
  nlohmann-json3-dev       # JSON
  libspdlog-dev libfmt-dev # logging on stderr
  libsqlite3-dev           # case library
  libfaiss-dev             # vector search for similar cases
  libgtest-dev             # tests
  libpng-dev zlib1g-dev    # QC figures, gzip
  libssl-dev               # SHA-256 checksums of inputs and assets
  libcurl4-openssl-dev     # fetching data assets
  libtorch-dev             # analyze --model: TorchScript networks on the CPU (optional at build)
  mricron-data             # templates and anatomical atlases
  dcm2niix dcmtk           # DICOM conversion and test-data editing
  time util-linux          # benchmarks: /usr/bin/time, taskset
  chromium fonts-dejavu-core # the report's browser test: headless page load and screenshot
)
# npm fetches the report viewer's NiiVue bundle (scripts/fetch-web-deps.sh); Debian's npm
# only where no node toolchain is installed already, as its packages conflict with others.
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present" >&2
  exit 0
fi

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
