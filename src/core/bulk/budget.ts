/**
 * How long a call into the app may take. Rocket.Chat 7.x/8.x run apps in the Apps-Engine's Deno
 * runtime; every call into the app's process (an API request, a UIKit interaction, an event, a
 * job) fails on the server's side after APPS_ENGINE_RUNTIME_TIMEOUT ms, 30,000 by default
 * (apps-engine 1.62.0 src/server/runtime/deno/AppsEngineDenoRuntime.ts: getRuntimeTimeout() and
 * waitForResponse(); see ../shared/design/runtime-notes.md). The caller then sees an error and may
 * retry, while the app's code goes on running: the sends of one call must end well before.
 */
export const ENGINE_CALL_TIMEOUT_MS = 30000;

/**
 * The last send of a request must be due to start within this many ms of the request's start, or
 * the request is refused before anything is sent (campaign mode, `async: true`, sends at any size).
 * It leaves room for pauses on 130429, the last answers from Meta and the records.
 */
export const ADMISSION_WINDOW_MS = 15000;

/**
 * No send of a call starts later than this after the call began (the pacer's deadline): with the
 * Graph client's 10 s timeout on the last send, the call still answers inside the engine's 30 s.
 */
export const SEND_WINDOW_MS = 18000;
