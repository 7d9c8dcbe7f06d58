# Sourced by lab/up and lab/down: exports the LAB_* settings of lab/lab.env, where a value
# already in the environment wins (LAB_SBC_LAN=127.0.60.2 lab/up moves the LAN side).
lab_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
while IFS='=' read -r key value; do
  [[ "$key" =~ ^LAB_[A-Z0-9_]+$ ]] || continue
  if [[ -z "${!key:-}" ]]; then export "$key=$value"; else export "$key"; fi
done <"$lab_dir/lab.env"
# lab/up --config alt and lab/down --config alt set LAB_CONFIG=alt before sourcing this file.
if [[ "$LAB_CONFIG" == alt ]]; then
  export LAB_RUN_DIR="${LAB_RUN_DIR:-${TMPDIR:-/tmp}/sbc-harness-lab-alt}"
else
  export LAB_RUN_DIR="${LAB_RUN_DIR:-${TMPDIR:-/tmp}/sbc-harness-lab}"
fi
