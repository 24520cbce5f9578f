# SMS layer: the text/keyword parser with the reply cutter, and reassembly of received parts
# through the whole service (a store in a temporary directory, the unit tests' fake modem).
yordam_fuzz_target(fuzz_sms_parse SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_sms_parse.c
	LIBS yordam_sms yordam_menus yordam_text yordam_common)
target_compile_definitions(fuzz_sms_parse PRIVATE YORDAM_SRC_DIR="${PROJECT_SOURCE_DIR}")
yordam_fuzz_target(fuzz_sms_reasm SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_sms_reasm.c
	${PROJECT_SOURCE_DIR}/tests/unit/fake_modem.c
	LIBS yordam_sms yordam_menus yordam_secret yordam_store yordam_text yordam_common)
target_include_directories(fuzz_sms_reasm PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
target_compile_definitions(fuzz_sms_reasm PRIVATE YORDAM_SRC_DIR="${PROJECT_SOURCE_DIR}")
