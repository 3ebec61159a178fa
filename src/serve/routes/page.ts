import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { API, type Route } from '../api-schemas';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const SOURCE = path.join(ROOT, 'src', 'serve', 'web');
/** Where src/serve/web/tsconfig.json compiles the page's modules. */
const COMPILED = path.join(ROOT, 'dist', 'review-page', 'web');

/** The page's files, by fixed route: no path from a request ever reaches the file system. */
const PAGE_FILES: [Route, string, string][] = [
  ['GET /', path.join(SOURCE, 'index.html'), 'text/html; charset=utf-8'],
  ['GET /report', path.join(SOURCE, 'report.html'), 'text/html; charset=utf-8'],
  ['GET /style.css', path.join(SOURCE, 'style.css'), 'text/css; charset=utf-8'],
  ['GET /app.js', path.join(COMPILED, 'app.js'), 'text/javascript; charset=utf-8'],
  ['GET /report.js', path.join(COMPILED, 'report.js'), 'text/javascript; charset=utf-8'],
  ['GET /api.js', path.join(COMPILED, 'api.js'), 'text/javascript; charset=utf-8'],
];

/** The review page, its report page, their style and their scripts. */
export const pageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const [route, file, type] of PAGE_FILES) {
    app.get(route.slice('GET '.length), { schema: API[route] }, async (_request, reply) =>
      reply.type(type).send(await fs.promises.readFile(file)));
  }
};
