package process_test

const helperHostEnv = "KAPI_PROCESS_TEST_HELPER_HOST"

func runHelperHost() {}
