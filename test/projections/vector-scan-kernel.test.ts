import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('the vector scan kernel', () => {
  it('is compiled from the committed int8-dot.wat (run npm run build:wasm after editing it)', async () => {
    // @ts-expect-error plain ESM build script without type declarations
    const { compileKernel } = (await import('../../scripts/build-wasm.mjs')) as { compileKernel: () => Promise<string> };
    const committed = readFileSync(new URL('../../src/projections/vector-scan/int8-dot.wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(await compileKernel());
  });
});
