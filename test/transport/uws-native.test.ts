import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { describeUws, loadNativeUws } from '../../src/transport/uws.ts';

describe('uWebSockets.js: native only', () => {
  it('recognises the native addon in this process', () => {
    const uws = loadNativeUws();
    expect(Function.prototype.toString.call(uws.App)).toContain('[native code]');
  });

  it('recognises the JS fallback: App is not native and dist/index.js was loaded', () => {
    const fake = {
      App: function App() {
        return {};
      },
    };
    const v = describeUws(fake, ['/pkg/src/uws.js', '/pkg/dist/index.js'], '/pkg');
    expect(v.native).toBe(false);
    expect(v.reason).toContain('fallback');
    expect(describeUws({ App: Math.max }, ['/pkg/src/uws.js'], '/pkg').native).toBe(false);
    expect(describeUws({ App: Math.max }, ['/pkg/binaries/uws_linux_x64_115.node'], '/pkg').native).toBe(true);
  });

  it('refuses to start on the fallback (UWS_USE_FALLBACK=1 in a child process) with a clear message', () => {
    const script = `import { loadNativeUws } from './src/transport/uws.ts';
try { loadNativeUws(); console.log('LOADED'); } catch (e) { console.log('REFUSED ' + e.message); process.exit(3); }`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      env: { ...process.env, UWS_USE_FALLBACK: '1' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(3);
    expect(r.stdout).toContain('REFUSED uWebSockets.js native addon did not load');
    expect(r.stdout).toContain('fallback');
  });
});
