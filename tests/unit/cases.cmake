# Cases library: case numbers (with the exhaustive check-digit proof), categories, the state
# machine, staff commands; the roster, time zones, duty hours and routing; the early warning.
yordam_unit_test(test_cases SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cases.c LIBS yordam_cases PkgConfig::OSMOCORE)
yordam_unit_test(test_cases_roster SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cases_roster.c
	LIBS yordam_cases PkgConfig::OSMOCORE)
yordam_unit_test(test_cases_warn SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cases_warn.c
	LIBS yordam_cases yordam_store PkgConfig::OSMOCORE)
