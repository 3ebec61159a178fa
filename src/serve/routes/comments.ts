import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { fail } from './fail';
import type { ReviewMount } from './review-mount';

/** A comment as stored: trimmed, and null when nothing is left. */
function commentText(comment: string | null): string | null {
  const text = comment?.trim() ?? '';
  return text === '' ? null : text;
}

/** Free-text comments on a cell or on the whole case: audited, and frozen with the review at sign-off. */
export function commentRoutes({ schemas, reviewOf }: ReviewMount): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.put('/cells/:id/comment', { schema: schemas['PUT /cells/:id/comment'] }, async (request, reply) => {
      const { store } = reviewOf(request);
      const id = Number(request.params.id);
      if (store.signOff()) return fail(reply, 409, 'the review is signed off; it can no longer change');
      const name = request.body.reviewer.trim();
      if (!name) return fail(reply, 400, 'a reviewer name is required to comment');
      if (!store.cell(id)) return fail(reply, 404, 'no such cell');
      return store.setCellComment(id, commentText(request.body.comment), name);
    });
    app.get('/comment', { schema: schemas['GET /comment'] }, async (request) => reviewOf(request).store.caseComment());
    app.put('/comment', { schema: schemas['PUT /comment'] }, async (request, reply) => {
      const { store } = reviewOf(request);
      if (store.signOff()) return fail(reply, 409, 'the review is signed off; it can no longer change');
      const name = request.body.reviewer.trim();
      if (!name) return fail(reply, 400, 'a reviewer name is required to comment');
      return store.setCaseComment(commentText(request.body.comment), name);
    });
  };
}
