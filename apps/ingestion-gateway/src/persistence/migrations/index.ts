import { GatewayInitial1732600000000 } from './1732600000000-initial';
import { GatewayIdempotency1764600000000 } from './1764600000000-idempotency';
import { GatewayDlqReplays1764700000000 } from './1764700000000-dlq-replays';

/** In order; listed explicitly so ts-node, jest and a bundle find the same set. */
export const GATEWAY_MIGRATIONS = [
  GatewayInitial1732600000000,
  GatewayIdempotency1764600000000,
  GatewayDlqReplays1764700000000,
];
