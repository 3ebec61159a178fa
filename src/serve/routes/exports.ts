import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { Cell } from '../api-schemas';
import { caseFhirBundle } from '../case-fhir';
import { signedOffSummary } from '../case-summary';
import { exportLabelledFolder, reviewedPredictionsCsv } from '../export';
import { cellImagePath } from '../images';
import { reviewDifferential, reviewDifferentialCsv } from '../review-differential';
import { WbcError } from '../../util/errors';
import { fail } from './fail';
import type { ReviewMount } from './review-mount';

function attachment(reply: FastifyReply, name: string, text: string): FastifyReply {
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(text);
}

/** The review's results: the predictions and differential CSVs, the FHIR R4 Bundle, and a labelled folder for wbc train. */
export function exportRoutes({ schemas, reviewOf }: ReviewMount): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/export/predictions.csv', { schema: schemas['GET /export/predictions.csv'] }, async (request, reply) => {
      const { store, classes } = reviewOf(request);
      return attachment(reply, 'predictions-reviewed.csv', reviewedPredictionsCsv(store.presentCells(), classes));
    });
    app.get('/export/differential.csv', { schema: schemas['GET /export/differential.csv'] }, async (request, reply) => {
      const { store, classes, scheme } = reviewOf(request);
      return attachment(reply, 'differential-reviewed.csv', reviewDifferentialCsv(reviewDifferential(store.reviewStates(), classes, scheme), scheme.identity));
    });
    app.get('/fhir', { schema: schemas['GET /fhir'] }, async (request, reply) =>
      reply.type('application/fhir+json; charset=utf-8').send(caseFhirBundle(signedOffSummary(reviewOf(request)))));
    app.post('/export/labelled-folder', { schema: schemas['POST /export/labelled-folder'] }, async (request, reply) => {
      const context = reviewOf(request);
      const resolve = (cell: Cell): string => {
        const file = cellImagePath(context.realImageDir, cell.file);
        if (file === undefined) throw new WbcError(`${cell.file} is no longer a file inside the opened folder; rescan the folder, then export`);
        return file;
      };
      try {
        return exportLabelledFolder(context.store.presentCells(), resolve, context.exportDir, context.nonWhite);
      } catch (error) {
        if (error instanceof WbcError) return fail(reply, 409, error.message);
        throw error;
      }
    });
  };
}
