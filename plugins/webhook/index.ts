import type { Plugin, ServiceInstance } from '../../src/plugin-host/types.ts';
import { startWebhookBridge, type WebhookBridge } from './bridge.ts';

export { startWebhookBridge } from './bridge.ts';
export type { BridgeOptions, WebhookBridge } from './bridge.ts';
export { DeliveryQueue } from './outbound.ts';
export type { DeadLetter, Delivered, DeliveryOptions } from './outbound.ts';
export { startInbound } from './inbound.ts';
export { sign, verify, SIGNATURE_HEADER } from './signature.ts';

/**
 * The webhook client plugin. Its service starts the bridge when WEBHOOK_SECRET is set:
 *   WEBHOOK_SECRET         shared secret (HMAC-SHA256) for inbound requests and outbound deliveries
 *   WEBHOOK_PORT           inbound port on WEBHOOK_HOST (default 127.0.0.1:8787)
 *   WEBHOOK_OUTBOUND_URL   where agents' replies are POSTed (optional)
 *   WEBHOOK_DEAD_LETTERS   JSON-lines file for deliveries that ran out of attempts
 *   WEBHOOK_CHRONICLE_URL  the server's public API (default http://127.0.0.1:$PORT)
 *   WEBHOOK_USERNAME / WEBHOOK_PASSWORD  the account it posts as (a member of the rooms it serves)
 * The server may still be starting when the service does, so it retries its first connection.
 */
class WebhookService {
  static serviceType = 'webhook';
  static async start(): Promise<ServiceInstance> {
    const env = process.env;
    if (!env.WEBHOOK_SECRET || !env.WEBHOOK_PASSWORD)
      return { capabilityDescription: 'webhook client (disabled: set WEBHOOK_SECRET and WEBHOOK_PASSWORD)', stop: () => undefined };
    let bridge: WebhookBridge | undefined;
    let stopped = false;
    const options = {
      chronicleUrl: env.WEBHOOK_CHRONICLE_URL ?? `http://127.0.0.1:${env.PORT ?? 3000}`,
      username: env.WEBHOOK_USERNAME ?? 'webhook',
      password: env.WEBHOOK_PASSWORD,
      secret: env.WEBHOOK_SECRET,
      inboundHost: env.WEBHOOK_HOST ?? '127.0.0.1',
      inboundPort: Number(env.WEBHOOK_PORT ?? 8787),
      outboundUrl: env.WEBHOOK_OUTBOUND_URL,
      delivery: { deadLetterFile: env.WEBHOOK_DEAD_LETTERS },
    };
    void (async () => {
      for (let delay = 500; !stopped && !bridge; delay = Math.min(delay * 2, 30_000)) {
        try {
          bridge = await startWebhookBridge(options);
          if (stopped) await bridge.close();
        } catch {
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    })();
    return {
      capabilityDescription: 'webhook client: signed inbound messages to rooms, outbound delivery of replies',
      stop: async () => {
        stopped = true;
        await bridge?.close();
      },
    };
  }
}

const plugin: Plugin = {
  name: 'webhook',
  description: 'Connects an external system over signed webhooks: inbound messages to rooms, replies delivered to a URL with retries and dead letters',
  services: [WebhookService],
};
export default plugin;
