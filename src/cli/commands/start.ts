import { openChronicle } from '../../app/chronicle.ts';
import { bootstrap } from '../../app/bootstrap.ts';
import { startServer } from '../../transport/server.ts';
import { installProcessErrorHandlers } from '../../plugin-host/process-errors.ts';
import { readSettings } from '../../settings/settings.ts';
import { type Command, say } from '../command.ts';
import { cliSettings, dataDirOption } from '../settings-from-env.ts';
import { applyCharacterFiles, characterFilesOption, readCharacterFiles } from './start-characters.ts';

export const startCommand: Command = {
  name: 'start',
  usage: `Usage: chronicle start [--port N] [--host H] [--data-dir DIR] [--character FILE...] [--allow-broken-log]

Starts Chronicle on HOST:PORT (default 127.0.0.1:3000) with its data in DATA_DIR (default ./data).
The first start creates the admin account (ADMIN_PASSWORD, or a generated password printed once)
and the default agent. Ctrl-C or SIGTERM stops it cleanly.
--character FILE... (ElizaOS v1 or v0.x character files; repeat the flag, separate with commas, or
list the files after it) creates an agent from each file, or updates the agent of that name to what
the file says (nothing is appended when nothing changed), starts it, and loads its knowledge (files
relative to the character file) — then serves them. Every file is checked first: if one is invalid
nothing is written and the server does not start. No default agent is created beside them.

At every start the log's hash chain is checked from the position verified at the last start (all of
it the first time); a broken log is refused, naming the first bad seq (see \`chronicle verify\`).
--allow-broken-log (or ALLOW_BROKEN_LOG=true) serves it anyway, with an error in the log each start.`,
  options: { ...dataDirOption, port: { type: 'string' }, host: { type: 'string' }, ...characterFilesOption, 'allow-broken-log': { type: 'boolean' } },
  allowPositionals: true,
  async run({ values, positionals }, deps) {
    const characterFiles = readCharacterFiles(values, positionals);
    if (!characterFiles.ok) return 1;
    let settings = cliSettings(values);
    if (typeof values.port === 'string') settings = { ...settings, port: readSettings({ PORT: values.port }).port };
    if (typeof values.host === 'string') settings = { ...settings, host: values.host };
    if (values['allow-broken-log'] === true) settings = { ...settings, allowBrokenLog: true };

    const chronicle = await openChronicle(settings, await deps.builtIns());
    const log = chronicle.logger;
    // A plugin's stray rejection or timer throw is recorded (plugin.failed), not the end of the server.
    installProcessErrorHandlers({
      logger: log,
      onPluginError: (owner, component, error) => void chronicle.actors.recordPluginError?.(owner, component, error),
    });
    let server: Awaited<ReturnType<typeof startServer>>;
    try {
      // The characters first, so bootstrap sees agents and adds no default one beside them.
      const generated = await applyCharacterFiles(chronicle, characterFiles.files);
      const boot = await bootstrap(chronicle);
      const password = generated ?? boot.generatedAdminPassword;
      if (password) {
        say('');
        say(`  Created account "admin" with the generated password: ${password}`);
        say('  It is shown this once. Set ADMIN_PASSWORD before the first start to choose it.');
        say('');
      }
      server = await startServer(chronicle);
    } catch (err) {
      await chronicle.close();
      throw err;
    }
    // The signal handlers first, then the line that says the server is up: a supervisor (or a test) that
    // signals as soon as it reads the line must find them in place, not Node's default (death, no cleanup).
    const stopped = new Promise<number>((resolve) => {
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) {
          say(`${signal} again: exiting now`);
          process.exit(130);
        }
        stopping = true;
        log.info('stopping', { signal });
        try {
          await server.close();
          await chronicle.close();
          log.info('stopped cleanly');
          resolve(0);
        } catch (err) {
          log.error('shutdown failed', { error: String(err) });
          resolve(1);
        }
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
    process.stdout.write(`Chronicle listening on ${server.url}\n`);
    chronicle.cluster?.membership.setReport({ url: server.url });
    log.info('started', { url: server.url, dataDir: settings.dataDir, modelProvider: settings.modelProvider });
    return await stopped;
  },
};
