import { Controller, Get } from '@nestjs/common';

/** `GET /`: an empty object, as Confluent's root resource answers; tools poll it to see the registry is up. */
@Controller()
export class RootController {
  @Get()
  root(): Record<string, never> {
    return {};
  }
}
