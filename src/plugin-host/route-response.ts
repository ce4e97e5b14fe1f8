/** What an Express-style route handler answered, before it is written anywhere. */
export interface RouteAnswerData {
  status: number;
  headers: Record<string, string>;
  kind: 'json' | 'text' | 'bytes';
  body: unknown;
}

/**
 * The `res` an ElizaOS route handler writes to (Express's names: status, setHeader, json, send, end,
 * sendStatus …). One answer only: the first json/send/end settles it through `onAnswer`; the caller
 * decides how it leaves (written to the socket in process, or sent across from the sandbox).
 */
export function expressResponse(onAnswer: (answer: RouteAnswerData) => void) {
  let statusCode = 200;
  let sent = false;
  const headers: Record<string, string> = {};
  const finish = (kind: RouteAnswerData['kind'], body: unknown) => {
    if (sent) return;
    sent = true;
    onAnswer({ status: statusCode, headers, kind, body });
  };
  const res = {
    get headersSent() {
      return sent;
    },
    get statusCode() {
      return statusCode;
    },
    set statusCode(n: number) {
      statusCode = n;
    },
    status(n: number) {
      statusCode = Number.isInteger(n) && n >= 100 && n <= 599 ? n : 500;
      return res;
    },
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[String(name).toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
      return res;
    },
    getHeader: (name: string) => headers[String(name).toLowerCase()],
    header: (name: string, value: string) => res.setHeader(name, value),
    type: (value: string) => res.setHeader('content-type', value.includes('/') ? value : value === 'json' ? 'application/json' : `text/${value}`),
    json(body: unknown) {
      finish('json', body);
      return res;
    },
    send(body?: unknown) {
      if (body instanceof Uint8Array) finish('bytes', body);
      else if (body !== null && typeof body === 'object') finish('json', body);
      else finish('text', body === undefined ? '' : String(body));
      return res;
    },
    end(body?: string | Uint8Array) {
      return res.send(body ?? '');
    },
    sendStatus: (n: number) => res.status(n).send(String(n)),
  };
  return res;
}
