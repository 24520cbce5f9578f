# yordamd with a sync section against the reference central service (issue 5).
add_test(NAME integration_sync_daemon COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_sync_daemon.py)
set_tests_properties(integration_sync_daemon PROPERTIES LABELS integration TIMEOUT 300
	ENVIRONMENT "YORDAM_SRC=${PROJECT_SOURCE_DIR};YORDAM_BUILD=${PROJECT_BINARY_DIR}")
