import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/** An error line read out by screen readers as soon as it appears. */
export function ErrorText({ error, id }: { error?: string; id?: string }) {
  if (!error) return null;
  return <p class="error" role="alert" id={id}>{error}</p>;
}

/** A status line (polite): "saved", "3 results", … */
export function Notice({ text }: { text?: string }) {
  return <p class="notice" role="status" aria-live="polite">{text ?? ''}</p>;
}

/** A screen's heading, focused when the screen opens so keyboard and reader users land on it. */
export function ScreenTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return <h1 tabIndex={-1} ref={ref}>{children}</h1>;
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function readFileText(file: File): Promise<string> {
  return file.text();
}
