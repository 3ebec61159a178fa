import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { REVIEW_BINS } from '../labels';
import { WbcError } from '../../util/errors';
import { fail } from './fail';
import type { ReviewMount } from './review-mount';

/** What the page needs first: the review's title, labels, sign-off and record check, how far the classification is, and a rescan. */
export function infoRoutes({ schemas, reviewOf }: ReviewMount): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/info', { schema: schemas['GET /info'] }, async (request) => {
      const context = reviewOf(request);
      return {
        title: context.title,
        model: { name: context.modelName },
        classes: context.classes,
        non_white: context.nonWhite,
        scheme: { name: context.scheme.name, categories: context.scheme.categories.map(({ name, classes, loinc }) => ({ name, classes, ...(loinc !== undefined && { loinc }) })) },
        bins: [...REVIEW_BINS],
        sign_off: context.store.signOff() ?? null,
        integrity: context.store.integrity(),
        refused: context.refused,
      };
    });
    app.get('/progress', { schema: schemas['GET /progress'] }, async (request) => reviewOf(request).progress);
    app.post('/rescan', { schema: schemas['POST /rescan'] }, async (request, reply) => {
      const context = reviewOf(request);
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
