import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { BuiltIns } from '../app/chronicle.ts';

/**
 * What the program entry (bin/main.ts) hands every command: the built-in plugins and providers the core
 * is opened with (plugins/built-in.ts), loaded on first use so that commands which never open the core
 * (`--help`, `verify`, `chat`) do not load the model SDKs.
 */
export interface CommandDeps {
  builtIns(): Promise<BuiltIns>;
}

/** One CLI command: its help text, its options, and what it does. Exit codes: 0 ok, 1 failure, 2 usage. */
export interface Command {
  name: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  allowPositionals?: boolean;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }, deps: CommandDeps): Promise<number>;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseCommandArgs(command: Command, argv: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Prints to stderr, where the CLI's diagnostics go (stdout is for data: exports, JSON). */
export const say = (line: string) => process.stderr.write(line + '\n');
