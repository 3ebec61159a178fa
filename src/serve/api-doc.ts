/**
 * Renders the review server's OpenAPI document (GET /api/openapi.json) into docs/api.md. Run by
 * `npm run api-doc`; a test fails when docs/api.md differs from what this renders.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildApp } from './app';
import { oneReview } from './context';
import type { OpenApiDocument } from './api-schemas';
import { ReviewStore } from './store';

/** A JSON Schema, as far as the rendering reads it. */
interface Schema {
  title?: string;
  description?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  const?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
}

interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  description?: string;
  schema: Schema;
}

interface Operation {
  summary?: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
}

/** The document that GET /api/openapi.json answers: the routes do not depend on the review, so an empty one serves. */
export async function openApiDocument(): Promise<OpenApiDocument> {
  const store = new ReviewStore(':memory:');
  const app = buildApp(oneReview({
    store,
    classes: [],
    nonWhite: [],
    scheme: { name: 'nine', categories: [], categoryOfClass: new Int32Array(0), identity: true, nonWhite: [] },
    realImageDir: path.resolve('.'),
    progress: { state: 'done', done: 0, total: 0, skipped: 0, warnings: [] },
    refused: [],
    rescan: async () => {},
    exportDir: path.resolve('.'),
    loopbackOnly: true,
    title: '',
    modelName: '',
    modelVersion: '',
  }));
  try {
    return (await app.inject({ method: 'GET', url: '/api/openapi.json', headers: { host: '127.0.0.1' } })).json() as OpenApiDocument;
  } finally {
    await app.close();
    store.close();
  }
}

/** What a schema restricts beyond its type, in words. */
function limits(schema: Schema): string[] {
  const words: string[] = [];
  if (schema.minimum !== undefined) words.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) words.push(`≤ ${schema.maximum}`);
  if (schema.minLength !== undefined || schema.maxLength !== undefined) words.push(`${schema.minLength ?? 0} to ${schema.maxLength ?? '∞'} characters`);
  if (schema.pattern !== undefined) words.push(`matches ${schema.pattern}`);
  if (schema.minItems !== undefined || schema.maxItems !== undefined) words.push(`${schema.minItems ?? 0} to ${schema.maxItems ?? '∞'} items`);
  if (schema.uniqueItems) words.push('no repeats');
  return words;
}

/** Renders schemas as TypeScript-like types; named (titled) object types are collected to be shown once. */
class TypeWriter {
  readonly named = new Map<string, Schema>();

  type(schema: Schema, indent = '', nameTitled = true): string {
    if (nameTitled && schema.title) {
      if (!this.named.has(schema.title)) this.named.set(schema.title, schema);
      return schema.title;
    }
    if (schema.anyOf) return schema.anyOf.map((member) => this.type(member, indent)).join(' | ');
    if (schema.const !== undefined) return JSON.stringify(schema.const);
    if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
    if (Array.isArray(schema.type)) return schema.type.join(' | ');
    if (schema.type === 'array') {
      const item = this.type(schema.items ?? {}, indent);
      return item.includes(' | ') ? `(${item})[]` : `${item}[]`;
    }
    if (schema.type === 'object') return this.object(schema, indent);
    return schema.type ?? 'any';
  }

  private object(schema: Schema, indent: string): string {
    const inner = `${indent}  `;
    const lines = Object.entries(schema.properties ?? {}).map(([name, property]) => {
      const optional = schema.required?.includes(name) ? '' : '?';
      const notes = [property.description, ...limits(property), ...(property.anyOf ?? []).flatMap((m) => [m.description, ...limits(m)])]
        .filter((note): note is string => Boolean(note));
      return `${inner}${name}${optional}: ${this.type(property, inner)};${notes.length ? ` // ${notes.join('; ')}` : ''}`;
    });
    // @fastify/swagger writes a record's patternProperties as additionalProperties.
    const rest = schema.additionalProperties;
    if (rest === true) lines.push(`${inner}...`);
    else if (rest) lines.push(`${inner}[key: string]: ${this.type(rest, inner)};${limits(rest).length ? ` // ${limits(rest).join('; ')}` : ''}`);
    return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${indent}}`;
  }
}

function code(text: string): string {
  return `\`${text}\``;
}

/** The markdown of one route: what it does, what it takes and what it answers. */
function renderOperation(method: string, url: string, operation: Operation, types: TypeWriter): string[] {
  const lines = [`### ${method.toUpperCase()} ${url}`, '', `${operation.summary ?? ''}.`, ''];
  for (const parameter of operation.parameters ?? []) {
    const notes = [parameter.description, ...limits(parameter.schema)].filter(Boolean).join('; ');
    lines.push(`- ${parameter.in === 'path' ? 'Path' : 'Query'} parameter ${code(parameter.name)}${parameter.required ? '' : ' (optional)'}: `
      + `${types.type(parameter.schema)}${notes ? `, ${notes}` : ''}`);
  }
  const body = operation.requestBody?.content['application/json']?.schema;
  if (body) lines.push('- Body (JSON):', '', '  ```ts', ...`${types.type(body)}`.split('\n').map((line) => `  ${line}`), '  ```');
  lines.push('- Answers:');
  for (const [status, answer] of Object.entries(operation.responses)) {
    const contents = Object.entries(answer.content ?? {});
    const json = contents.find(([type]) => type === 'application/json');
    const what = json ? `: ${code(types.type(json[1].schema).replace(/\s*\n\s*/g, ' '))}`
      : contents.length ? ` (${contents.map(([type]) => type).join(', ')})` : '';
    lines.push(`  - ${status} ${answer.description}${what}`);
  }
  lines.push('');
  return lines;
}

/** docs/api.md: an index of the routes, each route, then the named types they use. */
export function renderApiDoc(document: OpenApiDocument): string {
  const info = document.info as { title: string; version: string; description?: string };
  const types = new TypeWriter();
  const index: string[] = [];
  const routes: string[] = [];
  for (const [url, methods] of Object.entries(document.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(methods)) {
      index.push(`| ${code(`${method.toUpperCase()} ${url}`)} | ${operation.summary ?? ''} |`);
      routes.push(...renderOperation(method, url, operation, types));
    }
  }
  const named: string[] = [];
  for (let i = 0; i < types.named.size; i += 1) {
    // Rendering a type can name more types: the loop runs until no new one appears.
    const [title, schema] = [...types.named][i];
    named.push(`### ${title}`, '', '```ts', types.type(schema, '', false), '```', '');
  }
  return [
    `# ${info.title}`,
    '',
    '<!-- Made by `npm run api-doc` from GET /api/openapi.json (schemas in src/serve/api-schemas.ts): do not edit by hand. -->',
    '',
    `${info.description ?? ''} API version ${info.version}; the same as an OpenAPI ${document.openapi} document: ${code('GET /api/openapi.json')}.`,
    '',
    '| Route | What it does |',
    '|---|---|',
    ...index,
    '',
    '## Routes',
    '',
    ...routes,
    '## Types',
    '',
    ...named,
  ].join('\n');
}

/** Where `npm run api-doc` writes, from dist/src/serve. */
export const API_DOC = path.resolve(__dirname, '..', '..', '..', 'docs', 'api.md');

if (require.main === module) {
  openApiDocument().then((document) => fs.writeFileSync(API_DOC, renderApiDoc(document)), (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  });
}
