// Owns the text the CLI prints on stderr after a run for the requests the managed network proxy
// blocked (host, port, reason). Pure, and imports no proxy code (the CLI's start-up path must not
// load the proxy, which pulls in net and http).
import type { BlockedRequestEvent } from '@codex-sandbox/proxy-bridge';

export function formatBlockedRequests(events: readonly BlockedRequestEvent[]): string {
  if (events.length === 0) return '';
  const lines = [`codex sandbox: the network proxy blocked ${events.length} request${events.length === 1 ? '' : 's'}:`];
  for (const e of events) {
    const via = e.protocol === 'socks5' ? 'SOCKS5' : e.protocol === 'connect' ? 'CONNECT' : `HTTP ${e.method ?? ''}`.trim();
    lines.push(`  ${e.host}:${e.port}  ${e.reason}  (${via}): ${e.message}`);
  }
  return lines.join('\n') + '\n';
}
