import { Module } from '@nestjs/common';
import { GenerationController } from './generation.controller';
import { GENERATOR_SETTINGS, GenerationService } from './generation.service';
import { readGeneratorSettings } from './generator-settings';

@Module({
  controllers: [GenerationController],
  providers: [
    // Checked once at boot: a bad GENERATOR_* variable fails the start with every problem.
    { provide: GENERATOR_SETTINGS, useFactory: () => readGeneratorSettings(process.env) },
    GenerationService,
  ],
})
export class GenerationModule {}
