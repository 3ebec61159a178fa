import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { AppContext } from '../context';
import { readCellImage } from '../images';
import { reviewLabels } from '../labels';
import { fail } from './fail';
import type { ReviewMount } from './review-mount';

/**
 * Applies one label to cells in one committed transaction; answers only after the commit. The schema
 * checks a label's form; the model's classes decide which labels exist.
 */
function relabel(context: AppContext, reply: FastifyReply, ids: number[], label: string | null, reviewer: string | undefined) {
  const { store } = context;
  const labels = reviewLabels(context.classes);
  if (label !== null && !labels.includes(label)) return fail(reply, 400, `unknown label "${label}": expected one of ${labels.join(', ')}`);
  if (store.signOff()) return fail(reply, 409, 'the review is signed off; it can no longer change');
  // A signed differential names who made each call: no anonymous changes.
  const name = reviewer?.trim();
  if (!name) return fail(reply, 400, 'a reviewer name is required to change a label');
  const missing = ids.find((id) => !store.cell(id));
  if (missing !== undefined) return fail(reply, 404, `no cell with id ${missing}`);
  const changed = store.setLabels(ids, label, name);
  return { changed: changed.length, cells: ids.map((id) => store.cell(id)!) };
}

/** The cells: listed, one by one, their images, and their labels (one cell or many in one change). */
export function cellRoutes({ schemas, reviewOf }: ReviewMount): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/cells', { schema: schemas['GET /cells'] }, async (request) => reviewOf(request).store.cells());
    app.get('/cells/:id', { schema: schemas['GET /cells/:id'] }, async (request, reply) =>
      reviewOf(request).store.cell(Number(request.params.id)) ?? fail(reply, 404, 'no such cell'));
    app.get('/cells/:id/image', { schema: schemas['GET /cells/:id/image'] }, async (request, reply) => {
      const context = reviewOf(request);
      const cell = context.store.cell(Number(request.params.id));
      if (cell?.missing) return fail(reply, 404, 'the image is missing from the folder, refused, or waiting to be classified anew');
      const image = cell && (await readCellImage(context.realImageDir, cell.file, cell.sha256));
      if (image === 'changed') return fail(reply, 409, 'the image changed since it was classified; rescan the folder');
      if (!image) return fail(reply, 404, 'no such image');
      return reply.type(image.type).send(image.body);
    });
    app.put('/cells/:id', { schema: schemas['PUT /cells/:id'] }, async (request, reply) => {
      const result = relabel(reviewOf(request), reply, [Number(request.params.id)], request.body.label, request.body.reviewer);
      return 'cells' in result ? result.cells[0] : result;
    });
    app.put('/cells', { schema: schemas['PUT /cells'] }, async (request, reply) =>
      relabel(reviewOf(request), reply, request.body.ids, request.body.label, request.body.reviewer));
  };
}
