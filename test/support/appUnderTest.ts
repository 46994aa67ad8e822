/** The app under test lives in tools/harness (the benchmarks use it too); the tests import it from here. */
export {
	addContactRoom,
	ADMIN_AUTH,
	AppUnderTest,
	callApi,
	cancelRecurringJobs,
	connectNumber,
	connectState,
	contactVisitorToken,
	NUMBER,
	NUMBER_PROOF,
	startApp,
	stopChecked,
} from '../../tools/harness/appUnderTest';
