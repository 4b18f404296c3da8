import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { indicator, ReadinessRegistry } from '@platform/observability';
import { RegistryStore } from '../persistence/registry.store';

/** `/readyz` is PostgreSQL answering `SELECT 1`; `/healthz` comes from the observability module. */
@Injectable()
export class RegistryReadiness implements OnModuleInit {
  constructor(
    private readonly readiness: ReadinessRegistry,
    private readonly store: RegistryStore,
  ) {}

  onModuleInit(): void {
    this.readiness.register(indicator('postgres', () => this.store.ping()));
  }
}

@Module({ providers: [RegistryReadiness] })
export class HealthModule {}
