import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { API } from '../api-schemas';
import type { AppContext } from '../context';
import { REVIEW_BINS } from '../labels';

/** What the page needs first: the review's title, labels and sign-off, and how far the classification is. */
export function infoRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/api/info', { schema: API['GET /api/info'] }, async () => ({
      title: context.title,
      model: { name: context.modelName },
      classes: context.classes,
      bins: [...REVIEW_BINS],
      sign_off: context.store.signOff() ?? null,
      integrity: context.store.integrity(),
    }));
    app.get('/api/progress', { schema: API['GET /api/progress'] }, async () => context.progress);
  };
}
