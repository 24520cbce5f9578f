# yordamd end to end through a real osmo-hlr (and yordamctl against the daemon).
add_test(NAME integration_ussd_gsup COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_ussd_gsup.py)
set_tests_properties(integration_ussd_gsup PROPERTIES LABELS integration TIMEOUT 300
	ENVIRONMENT "YORDAM_SRC=${PROJECT_SOURCE_DIR};YORDAM_BUILD=${PROJECT_BINARY_DIR}")
