#!/usr/bin/env bash
# The TensorBoard screenshots in docs/images: a small comparison, TensorBoard on 127.0.0.1, headless Chromium.
# Needs: pip install tensorboard; Debian's chromium. Usage: bash docs/screenshots.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/images}"
logs="$(mktemp -d)"
trap 'kill "$tb" 2>/dev/null || true; rm -rf "$logs"' EXIT
python -m framework.compare recipes/compare/tensorboard_demo.py --logdir "$logs" >/dev/null
tensorboard --logdir "$logs/tensorboard_demo" --host 127.0.0.1 --port 6123 >/dev/null 2>&1 &
tb=$!
for _ in $(seq 60); do curl -sf http://127.0.0.1:6123 >/dev/null && break; sleep 0.5; done
shot() {  # shot NAME URL-FRAGMENT
  chromium --headless=new --no-sandbox --use-gl=swiftshader --enable-unsafe-swiftshader --hide-scrollbars \
    --window-size=1500,950 --virtual-time-budget=30000 --screenshot="$out/$1.png" "http://127.0.0.1:6123/#$2" \
    >/dev/null 2>&1
}
shot tensorboard_scalars "scalars&regexInput=%5Eadam%2Fseed0&_smoothingWeight=0"
shot tensorboard_hparams "hparams"
shot tensorboard_text "text"
echo "wrote $out/tensorboard_scalars.png, tensorboard_hparams.png, tensorboard_text.png"
