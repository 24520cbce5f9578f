yordam_unit_test(test_session SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_session.c
	LIBS yordam_ussd yordam_menus yordam_store yordam_secret yordam_common)
