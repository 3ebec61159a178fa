/**
 * `wbc export --web FOLDER --serve`: serves an exported page from 127.0.0.1. Every request is treated as
 * hostile: the routes are the page's regular files, listed once at start, so no path from a request ever
 * reaches the file system (no `..`, encoded slash or absolute path can name anything else, and no folder is listed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { isLoopback } from '../util/loopback';
import { checkInteger, checkString, optional } from '../util/check';
import { endConnectionsWhenClosing } from '../util/close-connections';
import { WbcError } from '../util/errors';
import { endSilentConnections } from '../util/silent-connections';
import { CONTENT_SECURITY_POLICY } from './page-html';

const HOST = '127.0.0.1';
export const DEFAULT_PAGE_PORT = 8000;

/** What the browser must be told each file is; application/wasm lets it compile ONNX Runtime while downloading. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};

/** URL path → file, for every regular file under `folder` (links and other entries are left out). */
function pageFiles(folder: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string, prefix: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file, `${prefix}${entry.name}/`);
      else if (entry.isFile()) files.set(`${prefix}${entry.name}`, file);
    }
  };
  walk(folder, '/');
  return files;
}

/** The Fastify app that answers with the page in `folder` (an exported page: it has index.html and facts.json). */
export function pageApp(folder: string): FastifyInstance {
  checkString('page folder', folder);
  if (!fs.existsSync(path.join(folder, 'index.html')) || !fs.existsSync(path.join(folder, 'facts.json'))) {
    throw new WbcError(`${folder} is not a page written by wbc export --web`);
  }
  const app = Fastify({ logger: false });
  endConnectionsWhenClosing(app, false);
  endSilentConnections(app, false);
  // Against DNS rebinding: a page on another site that resolves its name to 127.0.0.1 gets nothing.
  app.addHook('onRequest', async (request, reply) => {
    if (!isLoopback(request.hostname)) return reply.code(403).type('text/plain').send('this server answers only requests addressed to 127.0.0.1 or localhost');
  });
  app.addHook('onSend', async (_request, reply) => {
    // The page's own policy (its meta tag cannot bind the worker or forbid framing; a header does both).
    reply.header('content-security-policy', `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cache-control', 'no-cache');
  });
  app.setNotFoundHandler((_request, reply) => void reply.code(404).type('text/plain').send('not found'));
  for (const [url, file] of pageFiles(folder)) {
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    const send = async (_request: unknown, reply: FastifyReply) => reply.type(type).send(await fs.promises.readFile(file));
    app.get(url, send);
    if (url === '/index.html') app.get('/', send);
  }
  return app;
}

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the page in `folder` on 127.0.0.1:`port` (0 picks a free port) until close(). */
export async function servePage(folder: string, options: { port?: number } = {}): Promise<PageServer> {
  const port = optional(options.port, (v) => checkInteger('--port', v, 0, 65535)) ?? DEFAULT_PAGE_PORT;
  const app = pageApp(folder);
  try {
    await app.listen({ host: HOST, port });
  } catch (error) {
    await app.close();
    throw new WbcError(`cannot listen on ${HOST}:${port}: ${(error as Error).message}`);
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return { url: `http://${HOST}:${bound}/`, close: () => app.close() };
}
