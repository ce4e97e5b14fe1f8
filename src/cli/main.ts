import { type CommandDeps, parseCommandArgs, UsageError } from './command.ts';
import { commands } from './command-table.ts';

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: chronicle <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `chronicle <command> --help` for the options of one command.',
    'Settings come from environment variables and ./.env (see README: Settings).',
  ].join('\n');
}

async function main(argv: string[], deps: CommandDeps): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp() + '\n');
    return name ? 0 : 2;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`chronicle: unknown command "${name}"\n\n${mainHelp()}\n`);
    return 2;
  }
  const command = await entry.load();
  try {
    const args = parseCommandArgs(command, rest);
    if (args.values.help) {
      process.stdout.write(`${command.usage}\n`);
      return 0;
    }
    return await command.run(args, deps);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`chronicle ${name}: ${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    process.stderr.write(`chronicle ${name}: ${(err as Error).message}\n`);
    if (process.env.LOG_LEVEL === 'debug') process.stderr.write(`${(err as Error).stack}\n`);
    return 1;
  }
}

/**
 * Runs `chronicle <argv>` and sets the process's exit code. The program entry (bin/main.ts) calls it
 * with the built-ins; the CLI, like the rest of src/, imports no plugin.
 */
export function runCli(argv: string[], deps: CommandDeps): Promise<void> {
  // `chronicle … | head` closes stdout early: that is the reader's choice, not a failure of the command.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  return main(argv, deps).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`chronicle: ${(err as Error).stack ?? err}\n`);
      process.exitCode = 1;
    },
  );
}
