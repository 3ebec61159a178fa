import { createHash } from 'node:crypto';
import { native, nativeMessage, type NativeProcessGroup } from '../native/binding';
import { WbcError, messageOf } from '../util/errors';
import { resolveDistributedOptions, type DistributedOptions } from './options';

const text = new TextEncoder();
const utf8 = new TextDecoder();

/** SHA-256 of a value's JSON: what ranks compare to find that they hold the same data and options. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

function ranksText(ranks: number[]): string {
  return `${ranks.length === 1 ? 'rank' : 'ranks'} ${ranks.join(', ')}`;
}

/** What each rank tells the others at start-up: named fingerprints that must agree, or why it cannot start. */
type StartState = { hashes: Record<string, string> } | { error: string };

/**
 * This process's membership of a group (c10d TCPStore + Gloo, src/native/addon/group-link.cc). Every
 * exchange is collective: all ranks call the same methods in the same order, and a rank that is gone or
 * does not answer within the timeout ends the others with a one-line WbcError that names it.
 */
export class Group {
  private started = false;

  private constructor(private readonly native: NativeProcessGroup, readonly rank: number, readonly worldSize: number) {}

  /** Joins the group; resolves once every rank has joined, or rejects naming the ones that did not. */
  static async join(options: DistributedOptions): Promise<Group> {
    const settings = resolveDistributedOptions(options);
    const addon = native();
    try {
      const group = await addon.createProcessGroup({
        rank: settings.rank, worldSize: settings.worldSize, host: settings.masterAddress, port: settings.masterPort,
        timeoutSeconds: settings.timeoutSeconds, interface: settings.networkInterface,
      });
      return new Group(group, settings.rank, settings.worldSize);
    } catch (error) {
      throw new WbcError(`cannot join the group as rank ${settings.rank} of ${settings.worldSize}: ${nativeMessage(error)}`);
    }
  }

  get isLeader(): boolean {
    return this.rank === 0;
  }

  /** For NativeEngine.joinGroup. */
  get handle(): NativeProcessGroup {
    return this.native;
  }

  /** This rank's contiguous share [start, end) of `count` items; the shares in rank order cover them in order. */
  share(count: number): { start: number; end: number } {
    return { start: Math.floor((count * this.rank) / this.worldSize), end: Math.floor((count * (this.rank + 1)) / this.worldSize) };
  }

  private collective<T>(call: () => T): T {
    try {
      return call();
    } catch (error) {
      throw new WbcError(`rank ${this.rank}: ${nativeMessage(error)}`);
    }
  }

  /** Every rank's value, in rank order. */
  allgather<T>(value: T, what: string): T[] {
    const parts = this.collective(() => this.native.allgather(text.encode(JSON.stringify(value)), what));
    return parts.map((part) => JSON.parse(utf8.decode(part)) as T);
  }

  /** Rank 0's value on every rank (the others pass undefined). */
  broadcast<T>(value: T | undefined, what: string): T {
    const bytes = this.isLeader ? text.encode(JSON.stringify(value ?? null)) : null;
    return JSON.parse(utf8.decode(this.collective(() => this.native.broadcast(bytes, what)))) as T;
  }

  /** Rank 0's bytes on every rank (the others pass undefined). */
  broadcastBytes(bytes: Uint8Array | undefined, what: string): Uint8Array {
    return this.collective(() => this.native.broadcast(this.isLeader ? (bytes ?? new Uint8Array(0)) : null, what));
  }

  /**
   * The start-up check: every rank states its fingerprints (data folder, options); if any rank failed to
   * get ready, or holds something other than rank 0, every rank throws the same one-line error.
   */
  agree(hashes: Record<string, string>): void {
    this.exchangeStart({ hashes });
  }

  /** Tells the others that this rank cannot start (if it has not passed the start-up check yet); never throws. */
  abandonStart(error: unknown): void {
    if (this.started) return;
    try {
      this.exchangeStart({ error: messageOf(error) });
    } catch {
      // The others learn it one way or the other; this rank's own error is the one to report.
    }
  }

  private exchangeStart(mine: StartState): void {
    this.started = true;
    const states = this.allgather(mine, 'the start-up check');
    if ('error' in mine) return;
    const failed = states.flatMap((state, rank) => ('error' in state ? [{ rank, error: state.error }] : []));
    if (failed.length) throw new WbcError(`rank ${failed[0].rank} could not start: ${failed[0].error}`);
    const leader = (states[0] as { hashes: Record<string, string> }).hashes;
    for (const name of Object.keys(mine.hashes)) {
      const differing = states.flatMap((state, rank) => ((state as { hashes: Record<string, string> }).hashes[name] !== leader[name] ? [rank] : []));
      if (differing.length) {
        throw new WbcError(`the ${name} differs between ranks: ${ranksText(differing)} ${differing.length === 1 ? 'does' : 'do'} not have rank 0's; every rank needs the same`);
      }
    }
  }
}
