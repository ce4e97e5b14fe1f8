/** An error answer of the API, from its envelope `{error: {code, message}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
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
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    if (body?.error && typeof body.error.message === 'string') {
      message = body.error.message;
      if (typeof body.error.code === 'string') code = body.error.code;
    }
  } catch {
    // not JSON: keep the status text
  }
  if (res.status === 429) {
    const after = res.headers.get('retry-after');
    if (after) message += ` — try again in ${after} s`;
  }
  return new ApiError(res.status, code, message);
}
