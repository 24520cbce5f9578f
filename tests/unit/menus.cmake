yordam_unit_test(test_menus SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_menus.c
	LIBS yordam_menus yordam_store yordam_text PkgConfig::OSMOCORE)
