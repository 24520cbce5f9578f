# yordamd's HTTP USSD port driven by curl like an aggregator's gateway (no osmo-hlr needed).
add_test(NAME integration_ussd_http COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_ussd_http.py)
set_tests_properties(integration_ussd_http PROPERTIES LABELS integration TIMEOUT 300
	ENVIRONMENT "YORDAM_SRC=${PROJECT_SOURCE_DIR};YORDAM_BUILD=${PROJECT_BINARY_DIR}")
