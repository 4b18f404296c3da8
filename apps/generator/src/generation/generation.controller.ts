import { Controller, Get } from '@nestjs/common';
import { GenerationService } from './generation.service';
import type { Progress } from './generation-loop';

@Controller('generation')
export class GenerationController {
  constructor(private readonly generation: GenerationService) {}

  /** `GET /generation/status`: events generated, sent and failed since start. */
  @Get('status')
  status(): Progress {
    return this.generation.status();
  }
}
