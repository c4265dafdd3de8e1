// The one swc transform for TypeScript outside `nest build`: jest (jest.config.js), the child
// processes that run src/main.ts directly (register-ts.js) and the quick service build
// (build-service.ts). Decorator metadata on, as Nest needs it.
module.exports = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
};
