/**
 * How long one scheduler job run may work. Rocket.Chat's engine gives every call into the app's Deno
 * runtime 30 s (`getRuntimeTimeout` in @rocket.chat/apps-engine
 * server/runtime/deno/AppsEngineDenoRuntime.ts: 30000 ms unless APPS_ENGINE_RUNTIME_TIMEOUT says
 * otherwise). A run past it is reported as timed out while the runtime goes on working, and Agenda
 * starts the next run of the job beside it: two runs on the same work. So a run stops taking new
 * work after RUN_BUDGET_MS, well under the timeout (the work already started, a POST of at most
 * 10 s, still fits), and asks for another run while work remains.
 */
export const RUN_BUDGET_MS = 10000;

/** Real elapsed time for budgets (the services' Clock may be moved by tests; a budget is wall time). */
export const wallClock = (): number => Date.now();
