import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { reviewDifferential } from '../review-differential';
import { fail } from './fail';
import type { ReviewMount } from './review-mount';

/** What the report shows: the differential, the audit trail and the sign-off, which freezes the review. */
export function reportRoutes({ schemas, reviewOf }: ReviewMount): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/differential', { schema: schemas['GET /differential'] }, async (request) => {
      const { store, classes, scheme } = reviewOf(request);
      return reviewDifferential(store.reviewStates(), classes, scheme);
    });
    app.get('/audit', { schema: schemas['GET /audit'] }, async (request) => reviewOf(request).store.audit());
    app.get('/sign-off', { schema: schemas['GET /sign-off'] }, async (request) => reviewOf(request).store.signOff() ?? null);
    app.post('/sign-off', { schema: schemas['POST /sign-off'] }, async (request, reply) => {
      const { store, progress } = reviewOf(request);
      if (progress.state !== 'done') return fail(reply, 409, 'classification has not finished');
      if (store.signOff()) return fail(reply, 409, 'the review is already signed off');
      const name = request.body.name.trim();
      if (!name) return fail(reply, 400, 'a name is required to sign off');
      const unreviewed = store.flaggedUnreviewed();
      if (unreviewed > 0) return fail(reply, 409, `cannot sign off: ${unreviewed} flagged cell${unreviewed === 1 ? '' : 's'} (needing review or out of scope) not reviewed yet`);
      return store.signOffAs(name);
    });
  };
}
