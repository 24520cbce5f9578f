# yordamd with libgammu's dummy phone: SMS in, replies out, kill -9 recovery.
add_test(NAME integration_sms_dummy COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_sms_dummy.py)
set_tests_properties(integration_sms_dummy PROPERTIES LABELS integration TIMEOUT 300
	ENVIRONMENT "YORDAM_SRC=${PROJECT_SOURCE_DIR};YORDAM_BUILD=${PROJECT_BINARY_DIR}")
