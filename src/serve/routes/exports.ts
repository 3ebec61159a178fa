import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { API, type Cell } from '../api-schemas';
import type { AppContext } from '../context';
import { exportLabelledFolder, reviewedPredictionsCsv } from '../export';
import { cellImagePath } from '../images';
import { reviewDifferential, reviewDifferentialCsv } from '../review-differential';
import { WbcError } from '../../util/errors';
import { fail } from './fail';

function attachment(reply: FastifyReply, name: string, text: string): FastifyReply {
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(text);
}

/** The review's results: the predictions and differential CSVs, and a labelled folder for wbc train. */
export function exportRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { store, classes, scheme } = context;
  return async (app) => {
    app.get('/api/export/predictions.csv', { schema: API['GET /api/export/predictions.csv'] }, async (_request, reply) =>
      attachment(reply, 'predictions-reviewed.csv', reviewedPredictionsCsv(store.presentCells(), classes)));
    app.get('/api/export/differential.csv', { schema: API['GET /api/export/differential.csv'] }, async (_request, reply) =>
      attachment(reply, 'differential-reviewed.csv', reviewDifferentialCsv(reviewDifferential(store.reviewStates(), classes, scheme), scheme.identity)));
    app.post('/api/export/labelled-folder', { schema: API['POST /api/export/labelled-folder'] }, async (_request, reply) => {
      const resolve = (cell: Cell): string => {
        const file = cellImagePath(context.realImageDir, cell.file);
        if (file === undefined) throw new WbcError(`${cell.file} is no longer a file inside the opened folder; rescan the folder, then export`);
        return file;
      };
      try {
        return exportLabelledFolder(store.presentCells(), resolve, context.exportDir);
      } catch (error) {
        if (error instanceof WbcError) return fail(reply, 409, error.message);
        throw error;
      }
    });
  };
}
