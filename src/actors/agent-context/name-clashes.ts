import type { Plugin } from '../../plugin-host/types.ts';

/**
 * ElizaOS registers the first plugin of a name and skips later ones. Chronicle does the same, except
 * that a package the operator preferred over a stand-in (PLUGINS_PREFER_INSTALLED) wins over the
 * built-in of that name (e.g. the real @elizaos/plugin-bootstrap over Chronicle's bootstrap). The
 * same object twice is no clash (a character naming the built-in bootstrap).
 */
export function resolveNameClashes(
  candidates: readonly Plugin[],
  preferred: (p: Plugin) => boolean,
): { kept: Plugin[]; dropped: { plugin: Plugin; why: string }[] } {
  const kept: Plugin[] = [];
  const dropped: { plugin: Plugin; why: string }[] = [];
  for (const p of candidates) {
    const i = kept.findIndex((k) => k.name === p.name);
    if (i < 0) kept.push(p);
    else if (kept[i] === p || dropped.some((d) => d.plugin === p)) continue;
    else if (preferred(p) && !preferred(kept[i])) {
      dropped.push({ plugin: kept[i], why: `replaced by the installed package of the same name "${p.name}" (PLUGINS_PREFER_INSTALLED)` });
      kept[i] = p;
    } else dropped.push({ plugin: p, why: `another plugin named "${p.name}" was registered first (ElizaOS keeps the first of a name)` });
  }
  return { kept, dropped };
}
