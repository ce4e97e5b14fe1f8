/** Types of check-deps.mjs, for the test that runs it (test/deps). */
export interface Violation {
  rule: string;
  from: string;
  to: string;
}
export declare const CHECKED_DIRS: string[];
export declare const rules: { name: string; comment: string; from: { path: string; pathNot?: string }; to: { path: string; pathNot?: string } }[];
export declare function unmarkTypeImports(source: string): string;
export declare function checkDependencies(root: string): Promise<{ violations: Violation[]; modules: number; dependencies: number }>;
