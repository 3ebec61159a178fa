#!/usr/bin/env bash
# Sets up everything, then runs the main job on the shared data: train on the labelled images,
# evaluate on the held-out test split, and classify the unlabelled folder into a CSV.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

DATA="${WBC_DATA:-../shared/data}"
OUT="${WBC_OUTPUT:-output}"
mkdir -p "$OUT"

./bin/wbc.js train "$DATA/wbc" --out "$OUT/model" --force
./bin/wbc.js evaluate "$OUT/model" "$DATA/wbc" --split test --json "$OUT/test-metrics.json" --confusion "$OUT/confusion-matrix.png"
./bin/wbc.js classify "$OUT/model" "$DATA/classify-images" --out "$OUT/predictions.csv"
