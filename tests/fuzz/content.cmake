yordam_fuzz_target(fuzz_content SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_content.c
	LIBS yordam_menus yordam_text PkgConfig::OSMOCORE)
