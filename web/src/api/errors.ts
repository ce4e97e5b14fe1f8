/** One problem of a refused character: its field path, what is wrong, how to fix it. */
export interface FieldProblem {
  path: string;
  message: string;
  hint?: string;
}

/** An error answer of the API, from its envelope `{error: {code, message, problems?}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Every problem of a refused input, by field (a 400 lists them all). */
    readonly problems: FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The text to show a person for any failure: the API's own message, with its code for the curious. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.code}${err.status ? `, ${err.status}` : ''})`;
  if (err instanceof Error) return err.message;
  return String(err);
}

export async function errorFromResponse(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || 'request failed';
  let problems: FieldProblem[] = [];
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown; problems?: unknown } };
    if (body?.error && typeof body.error.message === 'string') {
      message = body.error.message;
      if (typeof body.error.code === 'string') code = body.error.code;
      if (Array.isArray(body.error.problems)) {
        problems = body.error.problems.filter((p): p is FieldProblem => !!p && typeof p.path === 'string' && typeof p.message === 'string');
      }
    }
  } catch {
    // not JSON: keep the status text
  }
  if (res.status === 429) {
    const after = res.headers.get('retry-after');
    if (after) message += ` — try again in ${after} s`;
  }
  return new ApiError(res.status, code, message, problems);
}
