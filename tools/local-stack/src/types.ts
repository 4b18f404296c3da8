export type Logger = (line: string) => void;

export interface ServerStatus {
  name: 'kafka' | 'clickhouse' | 'postgres';
  address: string;
  version: string | null;
  healthy: boolean;
  latencyMs: number | null;
  detail?: string;
}
