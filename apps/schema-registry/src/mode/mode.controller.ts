import { Body, Controller, Get, Put } from '@nestjs/common';
import { RegistryError } from '../errors/registry.error';

/** Confluent's modes; this registry has one, READWRITE, everywhere. */
const MODES = ['READWRITE', 'READONLY', 'READONLY_OVERRIDE', 'IMPORT'] as const;
const READWRITE = { mode: 'READWRITE' } as const;

/**
 * `/mode` and `/mode/{subject}` answered as Confluent answers a registry in READWRITE mode:
 * clients that check the mode before registering (migration tools, Schema Linking) work.
 * Setting READWRITE is a no-op; any other valid mode is 42205, an unknown one 42204.
 */
@Controller('mode')
export class ModeController {
  @Get()
  global(): typeof READWRITE {
    return READWRITE;
  }

  @Get(':subject')
  subject(): typeof READWRITE {
    return READWRITE;
  }

  @Put()
  setGlobal(@Body() body: unknown): typeof READWRITE {
    return setMode(body);
  }

  @Put(':subject')
  setSubject(@Body() body: unknown): typeof READWRITE {
    return setMode(body);
  }
}

function setMode(body: unknown): typeof READWRITE {
  const mode = (body as { mode?: unknown } | null)?.mode;
  const upper = typeof mode === 'string' ? mode.toUpperCase() : undefined;
  if (upper === undefined || !(MODES as readonly string[]).includes(upper))
    throw RegistryError.invalidMode(mode);
  if (upper !== 'READWRITE') throw RegistryError.modeNotChangeable();
  return READWRITE;
}

/** Contexts: only Confluent's default context, `.`. */
@Controller('contexts')
export class ContextsController {
  @Get()
  list(): string[] {
    return ['.'];
  }
}
