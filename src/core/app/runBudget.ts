/**
 * How long one scheduler job run may work. Rocket.Chat's engine gives every call into the app's Deno
 * runtime 30 s (`getRuntimeTimeout` in @rocket.chat/apps-engine
 * server/runtime/deno/AppsEngineDenoRuntime.ts: 30000 ms unless APPS_ENGINE_RUNTIME_TIMEOUT says
 * otherwise). A run past it is reported as timed out while the runtime goes on working, and Agenda
 * starts the next run of the job beside it: two runs on the same work. So a run stops taking new
 * work after RUN_BUDGET_MS, well under the timeout, and asks for another run while work remains.
 * 8 s leaves the work already started (a status POST answers in well under a second; at worst it
 * times out at 10 s) room to end, so that a run lasts about 10 s at most and never nears 30 s.
 */
export const RUN_BUDGET_MS = 8000;

/** Real elapsed time for budgets (the services' Clock may be moved by tests; a budget is wall time). */
export const wallClock = (): number => Date.now();
