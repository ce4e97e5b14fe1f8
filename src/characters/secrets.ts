import type { SecretBox } from '../shared/secrets.ts';
import type { Character } from './schema.ts';

type SecretMap = Record<string, string | number | boolean>;
const SEALED = 'enc:v1:';

const mapValues = (map: SecretMap | undefined, fn: (v: string | number | boolean) => string | number | boolean): SecretMap | undefined =>
  map && Object.fromEntries(Object.entries(map).map(([k, v]) => [k, fn(v)]));

/**
 * Seals every value of `secrets` and `settings.secrets` (already sealed ones are kept as they are), so
 * the character can enter the log: nothing secret is ever stored in plain text.
 */
export function sealCharacterSecrets(character: Character, box: SecretBox): Character {
  const seal = (v: string | number | boolean) => (typeof v === 'string' && v.startsWith(SEALED) ? v : box.seal(String(v)));
  const out: Character = { ...character };
  if (character.secrets) out.secrets = mapValues(character.secrets, seal);
  if (character.settings?.secrets) out.settings = { ...character.settings, secrets: mapValues(character.settings.secrets, seal) };
  return out;
}

/**
 * The character with its secrets opened, for in-memory use by the agent (model keys, plugin settings).
 * Never append or return the result. A value that cannot be opened (wrong data key) is dropped.
 */
export function openCharacterSecrets(character: Character, box: SecretBox): Character {
  const open = (v: string | number | boolean) => {
    if (typeof v !== 'string' || !v.startsWith(SEALED)) return v;
    try {
      return box.open(v);
    } catch {
      return '';
    }
  };
  const out: Character = { ...character };
  if (character.secrets) out.secrets = mapValues(character.secrets, open);
  if (character.settings?.secrets) out.settings = { ...character.settings, secrets: mapValues(character.settings.secrets, open) };
  return out;
}

/** The character as any API shows it: `secrets` and `settings.secrets` removed entirely. */
export function stripSecrets(character: Character): Character {
  const { secrets: _secrets, ...rest } = character;
  if (rest.settings && 'secrets' in rest.settings) {
    const { secrets: _s, ...settings } = rest.settings;
    return { ...rest, settings };
  }
  return rest;
}

/** ElizaOS `runtime.getSetting` order: character.secrets → character.settings[key] → settings.secrets. */
export function characterSetting(character: Character, key: string): string | number | boolean | null | undefined {
  if (character.secrets && key in character.secrets) return character.secrets[key];
  const settings = character.settings as Record<string, unknown> | undefined;
  const direct = settings?.[key];
  if (direct !== undefined && (direct === null || ['string', 'number', 'boolean'].includes(typeof direct))) return direct as string | number | boolean | null;
  const nested = character.settings?.secrets;
  if (nested && key in nested) return nested[key];
  return undefined;
}

/** JSON with object keys sorted, so two equal characters give the same text whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * Whether two characters say the same, secrets compared by their opened values (sealing is random, and
 * it turns numbers into strings, so both sides go through seal-then-open first).
 */
export function sameCharacter(a: Character, b: Character, box: SecretBox): boolean {
  const plain = (c: Character) => canonicalJson(openCharacterSecrets(sealCharacterSecrets(c, box), box));
  return plain(a) === plain(b);
}
