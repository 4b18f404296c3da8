import { Controller, Get, Header, Inject, Param } from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@platform/config';
import { dataContract, docsPage, EventContracts, openApiDocument } from '@platform/contracts';
import { generateAllSchemas } from '@platform/schema-registry';
import { queryRequestSchema } from '@platform/sink-adapters';
import { batchEnvelopeSchema, batchItemSchema } from '../events/events.service';
import { GatewayError } from '../http/gateway.error';
import { subscriptionRequestSchema } from '../subscriptions/subscription-request';

/** The data contract and the OpenAPI document the gateway serves (HTTP and MCP). */
export function contractDocuments(
  config: PlatformConfig,
  contracts: EventContracts,
): { contract: Record<string, unknown>; openapi: Record<string, unknown> } {
  return {
    contract: dataContract(config, contracts, generateAllSchemas(config.model)),
    openapi: openApiDocument(config.model, contracts, {
      batchItem: batchItemSchema,
      batch: batchEnvelopeSchema,
      query: queryRequestSchema,
      subscription: subscriptionRequestSchema,
    }),
  };
}

@Controller()
export class ContractsController {
  private readonly contract: Record<string, unknown>;
  private readonly openapi: Record<string, unknown>;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    contracts: EventContracts,
  ) {
    ({ contract: this.contract, openapi: this.openapi } = contractDocuments(config, contracts));
  }

  @Get('v1/contract')
  current(): Record<string, unknown> {
    return this.contract;
  }

  @Get('v1/contracts/:domain')
  ofDomain(@Param('domain') domain: string): Record<string, unknown> {
    if (domain !== this.config.model.domain) {
      throw new GatewayError(
        404,
        'NOT_FOUND',
        `this gateway serves the ${this.config.model.domain} domain, not ${JSON.stringify(domain.slice(0, 64))}`,
      );
    }
    return this.contract;
  }

  @Get('docs/openapi.json')
  document(): Record<string, unknown> {
    return this.openapi;
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  docs(): string {
    return docsPage(this.openapi);
  }
}
