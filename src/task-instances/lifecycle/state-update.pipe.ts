import { Injectable, type PipeTransform } from '@nestjs/common';
import { RequestValidationException } from '../../common/problem/validation';
import { STATE_PAYLOADS, TARGET_STATES, type TIStateUpdate } from './dto/state-update.dto';
import { assertBoundedJsonObject, validateAs } from '../../common/http/pipes/strict-body.pipe';
import { LIFECYCLE_BODY_MAX_DEPTH } from './lifecycle.limits';

/**
 * Validates a `PATCH /state` body against the payload its `state` selects. `running` and the
 * states a worker never reports (`queued`, `scheduled`, …) are 422: Airflow accepts some of them
 * and then silently fails the task, which this service does not copy.
 */
@Injectable()
export class StateUpdatePipe implements PipeTransform<unknown, Promise<TIStateUpdate>> {
  async transform(value: unknown): Promise<TIStateUpdate> {
    assertBoundedJsonObject(value, LIFECYCLE_BODY_MAX_DEPTH);
    const state = value.state;
    if (typeof state !== 'string' || !Object.hasOwn(STATE_PAYLOADS, state)) {
      throw new RequestValidationException([{ path: 'state', message: `state must be one of: ${TARGET_STATES.join(', ')}` }]);
    }
    return validateAs<TIStateUpdate>(STATE_PAYLOADS[state as keyof typeof STATE_PAYLOADS], value);
  }
}
