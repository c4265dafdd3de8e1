/**
 * Nesting allowed in a lifecycle request body (`conf`-like values such as `next_kwargs`). The
 * bound is checked before class-transformer runs: it recurses, and a deeply nested body would
 * overflow the stack and end as a 500 instead of a 422.
 */
export const LIFECYCLE_BODY_MAX_DEPTH = 64;
