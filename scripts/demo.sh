#!/usr/bin/env bash
# Sets up everything, then runs the main job on the shared data: train on the labelled images and the
# non-white cells, evaluate on the held-out test split, and classify the unlabelled folder into a CSV.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

DATA="${WBC_DATA:-../shared/data}"
OUT="${WBC_OUTPUT:-output}"
mkdir -p "$OUT"

# Erythroblasts and platelets, where the data has them, become kinds of their own, counted apart from
# the white cells (docs/non-white.md).
NON_WHITE=()
if [ -d "$DATA/non-wbc" ]; then NON_WHITE=(--non-white "$DATA/non-wbc"); fi

./bin/wbc.js train "$DATA/wbc" "${NON_WHITE[@]}" --out "$OUT/model" --force
./bin/wbc.js evaluate "$OUT/model" "$DATA/wbc" --split test --json "$OUT/test-metrics.json" --confusion "$OUT/confusion-matrix.png"
./bin/wbc.js classify "$OUT/model" "$DATA/classify-images" --out "$OUT/predictions.csv"
