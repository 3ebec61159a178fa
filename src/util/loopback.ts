const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'];

/** Whether a host name or address reaches only this machine: the local servers answer nothing else. */
export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.includes(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}
