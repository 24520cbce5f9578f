# USSD Facility codec; cross-checked against libosmocore's own generator and parser.
yordam_unit_test(test_facility SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_facility.c
	LIBS yordam_facility PkgConfig::OSMOGSM PkgConfig::OSMOCORE)
