import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * Stopping the server waits until every connection has ended, and browsers keep theirs open: after an
 * answer (72 s in Fastify), and before any request at all (a speculative connection, which Node's
 * closeIdleConnections counts as busy: a stop then waited forever). When the stop begins, this ends every
 * connection without a request under way; one whose request is under way says `Connection: close` in its
 * answer and is ended once the answer has been sent.
 */
export function endConnectionsWhenClosing(app: FastifyInstance, tls: boolean): void {
  let closing = false;
  const requestsUnderWay = new Map<Socket, number>();
  app.server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    requestsUnderWay.set(socket, 0);
    socket.once('close', () => requestsUnderWay.delete(socket));
  });
  app.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    requestsUnderWay.set(socket, (requestsUnderWay.get(socket) ?? 0) + 1);
    response.once('close', () => {
      if (!requestsUnderWay.has(socket)) return;
      const left = (requestsUnderWay.get(socket) ?? 1) - 1;
      requestsUnderWay.set(socket, left);
      if (closing && left === 0) socket.end();
    });
  });
  app.addHook('preClose', async () => {
    closing = true;
    for (const [socket, underWay] of requestsUnderWay) if (underWay === 0) socket.destroy();
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
}
