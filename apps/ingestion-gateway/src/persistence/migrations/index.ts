import { GatewayInitial1732600000000 } from './1732600000000-initial';
import { GatewayIdempotency1764600000000 } from './1764600000000-idempotency';

/** In order; listed explicitly so ts-node, jest and a bundle find the same set. */
export const GATEWAY_MIGRATIONS = [GatewayInitial1732600000000, GatewayIdempotency1764600000000];
