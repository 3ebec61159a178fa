import { checkInteger, checkString, optional } from '../util/check';
import { WbcError } from '../util/errors';

/** A process's place in a group of processes that train or classify together (torchrun's conventions). */
export interface DistributedOptions {
  worldSize: number;
  /** 0 .. worldSize - 1; rank 0 serves the rendezvous and alone writes files. */
  rank: number;
  /** Where rank 0 listens for the rendezvous: a host name or address every rank can reach. */
  masterAddress: string;
  masterPort: number;
  /** How long a rank waits for the others, at start-up and at every exchange, before it gives up (default 300). */
  timeoutSeconds?: number;
  /** The network interface for the collectives (GLOO_SOCKET_IFNAME); default: the one on the route to the master. */
  networkInterface?: string;
}

export const DEFAULT_TIMEOUT_SECONDS = 300;
/** torchrun's default. */
export const DEFAULT_MASTER_PORT = 29500;

export type DistributedSettings = Required<Omit<DistributedOptions, 'networkInterface'>> & Pick<DistributedOptions, 'networkInterface'>;

/** Checks every field; a one-line WbcError names the option as the command line spells it. */
export function resolveDistributedOptions(options: DistributedOptions): DistributedSettings {
  if (options === null || typeof options !== 'object') throw new WbcError('distributed must be an object with worldSize, rank, masterAddress and masterPort');
  const worldSize = checkInteger('--world-size', options.worldSize, 1, 65536);
  const rank = checkInteger('--rank', options.rank, 0, 65535);
  if (rank >= worldSize) throw new WbcError(`--rank must be below --world-size (ranks count from 0): got rank ${rank} in a group of ${worldSize}`);
  const masterAddress = checkString('--master (its host)', options.masterAddress);
  if (/[\s/]/.test(masterAddress)) throw new WbcError(`--master's host must be a host name or address, got '${masterAddress}'`);
  const masterPort = checkInteger('--master (its port)', options.masterPort, 1, 65535);
  const timeoutSeconds = optional(options.timeoutSeconds, (v) => checkInteger('--timeout', v, 1, 86400)) ?? DEFAULT_TIMEOUT_SECONDS;
  const networkInterface = optional(options.networkInterface, (v) => checkString('GLOO_SOCKET_IFNAME', v));
  return { worldSize, rank, masterAddress, masterPort, timeoutSeconds, networkInterface };
}

/** What the command line gave; each field falls back to torchrun's environment variable. */
export interface GroupFlags {
  worldSize?: number;
  rank?: number;
  /** host:port, or [ipv6]:port; the port may be left out (29500). */
  master?: string;
  timeoutSeconds?: number;
}

function parseMaster(text: string): { host: string; port?: number } {
  const match = /^\[([^\]]+)\](?::(.*))?$/.exec(text) ?? /^([^:]+)(?::(.*))?$/.exec(text);
  if (!match || match[1] === '') throw new WbcError(`--master must be host:port, got '${text}'`);
  return { host: match[1], port: match[2] === undefined ? undefined : envNumber('--master (its port)', match[2]) };
}

function envNumber(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value)) throw new WbcError(`${name} must be a whole number, got '${text}'`);
  return value;
}

/**
 * The group this process joins, from flags first and then WORLD_SIZE, RANK, MASTER_ADDR, MASTER_PORT (and
 * GLOO_SOCKET_IFNAME) in the environment; undefined when no group is asked for or the world size is 1.
 */
export function groupFromConventions(flags: GroupFlags, env: NodeJS.ProcessEnv = process.env): DistributedOptions | undefined {
  const worldSize = flags.worldSize ?? (env.WORLD_SIZE ? envNumber('WORLD_SIZE', env.WORLD_SIZE) : undefined);
  if (worldSize === undefined) {
    if (flags.rank !== undefined || flags.master !== undefined || flags.timeoutSeconds !== undefined) {
      throw new WbcError('--rank, --master and --timeout need --world-size (or WORLD_SIZE in the environment)');
    }
    return undefined;
  }
  if (worldSize === 1) return undefined;
  const rank = flags.rank ?? (env.RANK ? envNumber('RANK', env.RANK) : undefined);
  if (rank === undefined) throw new WbcError(`a group of ${worldSize} needs this process's rank: give --rank (or RANK in the environment)`);
  let host: string | undefined;
  let port: number | undefined;
  if (flags.master !== undefined) ({ host, port } = parseMaster(flags.master));
  host ??= env.MASTER_ADDR || undefined;
  port ??= env.MASTER_PORT ? envNumber('MASTER_PORT', env.MASTER_PORT) : DEFAULT_MASTER_PORT;
  if (host === undefined) throw new WbcError('a group needs the address of rank 0: give --master host:port (or MASTER_ADDR and MASTER_PORT in the environment)');
  const options: DistributedOptions = { worldSize, rank, masterAddress: host, masterPort: port, timeoutSeconds: flags.timeoutSeconds };
  if (env.GLOO_SOCKET_IFNAME) options.networkInterface = env.GLOO_SOCKET_IFNAME;
  return options;
}

/** Command-line help shared by the commands that can run as a group. */
export const GROUP_USAGE = `  --world-size N           processes in the group (default: WORLD_SIZE, else 1: no group)
  --rank N                 this process's rank, 0 .. N-1 (default: RANK); rank 0 alone writes files
  --master HOST:PORT       where rank 0 serves the rendezvous (default: MASTER_ADDR:MASTER_PORT)
  --timeout S              seconds to wait for the other ranks before giving up (default ${DEFAULT_TIMEOUT_SECONDS})`;
