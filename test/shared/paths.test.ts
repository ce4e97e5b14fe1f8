import { describe, expect, it } from 'vitest';
import { isWithin } from '../../src/shared/paths.ts';

describe('isWithin (the one path-containment check: knowledge files, the plugin sandbox)', () => {
  it('is true for the folder itself and what is below it', () => {
    expect(isWithin('/a/b', '/a/b')).toBe(true);
    expect(isWithin('/a/b/c.md', '/a/b')).toBe(true);
    expect(isWithin('/a/b/c/d', '/a/b/')).toBe(true);
    expect(isWithin('/x', '/')).toBe(true);
    expect(isWithin('/a/b/..c', '/a/b')).toBe(true); // a name starting with two dots, not a step up
  });

  it('is false for a sibling sharing the prefix, a parent, and a way out through ..', () => {
    expect(isWithin('/a/bc', '/a/b')).toBe(false);
    expect(isWithin('/a', '/a/b')).toBe(false);
    expect(isWithin('/a/b/../../etc/passwd', '/a/b')).toBe(false);
    expect(isWithin('/a/b/../c', '/a/b')).toBe(false);
  });
});
