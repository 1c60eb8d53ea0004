// The option space lives in src/, because the onboarding generator walks it too.
export * from '../../src/templates/option-combinations';
