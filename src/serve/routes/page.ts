import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { API, type Route } from '../api-schemas';
import type { Reviews } from '../context';
import { caseOf } from './review-mount';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const SOURCE = path.join(ROOT, 'src', 'serve', 'web');
/** Where src/serve/web/tsconfig.json compiles the page's modules. */
const COMPILED = path.join(ROOT, 'dist', 'review-page', 'web');

const HTML = 'text/html; charset=utf-8';
const SCRIPT = 'text/javascript; charset=utf-8';
const GALLERY = path.join(SOURCE, 'index.html');
const REPORT = path.join(SOURCE, 'report.html');
const WORKLIST = path.join(SOURCE, 'worklist.html');

/** The pages' files that every server serves alike, by fixed route: no path from a request ever reaches the file system. */
const PAGE_FILES: [Route, string, string][] = [
  ['GET /report', REPORT, HTML],
  ['GET /style.css', path.join(SOURCE, 'style.css'), 'text/css; charset=utf-8'],
  ['GET /app.js', path.join(COMPILED, 'app.js'), SCRIPT],
  ['GET /report.js', path.join(COMPILED, 'report.js'), SCRIPT],
  ['GET /api.js', path.join(COMPILED, 'api.js'), SCRIPT],
  ['GET /undo-history.js', path.join(COMPILED, 'undo-history.js'), SCRIPT],
  ['GET /worklist.js', path.join(COMPILED, 'worklist.js'), SCRIPT],
  ['GET /comments.js', path.join(COMPILED, 'comments.js'), SCRIPT],
];

async function send(reply: FastifyReply, file: string, type: string): Promise<FastifyReply> {
  return reply.type(type).send(await fs.promises.readFile(file));
}

/**
 * The pages, their style and their scripts: at / the gallery of the one folder served, or the worklist of
 * a folder of cases; each case's gallery and report under /cases/:case/ (the page finds its API from there).
 */
export function pageRoutes(reviews: Reviews): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/', { schema: API['GET /'] }, async (_request, reply) => send(reply, reviews.single ? GALLERY : WORKLIST, HTML));
    for (const [route, file, type] of PAGE_FILES) {
      app.get(route.slice('GET '.length), { schema: API[route] }, async (_request, reply) => send(reply, file, type));
    }
    app.get('/cases/:case/', { schema: API['GET /cases/:case/'] }, async (request, reply) => {
      caseOf(reviews, request);
      return send(reply, GALLERY, HTML);
    });
    app.get('/cases/:case/report', { schema: API['GET /cases/:case/report'] }, async (request, reply) => {
      caseOf(reviews, request);
      return send(reply, REPORT, HTML);
    });
  };
}
