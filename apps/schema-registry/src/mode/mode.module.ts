import { Module } from '@nestjs/common';
import { ContextsController, ModeController } from './mode.controller';

@Module({ controllers: [ModeController, ContextsController] })
export class ModeModule {}
