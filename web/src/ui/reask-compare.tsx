import { useEffect, useState } from 'preact/hooks';
import { describeError } from '../api/errors.ts';
import { loadTrace, waitForReplyTo, type LoadedTrace } from '../api/trace.ts';
import { ErrorText, ScreenTitle } from './common.tsx';
import { useApp } from './context.ts';
import { href } from './route.ts';
import { TraceDetails } from './trace.tsx';

/**
 * A re-asked turn beside the original (`#/reask/<roomId>/<replyId>/<branchRoomId>/<questionId>`): each
 * reply with its trace, read from the log. The new reply comes from a model after the 202, so its
 * column waits for its `reply.traced`.
 */
export function ReaskCompareScreen({ arg }: { arg: string }) {
  const { api } = useApp();
  const [roomId, replyId, branchId, questionId] = arg.split('/');
  const [original, setOriginal] = useState<LoadedTrace>();
  const [reasked, setReasked] = useState<LoadedTrace>();
  const [errors, setErrors] = useState<{ original?: string; reasked?: string }>({});

  useEffect(() => {
    let live = true;
    loadTrace(api, roomId, replyId).then(
      (t) => live && setOriginal(t),
      (err) => live && setErrors((e) => ({ ...e, original: describeError(err) })),
    );
    (async () => {
      const newReplyId = await waitForReplyTo(api, branchId, questionId, { stopped: () => !live });
      if (!live) return;
      if (!newReplyId) throw new Error('No reply came in the branch within two minutes (see the branch, or the event log).');
      const t = await loadTrace(api, branchId, newReplyId);
      if (live) setReasked(t);
    })().catch((err) => live && setErrors((e) => ({ ...e, reasked: describeError(err) })));
    return () => {
      live = false;
    };
  }, [arg]);

  return (
    <div class="screen">
      <ScreenTitle>Re-asked reply</ScreenTitle>
      <div class="side-by-side">
        <Column title="Original" testId="original" roomId={roomId} loaded={original} error={errors.original} waiting="Reading the log…" />
        <Column title="Re-asked" testId="reasked" roomId={branchId} loaded={reasked} error={errors.reasked} waiting="Waiting for the new reply…" />
      </div>
    </div>
  );
}

function Column({
  title,
  testId,
  roomId,
  loaded,
  error,
  waiting,
}: {
  title: string;
  testId: string;
  roomId: string;
  loaded?: LoadedTrace;
  error?: string;
  waiting: string;
}) {
  return (
    <section class="card" aria-label={title} data-testid={testId}>
      <h2>{title}</h2>
      <p>
        <a href={href('chat', roomId)}>{testId === 'original' ? 'The room' : 'The branch'}</a>
      </p>
      <ErrorText error={error} />
      {!loaded && !error && (
        <p class="muted" role="status">
          {waiting}
        </p>
      )}
      {loaded && (
        <>
          <blockquote class="reply-text" data-testid="reply-text">
            {loaded.messages.get(loaded.trace.replyId)?.text ?? ''}
          </blockquote>
          <TraceDetails loaded={loaded} />
        </>
      )}
    </section>
  );
}
