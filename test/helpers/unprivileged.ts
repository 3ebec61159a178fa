/**
 * Root passes every file-permission check, so a test of an unreadable or unwritable path would prove
 * nothing when run as root (as CI runs). As root, the command runs without the two capabilities that
 * let it (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), through util-linux's setpriv (Debian's essential
 * util-linux has it): root then meets a file's mode bits like any user.
 */
export function withoutPermissionOverride(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  return ['setpriv', ['--bounding-set=-dac_override,-dac_read_search', command, ...args]];
}
