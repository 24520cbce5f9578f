# `yordamctl content validate` on the bundled pack (menus/content) and on small broken packs.
# Needs no osmo-hlr: the daemon's GSUP port points at a closed port.
add_test(NAME integration_content COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_content.py)
set_tests_properties(integration_content PROPERTIES LABELS integration TIMEOUT 120
	ENVIRONMENT "YORDAM_SRC=${PROJECT_SOURCE_DIR};YORDAM_BUILD=${PROJECT_BINARY_DIR}")
