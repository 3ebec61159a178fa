#!/usr/bin/env bash
# Measures models for docs/non-white.md: each model's white-cell accuracy on its own held-out test split,
# white cells called non-white, and (for models trained with --non-white) its held-out non-white cells
# called white, with and without a review flag. Usage: research/non-white.sh MODEL... (writes MODEL-*.json)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${WBC_DATA:-../shared/data}"
for model in "$@"; do
  ./bin/wbc.js evaluate "$model" "$DATA/wbc" --split test --json "$model-white.json" > /dev/null
  if node -e "process.exit(require('$model/model.json').nonWhite ? 0 : 1)"; then
    ./bin/wbc.js evaluate "$model" "$DATA/non-wbc" --split test --json "$model-non-white.json" > /dev/null
  fi
  node -e "
    const fs = require('fs');
    const white = JSON.parse(fs.readFileSync('$model-white.json', 'utf8'));
    const other = fs.existsSync('$model-non-white.json') ? JSON.parse(fs.readFileSync('$model-non-white.json', 'utf8')) : null;
    const pct = (a, b) => (100 * a / b).toFixed(2) + '%';
    const row = { model: '$model', whiteTestImages: white.images, whiteAccuracy: (100 * white.accuracy).toFixed(2) + '%' };
    if (white.nonWhite) row.whiteCalledNonWhite = white.nonWhite.whiteCalledNonWhite + ' (' + pct(white.nonWhite.whiteCalledNonWhite, white.nonWhite.whiteCells) + ')';
    if (other) {
      const c = other.nonWhite;
      row.nonWhiteTestImages = c.nonWhiteCells;
      row.nonWhiteCalledWhite = c.nonWhiteCalledWhite + ' (' + pct(c.nonWhiteCalledWhite, c.nonWhiteCells) + ')';
      row.nonWhiteCalledWhiteUnreviewed = c.nonWhiteCalledWhiteUnreviewed + ' (' + pct(c.nonWhiteCalledWhiteUnreviewed, c.nonWhiteCells) + ')';
      row.nonWhiteRecall = Object.fromEntries(Object.entries(other.perClass).filter(([, m]) => m.support > 0).map(([k, m]) => [k, (100 * m.recall).toFixed(1) + '%']));
    }
    console.log(JSON.stringify(row));
  "
done
