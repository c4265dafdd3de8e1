// The jest environment of every test file: the service's error-level log lines (a 503 or a 500
// provoked on purpose) are held back while a test passes and printed under the failure when it
// does not, so a green run is quiet and a red one keeps its evidence. TEST_LOGS=true prints all.
const { TestEnvironment } = require('jest-environment-node');

class QuietLogEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    /** Filled by test/support/test-app.ts through this global. */
    this.held = [];
    this.global.__heldLogLines = this.held;
  }

  async handleTestEvent(event) {
    if (event.name === 'test_start') this.held.length = 0;
    const failed = (event.name === 'test_done' && event.test.errors.length > 0) || event.name === 'hook_failure';
    if (failed && this.held.length > 0) {
      const where = event.name === 'hook_failure' ? `the ${event.hook.type} hook` : `"${event.test.name}"`;
      process.stderr.write(`\nservice log lines (error level) during ${where}:\n${this.held.join('\n')}\n\n`);
      this.held.length = 0;
    }
  }
}

module.exports = QuietLogEnvironment;
