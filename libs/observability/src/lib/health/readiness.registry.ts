import type { HealthIndicatorPort } from './health-indicator';

/**
 * The checks `/readyz` runs: those given to `ObservabilityModule.forRoot({ readiness })`
 * plus any a module registers at start-up (`registry.register(kafkaIndicator(kafka))`).
 */
export class ReadinessRegistry {
  private readonly indicators = new Map<string, HealthIndicatorPort>();

  constructor(initial: readonly HealthIndicatorPort[] = []) {
    for (const indicator of initial) this.register(indicator);
  }

  /** Adds a check; a second check with the same name is a bug and throws. */
  register(indicator: HealthIndicatorPort): void {
    if (this.indicators.has(indicator.name)) {
      throw new Error(`A readiness indicator named "${indicator.name}" is already registered`);
    }
    this.indicators.set(indicator.name, indicator);
  }

  unregister(name: string): boolean {
    return this.indicators.delete(name);
  }

  list(): readonly HealthIndicatorPort[] {
    return [...this.indicators.values()];
  }
}
