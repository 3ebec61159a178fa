/**
 * The ONNX Runtime session of one predictor, in its own thread: onnxruntime-node runs a session on the
 * thread that calls it (its run() only defers the call with setImmediate), so in the main thread every
 * call would hold the event loop for as long as the network runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../util/errors';
import { onnxSession, runViews } from './onnx-session';

export interface OnnxWorkerData {
  /** The exported model (src/runtime/onnx-model.ts). */
  bytes: Uint8Array;
  threads: number;
}

export interface OnnxRequest {
  type: 'score';
  images: Uint8Array;
  count: number;
  storedSize: number;
  views: number;
  /** The first view scored (views first to views - 1): 0, or 1 for images whose plain view was scored already. */
  firstView: number;
  featureSize: number;
}

/** Sent once no request is in flight: the thread releases its session and ends on its own. */
export interface OnnxClose {
  type: 'close';
}

/** The first message says whether the session opened; each request then gets one reply, in order. */
export type OnnxReply =
  | { type: 'opened' }
  | { type: 'scored'; logits: Float32Array; features: Float32Array }
  | { type: 'failed'; message: string };

const { bytes, threads } = workerData as OnnxWorkerData;
const port = parentPort!;
const reply = (message: OnnxReply): void => port.postMessage(message);
const failed = (error: unknown): void => reply({ type: 'failed', message: messageOf(error) });

onnxSession(bytes, threads).then((session) => {
  port.on('message', (request: OnnxRequest | OnnxClose) => {
    if (request.type === 'close') {
      // Closing the port lets the thread end by itself, never under ONNX Runtime's feet (see stopWorker).
      const end = (): void => port.close();
      void session.release().then(end, end);
      return;
    }
    runViews(session, request.images, request.count, request.storedSize, request.views, request.featureSize, request.firstView)
      .then(({ logits, features }) => reply({ type: 'scored', logits, features }), failed);
  });
  reply({ type: 'opened' });
}, failed);
