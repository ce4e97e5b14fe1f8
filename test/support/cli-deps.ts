import { builtIns } from '../../plugins/built-in.ts';
import type { CommandDeps } from '../../src/cli/command.ts';

/** What bin/main.ts hands a CLI command, for tests that run a command in process. */
export const cliDeps: CommandDeps = { builtIns: async () => builtIns };
