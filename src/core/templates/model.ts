/**
 * The template model in one import, for the adapters written before it was split:
 * template.ts (Meta's template shape), inputs.ts (what an agent fills), rules.ts (Meta's rules for
 * the values), bind.ts (the Cloud API send), preview.ts (the message as the recipient sees it).
 * New code imports the module it needs.
 */
export * from './template';
export * from './inputs';
export * from './rules';
export * from './bind';
export * from './preview';
