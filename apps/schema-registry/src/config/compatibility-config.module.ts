import { Module } from '@nestjs/common';
import { CompatibilityConfigController } from './compatibility-config.controller';
import { CompatibilityConfigService } from './compatibility-config.service';

@Module({
  controllers: [CompatibilityConfigController],
  providers: [CompatibilityConfigService],
})
export class CompatibilityConfigModule {}
