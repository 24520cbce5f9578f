# Sync with the central platform (issue 5): a test client linking yordam_sync, the reference
# central service (yordam-central), openssl s_server for the negative TLS matrix.
add_executable(sync_driver ${CMAKE_CURRENT_LIST_DIR}/sync_driver.c)
target_link_libraries(sync_driver PRIVATE yordam_sync yordam_common PkgConfig::OSMOCORE)

add_test(NAME integration_sync COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_sync.py)
set_tests_properties(integration_sync PROPERTIES LABELS integration TIMEOUT 300
	ENVIRONMENT "YORDAM_SRC=${PROJECT_SOURCE_DIR};YORDAM_BUILD=${PROJECT_BINARY_DIR}")
add_test(NAME integration_sync_tls COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_sync_tls.py)
set_tests_properties(integration_sync_tls PROPERTIES LABELS integration TIMEOUT 180
	ENVIRONMENT "YORDAM_SRC=${PROJECT_SOURCE_DIR};YORDAM_BUILD=${PROJECT_BINARY_DIR}")
