// tsconfig.floor.json resolves an engine module missing from the oldest supported engine's
// definitions (1.46.0) to this empty module, so that importing anything from it fails the floor
// typecheck. Declare newer APIs locally instead (src/adapters/engine/newerApis.ts) and detect them at run time.
export {};
