import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { API } from '../api-schemas';
import type { AppContext } from '../context';
import { REVIEW_BINS } from '../labels';
import { WbcError } from '../../util/errors';
import { fail } from './fail';

/** What the page needs first: the review's title, labels, sign-off and record check, how far the classification is, and a rescan. */
export function infoRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/api/info', { schema: API['GET /api/info'] }, async () => ({
      title: context.title,
      model: { name: context.modelName },
      classes: context.classes,
      non_white: context.nonWhite,
      scheme: { name: context.scheme.name, categories: context.scheme.categories.map(({ name, classes, loinc }) => ({ name, classes, ...(loinc !== undefined && { loinc }) })) },
      bins: [...REVIEW_BINS],
      sign_off: context.store.signOff() ?? null,
      integrity: context.store.integrity(),
      refused: context.refused,
    }));
    app.get('/api/progress', { schema: API['GET /api/progress'] }, async () => context.progress);
    app.post('/api/rescan', { schema: API['POST /api/rescan'] }, async (_request, reply) => {
      if (context.store.signOff()) return fail(reply, 409, 'the review is signed off; it can no longer change');
      try {
        await context.rescan();
      } catch (error) {
        if (error instanceof WbcError) return fail(reply, 409, error.message);
        throw error;
      }
      return context.progress;
    });
  };
}
