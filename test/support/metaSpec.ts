/** Meta's spec validation lives with the simulator (tools/sim/metaSpec.ts); tests import it from here too. */
export { CONTRACTS_DIR } from '../../tools/sim/contracts';
export { loadSpec, validateRequest, validateSchema } from '../../tools/sim/metaSpec';
export type { SpecRequest, ValidationResult } from '../../tools/sim/metaSpec';
