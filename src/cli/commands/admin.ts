import { randomBytes } from 'node:crypto';
import { openChronicle } from '../../app/chronicle.ts';
import { resetPassword } from '../../app/commands/accounts.ts';
import { createLogger } from '../../shared/logger.ts';
import { type Command, say, UsageError } from '../command.ts';
import { cliSettings, dataDirOption } from '../settings-from-env.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const adminCommand: Command = {
  name: 'admin',
  usage: `Usage: chronicle admin reset-password NAME [--password-stdin] [--data-dir DIR]
       (--user NAME is the same as NAME)

reset-password  gives the account NAME a new password and ends all of its sessions (every refresh
                token and access token is refused from then on). The new password is generated and
                printed once, or read from stdin with --password-stdin (one line, at least 8
                characters). Appends account.password_changed to the log: run it with the server
                stopped (the log has one writer), e.g. when the admin password is lost —
                ADMIN_PASSWORD only applies to the first start.`,
  options: { ...dataDirOption, user: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
  allowPositionals: true,
  async run({ values, positionals }, deps) {
    const [action, named, ...extra] = positionals;
    if (action !== 'reset-password') throw new UsageError(action ? `unknown action "${action}" (reset-password)` : 'missing action: reset-password');
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const user = typeof values.user === 'string' ? values.user : named;
    if (!user || (named !== undefined && typeof values.user === 'string' && named !== values.user))
      throw new UsageError('give the account: NAME (or --user NAME)');
    const generated = values['password-stdin'] ? undefined : randomBytes(12).toString('base64url');
    const password = generated ?? (await readStdin()).replace(/\r?\n$/, '');

    const settings = cliSettings(values);
    const chronicle = await openChronicle(settings, await deps.builtIns(), {
      actors: false,
      checkDataKey: false,
      logger: createLogger(settings.logLevel === 'debug' ? 'debug' : 'warn'),
    });
    try {
      await resetPassword(chronicle, user, password);
    } finally {
      await chronicle.close();
    }
    say(`Password of "${user}" reset; every session of the account has ended.`);
    if (generated) process.stdout.write(`${generated}\n`);
    return 0;
  },
};
