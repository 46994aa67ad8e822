/*
 * Stands in for an engine bridge module an older engine does not have (jest.config.js maps it here when
 * APPS_ENGINE selects such an engine): `ExperimentalBridge` and `OutboundMessagesBridge` came after
 * 1.53.1. The harness still builds those bridges from the classes below (with the loud fallback of
 * tools/harness/loud.ts); the older engine never asks for them.
 */
'use strict';
class ExperimentalBridge {}
class OutboundMessageBridge {}
module.exports = { ExperimentalBridge, OutboundMessageBridge };
