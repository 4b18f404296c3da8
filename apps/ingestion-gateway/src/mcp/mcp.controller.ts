import { All, Body, Controller, Inject, Req, Res } from '@nestjs/common';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { PLATFORM_CONFIG, type PlatformConfig } from '@platform/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WriteKeyAuthService } from '../auth/write-key-auth.service';
import { EventContracts } from '@platform/contracts';
import { contractDocuments } from '../contracts/contracts.controller';
import { EventsService } from '../events/events.service';
import { QueryService } from '../query/query.service';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import { buildMcpServer, type McpDependencies } from './mcp-tools';

/**
 * `/mcp`: the MCP server over streamable HTTP, stateless (every request stands alone, so any
 * gateway instance can answer it), JSON answers. The write key authenticates every request
 * like any API call (401/403 before MCP is spoken); the tools then act with its permissions.
 */
@Controller('mcp')
export class McpController {
  private readonly deps: McpDependencies;

  constructor(
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
    private readonly auth: WriteKeyAuthService,
    events: EventsService,
    query: QueryService,
    subscriptions: SubscriptionsService,
    contracts: EventContracts,
  ) {
    this.deps = {
      config,
      auth,
      events,
      query,
      subscriptions,
      ...contractDocuments(config, contracts),
    };
  }

  @All()
  async handle(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<void> {
    const key = await this.auth.authenticate(request);
    const server = buildMcpServer(this.deps, key);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    reply.hijack();
    await transport.handleRequest(request.raw, reply.raw, body);
  }
}
