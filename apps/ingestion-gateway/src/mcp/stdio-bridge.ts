import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * `gateway mcp`: the gateway's MCP server on stdio, for agents that start servers as local
 * processes. Messages are relayed to a gateway's `/mcp` (streamable HTTP) with the write key,
 * so the tools, their checks and the key's permissions are the HTTP server's own; nothing is
 * served from this process, and nothing but MCP is written to stdout. A request the gateway
 * refuses (a bad key: 401, unreachable) is answered with a JSON-RPC error naming why.
 * Resolves when stdin closes.
 */
export async function serveStdio(url: URL, writeKey: string): Promise<void> {
  const upstream = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { 'x-write-key': writeKey } },
  });
  const local = new StdioServerTransport();
  let closing = false;
  const closed = new Promise<void>((resolve) => {
    local.onclose = () => {
      closing = true;
      resolve();
    };
  });
  upstream.onmessage = (message) => void local.send(message);
  upstream.onerror = (error) => {
    if (!closing) process.stderr.write(`gateway mcp: ${error.message}\n`);
  };
  local.onmessage = (message: JSONRPCMessage) => {
    upstream.send(message).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      process.stderr.write(`gateway mcp: ${url.href}: ${reason}\n`);
      if ('id' in message && 'method' in message)
        void local.send({
          jsonrpc: '2.0',
          id: message.id,
          error: {
            code: -32000,
            message: `the gateway at ${url.href} refused or failed: ${reason}`,
          },
        });
    });
  };
  await upstream.start();
  await local.start();
  process.stdin.once('end', () => void local.close());
  await closed;
  await upstream.close();
}
