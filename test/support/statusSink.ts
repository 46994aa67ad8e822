/** The status sink lives in tools/harness (the benchmarks use it too); the tests import it from here. */
export { Delivery, StatusSink } from '../../tools/harness/statusSink';
