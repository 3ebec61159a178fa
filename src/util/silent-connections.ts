import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** How long a connection may stay silent before its first request: Node's own limit for a request's headers. */
const SILENT_CONNECTION_MS = 60_000;

/**
 * Ends a connection that sends nothing within `ms` of opening. Node limits how long a request's headers may
 * take once they have begun, but keeps a connection that never sends a byte open for ever (measured: still
 * open after 130 s), so that anyone who can reach the port could pile them up. Once a request arrives, Node's
 * own limits apply again (headers, keep-alive between requests) and a long answer is never cut.
 */
export function endSilentConnections(app: FastifyInstance, tls: boolean, ms = SILENT_CONNECTION_MS): void {
  app.server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    socket.setTimeout(ms);
  });
  app.server.on('request', (request: IncomingMessage) => {
    request.socket.setTimeout(0);
  });
}
