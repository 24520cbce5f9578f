# Issue 4 over USSD: a complaint through OsmoHLR, stored and routed by the cases service.
add_test(NAME integration_cases_ussd COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_cases_ussd.py)
set_tests_properties(integration_cases_ussd PROPERTIES LABELS integration TIMEOUT 120
	ENVIRONMENT "YORDAM_SRC=${PROJECT_SOURCE_DIR};YORDAM_BUILD=${PROJECT_BINARY_DIR}")
