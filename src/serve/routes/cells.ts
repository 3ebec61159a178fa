import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { API } from '../api-schemas';
import type { AppContext } from '../context';
import { readCellImage } from '../images';
import { reviewLabels } from '../labels';
import { fail } from './fail';

/** The cells: listed, one by one, their images, and their labels (one cell or many in one change). */
export function cellRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { store } = context;
  const labels = reviewLabels(context.classes);

  /**
   * Applies one label to cells in one committed transaction; answers only after the commit. The schema
   * checks a label's form; the model's classes decide which labels exist.
   */
  const relabel = (reply: FastifyReply, ids: number[], label: string | null, reviewer: string | undefined) => {
    if (label !== null && !labels.includes(label)) return fail(reply, 400, `unknown label "${label}": expected one of ${labels.join(', ')}`);
    if (store.signOff()) return fail(reply, 409, 'the review is signed off; it can no longer change');
    // A signed differential names who made each call: no anonymous changes.
    const name = reviewer?.trim();
    if (!name) return fail(reply, 400, 'a reviewer name is required to change a label');
    const missing = ids.find((id) => !store.cell(id));
    if (missing !== undefined) return fail(reply, 404, `no cell with id ${missing}`);
    const changed = store.setLabels(ids, label, name);
    return { changed: changed.length, cells: ids.map((id) => store.cell(id)!) };
  };

  return async (app) => {
    app.get('/api/cells', { schema: API['GET /api/cells'] }, async () => store.cells());
    app.get('/api/cells/:id', { schema: API['GET /api/cells/:id'] }, async (request, reply) =>
      store.cell(Number(request.params.id)) ?? fail(reply, 404, 'no such cell'));
    app.get('/api/cells/:id/image', { schema: API['GET /api/cells/:id/image'] }, async (request, reply) => {
      const cell = store.cell(Number(request.params.id));
      if (cell?.missing) return fail(reply, 404, 'the image is missing from the folder, refused, or waiting to be classified anew');
      const image = cell && (await readCellImage(context.realImageDir, cell.file, cell.sha256));
      if (image === 'changed') return fail(reply, 409, 'the image changed since it was classified; rescan the folder');
      if (!image) return fail(reply, 404, 'no such image');
      return reply.type(image.type).send(image.body);
    });
    app.put('/api/cells/:id', { schema: API['PUT /api/cells/:id'] }, async (request, reply) => {
      const result = relabel(reply, [Number(request.params.id)], request.body.label, request.body.reviewer);
      return 'cells' in result ? result.cells[0] : result;
    });
    app.put('/api/cells', { schema: API['PUT /api/cells'] }, async (request, reply) =>
      relabel(reply, request.body.ids, request.body.label, request.body.reviewer));
  };
}
