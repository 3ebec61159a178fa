#!/usr/bin/env bash
# Leave one kind out (docs/non-white.md): what a model does with cells of a kind it never saw.
# Classifies FOLDER (cells of that kind) with MODEL and counts them: called one of the model's non-white
# kinds (and of those, without a review flag), called white but out of scope, called white and flagged for
# review only, called white unflagged.
# Usage: research/unseen-kind.sh MODEL FOLDER (writes MODEL-unseen-<folder name>.csv)
set -euo pipefail
cd "$(dirname "$0")/.."
model="$1"
folder="$2"
csv="$model-unseen-$(basename "$folder").csv"
./bin/wbc.js classify "$model" "$folder" --out "$csv" > /dev/null
node -e "
  const fs = require('fs');
  const info = JSON.parse(fs.readFileSync('$model/model.json', 'utf8'));
  const kinds = new Set(info.nonWhite ?? []);
  const { parseCsv } = require('./dist/src/classify/csv.js');
  const [header, ...rows] = parseCsv(fs.readFileSync('$csv', 'utf8'));
  const at = (name) => header.indexOf(name);
  const counts = { images: rows.length, calledNonWhite: 0, calledNonWhiteUnflagged: 0, whiteOutOfScope: 0, whiteReviewOnly: 0, whiteUnflagged: 0 };
  for (const row of rows) {
    if (kinds.has(row[at('prediction')])) {
      counts.calledNonWhite += 1;
      if (row[at('needs_review')] === 'false') counts.calledNonWhiteUnflagged += 1;
    }
    else if (row[at('out_of_scope')] === 'true') counts.whiteOutOfScope += 1;
    else if (row[at('needs_review')] === 'true') counts.whiteReviewOnly += 1;
    else counts.whiteUnflagged += 1;
  }
  console.log(JSON.stringify({ model: '$model', folder: '$folder', kinds: [...kinds], ...counts }));
"
