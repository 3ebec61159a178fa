import * as fs from 'node:fs';
import * as path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { WbcError } from '../util/errors';
import type { Progress } from './background';
import { exportLabelledFolder, reviewedPredictionsCsv } from './export';
import { cellImagePath, readCellImage } from './images';
import { reviewLabels } from './labels';
import { reviewDifferential, reviewDifferentialCsv } from './review-differential';
import { addSecurity } from './security';
import type { Cell, ReviewStore } from './store';

export interface AppContext {
  store: ReviewStore;
  classes: string[];
  /** Real path of the opened folder: images are served from inside it only. */
  realImageDir: string;
  progress: Progress;
  /** Where "export labelled folder" writes. */
  exportDir: string;
  token?: string;
  loopbackOnly: boolean;
  /** Shown in the page's title bar. */
  title: string;
}

/** JSON bodies are small: a label, a name, or a list of ids. */
export const BODY_LIMIT_BYTES = 64 * 1024;
const MAX_BATCH = 5000;

/** The page's files, by fixed name: no path from a request ever reaches the file system. */
function webFiles(): Record<string, { file: string; type: string }> {
  const root = path.resolve(__dirname, '..', '..', '..');
  const source = path.join(root, 'src', 'serve', 'web');
  return {
    '/': { file: path.join(source, 'index.html'), type: 'text/html; charset=utf-8' },
    '/report': { file: path.join(source, 'report.html'), type: 'text/html; charset=utf-8' },
    '/style.css': { file: path.join(source, 'style.css'), type: 'text/css; charset=utf-8' },
    ...Object.fromEntries(['app.js', 'report.js', 'api.js'].map((name) =>
      [`/${name}`, { file: path.join(__dirname, 'web', name), type: 'text/javascript; charset=utf-8' }])),
  };
}

function fail(reply: FastifyReply, code: number, error: string): FastifyReply {
  return reply.code(code).send({ error });
}

/** The Fastify app of a review: the page, its JSON API and the exports. */
export function buildApp(context: AppContext): FastifyInstance {
  const { store, classes } = context;
  const labels = reviewLabels(classes);
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Reject what does not match a schema instead of coercing or silently dropping it.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  addSecurity(app, { token: context.token, loopbackOnly: context.loopbackOnly });
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    void reply.code(status).send({ error: status === 500 && !(error instanceof WbcError) ? 'internal error' : error.message });
  });
  app.setNotFoundHandler((_request, reply) => void fail(reply, 404, 'not found'));

  for (const [url, { file, type }] of Object.entries(webFiles())) {
    app.get(url, async (_request, reply) => reply.type(type).send(await fs.promises.readFile(file)));
  }

  const idParams = {
    type: 'object',
    properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } },
    required: ['id'],
  } as const;
  const labelSchema = { anyOf: [{ type: 'string', enum: labels }, { type: 'null' }] };
  const reviewerSchema = { type: 'string', minLength: 1, maxLength: 100 };
  const requireCell = (id: string): Cell | undefined => store.cell(Number(id));

  app.get('/api/info', async () => ({
    title: context.title,
    classes,
    bins: labels.slice(classes.length),
    sign_off: store.signOff() ?? null,
  }));
  app.get('/api/progress', async () => context.progress);
  app.get('/api/cells', async () => store.cells());
  app.get('/api/cells/:id', { schema: { params: idParams } }, async (request, reply) => {
    const cell = requireCell((request.params as { id: string }).id);
    return cell ?? fail(reply, 404, 'no such cell');
  });
  app.get('/api/cells/:id/image', { schema: { params: idParams } }, async (request, reply) => {
    const cell = requireCell((request.params as { id: string }).id);
    const image = cell && (await readCellImage(context.realImageDir, cell.file));
    if (!image) return fail(reply, 404, 'no such image');
    return reply.type(image.type).send(image.body);
  });

  /** Applies one label to cells in one committed transaction; answers only after the commit. */
  const relabel = (reply: FastifyReply, ids: number[], label: string | null, reviewer: string | undefined) => {
    if (store.signOff()) return fail(reply, 409, 'the review is signed off; it can no longer change');
    const missing = ids.find((id) => !store.cell(id));
    if (missing !== undefined) return fail(reply, 404, `no cell with id ${missing}`);
    const changed = store.setLabels(ids, label, reviewer ?? 'unnamed');
    return { changed: changed.length, cells: ids.map((id) => store.cell(id)) };
  };
  app.put('/api/cells/:id', {
    schema: {
      params: idParams,
      body: { type: 'object', properties: { label: labelSchema, reviewer: reviewerSchema }, required: ['label'], additionalProperties: false },
    },
  }, async (request, reply) => {
    const body = request.body as { label: string | null; reviewer?: string };
    const result = relabel(reply, [Number((request.params as { id: string }).id)], body.label, body.reviewer);
    return 'cells' in result ? result.cells[0] : result;
  });
  app.put('/api/cells', {
    schema: {
      body: {
        type: 'object',
        properties: {
          ids: { type: 'array', minItems: 1, maxItems: MAX_BATCH, uniqueItems: true, items: { type: 'integer', minimum: 1 } },
          label: labelSchema,
          reviewer: reviewerSchema,
        },
        required: ['ids', 'label'],
        additionalProperties: false,
      },
    },
  }, async (request, reply) => {
    const body = request.body as { ids: number[]; label: string | null; reviewer?: string };
    return relabel(reply, body.ids, body.label, body.reviewer);
  });

  app.get('/api/differential', async () => reviewDifferential(store.reviewStates(), classes));
  app.get('/api/audit', async () => store.audit());
  app.get('/api/sign-off', async () => store.signOff() ?? null);
  app.post('/api/sign-off', {
    schema: { body: { type: 'object', properties: { name: reviewerSchema }, required: ['name'], additionalProperties: false } },
  }, async (request, reply) => {
    if (context.progress.state !== 'done') return fail(reply, 409, 'classification has not finished');
    if (store.signOff()) return fail(reply, 409, 'the review is already signed off');
    return store.signOffAs((request.body as { name: string }).name.trim() || 'unnamed');
  });

  const attachment = (reply: FastifyReply, name: string, text: string) =>
    reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(text);
  app.get('/api/export/predictions.csv', async (_request, reply) =>
    attachment(reply, 'predictions-reviewed.csv', reviewedPredictionsCsv(store.cells(), classes)));
  app.get('/api/export/differential.csv', async (_request, reply) =>
    attachment(reply, 'differential-reviewed.csv', reviewDifferentialCsv(reviewDifferential(store.reviewStates(), classes))));
  app.post('/api/export/labelled-folder', {
    schema: { body: { type: 'object', additionalProperties: false } },
  }, async (_request, reply) => {
    try {
      const resolve = (cell: Cell): string => {
        const file = cellImagePath(context.realImageDir, cell.file);
        if (file === undefined) throw new WbcError(`${cell.file} is no longer a file inside the opened folder`);
        return file;
      };
      return exportLabelledFolder(store.cells(), resolve, context.exportDir);
    } catch (error) {
      if (error instanceof WbcError) return fail(reply, 409, error.message);
      throw error;
    }
  });
  return app;
}
