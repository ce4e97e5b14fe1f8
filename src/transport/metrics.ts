import type { AnyRecordedEvent } from '../events/envelope.ts';

const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * Prometheus counters of this process: HTTP requests by route and status, events appended by type and
 * replies (counted from the live log since start), model latency (from model.called events), open
 * sockets and projection lag (sampled when scraped).
 */
export class Metrics {
  private readonly http = new Map<string, number>();
  private readonly events = new Map<string, number>();
  private replies = 0;
  private readonly model = new Map<string, { buckets: number[]; sum: number; count: number }>();
  wsFramesIn = 0;
  wsFramesOut = 0;
  wsDisconnectsBackpressure = 0;
  /** History replay: messages sent from history, and replays cut short by a replay budget. */
  wsReplayedMessages = 0;
  wsReplaysLimited = 0;

  countRequest(route: string, method: string, status: number): void {
    const key = `${method}\u0000${route}\u0000${status}`;
    this.http.set(key, (this.http.get(key) ?? 0) + 1);
  }

  observeEvent(e: AnyRecordedEvent): void {
    this.events.set(e.type, (this.events.get(e.type) ?? 0) + 1);
    if (e.type === 'message.posted' && e.data.authorKind === 'agent') this.replies++;
    if (e.type === 'model.called') {
      const key = `${e.data.provider}\u0000${e.data.model}\u0000${e.data.kind}`;
      let h = this.model.get(key);
      if (!h) this.model.set(key, (h = { buckets: LATENCY_BUCKETS_MS.map(() => 0), sum: 0, count: 0 }));
      LATENCY_BUCKETS_MS.forEach((b, i) => {
        if (e.data.latencyMs <= b) h.buckets[i]++;
      });
      h.sum += e.data.latencyMs / 1000;
      h.count++;
    }
  }

  render(gauges: { openSockets: number; projectionLag: number; logHead: number; uptimeS: number }): string {
    const out: string[] = [];
    out.push('# HELP chronicle_http_requests_total HTTP requests answered, by route pattern and status.');
    out.push('# TYPE chronicle_http_requests_total counter');
    for (const [key, n] of this.http) {
      const [method, route, status] = key.split('\u0000');
      out.push(`chronicle_http_requests_total{method="${esc(method)}",route="${esc(route)}",status="${status}"} ${n}`);
    }
    out.push('# HELP chronicle_events_appended_total Events appended to the log since this process started, by type.');
    out.push('# TYPE chronicle_events_appended_total counter');
    for (const [type, n] of this.events) out.push(`chronicle_events_appended_total{type="${esc(type)}"} ${n}`);
    out.push('# HELP chronicle_replies_total Agent replies (message.posted by an agent) since start.');
    out.push('# TYPE chronicle_replies_total counter');
    out.push(`chronicle_replies_total ${this.replies}`);
    out.push('# HELP chronicle_model_call_duration_seconds Model call latency from model.called events.');
    out.push('# TYPE chronicle_model_call_duration_seconds histogram');
    for (const [key, h] of this.model) {
      const [provider, model, kind] = key.split('\u0000').map(esc);
      const labels = `provider="${provider}",model="${model}",kind="${kind}"`;
      LATENCY_BUCKETS_MS.forEach((b, i) => out.push(`chronicle_model_call_duration_seconds_bucket{${labels},le="${b / 1000}"} ${h.buckets[i]}`));
      out.push(`chronicle_model_call_duration_seconds_bucket{${labels},le="+Inf"} ${h.count}`);
      out.push(`chronicle_model_call_duration_seconds_sum{${labels}} ${h.sum}`);
      out.push(`chronicle_model_call_duration_seconds_count{${labels}} ${h.count}`);
    }
    out.push('# HELP chronicle_projection_lag_events Events in the log not yet applied by the projections.');
    out.push('# TYPE chronicle_projection_lag_events gauge');
    out.push(`chronicle_projection_lag_events ${gauges.projectionLag}`);
    out.push('# HELP chronicle_log_head_seq Seq of the last event in the log.');
    out.push('# TYPE chronicle_log_head_seq gauge');
    out.push(`chronicle_log_head_seq ${gauges.logHead}`);
    out.push('# HELP chronicle_websockets_open Open WebSocket connections.');
    out.push('# TYPE chronicle_websockets_open gauge');
    out.push(`chronicle_websockets_open ${gauges.openSockets}`);
    out.push('# TYPE chronicle_websocket_frames_in_total counter');
    out.push(`chronicle_websocket_frames_in_total ${this.wsFramesIn}`);
    out.push('# TYPE chronicle_websocket_frames_out_total counter');
    out.push(`chronicle_websocket_frames_out_total ${this.wsFramesOut}`);
    out.push('# TYPE chronicle_websocket_backpressure_disconnects_total counter');
    out.push(`chronicle_websocket_backpressure_disconnects_total ${this.wsDisconnectsBackpressure}`);
    out.push('# TYPE chronicle_websocket_replayed_messages_total counter');
    out.push(`chronicle_websocket_replayed_messages_total ${this.wsReplayedMessages}`);
    out.push('# TYPE chronicle_websocket_replays_limited_total counter');
    out.push(`chronicle_websocket_replays_limited_total ${this.wsReplaysLimited}`);
    out.push('# TYPE chronicle_uptime_seconds gauge');
    out.push(`chronicle_uptime_seconds ${gauges.uptimeS}`);
    return out.join('\n') + '\n';
  }
}
