import { openChronicle } from '../../app/chronicle.ts';
import { bootstrap } from '../../app/bootstrap.ts';
import { startServer } from '../../transport/server.ts';
import { readSettings } from '../../app/settings.ts';
import { type Command, say } from '../command.ts';
import { cliSettings, dataDirOption } from '../settings-from-env.ts';

export const startCommand: Command = {
  name: 'start',
  summary: 'run the server (REST, WebSocket, web client) with the agents in DATA_DIR',
  usage: `Usage: chronicle start [--port N] [--host H] [--data-dir DIR]

Starts Chronicle on HOST:PORT (default 127.0.0.1:3000) with its data in DATA_DIR (default ./data).
The first start creates the admin account (ADMIN_PASSWORD, or a generated password printed once)
and the default agent. Ctrl-C or SIGTERM stops it cleanly.`,
  options: { ...dataDirOption, port: { type: 'string' }, host: { type: 'string' } },
  async run({ values }) {
    let settings = cliSettings(values);
    if (typeof values.port === 'string') settings = { ...settings, port: readSettings({ PORT: values.port }).port };
    if (typeof values.host === 'string') settings = { ...settings, host: values.host };

    const chronicle = await openChronicle(settings);
    const log = chronicle.logger;
    let server: Awaited<ReturnType<typeof startServer>>;
    try {
      const boot = await bootstrap(chronicle);
      if (boot.generatedAdminPassword) {
        say('');
        say(`  Created account "admin" with the generated password: ${boot.generatedAdminPassword}`);
        say('  It is shown this once. Set ADMIN_PASSWORD before the first start to choose it.');
        say('');
      }
      server = await startServer(chronicle);
    } catch (err) {
      await chronicle.close();
      throw err;
    }
    process.stdout.write(`Chronicle listening on ${server.url}\n`);
    log.info('started', { url: server.url, dataDir: settings.dataDir, modelProvider: settings.modelProvider });

    return await new Promise<number>((resolve) => {
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
  },
};
