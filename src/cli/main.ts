import sharp from 'sharp';
import { WbcError, messageOf } from '../util/errors';
import { printErr, printOut } from './output';
import type { Command } from './args';
import { calibrateCommand } from './commands/calibrate';
import { classifyCommand } from './commands/classify';
import { reportCommand } from './commands/report';
import { serveCommand } from './commands/serve';
import { evaluateCommand } from './commands/evaluate';
import { exportCommand } from './commands/export';
import { infoCommand } from './commands/info';
import { splitCommand } from './commands/split';
import { trainCommand } from './commands/train';

const commands: Command[] = [trainCommand, evaluateCommand, classifyCommand, splitCommand, infoCommand, serveCommand, reportCommand, exportCommand, calibrateCommand];

const usage = `Usage: wbc <command> [options]

Classifies microscope images of white blood cells, offline, on the CPU.

Commands:
${commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

Run \`wbc <command> --help\` for a command's options.`;

/** Runs the CLI; resolves to the process exit code. Errors print as one line, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    printOut(usage);
    return name ? 0 : 1;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    printErr(`wbc: unknown command '${name}'; commands: ${commands.map((c) => c.name).join(', ')}`);
    return 1;
  }
  // Each image is decoded once; sharp's operation cache would only hold memory.
  sharp.cache(false);
  try {
    await command.run(rest);
    return 0;
  } catch (error) {
    if (error instanceof WbcError) {
      printErr(`\nwbc ${name}: ${messageOf(error)}`);
      return 1;
    }
    printErr(`\nwbc ${name}: unexpected error: ${messageOf(error)}`);
    if (process.env.WBC_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    else process.stderr.write('(set WBC_DEBUG=1 to see where it happened, and please report it)\n');
    return 2;
  }
}
