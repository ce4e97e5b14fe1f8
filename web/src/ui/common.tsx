import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError, describeError, type FieldProblem } from '../api/errors.ts';

/** An error line read out by screen readers as soon as it appears. */
export function ErrorText({ error, id }: { error?: string; id?: string }) {
  if (!error) return null;
  return (
    <p class="error" role="alert" id={id}>
      {error}
    </p>
  );
}

/** A refused input's problems, one per field (the `problems` of a 400), each with how to fix it when known. */
export function ProblemList({
  problems,
  id,
  subject = 'The form',
  testId = 'problems',
}: {
  problems: FieldProblem[];
  id?: string;
  subject?: string;
  testId?: string;
}) {
  return (
    <div role="alert" id={id}>
      <p class="error">
        {subject} has {problems.length} problem{problems.length === 1 ? '' : 's'}:
      </p>
      <ul class="problems" data-testid={testId}>
        {problems.map((p) => (
          <li key={`${p.path}-${p.message}`}>
            <code>{p.path}</code>: {p.message}
            {p.hint ? ` — ${p.hint}` : ''}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** What a form shows for a failure: a 400's problems as a list by field, anything else as one line. */
export type FormFailure = { problems: FieldProblem[] } | { text: string };

export function formFailure(err: unknown): FormFailure {
  return err instanceof ApiError && err.problems.length ? { problems: err.problems } : { text: describeError(err) };
}

export function FormErrors({ failure, id, subject }: { failure?: FormFailure; id?: string; subject?: string }) {
  if (!failure) return null;
  return 'problems' in failure ? <ProblemList problems={failure.problems} id={id} subject={subject} /> : <ErrorText error={failure.text} id={id} />;
}

/** A status line (polite): "saved", "3 results", … */
export function Notice({ text }: { text?: string }) {
  return (
    <p class="notice" role="status" aria-live="polite">
      {text ?? ''}
    </p>
  );
}

/** A screen's heading, focused when the screen opens so keyboard and reader users land on it. */
export function ScreenTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function readFileText(file: File): Promise<string> {
  return file.text();
}
