import * as os from 'node:os';

/** The address that listens on every interface, which no browser can open. */
function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The URLs a browser can open to reach a server bound to `host`: the host itself, or for a wildcard the
 * host name and then each interface's address (loopback last: it works only on this machine).
 */
export function openableUrls(host: string, port: number, scheme: 'http' | 'https'): string[] {
  if (!isWildcard(host)) return [`${scheme}://${urlHost(host)}:${port}/`];
  const ipv4Only = host === '0.0.0.0';
  const addresses = Object.values(os.networkInterfaces()).flat()
    .filter((address) => address !== undefined && (!ipv4Only || address.family === 'IPv4'))
    .filter((address) => !address!.address.startsWith('fe80:'))
    .sort((a, b) => Number(a!.internal) - Number(b!.internal))
    .map((address) => address!.address);
  return [...new Set([os.hostname(), ...addresses])].map((name) => `${scheme}://${urlHost(name)}:${port}/`);
}
