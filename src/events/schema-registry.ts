import type { z } from 'zod';
import { InvalidEventError } from './errors.ts';

/** Turns a payload written at `fromVersion` into the shape of `fromVersion + 1`. */
export type Upcaster = (data: any) => unknown;

export interface EventTypeDefinition {
  /** The payload schema, or a function building it: called on the type's first validation, then kept. */
  schema: z.ZodType | (() => z.ZodType);
  /** Version written by today's code. */
  version: number;
  /** upcasters[v] upgrades a version-v payload to v+1. */
  upcasters?: Record<number, Upcaster>;
}

/**
 * Validates payloads on the way in and upcasts old payloads on the way out. Old events are never
 * rewritten: the log keeps what was written, readers see today's shape. The log holds no definitions
 * of its own: a store is handed one built from the domain's catalogue (src/domain/event-registry.ts).
 */
export class SchemaRegistry {
  /** Schemas built so far: only validation needs one, so reading the log never builds any. */
  private readonly built = new Map<string, z.ZodType>();

  constructor(private readonly definitions: Record<string, EventTypeDefinition>) {}

  has(type: string): boolean {
    return Object.hasOwn(this.definitions, type);
  }

  versionOf(type: string): number {
    return this.definition(type).version;
  }

  /** Parses the payload with its schema; throws InvalidEventError listing every problem. */
  validate(type: string, data: unknown): unknown {
    const result = this.schemaOf(type).safeParse(data);
    if (!result.success) {
      throw new InvalidEventError(
        type,
        result.error.issues.map((i) => `${pathOf(i.path)}: ${i.message}`),
      );
    }
    return result.data;
  }

  /**
   * The same check as `validate`, answering zod's first issue (where, what) instead of throwing:
   * undefined when the payload is valid. The raw import uses it (src/events/import-check.ts).
   */
  firstIssue(type: string, data: unknown): { path: string; message: string } | undefined {
    const result = this.schemaOf(type).safeParse(data);
    if (result.success) return undefined;
    const issue = result.error.issues[0];
    return { path: pathOf(issue?.path ?? []), message: issue?.message ?? 'invalid' };
  }

  upcast(type: string, schemaVersion: number, data: unknown): unknown {
    if (!this.has(type)) return data; // unknown types from a newer writer are passed through untouched
    const def = this.definitions[type];
    let current = data;
    for (let v = schemaVersion; v < def.version; v++) {
      const up = def.upcasters?.[v];
      if (!up) throw new Error(`no upcaster for ${type} from schema version ${v}`);
      current = up(current);
    }
    return current;
  }

  private schemaOf(type: string): z.ZodType {
    let schema = this.built.get(type);
    if (!schema) {
      const given = this.definition(type).schema;
      schema = typeof given === 'function' ? given() : given;
      this.built.set(type, schema);
    }
    return schema;
  }

  private definition(type: string): EventTypeDefinition {
    const def = this.definitions[type];
    if (!def) throw new InvalidEventError(type, [`unknown event type "${type}"`]);
    return def;
  }
}

/** A zod issue's path as the error messages write it: `a.b.0`, or `(data)` for the payload itself. */
function pathOf(path: readonly PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : '(data)';
}
