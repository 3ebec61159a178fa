import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');
const ARCHITECTURE = path.join(ROOT, 'docs', 'architecture.md');
/** src/index.ts and any other file directly in src/: the public API, above every layer. */
const TOP = Infinity;

/** The layer of each folder, read from the table in docs/architecture.md (`| 3 | data | … |`): the order is written down once. */
function readLayers(): Map<string, number> {
  const layers = new Map<string, number>();
  for (const line of fs.readFileSync(ARCHITECTURE, 'utf8').split('\n')) {
    const row = /^\|\s*(\d+)\s*\|\s*([a-z-]+)\s*\|/.exec(line);
    if (row) layers.set(row[2], Number(row[1]));
  }
  return layers;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

interface Import { specifier: string; line: number }

/** Every module a file names: `import … from`, `export … from`, `import x = require()`, `import()` and `require()`. */
export function importsOf(file: string, text = fs.readFileSync(file, 'utf8')): Import[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (node: ts.Node | undefined): void => {
    if (node && ts.isStringLiteralLike(node)) {
      found.push({ specifier: node.text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isCallExpression(node)) {
      const dynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const required = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      // A computed name (the addon's path in src/native/binding.ts) is not a source file.
      if (dynamicImport || required) add(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The src/ folder a path lies in ('' for a file directly in src/), or null when it is outside src/. */
function folderOf(file: string): string | null {
  const relative = path.relative(SRC, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return null;
  const parts = relative.split(path.sep);
  return parts.length === 1 ? '' : parts[0];
}

/** Every import in src/ that goes upwards or sideways, as `file:line: from → to` lines. */
export function layerViolations(layers: Map<string, number>): string[] {
  const layerOf = (folder: string): number | undefined => (folder === '' ? TOP : layers.get(folder));
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file)!;
    for (const { specifier, line } of importsOf(file)) {
      if (!specifier.startsWith('.')) continue; // a package
      const to = folderOf(path.resolve(path.dirname(file), specifier));
      // The browser page's run-time URLs (its ONNX Runtime, model.onnx) point into the built page, not into src/.
      if (to === null || to === from || (to !== '' && !fs.existsSync(path.join(SRC, to)))) continue;
      const where = `src/${path.relative(SRC, file).split(path.sep).join('/')}:${line}`;
      const [fromLayer, toLayer] = [layerOf(from), layerOf(to)];
      if (fromLayer === undefined || toLayer === undefined) {
        violations.push(`${where}: ${from || 'src'} → ${to || 'src'} (a folder missing from docs/architecture.md)`);
      } else if (toLayer >= fromLayer) {
        violations.push(`${where}: ${from || 'src'} → ${to || 'src'} (${toLayer === fromLayer ? 'same layer' : 'upwards'}: layer ${fromLayer} imports layer ${toLayer === TOP ? 'top' : toLayer})`);
      }
    }
  }
  return violations;
}

test('every src/ folder has a layer in docs/architecture.md, and every listed folder exists', () => {
  const layers = readLayers();
  const folders = fs.readdirSync(SRC, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  assert.deepEqual(folders.filter((folder) => !layers.has(folder)), [], 'folders without a layer');
  assert.deepEqual([...layers.keys()].filter((folder) => !folders.includes(folder)), [], 'listed folders that do not exist');
});

test('no file in src/ imports a folder on its own layer or above', () => {
  const violations = layerViolations(readLayers());
  assert.deepEqual(violations, [], `imports against the layers of docs/architecture.md:\n${violations.join('\n')}`);
});

test('the import reader finds every kind of import, with its line', () => {
  const text = [
    "import { a } from '../model/a';",
    "import type { B } from '../trust/b';",
    "export { c } from './c';",
    "import d = require('../data/d');",
    'const e = await import(',
    "  '../export/e');",
    "const f = require('../serve/f');",
    "type G = import('../cli/g').G;",
    'const h = require(computed);',
  ].join('\n');
  assert.deepEqual(importsOf('x.ts', text), [
    { specifier: '../model/a', line: 1 },
    { specifier: '../trust/b', line: 2 },
    { specifier: './c', line: 3 },
    { specifier: '../data/d', line: 4 },
    { specifier: '../export/e', line: 6 },
    { specifier: '../serve/f', line: 7 },
    { specifier: '../cli/g', line: 8 },
  ]);
});

test('an upward or sideways import is reported with its file, line and both folders', () => {
  // The layers with data lifted above train: today's data → … imports read as downward, and train → data as upward.
  const lifted = new Map(readLayers());
  lifted.set('data', 100);
  const violations = layerViolations(lifted);
  assert.ok(violations.some((line) => /^src\/train\/[a-z-]+\.ts:\d+: train → data \(upwards: layer \d+ imports layer 100\)$/.test(line)), violations.join('\n'));
  const sideways = new Map(readLayers());
  sideways.set('model', sideways.get('trust')!);
  assert.ok(layerViolations(sideways).some((line) => / (model → trust|trust → model) \(same layer/.test(line)));
});
