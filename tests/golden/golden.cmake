# Golden transcripts of the bundled pack (tests/golden/*.ok): a `yordamctl dial` walk per
# language and the `content validate` report. YORDAM_GOLDEN_UPDATE=1 regenerates them.
add_test(NAME golden_content COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/test_golden.py)
set_tests_properties(golden_content PROPERTIES LABELS golden TIMEOUT 120
	ENVIRONMENT "YORDAM_SRC=${PROJECT_SOURCE_DIR};YORDAM_BUILD=${PROJECT_BINARY_DIR}")
