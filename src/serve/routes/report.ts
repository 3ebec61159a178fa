import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { API } from '../api-schemas';
import type { AppContext } from '../context';
import { reviewDifferential } from '../review-differential';
import { fail } from './fail';

/** What the report shows: the differential, the audit trail and the sign-off, which freezes the review. */
export function reportRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { store } = context;
  return async (app) => {
    app.get('/api/differential', { schema: API['GET /api/differential'] }, async () =>
      reviewDifferential(store.reviewStates(), context.classes, context.scheme));
    app.get('/api/audit', { schema: API['GET /api/audit'] }, async () => store.audit());
    app.get('/api/sign-off', { schema: API['GET /api/sign-off'] }, async () => store.signOff() ?? null);
    app.post('/api/sign-off', { schema: API['POST /api/sign-off'] }, async (request, reply) => {
      if (context.progress.state !== 'done') return fail(reply, 409, 'classification has not finished');
      if (store.signOff()) return fail(reply, 409, 'the review is already signed off');
      const name = request.body.name.trim();
      if (!name) return fail(reply, 400, 'a name is required to sign off');
      const unreviewed = store.reviewStates().filter((cell) => cell.label === null && (cell.needs_review || cell.out_of_scope === true)).length;
      if (unreviewed > 0) return fail(reply, 409, `cannot sign off: ${unreviewed} flagged cell${unreviewed === 1 ? '' : 's'} (needing review or out of scope) not reviewed yet`);
      return store.signOffAs(name);
    });
  };
}
