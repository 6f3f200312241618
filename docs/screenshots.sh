#!/usr/bin/env bash
# The TensorBoard screenshots in docs/images, as a newcomer sees them: README's tour run as written (every command
# of its shell blocks but the set-up lines, in a fresh folder), then `tensorboard --logdir logs` on 127.0.0.1,
# unfiltered, in headless Chromium. Needs: pip install tensorboard; Debian's chromium. Takes a few minutes.
# Usage: bash docs/screenshots.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
out="$(realpath -m "${1:-docs/images}")"
tour="$(mktemp -d)"
trap 'kill "$tb" 2>/dev/null || true; rm -rf "$tour"' EXIT
ln -s "$repo/recipes" "$repo/docs" "$repo/examples" "$tour/"
python - "$repo/README.md" > "$tour/tour.sh" <<'EOF'
import re, sys
for block in re.findall(r"```bash\n(.*?)```", open(sys.argv[1]).read(), flags=re.S):
    for line in block.splitlines():
        if line.strip() and not line.lstrip().startswith("#") and not line.startswith(
                ("python3 -m venv", "pip install", "apt-get", "tensorboard ")):
            print(line)
EOF
(cd "$tour" && PYTHONPATH="$repo" bash -e tour.sh >/dev/null)
tensorboard --logdir "$tour/logs" --host 127.0.0.1 --port 6123 >/dev/null 2>&1 &
tb=$!
for _ in $(seq 60); do curl -sf http://127.0.0.1:6123 >/dev/null && break; sleep 0.5; done
shot() {  # shot NAME URL-FRAGMENT
  chromium --headless=new --no-sandbox --use-gl=swiftshader --enable-unsafe-swiftshader --hide-scrollbars \
    --window-size=1500,950 --virtual-time-budget=30000 --screenshot="$out/$1.png" "http://127.0.0.1:6123/#$2" \
    >/dev/null 2>&1
}
shot tensorboard_scalars "timeseries"
shot tensorboard_hparams "hparams"
shot tensorboard_text "text"
echo "wrote $out/tensorboard_scalars.png, tensorboard_hparams.png, tensorboard_text.png from $(find "$tour/logs" -name 'events.out.*' -printf '%h\n' | sort -u | wc -l) TensorBoard runs"
