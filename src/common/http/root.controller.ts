import { Controller, Get } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

/** What `GET /` answers: where to go next. */
export interface ServiceIndex {
  service: 'task-execution-api';
  docs: string;
  openapi: string;
  health: string;
}

/**
 * `GET /`: a newcomer opening the base URL (in a browser or with curl) learns where the API is
 * described, instead of meeting a bare 404. A small public JSON document rather than a redirect,
 * so curl shows it too; it carries no version or configuration.
 */
@ApiExcludeController()
@Controller()
export class RootController {
  @Get()
  index(): ServiceIndex {
    return { service: 'task-execution-api', docs: '/docs', openapi: '/openapi.json', health: '/health/ready' };
  }
}
