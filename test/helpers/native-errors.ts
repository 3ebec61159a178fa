import assert from 'node:assert/strict';

/** What LibTorch appends to its messages; none of it may reach JavaScript. */
const BACKTRACE_MARKERS = /Exception raised from|frame #|\(no backtrace available\)/;

/** The error a native call threw is an Error with a one-line message and no C++ backtrace. */
export function assertOneLineError(error: unknown, context: string): asserts error is Error {
  assert.ok(error instanceof Error, `${context}: threw ${String(error)}, not an Error`);
  assert.ok(error.message.length > 0, `${context}: empty message`);
  assert.ok(!/[\r\n]/.test(error.message), `${context}: message has several lines: ${JSON.stringify(error.message)}`);
  assert.ok(!BACKTRACE_MARKERS.test(error.message), `${context}: message carries a C++ backtrace: ${error.message}`);
}

/** The call throws a one-line Error whose message matches `pattern`. */
export function assertRefused(call: () => unknown, pattern: RegExp): void {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown !== undefined, `expected a refusal matching ${pattern}, but the call succeeded`);
  assertOneLineError(thrown, String(pattern));
  assert.match(thrown.message, pattern);
}

/** The asynchronous call returns a promise (it does not throw) that rejects with a one-line Error whose message matches `pattern`. */
export async function assertRejected(call: () => unknown, pattern: RegExp): Promise<void> {
  const promise = call();
  assert.ok(promise instanceof Promise, `expected a promise rejected with ${pattern}, got ${String(promise)}`);
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown !== undefined, `expected a refusal matching ${pattern}, but the call succeeded`);
  assertOneLineError(thrown, String(pattern));
  assert.match(thrown.message, pattern);
}
