import { Injectable, type PipeTransform } from '@nestjs/common';
import { RequestValidationException } from '../../problem/validation';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates a UUID path parameter (any version); 422 naming the parameter, without echoing it. */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: { data?: string }): string {
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw new RequestValidationException(
        [{ path: metadata.data ?? 'id', message: 'must be a UUID', location: 'path', type: 'uuid_parsing' }],
        'The path parameter is not a valid UUID.',
      );
    }
    return value.toLowerCase();
  }
}
